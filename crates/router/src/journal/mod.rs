//! The durable journal of verified deliveries: nothing verified is ever lost.
//!
//! In durable mode the HTTP edge verifies and identifies a delivery, [appends](Journal::append)
//! it to a journal and answers 200 only once the append is durable. Workers then
//! [lease](Journal::lease) entries, decode them, run the handlers, and
//! [complete](Journal::complete), [retry](Journal::retry) or [dead-letter](Journal::dead)
//! them. HighLevel stops retrying a delivery once it got a 2xx (and its Resend only works on a
//! failed attempt), so from the 200 on the journal is the only copy.
//!
//! The life of an entry:
//!
//! ```text
//!   append --> pending --lease--> in_progress --complete--> done
//!               ^  ^                |   |  |
//!               |  +--- retry ------+   |  +--dead--> dead
//!               |  +--- release --------+
//!               |                 (an expired lease is leased again, in_progress to in_progress)
//!               +------------------ replay (from done or dead) ------------------
//! ```
//!
//! Every entry is keyed by its [`entry_key`]: the delivery's `webhookId`, so that HighLevel's
//! retries of a delivery already journaled are [`Appended::Duplicate`] and answered 200 again.
//! The trait is engine-neutral; the engines are `SqliteJournal` (feature `sqlite`, one file,
//! the embedded default), `RedisJournal` (feature `redis`, Redis Streams shared by several
//! replicas) and `PostgresJournal` (feature `postgres`, the app's own database, shared by
//! several replicas, with handlers that write in the transaction completing their entry).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use ghl_webhook_types::EventKind;
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::BoxError;
use crate::identify::IdentifiedBy;
use crate::verify::VerifiedBy;

mod address;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod millis;
mod shared;

pub use address::redact as redact_url;

#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteConfig, SqliteJournal, Synchronous};

#[cfg(feature = "redis")]
pub(crate) mod redis;

#[cfg(feature = "postgres")]
mod postgres;

#[cfg(feature = "postgres")]
pub use postgres::{Completion, PostgresConfig, PostgresJournal};

#[cfg(feature = "redis")]
pub use self::redis::{RedisJournal, RedisJournalConfig};

/// The prefix of keys derived from a delivery's bytes (deliveries without a `webhookId`).
pub const DERIVED_KEY_PREFIX: &str = "sha256:";

/// The prefix that escapes a `webhookId` which itself starts with [`DERIVED_KEY_PREFIX`] or
/// with this prefix, so that the two key spaces never collide.
pub const ESCAPED_ID_PREFIX: &str = "id:";

/// The journal key of a delivery: its `webhookId`, or for a delivery without one (or with an
/// empty one) `sha256:` and the hex SHA-256 of its exact bytes.
///
/// A `webhookId` is used as it is (the usual case: HighLevel's are UUIDs), except one that
/// starts with `sha256:` or `id:`, which is prefixed with `id:`. So a key derived from bytes
/// never equals a key from a `webhookId`, and two distinct `webhookId`s never share a key.
///
/// ```
/// use ghl_webhook_router::journal::entry_key;
///
/// assert_eq!(entry_key(Some("3f1c0b5e-8d2a-4c7e-9f10-2b6d4a8e1c33"), b"{}"), "3f1c0b5e-8d2a-4c7e-9f10-2b6d4a8e1c33");
/// assert!(entry_key(None, b"{}").starts_with("sha256:"));
/// assert_eq!(entry_key(Some("sha256:abc"), b"{}"), "id:sha256:abc");
/// ```
pub fn entry_key(webhook_id: Option<&str>, raw: &[u8]) -> String {
    match webhook_id.filter(|id| !id.is_empty()) {
        Some(id) if id.starts_with(DERIVED_KEY_PREFIX) || id.starts_with(ESCAPED_ID_PREFIX) => {
            format!("{ESCAPED_ID_PREFIX}{id}")
        }
        Some(id) => id.to_owned(),
        None => format!("{DERIVED_KEY_PREFIX}{}", hex::encode(Sha256::digest(raw))),
    }
}

