CREATE TABLE schema_version (
    version INTEGER NOT NULL
);
CREATE TABLE entries (
    seq             INTEGER PRIMARY KEY,
    key             TEXT    NOT NULL UNIQUE,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'in_progress', 'done', 'dead')),
    kind            TEXT,
    identified_by   TEXT,
    type_field      TEXT,
    verified_by     TEXT    NOT NULL,
    order_key       TEXT,
    received_at     INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    lease_gen       INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL,
    raw             BLOB    NOT NULL
);
CREATE INDEX entries_due ON entries (state, next_attempt_at, seq);
CREATE INDEX entries_lease ON entries (state, lease_until);
CREATE INDEX entries_order ON entries (order_key, state, seq) WHERE order_key IS NOT NULL;
CREATE INDEX entries_finished ON entries (state, updated_at);
