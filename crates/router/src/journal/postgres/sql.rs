//! The journal's statements, made once for the schema the journal lives in. Each operation is
//! one statement (one round trip, committed on its own) unless it says otherwise.

/// The columns [`super::rows::read_entry`] reads, in its order.
const COLUMNS: &str = "e.key, e.raw, e.kind, e.identified_by, e.type_field, e.verified_by, \
     e.order_key, e.received_at, e.state, e.attempts, e.last_error, e.next_attempt_at, \
     e.lease_until, e.updated_at, e.lease_gen";

/// Holds for an entry `e` when no other entry of its order key is in progress and no earlier
/// one is pending. (Stricter than "no earlier open entry": an entry whose append committed
/// late, after a later one of its key was leased, waits for that one too.)
const ORDER_FREE: &str = "(e.order_key IS NULL OR NOT EXISTS (SELECT 1 FROM {t} p \
     WHERE p.order_key = e.order_key AND p.seq <> e.seq AND p.state IN ('pending', 'in_progress') \
     AND (p.state = 'in_progress' OR p.seq < e.seq)))";

/// A one-row subquery that lets the statement's commit return before the WAL is flushed
/// (`synchronous_commit` off, for this transaction only): for the workers' leases and
/// completions, whose loss in a database crash only makes a handler run again (which the
/// guarantees allow). Appends and transactional completions force it on.
const RELAXED: &str = "(SELECT set_config('synchronous_commit', 'off', true)) relaxed";

/// The statements of one journal.
#[derive(Debug)]
pub(super) struct Statements {
    /// `$1..$8`: arrays of keys, kinds, identified_by, type fields, verified_by, order keys,
    /// received_at and bodies; `$9` now; `$10` the notification channel. Returns the keys
    /// inserted (the rest were duplicates). Forces `synchronous_commit` on, whatever the
    /// database's setting: an append answered 200 is on disk.
    pub(super) append: String,
    /// `$1` now, `$2` the most entries, `$3` the lease's end. Returns the leased entries.
    pub(super) lease: String,
    pub(super) complete: String,
    /// `$1` keys, `$2` generations, `$3` now: completes many entries in one statement. Returns
    /// one row per key, in order: whether it changed, whether the key exists.
    pub(super) complete_many: String,
    pub(super) retry: String,
    pub(super) dead: String,
    pub(super) hold: String,
    pub(super) release: String,
    /// `$1` seq, `$2` error, `$3` now: a leased row that does not read becomes dead.
    pub(super) bury: String,
    /// In the completing transaction: `$1` key, `$2` generation. Locks the entry while its
    /// lease is current, so no other worker takes it over while the handler runs.
    pub(super) lock_lease: String,
    pub(super) get: String,
    pub(super) list: String,
    pub(super) stats: String,
    pub(super) replay_one: String,
    pub(super) replay_dead: String,
    pub(super) replay_kind: String,
    pub(super) purge: String,
    pub(super) prune_done: String,
    /// `$1` the cutoff: drops the bodies of done entries finished before it.
    pub(super) drop_bodies: String,
    /// Reclaims the space of deleted and updated rows.
    pub(super) vacuum: String,
}

