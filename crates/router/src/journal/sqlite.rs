use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use ghl_webhook_types::EventKind;
use rusqlite::{
    Connection, ErrorCode, MAIN_DB, OpenFlags, OptionalExtension, Row, Transaction,
    TransactionBehavior, params,
};
use tokio::sync::oneshot;

use super::millis::{from_ms, ms_after, to_ms};
use super::{
    Appended, Entry, EntryState, Journal, JournalError, LeaseToken, Leased, ListFilter, NewEntry,
    ReplaySelector, Settlement, Stats,
};
use crate::identify::IdentifiedBy;
use crate::verify::VerifiedBy;

/// The schema version this SDK writes, and the newest it can open.
pub(super) const SCHEMA_VERSION: u32 = 1;

/// `MIGRATIONS[n]` takes a journal from schema version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[V1];

/// Version 1. `raw` comes last so that reading the other columns never touches its overflow
/// pages. The indexes keep the writer's queries O(log n): the next due pending entries
/// (`entries_due`), expired leases (`entries_lease`), the earlier open entry of an order key
/// (`entries_order`), finished entries to purge (`entries_finished`).
const V1: &str = "
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
";

/// The columns [`read_entry`] reads, in its order.
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

const LEASE_EXPIRED: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM entries e WHERE e.state = 'in_progress' AND e.lease_until <= ?1 AND ",
    order_free!(),
    " ORDER BY e.lease_until, e.seq LIMIT ?2"
);

const LEASE_DUE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM entries e WHERE e.state = 'pending' AND e.next_attempt_at <= ?1 AND ",
    order_free!(),
    " ORDER BY e.next_attempt_at, e.seq LIMIT ?2"
);

const TAKE_LEASE: &str = "UPDATE entries SET state = 'in_progress', attempts = attempts + 1, \
     lease_gen = lease_gen + 1, lease_until = ?2, updated_at = ?3 WHERE key = ?1 \
     RETURNING attempts, lease_gen";

const GET: &str = concat!("SELECT ", columns!(), " FROM entries e WHERE e.key = ?1");

const LIST: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM entries e WHERE (?1 IS NULL OR e.state = ?1) AND (?2 IS NULL OR e.kind = ?2) \
     AND (?3 IS NULL OR e.received_at >= ?3) ORDER BY e.seq LIMIT ?4"
);

/// How hard SQLite pushes each commit to the disk (`PRAGMA synchronous`, in WAL mode).
///
/// Under both, a transaction is in the WAL file before `COMMIT` returns, so **every append
/// answered 200 survives a crash of the process** (the promise of durable mode), and the file
/// is never corrupted by a crash or a power cut. They differ on a power cut or an OS crash:
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Synchronous {
    /// The WAL is `fsync`ed at every commit: an append answered 200 also survives a power cut
    /// or an OS crash. The default: HighLevel does not retry a delivery it got a 2xx for, and
    /// cannot resend it, so a lost 200 is lost for good; and group commit makes concurrent
    /// appends share one `fsync`, so the cost is one `fsync` per batch (a few milliseconds on
    /// most disks), not per delivery.
    #[default]
    Full,
    /// The WAL is `fsync`ed only at checkpoints: the last transactions before a power cut or an
    /// OS crash (up to the last checkpoint, about 1000 pages of WAL) may be rolled back, so
    /// deliveries answered 200 in that window are lost. Faster commits; pick it when losing
    /// those on a power cut is acceptable (or the disk has a battery-backed cache).
    Normal,
}

impl Synchronous {
    fn pragma(self) -> &'static str {
        match self {
            Self::Full => "FULL",
            Self::Normal => "NORMAL",
        }
    }
}

/// Settings of a [`SqliteJournal`]. Needs the `sqlite` cargo feature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqliteConfig {
    /// How hard each commit is pushed to the disk (default [`Synchronous::Full`]).
    pub synchronous: Synchronous,
    /// How long an operation waits for another process that holds the file's write lock
    /// (default 5 s) before it fails.
    pub busy_timeout: Duration,
    /// The most operations one transaction takes from the queue (default 512).
    pub max_batch: usize,
    /// Whether a missing file is created and an empty database made a journal (default
    /// `true`, for receivers). [`SqliteJournal::open_existing`] sets it to `false`.
    pub create: bool,
}

impl Default for SqliteConfig {
    fn default() -> Self {
        Self {
            synchronous: Synchronous::default(),
            busy_timeout: Duration::from_secs(5),
            max_batch: 512,
            create: true,
        }
    }
}

impl SqliteConfig {
    /// How hard each commit is pushed to the disk.
    ///
    /// ```
    /// use ghl_webhook_router::journal::{SqliteConfig, Synchronous};
    ///
    /// let config = SqliteConfig::default().synchronous(Synchronous::Normal);
    /// assert_eq!(config.max_batch, 512);
    /// ```
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// How long an operation waits for another process's write lock before it fails.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// The most operations one transaction takes from the queue (at least 1).
    pub fn max_batch(mut self, operations: usize) -> Self {
        self.max_batch = operations.max(1);
        self
    }

    /// Whether a missing file is created (and an empty database made a journal).
    pub fn create(mut self, create: bool) -> Self {
        self.create = create;
        self
    }
}

