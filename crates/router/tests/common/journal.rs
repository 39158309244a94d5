//! The journal engines the durable tests run against: each test takes the engine as a
//! parameter, so one suite covers every engine.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ghl_webhook_router::journal::{Journal, ListFilter, SqliteJournal, Stats};
#[cfg(feature = "redis")]
use ghl_webhook_router::journal::{RedisJournal, RedisJournalConfig};

#[cfg(feature = "postgres")]
use ghl_webhook_router::journal::{PostgresConfig, PostgresJournal};

#[cfg(feature = "postgres")]
use ghl_webhook_testkit::postgres_server::PostgresServer;
#[cfg(feature = "redis")]
use ghl_webhook_testkit::redis_server::RedisServer;

/// A journal engine under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Engine {
    /// One SQLite file in a scratch directory.
    Sqlite,
    /// A real redis-server (AOF, `appendfsync always`) started for the test, one key prefix
    /// per journal.
    #[cfg(feature = "redis")]
    Redis,
    /// A real PostgreSQL cluster (this test process's one), one schema per journal.
    #[cfg(feature = "postgres")]
    Postgres,
}

/// A scratch directory for one test (removed when dropped), and the redis-server its Redis
/// journals live in, started on first use and killed when dropped.
pub(crate) struct Scratch {
    dir: tempfile::TempDir,
    /// Tells this scratch's Postgres schemas from other tests' in the shared cluster.
    id: usize,
    #[cfg(feature = "redis")]
    redis: OnceLock<RedisServer>,
}

impl Scratch {
    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The test's redis-server (started now if need be).
    #[cfg(feature = "redis")]
    pub(crate) fn redis(&self) -> &RedisServer {
        self.redis.get_or_init(|| {
            RedisServer::start().expect("Engine::all lists Redis only when it runs")
        })
    }
}

/// A scratch directory for one test.
pub(crate) fn scratch() -> Scratch {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    Scratch {
        dir: tempfile::tempdir().expect("temp dir"),
        id: COUNT.fetch_add(1, Ordering::Relaxed),
        #[cfg(feature = "redis")]
        redis: OnceLock::new(),
    }
}

impl Engine {
    /// Every engine this machine can run (Redis and Postgres only when their servers are
    /// installed; under CI their absence fails the test).
    pub(crate) fn all() -> Vec<Engine> {
        #[allow(unused_mut)]
        let mut engines = vec![Engine::Sqlite];
        #[cfg(feature = "redis")]
        {
            static REDIS: OnceLock<bool> = OnceLock::new();
            if *REDIS.get_or_init(ghl_webhook_testkit::redis_server::available) {
                engines.push(Engine::Redis);
            }
        }
        #[cfg(feature = "postgres")]
        if ghl_webhook_testkit::postgres_server::available() {
            engines.push(Engine::Postgres);
        }
        engines
    }

    /// A fresh, empty journal named `name` in `dir`.
    pub(crate) async fn open(self, dir: &Scratch, name: &str) -> Arc<dyn Journal> {
        match self {
            Engine::Sqlite => {
                Arc::new(SqliteJournal::open(sqlite_path(dir.path(), name)).expect("open"))
            }
            #[cfg(feature = "redis")]
            Engine::Redis => self.open_location(&self.location(dir, name)).await,
            #[cfg(feature = "postgres")]
            Engine::Postgres => self.open_location(&self.location(dir, name)).await,
        }
    }

    /// The same journal again (e.g. from a restarted process).
    pub(crate) async fn reopen(self, dir: &Scratch, name: &str) -> Arc<dyn Journal> {
        match self {
            Engine::Sqlite => Arc::new(
                SqliteJournal::open_existing(sqlite_path(dir.path(), name)).expect("reopen"),
            ),
            #[cfg(feature = "redis")]
            Engine::Redis => self.open_location(&self.location(dir, name)).await,
            #[cfg(feature = "postgres")]
            Engine::Postgres => self.open_location(&self.location(dir, name)).await,
        }
    }

    /// The address a child process opens the journal at: a file, `URL PREFIX` or
    /// `URL SCHEMA`.
    pub(crate) fn location(self, dir: &Scratch, name: &str) -> String {
        match self {
            Engine::Sqlite => sqlite_path(dir.path(), name).display().to_string(),
            #[cfg(feature = "redis")]
            Engine::Redis => format!("{} test:{name}:", dir.redis().url()),
            #[cfg(feature = "postgres")]
            Engine::Postgres => format!(
                "{} t{}_{name}",
                PostgresServer::shared()
                    .expect("Engine::all lists Postgres only when it runs")
                    .url(),
                dir.id
            ),
        }
    }

    /// Opens the journal at a `location`, in a child process. Needs a tokio runtime.
    pub(crate) async fn open_location(self, location: &str) -> Arc<dyn Journal> {
        match self {
            Engine::Sqlite => Arc::new(SqliteJournal::open(location).expect("open")),
            #[cfg(feature = "redis")]
            Engine::Redis => Arc::new(redis_at(location)),
            #[cfg(feature = "postgres")]
            Engine::Postgres => Arc::new(postgres_at(location).await),
        }
    }

    /// The engine a child process was told to play (`format!("{engine:?}")`).
    pub(crate) fn from_name(name: &str) -> Option<Engine> {
        match name {
            "Sqlite" => Some(Engine::Sqlite),
            #[cfg(feature = "redis")]
            "Redis" => Some(Engine::Redis),
            #[cfg(feature = "postgres")]
            "Postgres" => Some(Engine::Postgres),
            _ => None,
        }
    }

    /// Whether the engine commits a batch of settlements as one transaction (Redis runs one
    /// script per entry).
    #[allow(dead_code)]
    pub(crate) fn settles_batches_atomically(self) -> bool {
        match self {
            Engine::Sqlite => true,
            #[cfg(feature = "redis")]
            Engine::Redis => false,
            #[cfg(feature = "postgres")]
            Engine::Postgres => true,
        }
    }
}

/// The Postgres journal at a `URL SCHEMA` location.
#[cfg(feature = "postgres")]
pub(crate) async fn postgres_at(location: &str) -> PostgresJournal {
    let (url, schema) = location.split_once(' ').expect("URL SCHEMA");
    PostgresJournal::connect(url, PostgresConfig::default().schema(schema.to_lowercase()))
        .await
        .expect("open")
}

/// The Redis journal at a `URL PREFIX` location, with a lease-friendly consumer name.
#[cfg(feature = "redis")]
pub(crate) fn redis_at(location: &str) -> RedisJournal {
    let (url, prefix) = location.split_once(' ').expect("URL PREFIX");
    RedisJournal::open(url, RedisJournalConfig::default().key_prefix(prefix)).expect("open")
}

fn sqlite_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.db"))
}

/// Waits until no entry is pending or in progress (or `limit` passes), and returns the stats.
pub(crate) async fn settled(journal: &dyn Journal, limit: Duration) -> Stats {
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
pub(crate) async fn keys(journal: &dyn Journal) -> Vec<String> {
    let filter = ListFilter::default();
    journal
        .list(&filter)
        .await
        .expect("list")
        .into_iter()
        .map(|e| e.key)
        .collect()
}
