//! The journal engines the durable tests run against: each test takes the engine as a
//! parameter, so one suite covers every engine.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ghl_webhook_router::journal::{Journal, ListFilter, SqliteJournal, Stats};

/// A journal engine under test.
#[derive(Debug, Clone, Copy)]
pub enum Engine {
    /// One SQLite file in a scratch directory.
    Sqlite,
}

impl Engine {
    /// Every engine this machine can run.
    pub fn all() -> Vec<Engine> {
        vec![Engine::Sqlite]
    }

    /// A fresh, empty journal named `name` in `dir`.
    pub fn open(self, dir: &Path, name: &str) -> Arc<dyn Journal> {
        match self {
            Engine::Sqlite => Arc::new(SqliteJournal::open(sqlite_path(dir, name)).expect("open")),
        }
    }

    /// The same journal again (e.g. from a restarted process).
    pub fn reopen(self, dir: &Path, name: &str) -> Arc<dyn Journal> {
        match self {
            Engine::Sqlite => {
                Arc::new(SqliteJournal::open_existing(sqlite_path(dir, name)).expect("reopen"))
            }
        }
    }

    /// The address a child process opens the journal at.
    pub fn location(self, dir: &Path, name: &str) -> String {
        match self {
            Engine::Sqlite => sqlite_path(dir, name).display().to_string(),
        }
    }

    /// Opens the journal at a `location`, in a child process.
    pub fn open_location(self, location: &str) -> Arc<dyn Journal> {
        match self {
            Engine::Sqlite => Arc::new(SqliteJournal::open(location).expect("open")),
        }
    }
}

fn sqlite_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.db"))
}

/// A scratch directory for one test, removed when dropped.
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Waits until no entry is pending or in progress (or `limit` passes), and returns the stats.
pub async fn settled(journal: &dyn Journal, limit: Duration) -> Stats {
    let start = Instant::now();
    loop {
        let stats = journal.stats().await.expect("stats");
        if (stats.pending == 0 && stats.in_progress == 0) || start.elapsed() > limit {
            return stats;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every key in the journal, in arrival order.
pub async fn keys(journal: &dyn Journal) -> Vec<String> {
    let filter = ListFilter {
        limit: None,
        ..ListFilter::default()
    };
    journal
        .list(&filter)
        .await
        .expect("list")
        .into_iter()
        .map(|e| e.key)
        .collect()
}
