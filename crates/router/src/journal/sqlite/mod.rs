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

// The statements' macros first: the modules below use them.
#[macro_use]
mod statements;
mod config;
mod reader;
mod rows;
mod schema;
mod writer;

pub use config::{SqliteConfig, Synchronous};
use reader::*;
use rows::*;
use schema::*;
use statements::*;
use writer::*;

/// The journal in one SQLite file, embedded: the default engine of durable mode. Needs the
/// `sqlite` cargo feature.
///
/// Dropping it finishes the operations already queued, then stops its threads and closes the
/// file (blocking until then); in async code prefer [`close`](SqliteJournal::close).
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

    /// One insert, of the entry in progress (without an order key; with one, a plain append).
    fn append_leased(
        &self,
        entry: NewEntry,
        lease_for: Duration,
    ) -> BoxFuture<'_, Result<(Appended, Option<Leased>), JournalError>> {
        Box::pin(self.write(move |reply| WriteOp::AppendLeased {
            entry,
            lease_for,
            reply,
        }))
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

    fn settle<'a>(
        &'a self,
        token: &'a LeaseToken,
        how: &'a Settlement,
    ) -> BoxFuture<'a, Result<(), JournalError>> {
        Box::pin(self.write(move |reply| WriteOp::Settle {
            token: token.clone(),
            how: how.clone(),
            reply,
        }))
    }

    /// One transaction for the whole batch: it commits whole or not at all.
    fn settle_many<'a>(
        &'a self,
        batch: &'a [(LeaseToken, Settlement)],
    ) -> BoxFuture<'a, Vec<Result<(), JournalError>>> {
        Box::pin(async move {
            let closed = || batch.iter().map(|_| Err(JournalError::Closed)).collect();
            if self.closed.load(Ordering::SeqCst) {
                return closed();
            }
            let (reply, answer) = oneshot::channel();
            let op = WriteOp::SettleMany {
                batch: batch.to_vec(),
                reply,
            };
            if self.writer.send(WriteMsg::Op(op)).is_err() {
                return closed();
            }
            answer.await.unwrap_or_else(|_| closed())
        })
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
        for migration in MIGRATIONS {
            conn.execute_batch(migration).expect("schema");
        }
        conn
    }

    /// The plan of `sql`, whatever its parameters.
    fn any_plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("explain");
        let count = stmt.parameter_count();
        let values = vec![0i64; count];
        let rows = stmt
            .query_map(rusqlite::params_from_iter(values), |row| {
                row.get::<_, String>(3)
            })
            .expect("plan");
        rows.map(|row| row.expect("row"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn counts_purges_body_drops_and_replays_search_their_state_index() {
        let conn = journal_schema();
        let plan = any_plan(&conn, reader::STATS);
        for index in [
            "entries_due",
            "entries_lease",
            "entries_done",
            "entries_dead",
        ] {
            assert!(plan.contains(&format!("INDEX {index}")), "{plan}");
        }
        for sql in [
            "DELETE FROM entries WHERE state = 'done' AND updated_at < ?1",
            "DELETE FROM entries WHERE state = 'dead' AND updated_at < ?1",
            writer::DROP_BODIES,
            "SELECT min(received_at) FROM entries WHERE state = 'pending'",
        ] {
            let plan = any_plan(&conn, sql);
            assert!(plan.contains("USING INDEX entries_"), "{sql}\n{plan}");
        }
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