/// A verified delivery to append to the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// The deduplication key, from [`entry_key`].
    pub key: String,
    /// The exact body bytes that were verified.
    pub raw: Bytes,
    /// The identified kind, `None` for an unknown event.
    pub kind: Option<EventKind>,
    /// How the kind was identified.
    pub identified_by: Option<IdentifiedBy>,
    /// The payload's `type` field, when it was a string.
    pub type_field: Option<String>,
    /// The key that verified the signature (stored in its `Display` form, `ed25519:LABEL`).
    pub verified_by: VerifiedBy,
    /// Entries with the same order key are handled one at a time, in arrival order (e.g. a
    /// contact id); `None` never waits for anything.
    pub order_key: Option<String>,
    /// When the edge received the delivery.
    pub received_at: SystemTime,
}

impl NewEntry {
    /// An entry of unknown kind, without an order key, received now.
    pub fn new(key: impl Into<String>, raw: impl Into<Bytes>, verified_by: VerifiedBy) -> Self {
        Self {
            key: key.into(),
            raw: raw.into(),
            kind: None,
            identified_by: None,
            type_field: None,
            verified_by,
            order_key: None,
            received_at: SystemTime::now(),
        }
    }
}

/// Where an entry is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntryState {
    /// Waiting for a worker (due at `next_attempt_at`).
    Pending,
    /// Leased by a worker until `lease_until`.
    InProgress,
    /// Handled.
    Done,
    /// Given up on (a dead letter); [`Journal::replay`] brings it back.
    Dead,
}

impl EntryState {
    /// Every state, in life order.
    pub const ALL: [EntryState; 4] = [Self::Pending, Self::InProgress, Self::Done, Self::Dead];

    /// The stored name: `pending`, `in_progress`, `done` or `dead`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InProgress => "in_progress",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }
}

impl std::fmt::Display for EntryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state of a stored name ([`as_str`](EntryState::as_str)'s), an error for any other text.
impl std::str::FromStr for EntryState {
    type Err = crate::UnknownName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == name)
            .ok_or_else(|| {
                crate::UnknownName::new("an entry state", "pending, in_progress, done, dead", name)
            })
    }
}

/// An entry as read back from the journal. Times are kept to the millisecond.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The deduplication key.
    pub key: String,
    /// The exact body bytes that were verified.
    pub raw: Bytes,
    /// The kind, by name; `None` for an unknown event, and for a kind this SDK does not know
    /// (stored by a newer one), whose `type_field` is still there.
    pub kind: Option<EventKind>,
    /// How the kind was identified.
    pub identified_by: Option<IdentifiedBy>,
    /// The payload's `type` field, when it was a string.
    pub type_field: Option<String>,
    /// The key that verified the signature.
    pub verified_by: VerifiedBy,
    /// The order key, see [`NewEntry::order_key`].
    pub order_key: Option<String>,
    /// When the edge received the delivery.
    pub received_at: SystemTime,
    /// Where the entry is in its life.
    pub state: EntryState,
    /// How many times it was leased (a released lease does not count); reset by a replay.
    pub attempts: u32,
    /// The error of the last failed attempt (kept through completion and replay).
    pub last_error: Option<String>,
    /// When a pending entry is due.
    pub next_attempt_at: SystemTime,
    /// Until when an in-progress entry is leased.
    pub lease_until: Option<SystemTime>,
    /// When the entry last changed.
    pub updated_at: SystemTime,
}

impl Entry {
    /// Whether the entry's body was dropped after the body retention
    /// ([`Journal::drop_done_bodies`]): it is done, only its key and counts remain, and it
    /// cannot be replayed. (No verified delivery has an empty body.)
    pub fn body_dropped(&self) -> bool {
        self.raw.is_empty()
    }
}

/// What an append did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Appended {
    /// The entry is new and durable.
    New,
    /// An entry with this key was already journaled (a HighLevel retry): nothing changed, the
    /// edge answers 200 all the same.
    Duplicate,
}

/// Proof of a lease: the key and the lease generation. Only the token of an entry's current
/// lease can settle it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LeaseToken {
    key: String,
    generation: u64,
}

impl LeaseToken {
    /// A token for `key` at lease `generation` (for engines; workers get tokens from
    /// [`Journal::lease`]).
    pub fn new(key: impl Into<String>, generation: u64) -> Self {
        Self {
            key: key.into(),
            generation,
        }
    }

    /// The entry's key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The lease generation: it grows with every lease of the entry.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

/// A leased entry and the token that settles it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leased {
    /// The entry, as leased (`state` in progress, `attempts` counting this one).
    pub entry: Entry,
    /// Settles the entry ([`Journal::settle`]).
    pub token: LeaseToken,
}

