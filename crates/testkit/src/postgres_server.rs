//! The PostgreSQL cluster of a test (test-support's `PostgresCluster`), with the test's
//! manners: a loud SKIPPED line when PostgreSQL is not installed (a failure under `CI`,
//! whose `.ci/run` installs it), panics instead of errors, one shared cluster per test
//! process, and a fresh database per test.
//!
//! Shared by the router's, the CLI's and the examples' tests (through this crate).
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::postgres::{PostgresCluster, bin_dir};

#[allow(unused_imports)] // not every test binary that includes this file names it
pub use crate::postgres::PASSWORD;

/// A running cluster owned by a test (or shared by the tests of this process).
pub struct PostgresServer {
    cluster: Mutex<PostgresCluster>,
    port: u16,
}

/// Whether PostgreSQL can run here; `false` (loudly) when it is not installed. Under CI (`CI`
/// set) a missing server is a failure: `.ci/run` installs it.
pub fn available() -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    *FOUND.get_or_init(|| {
        if bin_dir().is_some() {
            return true;
        }
        let message = "PostgreSQL (initdb, postgres) is not installed: the Postgres tests did NOT run \
                       (install it with `apt-get install postgresql`; .ci/run does)";
        if std::env::var_os("CI").is_some() {
            panic!("{message}");
        }
        eprintln!("\n*** SKIPPED: {message} ***\n");
        false
    })
}

impl PostgresServer {
    /// Starts a cluster of its own, or returns `None` (loudly) when PostgreSQL is not
    /// installed.
    pub fn start() -> Option<Self> {
        if !available() {
            return None;
        }
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ghl-postgres-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let cluster = PostgresCluster::start(&dir).unwrap_or_else(|err| panic!("{err}"));
        Some(Self {
            port: cluster.port(),
            cluster: Mutex::new(cluster),
        })
    }

    /// The one cluster of this test process, started on first use (`None` when PostgreSQL
    /// is not installed); stopped by its watchdog when the process ends.
    pub fn shared() -> Option<&'static PostgresServer> {
        static SHARED: OnceLock<Option<PostgresServer>> = OnceLock::new();
        SHARED.get_or_init(Self::start).as_ref()
    }

    fn cluster(&self) -> std::sync::MutexGuard<'_, PostgresCluster> {
        self.cluster.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the server accepts connections.
    pub fn ready(&self) -> bool {
        self.cluster().ready()
    }

    /// `postgres://postgres:PASSWORD@127.0.0.1:PORT/DATABASE`.
    pub fn url_of(&self, database: &str) -> String {
        self.cluster().url_of(database)
    }

    /// The URL of the `postgres` database.
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    /// The URL with another password.
    pub fn url_with_password(&self, password: &str) -> String {
        format!(
            "postgres://postgres:{password}@127.0.0.1:{}/postgres",
            self.port
        )
    }

    /// Runs SQL with `psql` on `database`; panics with psql's message when it fails.
    pub fn psql(&self, database: &str, sql: &str) -> String {
        self.cluster()
            .psql(database, sql)
            .unwrap_or_else(|err| panic!("{err}"))
    }

    /// A new, empty database; returns its URL.
    pub fn create_database(&self) -> String {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("test_{}", COUNT.fetch_add(1, Ordering::Relaxed));
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        self.url_of(&name)
    }

    /// Stops the cluster as `pg_ctl stop -m immediate` does (a crash, for the server: the
    /// next start replays its WAL), and waits until it is gone.
    pub fn stop_immediate(&self) {
        self.cluster().stop("immediate");
    }

    /// Starts it again on the same port with the same data.
    pub fn restart(&self) {
        self.cluster()
            .restart()
            .unwrap_or_else(|err| panic!("{err}"));
    }
}