/// The journal in one SQLite file. Needs the `sqlite` cargo feature.
///
/// Dropping it finishes the operations already queued, then stops its threads and closes the
/// file (blocking until then); in async code prefer [`close`](SqliteJournal::close).
///
/// The SQLite journal: one file, embedded, the default engine of durable mode.
///
/// The file is a SQLite database in WAL mode holding two tables: `schema_version` (one row)
/// and `entries` (one row per delivery, keyed by `key`, in arrival order by `seq`). Opening a
/// file migrates it to the current schema; a file written by a newer SDK is refused and left
/// untouched.
///
/// # Group commit
///
/// One writer thread owns the write connection. Every write (append, lease, complete, retry,
/// dead, release, replay, purge) is sent to it; it takes everything queued (up to
/// [`SqliteConfig::max_batch`]), runs it in **one** transaction and answers each caller only
/// after `COMMIT` returned. So appends that arrive together share one commit (and one
/// `fsync` under [`Synchronous::Full`]); [`SqliteJournal::commits`] counts the commits. When
/// anything in a transaction fails, the whole transaction is rolled back and every caller in
/// it gets the error: nothing is half-written. A second thread owns a read-only connection
/// for [`get`](Journal::get), [`list`](Journal::list) and [`stats`](Journal::stats), which
/// WAL lets run while the writer commits.
///
/// An operation is sent when its future is first polled; dropping the future after that does
/// not cancel it (a lease whose answer is dropped simply expires).
///
/// # Inspecting a journal with the `sqlite3` shell
///
/// Times are milliseconds since the Unix epoch. `sqlite3 -readonly journal.db` works while a
/// receiver runs.
///
/// ```sql
/// -- entries by state
/// SELECT state, count(*) FROM entries GROUP BY state;
///
/// -- how far behind the workers are
/// SELECT datetime(min(received_at) / 1000, 'unixepoch') FROM entries WHERE state = 'pending';
///
/// -- dead letters, oldest first, with their last error
/// SELECT key, kind, attempts, datetime(updated_at / 1000, 'unixepoch') AS died, last_error
///   FROM entries WHERE state = 'dead' ORDER BY seq;
///
/// -- one entry's raw body (the exact bytes that were verified)
/// SELECT CAST(raw AS TEXT) FROM entries WHERE key = '3f1c0b5e-8d2a-4c7e-9f10-2b6d4a8e1c33';
/// SELECT writefile('body.json', raw) FROM entries WHERE key = '3f1c0b5e-...';
///
/// -- the schema version
/// SELECT version FROM schema_version;
/// ```
///
/// Change entries through the SDK (or the CLI's `journal` command), not by hand: the writer
/// keeps lease generations and order keys consistent.
pub struct SqliteJournal {
    path: PathBuf,
    config: SqliteConfig,
    writer: mpsc::Sender<WriteMsg>,
    reader: mpsc::Sender<ReadMsg>,
    /// The reader's thread, then the writer's.
    threads: Mutex<Vec<JoinHandle<()>>>,
    closed: AtomicBool,
    commits: Arc<AtomicU64>,
}

impl std::fmt::Debug for SqliteJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteJournal")
            .field("path", &self.path)
            .field("config", &self.config)
            .field("commits", &self.commits())
            .finish_non_exhaustive()
    }
}