/// How a leased entry is settled ([`Journal::settle`], [`Journal::settle_many`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Settlement {
    /// [`Journal::complete`].
    Complete,
    /// [`Journal::retry`]: pending again at `not_before`, recording `error`.
    Retry {
        /// The error of the failed attempt.
        error: String,
        /// When the entry is due again.
        not_before: SystemTime,
    },
    /// [`Journal::dead`], recording `error`.
    Dead {
        /// Why the entry is given up on.
        error: String,
    },
    /// [`Journal::hold`]: pending again at `until`, recording `error`, and the attempt not
    /// counted. For an entry that waits on something outside it (a paused downstream), so that
    /// however long the wait, its attempts are left for real failures.
    Hold {
        /// Why the entry waits.
        error: String,
        /// When the entry is due again.
        until: SystemTime,
    },
    /// [`Journal::release`]: pending again, due as before, and the attempt not counted.
    Release,
}

/// Counts by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Entries waiting for a worker.
    pub pending: u64,
    /// Entries leased by a worker.
    pub in_progress: u64,
    /// Entries handled (until purged or pruned).
    pub done: u64,
    /// Dead letters.
    pub dead: u64,
    /// When the oldest pending entry was received: how far behind the workers are.
    pub oldest_pending: Option<SystemTime>,
}

impl Stats {
    /// How long the oldest pending entry has waited: `None` when nothing is pending, zero when
    /// its time lies ahead (a clock step between replicas).
    pub fn oldest_pending_age(&self) -> Option<Duration> {
        let oldest = self.oldest_pending.filter(|_| self.pending > 0)?;
        Some(
            SystemTime::now()
                .duration_since(oldest)
                .unwrap_or(Duration::ZERO),
        )
    }
}

/// Which entries [`Journal::list`] returns, in arrival order. Every field narrows the list;
/// the default is every entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ListFilter {
    /// Only entries in this state.
    pub state: Option<EntryState>,
    /// Only entries of this kind.
    pub kind: Option<EventKind>,
    /// Only entries received at or after this time.
    pub since: Option<SystemTime>,
    /// At most this many entries (the earliest ones).
    pub limit: Option<usize>,
}

impl ListFilter {
    /// Only entries in `state`.
    ///
    /// ```
    /// use ghl_webhook_router::journal::{EntryState, ListFilter};
    ///
    /// let dead = ListFilter::default().state(EntryState::Dead).limit(20);
    /// assert_eq!(dead.limit, Some(20));
    /// ```
    pub fn state(mut self, state: EntryState) -> Self {
        self.state = Some(state);
        self
    }

