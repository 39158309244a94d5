//! How the journal opens its file and flushes its commits.

use super::*;

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
    pub(super) fn pragma(self) -> &'static str {
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