impl SqliteJournal {
    /// Opens the journal at `path`, creating the file if it is missing (for receivers).
    ///
    /// Blocks while it opens and migrates the file: call it at startup (or in
    /// `spawn_blocking`).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, JournalError> {
        Self::open_with(path, SqliteConfig::default())
    }

    /// Opens an existing journal (for inspection): a missing file is
    /// [`JournalError::Missing`] and an empty one [`JournalError::NotAJournal`]; nothing is
    /// created.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Self, JournalError> {
        Self::open_with(
            path,
            SqliteConfig {
                create: false,
                ..SqliteConfig::default()
            },
        )
    }

    /// Opens the journal at `path` with `config`.
    pub fn open_with(path: impl AsRef<Path>, config: SqliteConfig) -> Result<Self, JournalError> {
        let path = path.as_ref().to_path_buf();
        if !config.create {
            match std::fs::metadata(&path) {
                Ok(_) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                    return Err(JournalError::Missing { path });
                }
                Err(err) => {
                    return Err(JournalError::CannotOpen {
                        path,
                        source: err.into(),
                    });
                }
            }
        }

        let mut conn = connect(&path, &config, true)?;
        // Identify the file before anything writes to it: a file that is not a journal, or a
        // journal of a newer schema, is refused untouched.
        let version = schema_version(&conn, &path)?;
        if version == 0 && !config.create {
            return Err(JournalError::NotAJournal {
                path,
                detail: "an empty database".into(),
            });
        }
        check_not_newer(version, &path)?;

        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(|err| classify(&path, err))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(
                path = %path.display(),
                journal_mode = %mode,
                "the journal's file system does not support WAL; reads wait for commits"
            );
        }
        conn.pragma_update(None, "synchronous", config.synchronous.pragma())
            .map_err(|err| classify(&path, err))?;
        if version < SCHEMA_VERSION {
            migrate(&mut conn, &path)?;
        }

        let read_conn = connect(&path, &config, false)?;
        let commits = Arc::new(AtomicU64::new(0));
        let (writer, writer_rx) = mpsc::channel();
        let (reader, reader_rx) = mpsc::channel();
        let shared_path: Arc<Path> = Arc::from(path.as_path());
        let spawn_error = |err: std::io::Error| JournalError::Engine(err.into());

        let synchronous = config.synchronous;
        let writer_thread = {
            let path = Arc::clone(&shared_path);
            let commits = Arc::clone(&commits);
            let max_batch = config.max_batch.max(1);
            std::thread::Builder::new()
                .name("ghl-journal-writer".into())
                .spawn(move || {
                    write_loop(conn, &writer_rx, &path, &commits, max_batch, synchronous)
                })
                .map_err(spawn_error)?
        };
        let reader_thread = std::thread::Builder::new()
            .name("ghl-journal-reader".into())
            .spawn(move || read_loop(read_conn, &reader_rx, &shared_path));
        let reader_thread = match reader_thread {
            Ok(handle) => handle,
            Err(err) => {
                let _ = writer.send(WriteMsg::Close(None));
                let _ = writer_thread.join();
                return Err(spawn_error(err));
            }
        };

        Ok(Self {
            path,
            config,
            writer,
            reader,
            threads: Mutex::new(vec![reader_thread, writer_thread]),
            closed: AtomicBool::new(false),
            commits,
        })
    }

    /// The journal's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many write transactions were committed since the journal was opened. Fewer than
    /// the operations written when they arrived together: group commit.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Finishes the operations already queued, then stops the threads and closes the file.
    /// Every later operation is [`JournalError::Closed`].
    pub async fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        // The reader first: the last connection to close checkpoints the WAL into the file
        // and removes it, which only the writer's read-write connection can do.
        let (done, closed) = oneshot::channel();
        if self.reader.send(ReadMsg::Close(Some(done))).is_ok() {
            // An error means the thread is gone already.
            let _ = closed.await;
        }
        let (done, closed) = oneshot::channel();
        if self.writer.send(WriteMsg::Close(Some(done))).is_ok() {
            let _ = closed.await;
        }
        let threads =
            std::mem::take(&mut *self.threads.lock().unwrap_or_else(PoisonError::into_inner));
        for thread in threads {
            // Each thread answered its close as its last act: these joins return at once.
            let _ = thread.join();
        }
    }

    async fn write<T>(&self, op: impl FnOnce(Reply<T>) -> WriteOp) -> Result<T, JournalError> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(JournalError::Closed);
        }
        let (reply, answer) = oneshot::channel();
        self.writer
            .send(WriteMsg::Op(op(reply)))
            .map_err(|_| JournalError::Closed)?;
        answer.await.map_err(|_| JournalError::Closed)?
    }

    async fn read<T>(&self, op: impl FnOnce(Reply<T>) -> ReadOp) -> Result<T, JournalError> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(JournalError::Closed);
        }
        let (reply, answer) = oneshot::channel();
        self.reader
            .send(ReadMsg::Op(op(reply)))
            .map_err(|_| JournalError::Closed)?;
        answer.await.map_err(|_| JournalError::Closed)?
    }

    fn settle<'a>(
        &'a self,
        token: &'a LeaseToken,
        how: Settlement,
    ) -> BoxFuture<'a, Result<(), JournalError>> {
        Box::pin(self.write(move |reply| WriteOp::Settle {
            token: token.clone(),
            how,
            reply,
        }))
    }
}

impl Drop for SqliteJournal {
    fn drop(&mut self) {
        // As in `close`, the reader first. A close already sent (by an interrupted `close`)
        // makes these sends fail, which is fine.
        let mut threads = std::mem::take(
            self.threads
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner),
        )
        .into_iter();
        let _ = self.reader.send(ReadMsg::Close(None));
        if let Some(reader) = threads.next() {
            let _ = reader.join();
        }
        let _ = self.writer.send(WriteMsg::Close(None));
        for writer in threads {
            let _ = writer.join();
        }
    }
}

impl Journal for SqliteJournal {
    fn append(&self, entry: NewEntry) -> BoxFuture<'_, Result<Appended, JournalError>> {
        Box::pin(self.write(move |reply| WriteOp::Append { entry, reply }))
    }

    fn lease(
        &self,
        max: usize,
        lease_for: Duration,
    ) -> BoxFuture<'_, Result<Vec<Leased>, JournalError>> {
        Box::pin(self.write(move |reply| WriteOp::Lease {
            max,
            lease_for,
            reply,
        }))
    }

    fn complete<'a>(&'a self, token: &'a LeaseToken) -> BoxFuture<'a, Result<(), JournalError>> {
        self.settle(token, Settlement::Complete)
    }

    fn retry<'a>(
        &'a self,
        token: &'a LeaseToken,
        error: &'a str,
        not_before: SystemTime,
    ) -> BoxFuture<'a, Result<(), JournalError>> {
        self.settle(
            token,
            Settlement::Retry {
                error: error.to_owned(),
                not_before,
            },
        )
    }

    fn dead<'a>(
        &'a self,
        token: &'a LeaseToken,
        error: &'a str,
    ) -> BoxFuture<'a, Result<(), JournalError>> {
        self.settle(
            token,
            Settlement::Dead {
                error: error.to_owned(),
            },
        )
    }

    fn release<'a>(&'a self, token: &'a LeaseToken) -> BoxFuture<'a, Result<(), JournalError>> {
        self.settle(token, Settlement::Release)
    }

    fn stats(&self) -> BoxFuture<'_, Result<Stats, JournalError>> {
        Box::pin(self.read(|reply| ReadOp::Stats { reply }))
    }

    fn list<'a>(
        &'a self,
        filter: &'a ListFilter,
    ) -> BoxFuture<'a, Result<Vec<Entry>, JournalError>> {
        Box::pin(self.read(move |reply| ReadOp::List {
            filter: filter.clone(),
            reply,
        }))
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Entry>, JournalError>> {
        Box::pin(self.read(move |reply| ReadOp::Get {
            key: key.to_owned(),
            reply,
        }))
    }

    fn replay<'a>(
        &'a self,
        selector: &'a ReplaySelector,
    ) -> BoxFuture<'a, Result<usize, JournalError>> {
        Box::pin(self.write(move |reply| WriteOp::Replay {
            selector: selector.clone(),
            reply,
        }))
    }

    fn purge(&self, older_than: SystemTime) -> BoxFuture<'_, Result<usize, JournalError>> {
        Box::pin(self.write(move |reply| WriteOp::Delete {
            older_than,
            dead_too: true,
            reply,
        }))
    }

    fn drop_done_bodies(
        &self,
        older_than: SystemTime,
    ) -> BoxFuture<'_, Result<usize, JournalError>> {
        Box::pin(self.write(move |reply| WriteOp::DropBodies { older_than, reply }))
    }

    fn prune_done(&self, older_than: SystemTime) -> BoxFuture<'_, Result<usize, JournalError>> {
        Box::pin(self.write(move |reply| WriteOp::Delete {
            older_than,
            dead_too: false,
            reply,
        }))
    }
}

