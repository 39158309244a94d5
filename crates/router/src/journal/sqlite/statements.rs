//! The SQL the reader and writer run more than once, as constants.

/// The columns [`read_entry`](super::rows::read_entry) reads, in its order.
macro_rules! columns {
    () => {
        "e.key, e.raw, e.kind, e.identified_by, e.type_field, e.verified_by, e.order_key, \
         e.received_at, e.state, e.attempts, e.last_error, e.next_attempt_at, e.lease_until, \
         e.updated_at, e.lease_gen"
    };
}

/// Holds for an entry `e` that no earlier entry of its order key is pending or in progress.
macro_rules! order_free {
    () => {
        "(e.order_key IS NULL OR NOT EXISTS (SELECT 1 FROM entries p \
         WHERE p.order_key = e.order_key AND p.state IN ('pending', 'in_progress') \
         AND p.seq < e.seq))"
    };
}

/// The expired leases to take over, with their `seq` after the columns.
pub(super) const LEASE_EXPIRED: &str = concat!(
    "SELECT ",
    columns!(),
    ", e.seq FROM entries e WHERE e.state = 'in_progress' AND e.lease_until <= ?1 AND ",
    order_free!(),
    " ORDER BY e.lease_until, e.seq LIMIT ?2"
);

/// The due pending entries, with their `seq` after the columns.
pub(super) const LEASE_DUE: &str = concat!(
    "SELECT ",
    columns!(),
    ", e.seq FROM entries e WHERE e.state = 'pending' AND e.next_attempt_at <= ?1 AND ",
    order_free!(),
    " ORDER BY e.next_attempt_at, e.seq LIMIT ?2"
);

/// Leases the entry of `seq` `?1` (its rowid: no search of the key's index).
pub(super) const TAKE_LEASE: &str = "UPDATE entries SET state = 'in_progress', attempts = attempts + 1, \
     lease_gen = lease_gen + 1, lease_until = ?2, updated_at = ?3 WHERE seq = ?1 \
     RETURNING attempts, lease_gen";

pub(super) const GET: &str = concat!("SELECT ", columns!(), " FROM entries e WHERE e.key = ?1");

pub(super) const LIST: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM entries e WHERE (?1 IS NULL OR e.state = ?1) AND (?2 IS NULL OR e.kind = ?2) \
     AND (?3 IS NULL OR e.received_at >= ?3) ORDER BY e.seq LIMIT ?4"
);