    /// Only entries of `kind`.
    pub fn kind(mut self, kind: EventKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Only entries received at or after `since`.
    pub fn since(mut self, since: SystemTime) -> Self {
        self.since = Some(since);
        self
    }

    /// At most `limit` entries (the earliest ones).
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// Which finished entries [`Journal::replay`] brings back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplaySelector {
    /// The entry with this key, if it is done or dead (a pending or in-progress entry runs
    /// anyway and is left alone). An unknown key is [`JournalError::NotFound`].
    One(String),
    /// Every dead letter.
    AllDead,
    /// Every done or dead entry of this kind: to run a kind's entries again after fixing its
    /// handler, or to rebuild something from history.
    Kind(EventKind),
}

/// Why a journal operation failed. Each variant says what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The file could not be opened or created.
    #[error(
        "cannot open or create the journal at {path}: {source}; check that its directory exists and that this process may write there"
    )]
    CannotOpen {
        /// The journal's path.
        path: PathBuf,
        /// What the engine reported.
        #[source]
        source: BoxError,
    },
    /// The file exists but is not a journal, or is corrupt.
    #[error(
        "{path} is not a journal, or is corrupt ({detail}); nothing was written to it: point at a journal file, or move this one away and let the receiver create a new journal"
    )]
    NotAJournal {
        /// The file's path.
        path: PathBuf,
        /// What was found instead.
        detail: String,
    },
    /// The journal can only be read: appends could never be made durable.
    #[error(
        "the journal at {path} is read-only to this process; give it write access to the file and to its directory (the engine writes companion files beside it)"
    )]
    ReadOnly {
        /// The journal's path.
        path: PathBuf,
    },
    /// The journal was written by a newer SDK; it was left untouched.
    #[error(
        "the journal at {path} has schema version {found}, newer than version {supported}, the newest this SDK knows; upgrade ghl-webhook-router (the journal was left untouched)"
    )]
    NewerSchema {
        /// The journal's path.
        path: PathBuf,
        /// The version found in the file.
        found: u32,
        /// The newest version this SDK supports.
        supported: u32,
    },
    /// There is no journal at the path given for inspection; nothing was created.
    #[error(
        "there is no journal at {path} (nothing was created); check the path (or the URL and schema): a receiver creates its journal when it starts"
    )]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// No entry has this key.
    #[error("the journal has no entry with key `{0}`; list the entries to find the key")]
    NotFound(String),
    /// The entry is done and its body was dropped after the body retention, so there is
    /// nothing to handle again.
    #[error(
        "entry `{0}` is done and its body was dropped after the body retention, so it cannot be replayed; keep bodies longer with DurableConfig::body_retention"
    )]
    BodyDropped(String),
    /// The lease is no longer this worker's: it expired and the entry was leased again, or
    /// the entry was settled or replayed since. Nothing changed; the current lease decides.
    #[error(
        "the lease on entry `{0}` was lost (it expired and the entry was leased again, or it was settled or replayed meanwhile); this outcome was discarded: lease for longer than a handler may run"
    )]
    LeaseLost(String),
    /// The engine failed; the operation did not take effect.
    #[error("the journal engine failed ({0}); the operation did not take effect: try again")]
    Engine(#[source] BoxError),
    /// The journal was closed (or its engine stopped).
    #[error("the journal is closed; open it again to use it")]
    Closed,
    /// The journal's address is not one the engine understands; nothing was opened.
    #[error("`{address}` is not a journal address ({detail}); expected {expected}")]
    InvalidAddress {
        /// The address given (credentials left out).
        address: String,
        /// What is wrong with it.
        detail: String,
        /// The form the engine expects.
        expected: &'static str,
    },
    /// A name the journal was configured with cannot be used (e.g. a Postgres schema name);
    /// nothing was opened.
    #[error("`{name}` cannot name the journal's {what} ({detail})")]
    InvalidName {
        /// What the name is for.
        what: &'static str,
        /// The name given.
        name: String,
        /// What is wrong with it, and what would do.
        detail: String,
    },
    /// The journal's server cannot be reached (down, restarting, a network failure, a
    /// timeout); the operation may or may not have taken effect on the server: an append that
    /// did is a duplicate when HighLevel retries it.
    #[error(
        "the journal at {location} cannot be reached ({source}); check that it runs and that this host can reach it: operations resume once it answers"
    )]
    Unavailable {
        /// Where the journal is (credentials left out).
        location: String,
        /// What the engine reported.
        #[source]
        source: BoxError,
    },
    /// The journal's server refused this client: a wrong password or user, or an ACL that
    /// does not allow the journal's commands.
    #[error(
        "the journal at {location} refused this client ({detail}); check the user, password and database in the URL, and that this user may run the journal's commands (on Redis: EVALSHA and the stream, hash and sorted-set commands; on Postgres: create and write the journal's schema)"
    )]
    Refused {
        /// Where the journal is (credentials left out).
        location: String,
        /// What the server answered.
        detail: String,
    },
    /// The journal's keys hold data this SDK did not write (another application shares the
    /// key prefix, or keys were changed by hand); nothing was changed.
    #[error(
        "{location} holds data this SDK did not write ({detail}); nothing was changed: give this journal a place of its own (a key prefix on Redis, a schema on Postgres), or remove that data"
    )]
    Foreign {
        /// Where the journal is (credentials left out).
        location: String,
        /// What was found.
        detail: String,
    },
}