// ---------------------------------------------------------------------------------------------
// Opening

/// Opens one connection: read-write for the writer (creating the file if `config.create`),
/// read-only for the reader.
fn connect(path: &Path, config: &SqliteConfig, writable: bool) -> Result<Connection, JournalError> {
    let mut flags = OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if writable {
        flags |= OpenFlags::SQLITE_OPEN_READ_WRITE;
        if config.create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
    } else {
        flags |= OpenFlags::SQLITE_OPEN_READ_ONLY;
    }
    let conn =
        Connection::open_with_flags(path, flags).map_err(|err| match classify(path, err) {
            JournalError::Engine(source) => JournalError::CannotOpen {
                path: path.to_path_buf(),
                source,
            },
            other => other,
        })?;
    conn.busy_timeout(config.busy_timeout)
        .map_err(|err| classify(path, err))?;
    // SQLite opens a file it may not write read-only rather than failing.
    if writable
        && conn
            .is_readonly(MAIN_DB)
            .map_err(|err| classify(path, err))?
    {
        return Err(JournalError::ReadOnly {
            path: path.to_path_buf(),
        });
    }
    Ok(conn)
}

/// The file's schema version, reading only: 0 for an empty database.
fn schema_version(conn: &Connection, path: &Path) -> Result<u32, JournalError> {
    let not_a_journal = |detail: &str| JournalError::NotAJournal {
        path: path.to_path_buf(),
        detail: detail.to_owned(),
    };
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
        .map_err(|err| classify(path, err))?;
    if objects == 0 {
        return Ok(0);
    }
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' \
             AND name IN ('schema_version', 'entries')",
            [],
            |row| row.get(0),
        )
        .map_err(|err| classify(path, err))?;
    if tables != 2 {
        return Err(not_a_journal(
            "a SQLite database without the journal's schema_version and entries tables",
        ));
    }
    let mut stmt = conn
        .prepare("SELECT version FROM schema_version")
        .map_err(|err| classify(path, err))?;
    let versions = stmt
        .query_map([], |row| row.get::<_, rusqlite::types::Value>(0))
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|err| classify(path, err))?;
    match versions.as_slice() {
        [rusqlite::types::Value::Integer(version)] => u32::try_from(*version)
            .ok()
            .filter(|version| *version >= 1)
            .ok_or_else(|| not_a_journal("schema_version holds an invalid version")),
        _ => Err(not_a_journal(
            "schema_version does not hold exactly one version",
        )),
    }
}

fn check_not_newer(version: u32, path: &Path) -> Result<(), JournalError> {
    if version > SCHEMA_VERSION {
        return Err(JournalError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Brings the file to [`SCHEMA_VERSION`] in one transaction, reading the version again under
/// the write lock (another process may have migrated it meanwhile).
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), JournalError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|err| classify(path, err))?;
    let version = schema_version(&tx, path)?;
    check_not_newer(version, path)?;
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    let pending = usize::try_from(version).unwrap_or(usize::MAX);
    let run = || -> rusqlite::Result<()> {
        for migration in MIGRATIONS.iter().skip(pending) {
            tx.execute_batch(migration)?;
        }
        tx.execute("DELETE FROM schema_version", [])?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [SCHEMA_VERSION],
        )?;
        Ok(())
    };
    run().map_err(|err| classify(path, err))?;
    tx.commit().map_err(|err| classify(path, err))
}

/// What a SQLite error means for the journal at `path`.
fn classify(path: &Path, err: rusqlite::Error) -> JournalError {
    classify_shared(path, &Arc::new(err))
}

fn classify_shared(path: &Path, err: &Arc<rusqlite::Error>) -> JournalError {
    match err.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => JournalError::NotAJournal {
            path: path.to_path_buf(),
            detail: err.to_string(),
        },
        Some(ErrorCode::ReadOnly) => JournalError::ReadOnly {
            path: path.to_path_buf(),
        },
        Some(ErrorCode::CannotOpen) => JournalError::CannotOpen {
            path: path.to_path_buf(),
            source: Box::new(Arc::clone(err)),
        },
        _ => JournalError::Engine(Box::new(Arc::clone(err))),
    }
}