impl Statements {
    pub(super) fn new(schema: &str) -> Self {
        let t = format!(r#""{schema}".entries"#);
        let sub = |sql: &str| {
            sql.replace("{order_free}", ORDER_FREE)
                .replace("{columns}", COLUMNS)
                .replace("{relaxed}", RELAXED)
                .replace("{t}", &t)
        };
        // `$1` key, `$2` generation, `$3` now: the settles change the entry only under its
        // current lease, and say whether the key exists (lost lease or unknown key).
        let settle = |set: &str| {
            sub(&format!(
                "WITH u AS (UPDATE {{t}} SET {set}, lease_until = NULL, updated_at = $3 \
                 WHERE key = $1 AND lease_gen = $2 AND state = 'in_progress' RETURNING 1) \
                 SELECT (SELECT count(*) FROM u), EXISTS (SELECT 1 FROM {{t}} WHERE key = $1)"
            ))
        };
        const BACK: &str = "UPDATE {t} SET state = 'pending', attempts = 0, next_attempt_at = $1, \
             lease_until = NULL, updated_at = $1 WHERE ";
        Self {
            append: sub(
                "WITH durable AS (SELECT set_config('synchronous_commit', 'on', true), \
                 pg_notify($10, '')), \
                 ins AS (INSERT INTO {t} (key, state, kind, identified_by, type_field, \
                 verified_by, order_key, received_at, next_attempt_at, updated_at, raw) \
                 SELECT n.key, 'pending', n.kind, n.identified_by, n.type_field, n.verified_by, \
                 n.order_key, n.received_at, $9, $9, n.raw \
                 FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[], $5::text[], \
                 $6::bytea[], $7::int8[], $8::bytea[]) WITH ORDINALITY \
                 AS n(key, kind, identified_by, type_field, verified_by, order_key, \
                 received_at, raw, ord) \
                 ORDER BY n.ord ON CONFLICT (key) DO NOTHING RETURNING key) \
                 SELECT ins.key FROM ins CROSS JOIN durable",
            ),
            lease: sub("WITH expired AS (SELECT e.seq, 0 AS pass FROM {t} e \
                 WHERE e.state = 'in_progress' AND e.lease_until <= $1 AND {order_free} \
                 ORDER BY e.lease_until, e.seq LIMIT $2 FOR UPDATE SKIP LOCKED), \
                 due AS (SELECT e.seq, 1 AS pass FROM {t} e \
                 WHERE e.state = 'pending' AND e.next_attempt_at <= $1 AND {order_free} \
                 ORDER BY e.next_attempt_at, e.seq LIMIT $2 FOR UPDATE SKIP LOCKED), \
                 picked AS (SELECT seq FROM (SELECT * FROM expired UNION ALL SELECT * FROM due) c \
                 ORDER BY pass, seq LIMIT $2) \
                 UPDATE {t} e SET state = 'in_progress', attempts = e.attempts + 1, \
                 lease_gen = e.lease_gen + 1, lease_until = $3, updated_at = $1 \
                 FROM picked CROSS JOIN {relaxed} WHERE e.seq = picked.seq \
                 RETURNING {columns}, e.seq"),
            complete: settle("state = 'done'"),
            complete_many: sub(
                "WITH b AS (SELECT * FROM unnest($1::bytea[], $2::int8[]) WITH ORDINALITY \
                 AS b(key, gen, ord)), \
                 u AS (UPDATE {t} e SET state = 'done', lease_until = NULL, updated_at = $3 \
                 FROM b CROSS JOIN {relaxed} WHERE e.key = b.key AND e.lease_gen = b.gen AND e.state = 'in_progress' \
                 RETURNING b.ord) \
                 SELECT b.ord, EXISTS (SELECT 1 FROM u WHERE u.ord = b.ord), \
                 EXISTS (SELECT 1 FROM {t} x WHERE x.key = b.key) FROM b ORDER BY b.ord",
            ),
            retry: settle("state = 'pending', last_error = $4, next_attempt_at = $5"),
            dead: settle("state = 'dead', last_error = $4"),
            hold: settle(
                "state = 'pending', last_error = $4, next_attempt_at = $5, \
                 attempts = greatest(attempts - 1, 0)",
            ),
            release: settle("state = 'pending', attempts = greatest(attempts - 1, 0)"),
            bury: sub(
                "UPDATE {t} SET state = 'dead', lease_until = NULL, last_error = $2, \
                 updated_at = $3 WHERE seq = $1",
            ),
            lock_lease: sub(
                "SELECT set_config('synchronous_commit', 'on', true) FROM {t} \
                 WHERE key = $1 AND lease_gen = $2 AND state = 'in_progress' FOR UPDATE",
            ),
            get: sub("SELECT {columns} FROM {t} e WHERE e.key = $1"),
            list: sub(
                "SELECT {columns} FROM {t} e WHERE ($1::text IS NULL OR e.state = $1) \
                 AND ($2::text IS NULL OR e.kind = $2) AND ($3::int8 IS NULL OR e.received_at >= $3) \
                 ORDER BY e.seq LIMIT $4",
            ),
            stats: sub("SELECT count(*) FILTER (WHERE state = 'pending'), \
                 count(*) FILTER (WHERE state = 'in_progress'), \
                 count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state = 'dead'), \
                 min(received_at) FILTER (WHERE state = 'pending') FROM {t}"),
            replay_one: sub(&format!(
                "WITH u AS ({BACK}key = $2 AND state IN ('done', 'dead') \
                 AND octet_length(raw) > 0 RETURNING 1), \
                 n AS (SELECT pg_notify($3, '')) \
                 SELECT (SELECT count(*) FROM u), \
                 (SELECT octet_length(raw) > 0 FROM {{t}} WHERE key = $2), \
                 (SELECT count(*) FROM n)"
            )),
            replay_dead: sub(&format!(
                "WITH u AS ({BACK}state = 'dead' RETURNING 1), n AS (SELECT pg_notify($2, '')) \
                 SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM n)"
            )),
            replay_kind: sub(&format!(
                "WITH u AS ({BACK}kind = $2 AND state IN ('done', 'dead') \
                 AND octet_length(raw) > 0 RETURNING 1), \
                 n AS (SELECT pg_notify($3, '')) \
                 SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM n)"
            )),
            purge: sub("DELETE FROM {t} WHERE state IN ('done', 'dead') AND updated_at < $1"),
            prune_done: sub("DELETE FROM {t} WHERE state = 'done' AND updated_at < $1"),
            vacuum: sub("VACUUM {t}"),
            drop_bodies: sub(
                "UPDATE {t} SET raw = ''::bytea, type_field = NULL, order_key = NULL, \
                 last_error = NULL WHERE state = 'done' AND updated_at < $1 \
                 AND octet_length(raw) > 0",
            ),
        }
    }
}