/// A durable journal of verified deliveries: the edge appends, workers lease and settle.
///
/// Every engine gives these guarantees:
///
/// - **Durable append.** [`append`](Journal::append) returns `Ok` only once the entry is
///   durable (as the engine's settings define it, at least surviving a crash of this process);
///   an `Err` means it was not appended, so the edge answers an error and HighLevel retries.
/// - **Append is atomic with dedupe: each key is appended once.** Of any number of appends of
///   one key, concurrent or not, exactly one is [`Appended::New`]; the others are
///   [`Appended::Duplicate`] and change nothing, whatever the entry's state, until it is
///   purged.
/// - **One lease at a time.** An entry is leased by at most one worker at a time: only pending
///   entries that are due, and in-progress entries whose lease expired (their worker died),
///   are leased. Each lease counts one attempt and gets a new [`LeaseToken`] generation.
/// - **Completed once.** Only the token of the current lease settles an entry
///   (complete, retry, dead, release); any other token gets [`JournalError::LeaseLost`] and
///   changes nothing. So an entry is completed once per append (or per replay).
/// - **Order keys.** An entry with an order key is not leased while an earlier entry (by
///   arrival in the journal) with the same key is pending or in progress; entries without
///   one never wait.
/// - **All or nothing.** An operation that fails has no effect.
pub trait Journal: Send + Sync + 'static {
    /// Appends a verified delivery, or reports the key as a duplicate. The entry is pending and
    /// due at once.
    fn append(&self, entry: NewEntry) -> BoxFuture<'_, Result<Appended, JournalError>>;

    /// Appends `entry` leased at once to the caller for `lease_for` (its first attempt,
    /// counted), for a receiver whose own worker is free to take it in hand: that worker
    /// skips the round trip of a lease and the read of the body back. The lease is `None`
    /// when the entry is not leased: a duplicate, an entry with an order key (it may have to
    /// wait for an earlier one), or an engine that only appends here (the default: a plain
    /// [`append`](Self::append), the entry pending).
    fn append_leased(
        &self,
        entry: NewEntry,
        lease_for: Duration,
    ) -> BoxFuture<'_, Result<(Appended, Option<Leased>), JournalError>> {
        let _ = lease_for;
        Box::pin(async move { Ok((self.append(entry).await?, None)) })
    }

    /// Leases up to `max` entries for `lease_for`: due pending entries and expired leases,
    /// respecting order keys. Each one's `attempts` grows by one.
    fn lease(
        &self,
        max: usize,
        lease_for: Duration,
    ) -> BoxFuture<'_, Result<Vec<Leased>, JournalError>>;

    /// Settles a leased entry as `how` says, if `token` is still its current lease
    /// ([`JournalError::LeaseLost`] if not, [`JournalError::NotFound`] if the key is gone).
    fn settle<'a>(
        &'a self,
        token: &'a LeaseToken,
        how: &'a Settlement,
    ) -> BoxFuture<'a, Result<(), JournalError>>;

    /// Settles several leased entries, each as its [`Settlement`] says; one result per entry,
    /// in order, each as [`settle`](Self::settle) would give it. Engines commit the batch
    /// together where they can (one transaction, one round trip), so that the state changes
    /// of many deliveries cost about one write. The default settles them concurrently.
    fn settle_many<'a>(
        &'a self,
        batch: &'a [(LeaseToken, Settlement)],
    ) -> BoxFuture<'a, Vec<Result<(), JournalError>>> {
        Box::pin(futures_util::future::join_all(
            batch.iter().map(|(token, how)| self.settle(token, how)),
        ))
    }

    /// Marks a leased entry done ([`Settlement::Complete`]).
    fn complete<'a>(&'a self, token: &'a LeaseToken) -> BoxFuture<'a, Result<(), JournalError>> {
        self.settle(token, &Settlement::Complete)
    }

    /// Puts a leased entry back to pending, due at `not_before`, recording `error`
    /// ([`Settlement::Retry`]).
    fn retry<'a>(
        &'a self,
        token: &'a LeaseToken,
        error: &'a str,
        not_before: SystemTime,
    ) -> BoxFuture<'a, Result<(), JournalError>> {
        Box::pin(async move {
            let how = Settlement::Retry {
                error: error.to_owned(),
                not_before,
            };
            self.settle(token, &how).await
        })
    }

    /// Gives up on a leased entry: a dead letter, recording `error` ([`Settlement::Dead`]).
    fn dead<'a>(
        &'a self,
        token: &'a LeaseToken,
        error: &'a str,
    ) -> BoxFuture<'a, Result<(), JournalError>> {
        Box::pin(async move {
            let how = Settlement::Dead {
                error: error.to_owned(),
            };
            self.settle(token, &how).await
        })
    }

    /// Keeps a leased entry for later: pending again, due at `until`, recording `error`, and
    /// the attempt not counted ([`Settlement::Hold`]).
    fn hold<'a>(
        &'a self,
        token: &'a LeaseToken,
        error: &'a str,
        until: SystemTime,
    ) -> BoxFuture<'a, Result<(), JournalError>> {
        Box::pin(async move {
            let how = Settlement::Hold {
                error: error.to_owned(),
                until,
            };
            self.settle(token, &how).await
        })
    }

    /// Hands a leased entry back without an outcome (graceful shutdown): pending again, due as
    /// before, and the attempt not counted ([`Settlement::Release`]).
    fn release<'a>(&'a self, token: &'a LeaseToken) -> BoxFuture<'a, Result<(), JournalError>> {
        self.settle(token, &Settlement::Release)
    }

    /// Counts entries by state.
    fn stats(&self) -> BoxFuture<'_, Result<Stats, JournalError>>;

    /// The entries `filter` selects, in arrival order.
    fn list<'a>(
        &'a self,
        filter: &'a ListFilter,
    ) -> BoxFuture<'a, Result<Vec<Entry>, JournalError>>;

    /// The entry with this key, if any.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Entry>, JournalError>>;

    /// Brings finished entries back to pending, due now, with `attempts` reset and `last_error`
    /// kept; returns how many.
    fn replay<'a>(
        &'a self,
        selector: &'a ReplaySelector,
    ) -> BoxFuture<'a, Result<usize, JournalError>>;

    /// Deletes done and dead entries last updated before `older_than`; returns how many. A
    /// purged key can be appended again.
    fn purge(&self, older_than: SystemTime) -> BoxFuture<'_, Result<usize, JournalError>>;

    /// Deletes done entries last updated before `older_than` (retention; dead letters stay);
    /// returns how many.
    fn prune_done(&self, older_than: SystemTime) -> BoxFuture<'_, Result<usize, JournalError>>;

    /// Drops the bodies of done entries last updated before `older_than`, with their `type`
    /// field, order key and last error, and keeps the rest: a late duplicate of the key is
    /// still recognised until [`prune_done`](Self::prune_done) deletes it. Such an entry
    /// reads back with an empty `raw` ([`Entry::body_dropped`]) and cannot be replayed.
    /// Returns how many bodies were dropped.
    fn drop_done_bodies(
        &self,
        older_than: SystemTime,
    ) -> BoxFuture<'_, Result<usize, JournalError>>;

    /// Asks the engine to call [`Notify::notify_one`] on `wake` whenever entries may have been
    /// appended or replayed by another process (another replica, the CLI), so idle workers
    /// start at once rather than at their next poll. Engines that cannot tell ignore it (the
    /// default): their workers poll.
    fn wake_on_appends(&self, wake: Arc<Notify>) {
        let _ = wake;
    }

    /// This journal as a [`PostgresJournal`], whose transactions handlers registered with
    /// [`on_in_transaction`](crate::WebhookRouter::on_in_transaction) write in; `None` for
    /// the other engines (the default).
    #[cfg(feature = "postgres")]
    fn as_postgres(&self) -> Option<&PostgresJournal> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_ids_are_keys_as_they_are() {
        assert_eq!(entry_key(Some("abc-123"), b"x"), "abc-123");
    }

    #[test]
    fn deliveries_without_an_id_are_keyed_by_their_bytes() {
        let key = entry_key(None, b"{}");
        assert_eq!(
            key,
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert_eq!(entry_key(Some(""), b"{}"), key);
        assert_ne!(entry_key(None, b"{ }"), key);
    }

    #[test]
    fn ids_that_look_like_derived_keys_cannot_collide_with_them() {
        let derived = entry_key(None, b"{}");
        assert_ne!(entry_key(Some(&derived), b"other"), derived);
        assert_eq!(entry_key(Some(&derived), b"other"), format!("id:{derived}"));
        // The escape is itself escaped, so escaping stays one-to-one.
        assert_eq!(entry_key(Some("id:x"), b""), "id:id:x");
        assert_ne!(entry_key(Some("id:x"), b""), entry_key(Some("x"), b""));
    }

    #[test]
    fn state_names_round_trip() {
        for state in EntryState::ALL {
            assert_eq!(state.to_string().parse(), Ok(state));
        }
        assert_eq!(
            "Pending".parse::<EntryState>().map_err(|e| e.to_string()),
            Err("`Pending` is not an entry state; expected one of: pending, in_progress, done, dead".to_owned())
        );
    }
}