// ---------------------------------------------------------------------------------------------
// The writer thread

type Reply<T> = oneshot::Sender<Result<T, JournalError>>;

enum WriteMsg {
    Op(WriteOp),
    /// Stop after what is queued before this; answer once the connection is closed.
    Close(Option<oneshot::Sender<()>>),
}

enum WriteOp {
    Append {
        entry: NewEntry,
        reply: Reply<Appended>,
    },
    Lease {
        max: usize,
        lease_for: Duration,
        reply: Reply<Vec<Leased>>,
    },
    Settle {
        token: LeaseToken,
        how: Settlement,
        reply: Reply<()>,
    },
    Replay {
        selector: ReplaySelector,
        reply: Reply<usize>,
    },
    Delete {
        older_than: SystemTime,
        dead_too: bool,
        reply: Reply<usize>,
    },
    DropBodies {
        older_than: SystemTime,
        reply: Reply<usize>,
    },
}

/// Answers one caller once its transaction ended: with its own result if the transaction
/// committed (`None`), else with the transaction's error.
type Answer = Box<dyn FnOnce(Option<&TxFailure>) + Send>;

/// The error that ended a transaction, shared by all its callers.
struct TxFailure {
    err: Arc<rusqlite::Error>,
    path: Arc<Path>,
}

impl TxFailure {
    fn for_caller(&self) -> JournalError {
        classify_shared(&self.path, &self.err)
    }
}

fn answer<T: Send + 'static>(reply: Reply<T>, result: Result<T, JournalError>) -> Answer {
    Box::new(move |failure| {
        // A caller that stopped waiting is no error.
        let _ = reply.send(match failure {
            None => result,
            Some(failure) => Err(failure.for_caller()),
        });
    })
}

/// An answer for an operation whose transaction failed: only ever called with the failure.
fn answer_failed<T: Send + 'static>(reply: Reply<T>) -> Answer {
    answer(reply, Err(JournalError::Closed))
}

/// Splits an operation's outcome into its answer and, on a SQLite error, the error that
/// aborts the transaction.
fn outcome<T: Send + 'static>(
    reply: Reply<T>,
    result: rusqlite::Result<Result<T, JournalError>>,
) -> (Answer, Option<rusqlite::Error>) {
    match result {
        Ok(result) => (answer(reply, result), None),
        Err(err) => (answer_failed(reply), Some(err)),
    }
}

impl WriteOp {
    fn apply(self, tx: &Transaction<'_>, now: i64) -> (Answer, Option<rusqlite::Error>) {
        match self {
            WriteOp::Append { entry, reply } => outcome(reply, append(tx, &entry, now)),
            WriteOp::Lease {
                max,
                lease_for,
                reply,
            } => outcome(reply, lease(tx, max, lease_for, now)),
            WriteOp::Settle { token, how, reply } => outcome(reply, settle(tx, &token, &how, now)),
            WriteOp::Replay { selector, reply } => outcome(reply, replay(tx, &selector, now)),
            WriteOp::Delete {
                older_than,
                dead_too,
                reply,
            } => outcome(reply, delete(tx, older_than, dead_too)),
            WriteOp::DropBodies { older_than, reply } => {
                outcome(reply, drop_bodies(tx, older_than))
            }
        }
    }

    /// Whether the operation's commit must be on the disk before it is answered: appends (a
    /// 200 depends on them) and the operator's replays and deletions. The workers' leases and
    /// settlements need not be: a crash that loses one makes a handler run again, which the
    /// guarantees allow, and the next durable commit flushes them with it (the WAL is written
    /// in order), so they share the appends' `fsync` instead of paying their own.
    fn needs_flush(&self) -> bool {
        !matches!(self, WriteOp::Lease { .. } | WriteOp::Settle { .. })
    }

    /// The answer of an operation not run because its transaction failed before it.
    fn skipped(self) -> Answer {
        match self {
            WriteOp::Append { reply, .. } => answer_failed(reply),
            WriteOp::Lease { reply, .. } => answer_failed(reply),
            WriteOp::Settle { reply, .. } => answer_failed(reply),
            WriteOp::Replay { reply, .. }
            | WriteOp::Delete { reply, .. }
            | WriteOp::DropBodies { reply, .. } => answer_failed(reply),
        }
    }
}

