//! Helpers of the journal tests: scratch directories holding one journal file, entries, and a
//! way to make a file read-only that holds for root too.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use ghl_webhook_router::VerifiedBy;
use ghl_webhook_router::journal::{JournalError, NewEntry, SqliteJournal};
use ghl_webhook_router::types::EventKind;

/// A temporary directory (removed on drop) and the path of a journal file in it.
pub(crate) struct Scratch {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl Scratch {
    pub(crate) fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ghl-journal-")
            .tempdir()
            .expect("temp dir");
        let path = dir.path().join("journal.db");
        Self { dir, path }
    }

    /// The journal file (it may not exist yet).
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The directory.
    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Opens (creating if need be) the journal.
    pub(crate) fn journal(&self) -> SqliteJournal {
        SqliteJournal::open(&self.path).expect("open the journal")
    }

    /// A plain SQLite connection to the file, beside the journal's own.
    pub(crate) fn connection(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(&self.path).expect("sqlite connection");
        conn.busy_timeout(Duration::from_secs(5))
            .expect("busy timeout");
        conn
    }

    /// Runs SQL on the file through a plain connection, closed before returning.
    pub(crate) fn sql(&self, sql: &str) {
        let conn = self.connection();
        conn.execute_batch(sql).expect("sql");
        conn.close().map_err(|(_, err)| err).expect("close");
    }

    /// The names of the files in the directory, sorted.
    pub(crate) fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .expect("read dir")
            .map(|entry| {
                entry
                    .expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }
}

/// An entry of unknown kind whose body names its key.
pub(crate) fn entry(key: &str) -> NewEntry {
    NewEntry::new(
        key,
        format!("{{\"webhookId\":\"{key}\"}}"),
        VerifiedBy::Ed25519("test-primary".into()),
    )
}

/// An entry with an order key.
pub(crate) fn ordered(key: &str, order_key: &str) -> NewEntry {
    NewEntry {
        order_key: Some(order_key.to_owned()),
        ..entry(key)
    }
}

/// An entry of a kind.
pub(crate) fn kinded(key: &str, kind: EventKind) -> NewEntry {
    NewEntry {
        kind: Some(kind),
        type_field: Some(kind.as_str().to_owned()),
        ..entry(key)
    }
}

/// A current-thread runtime with timers.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Makes `path` read-only to this process, also as root (see test-support's
/// `make_read_only`); a test that cannot do so fails rather than testing nothing.
pub(crate) fn make_read_only(path: &Path) -> ghl_webhook_testkit::ReadOnly {
    ghl_webhook_testkit::make_read_only(path).expect("a read-only file")
}

/// `err` refuses a journal of schema version 99 as newer than this SDK's (`supported`), and
/// says to upgrade.
pub(crate) fn assert_newer_schema(err: &JournalError, supported: u32) {
    assert!(
        matches!(
            err,
            JournalError::NewerSchema { found: 99, supported: s, .. } if *s == supported
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("upgrade ghl-webhook-router"),
        "{err}"
    );
}