fn write_loop(
    mut conn: Connection,
    queue: &mpsc::Receiver<WriteMsg>,
    path: &Arc<Path>,
    commits: &AtomicU64,
    max_batch: usize,
    synchronous: Synchronous,
) {
    let mut flushing = Flushing::new(synchronous);
    // Ends when a close is received or every sender is gone.
    while let Ok(first) = queue.recv() {
        let mut batch = Vec::new();
        let mut close = None;
        match first {
            WriteMsg::Op(op) => batch.push(op),
            WriteMsg::Close(done) => close = Some(done),
        }
        while close.is_none() && batch.len() < max_batch {
            match queue.try_recv() {
                Ok(WriteMsg::Op(op)) => batch.push(op),
                Ok(WriteMsg::Close(done)) => close = Some(done),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            match flushing.prepare(&conn, &batch) {
                Ok(()) => run_batch(&mut conn, batch, path, commits),
                Err(err) => fail_batch(batch.into_iter().map(WriteOp::skipped), err, path),
            }
        }
        if let Some(done) = close {
            close_connection(conn, path);
            if let Some(done) = done {
                let _ = done.send(());
            }
            return;
        }
    }
    close_connection(conn, path);
}

/// Whether the writer's commits wait for the disk: always under [`Synchronous::Full`], except
/// for batches of the workers' operations only (see [`WriteOp::needs_flush`]), which commit
/// as under [`Synchronous::Normal`].
struct Flushing {
    configured: Synchronous,
    now: Synchronous,
}

impl Flushing {
    fn new(configured: Synchronous) -> Self {
        Self {
            configured,
            now: configured,
        }
    }

    /// Sets the connection's `synchronous` for `batch`'s commit, when it changes. An error
    /// means the batch must not run: its commit would not be flushed as it needs.
    fn prepare(&mut self, conn: &Connection, batch: &[WriteOp]) -> rusqlite::Result<()> {
        let wanted =
            if self.configured == Synchronous::Full && batch.iter().any(WriteOp::needs_flush) {
                Synchronous::Full
            } else {
                Synchronous::Normal
            };
        if wanted != self.now {
            conn.pragma_update(None, "synchronous", wanted.pragma())?;
            self.now = wanted;
        }
        Ok(())
    }
}

/// Runs `batch` in one transaction and answers every caller after it ended (counting a
/// commit in `commits` before answering).
fn run_batch(conn: &mut Connection, batch: Vec<WriteOp>, path: &Arc<Path>, commits: &AtomicU64) {
    let now = to_ms(SystemTime::now());
    let mut answers = Vec::with_capacity(batch.len());
    let ended = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Err(err) => {
            answers.extend(batch.into_iter().map(WriteOp::skipped));
            Err(err)
        }
        Ok(tx) => {
            let mut failed = None;
            for op in batch {
                if failed.is_some() {
                    answers.push(op.skipped());
                    continue;
                }
                let (answer, err) = op.apply(&tx, now);
                answers.push(answer);
                failed = err;
            }
            match failed {
                None => tx.commit(),
                Some(err) => {
                    let _ = tx.rollback();
                    Err(err)
                }
            }
        }
    };
    // A failed COMMIT may leave the transaction open (rusqlite rolls back on drop; make sure).
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    match ended {
        Ok(()) => {
            commits.fetch_add(1, Ordering::Relaxed);
            for answer in answers {
                answer(None);
            }
        }
        Err(err) => fail_batch(answers, err, path),
    }
}

/// Answers every caller of a batch whose transaction failed with its error.
fn fail_batch(answers: impl IntoIterator<Item = Answer>, err: rusqlite::Error, path: &Arc<Path>) {
    tracing::warn!(path = %path.display(), error = %err, "a journal transaction failed and was rolled back");
    let failure = TxFailure {
        err: Arc::new(err),
        path: Arc::clone(path),
    };
    for answer in answers {
        answer(Some(&failure));
    }
}

fn close_connection(conn: Connection, path: &Path) {
    if let Err((_, err)) = conn.close() {
        tracing::warn!(path = %path.display(), error = %err, "closing the journal failed");
    }
}

fn append(
    tx: &Transaction<'_>,
    entry: &NewEntry,
    now: i64,
) -> rusqlite::Result<Result<Appended, JournalError>> {
    let inserted = tx
        .prepare_cached(
            "INSERT INTO entries (key, state, kind, identified_by, type_field, verified_by, \
             order_key, received_at, next_attempt_at, updated_at, raw) \
             VALUES (?1, 'pending', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9) \
             ON CONFLICT (key) DO NOTHING",
        )?
        .execute(params![
            entry.key,
            entry.kind.map(EventKind::as_str),
            entry.identified_by.map(IdentifiedBy::as_str),
            entry.type_field,
            entry.verified_by.to_text(),
            entry.order_key,
            to_ms(entry.received_at),
            now,
            &entry.raw[..],
        ])?;
    Ok(Ok(if inserted == 1 {
        Appended::New
    } else {
        Appended::Duplicate
    }))
}

fn lease(
    tx: &Transaction<'_>,
    max: usize,
    lease_for: Duration,
    now: i64,
) -> rusqlite::Result<Result<Vec<Leased>, JournalError>> {
    let mut found = Vec::new();
    // Expired leases first (their workers died), then due pending entries. The second query
    // runs after the first's entries were read, but sees them still as they were; both see
    // each other's candidates as open, so order keys hold across the two.
    for query in [LEASE_EXPIRED, LEASE_DUE] {
        let room = max.saturating_sub(found.len());
        if room == 0 {
            break;
        }
        let mut stmt = tx.prepare_cached(query)?;
        let rows = stmt.query_map(params![now, to_sql_limit(Some(room))], read_entry)?;
        for row in rows {
            found.push(row?.0);
        }
    }
    let lease_until = ms_after(now, lease_for);
    let mut take = tx.prepare_cached(TAKE_LEASE)?;
    let mut leased = Vec::with_capacity(found.len());
    for mut entry in found {
        let (attempts, generation): (i64, i64) = take
            .query_row(params![entry.key, lease_until, now], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?;
        entry.state = EntryState::InProgress;
        entry.attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
        entry.lease_until = Some(from_ms(lease_until));
        entry.updated_at = from_ms(now);
        let token = LeaseToken::new(entry.key.clone(), u64::try_from(generation).unwrap_or(0));
        leased.push(Leased { entry, token });
    }
    Ok(Ok(leased))
}

fn settle(
    tx: &Transaction<'_>,
    token: &LeaseToken,
    how: &Settlement,
    now: i64,
) -> rusqlite::Result<Result<(), JournalError>> {
    const CURRENT_LEASE: &str = " WHERE key = ?1 AND lease_gen = ?2 AND state = 'in_progress'";
    // A generation too large for SQLite matches no lease.
    let generation = i64::try_from(token.generation()).unwrap_or(-1);
    let key = token.key();
    let changed = match how {
        Settlement::Complete => tx
            .prepare_cached(&format!(
                "UPDATE entries SET state = 'done', lease_until = NULL, updated_at = ?3{CURRENT_LEASE}"
            ))?
            .execute(params![key, generation, now])?,
        Settlement::Retry { error, not_before } => tx
            .prepare_cached(&format!(
                "UPDATE entries SET state = 'pending', lease_until = NULL, last_error = ?4, \
                 next_attempt_at = ?5, updated_at = ?3{CURRENT_LEASE}"
            ))?
            .execute(params![key, generation, now, error, to_ms(*not_before)])?,
        Settlement::Dead { error } => tx
            .prepare_cached(&format!(
                "UPDATE entries SET state = 'dead', lease_until = NULL, last_error = ?4, \
                 updated_at = ?3{CURRENT_LEASE}"
            ))?
            .execute(params![key, generation, now, error])?,
        Settlement::Release => tx
            .prepare_cached(&format!(
                "UPDATE entries SET state = 'pending', lease_until = NULL, \
                 attempts = max(attempts - 1, 0), updated_at = ?3{CURRENT_LEASE}"
            ))?
            .execute(params![key, generation, now])?,
    };
    if changed == 1 {
        return Ok(Ok(()));
    }
    Ok(Err(if exists(tx, key)? {
        JournalError::LeaseLost(key.to_owned())
    } else {
        JournalError::NotFound(key.to_owned())
    }))
}

/// Whether `key` is in the journal (`None` if not) with its body (`Some(true)`) or without.
fn body_state(tx: &Transaction<'_>, key: &str) -> rusqlite::Result<Option<bool>> {
    tx.prepare_cached("SELECT length(raw) > 0 FROM entries WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()
}

fn exists(tx: &Transaction<'_>, key: &str) -> rusqlite::Result<bool> {
    tx.prepare_cached("SELECT 1 FROM entries WHERE key = ?1")?
        .exists([key])
}

fn replay(
    tx: &Transaction<'_>,
    selector: &ReplaySelector,
    now: i64,
) -> rusqlite::Result<Result<usize, JournalError>> {
    const BACK: &str = "UPDATE entries SET state = 'pending', attempts = 0, next_attempt_at = ?1, \
         lease_until = NULL, updated_at = ?1 WHERE ";
    let changed = match selector {
        ReplaySelector::One(key) => {
            let changed = tx
                .prepare_cached(&format!(
                    "{BACK}key = ?2 AND state IN ('done', 'dead') AND length(raw) > 0"
                ))?
                .execute(params![now, key])?;
            if changed == 0 {
                match body_state(tx, key)? {
                    None => return Ok(Err(JournalError::NotFound(key.clone()))),
                    Some(false) => return Ok(Err(JournalError::BodyDropped(key.clone()))),
                    Some(true) => {}
                }
            }
            changed
        }
        ReplaySelector::AllDead => tx
            .prepare_cached(&format!("{BACK}state = 'dead'"))?
            .execute(params![now])?,
        ReplaySelector::Kind(kind) => tx
            .prepare_cached(&format!(
                "{BACK}kind = ?2 AND state IN ('done', 'dead') AND length(raw) > 0"
            ))?
            .execute(params![now, kind.as_str()])?,
    };
    Ok(Ok(changed))
}

fn delete(
    tx: &Transaction<'_>,
    older_than: SystemTime,
    dead_too: bool,
) -> rusqlite::Result<Result<usize, JournalError>> {
    let sql = if dead_too {
        "DELETE FROM entries WHERE state IN ('done', 'dead') AND updated_at < ?1"
    } else {
        "DELETE FROM entries WHERE state = 'done' AND updated_at < ?1"
    };
    Ok(Ok(tx.prepare_cached(sql)?.execute([to_ms(older_than)])?))
}

fn drop_bodies(
    tx: &Transaction<'_>,
    older_than: SystemTime,
) -> rusqlite::Result<Result<usize, JournalError>> {
    const DROP: &str = "UPDATE entries SET raw = X'', type_field = NULL, order_key = NULL, \
         last_error = NULL WHERE state = 'done' AND updated_at < ?1 AND length(raw) > 0";
    Ok(Ok(tx.prepare_cached(DROP)?.execute([to_ms(older_than)])?))
}

// ---------------------------------------------------------------------------------------------
// The reader thread

enum ReadMsg {
    Op(ReadOp),
    Close(Option<oneshot::Sender<()>>),
}

enum ReadOp {
    Get {
        key: String,
        reply: Reply<Option<Entry>>,
    },
    List {
        filter: ListFilter,
        reply: Reply<Vec<Entry>>,
    },
    Stats {
        reply: Reply<Stats>,
    },
}

fn read_loop(mut conn: Connection, queue: &mpsc::Receiver<ReadMsg>, path: &Path) {
    while let Ok(msg) = queue.recv() {
        let op = match msg {
            ReadMsg::Op(op) => op,
            ReadMsg::Close(done) => {
                close_connection(conn, path);
                if let Some(done) = done {
                    let _ = done.send(());
                }
                return;
            }
        };
        let errors = |err| classify(path, err);
        // A caller that stopped waiting is no error.
        match op {
            ReadOp::Get { key, reply } => {
                let _ = reply.send(get(&conn, &key).map_err(errors));
            }
            ReadOp::List { filter, reply } => {
                let _ = reply.send(list(&conn, &filter).map_err(errors));
            }
            ReadOp::Stats { reply } => {
                let _ = reply.send(stats(&mut conn).map_err(errors));
            }
        }
    }
    close_connection(conn, path);
}

fn get(conn: &Connection, key: &str) -> rusqlite::Result<Option<Entry>> {
    Ok(conn
        .prepare_cached(GET)?
        .query_row([key], read_entry)
        .optional()?
        .map(|(entry, _)| entry))
}

fn list(conn: &Connection, filter: &ListFilter) -> rusqlite::Result<Vec<Entry>> {
    let mut stmt = conn.prepare_cached(LIST)?;
    let rows = stmt.query_map(
        params![
            filter.state.map(EntryState::as_str),
            filter.kind.map(EventKind::as_str),
            filter.since.map(to_ms),
            to_sql_limit(filter.limit),
        ],
        read_entry,
    )?;
    rows.map(|row| row.map(|(entry, _)| entry)).collect()
}

fn stats(conn: &mut Connection) -> rusqlite::Result<Stats> {
    // One read transaction: the counts and the oldest pending entry of one snapshot.
    let tx = conn.transaction()?;
    let mut stats = Stats::default();
    {
        let mut stmt = tx.prepare_cached("SELECT state, count(*) FROM entries GROUP BY state")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let count = u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0);
            match EntryState::from_name(&row.get::<_, String>(0)?) {
                Some(EntryState::Pending) => stats.pending = count,
                Some(EntryState::InProgress) => stats.in_progress = count,
                Some(EntryState::Done) => stats.done = count,
                Some(EntryState::Dead) => stats.dead = count,
                None => {}
            }
        }
        stats.oldest_pending = tx
            .prepare_cached("SELECT min(received_at) FROM entries WHERE state = 'pending'")?
            .query_row([], |row| row.get::<_, Option<i64>>(0))?
            .map(from_ms);
    }
    tx.commit()?;
    Ok(stats)
}

// ---------------------------------------------------------------------------------------------
// Rows and values

/// A row of [`columns!`] as an entry, and its lease generation.
fn read_entry(row: &Row<'_>) -> rusqlite::Result<(Entry, i64)> {
    let state: String = row.get(8)?;
    let state = EntryState::from_name(&state).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            8,
            rusqlite::types::Type::Text,
            format!("`{state}` is not an entry state").into(),
        )
    })?;
    let kind: Option<String> = row.get(2)?;
    let identified_by: Option<String> = row.get(3)?;
    let entry = Entry {
        key: row.get(0)?,
        raw: Bytes::from(row.get::<_, Vec<u8>>(1)?),
        // A kind this SDK does not know (written by a newer one) reads as unknown.
        kind: kind.as_deref().and_then(EventKind::from_name),
        identified_by: identified_by.as_deref().and_then(IdentifiedBy::from_name),
        type_field: row.get(4)?,
        verified_by: {
            let text: String = row.get(5)?;
            VerifiedBy::from_text(&text).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(
                    5,
                    rusqlite::types::Type::Text,
                    format!("`{text}` does not name a verifying key").into(),
                )
            })?
        },
        order_key: row.get(6)?,
        received_at: from_ms(row.get(7)?),
        state,
        attempts: u32::try_from(row.get::<_, i64>(9)?).unwrap_or(0),
        last_error: row.get(10)?,
        next_attempt_at: from_ms(row.get(11)?),
        lease_until: row.get::<_, Option<i64>>(12)?.map(from_ms),
        updated_at: from_ms(row.get(13)?),
    };
    Ok((entry, row.get(14)?))
}

/// A `LIMIT` value: -1 is none.
fn to_sql_limit(limit: Option<usize>) -> i64 {
    limit.map_or(-1, |limit| i64::try_from(limit).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("explain");
        let rows = stmt
            .query_map(params![0, 10], |row| row.get::<_, String>(3))
            .expect("plan");
        rows.map(|row| row.expect("row"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn journal_schema() -> Connection {
        let conn = Connection::open_in_memory().expect("memory");
        conn.execute_batch(V1).expect("schema");
        conn
    }

    #[test]
    fn leasing_searches_indexes_instead_of_scanning_the_table() {
        let conn = journal_schema();
        for sql in [LEASE_DUE, LEASE_EXPIRED] {
            let plan = plan(&conn, sql);
            assert!(!plan.contains("SCAN"), "{sql}\n{plan}");
            assert!(plan.contains("INDEX entries_order"), "{plan}");
        }
        assert!(plan(&conn, LEASE_DUE).contains("USING INDEX entries_due"));
        assert!(plan(&conn, LEASE_EXPIRED).contains("USING INDEX entries_lease"));
    }

    #[test]
    fn times_round_trip_to_the_millisecond_and_clamp() {
        let t = UNIX_EPOCH + Duration::from_millis(1_767_225_600_123);
        assert_eq!(from_ms(to_ms(t)), t);
        assert_eq!(to_ms(UNIX_EPOCH - Duration::from_secs(1)), 0);
        assert_eq!(from_ms(-5), UNIX_EPOCH);
        let _ = from_ms(i64::MAX);
    }
}
