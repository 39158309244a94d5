//! A throwaway PostgreSQL cluster for tests and benchmarks of the Postgres journal:
//! `initdb` into a fresh folder, `postgres` on 127.0.0.1 and an ephemeral port (fsync on),
//! password authentication over TCP with [`PASSWORD`]. When this process runs as root the
//! server programs run as the `postgres` user (PostgreSQL refuses to run as root).
//!
//! Stopped when dropped (`pg_ctl stop -m fast`, then by the postmaster's PID), and by a
//! watchdog shell (SIGQUIT to the postmaster's PID, an immediate shutdown) when this process
//! dies first; its folder is removed either way.
//!
//! ```no_run
//! use ghl_webhook_testkit::postgres::PostgresCluster;
//!
//! let cluster = PostgresCluster::start(&std::env::temp_dir().join("my-test-cluster"))?;
//! let url = cluster.url(); // postgres://postgres:…@127.0.0.1:PORT/postgres
//! # let _ = url;
//! # Ok::<(), ghl_webhook_testkit::postgres::ClusterError>(())
//! ```

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The password of the `postgres` user of every cluster started here: a test password, for
/// throwaway clusters on loopback only.
pub const PASSWORD: &str = "test-only-password";

/// How long a start waits for the server to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a cluster could not be started or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// PostgreSQL's server programs are not installed.
    #[error(
        "PostgreSQL's server programs (initdb, postgres) are not installed: apt-get install postgresql"
    )]
    NotInstalled,
    /// Running as root without a `postgres` user to run the server as.
    #[error(
        "running as root, but there is no `postgres` user to run PostgreSQL as (it refuses root)"
    )]
    NoPostgresUser,
    /// A step failed; the message says which and why.
    #[error("{0}")]
    Failed(String),
}

/// A running cluster; stopped and its folder removed when dropped.
#[derive(Debug)]
pub struct PostgresCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    owner: Option<(u32, u32)>,
    child: Option<Child>,
    watchdog: Option<Child>,
}

/// The folder of PostgreSQL's server programs: the newest `/usr/lib/postgresql/N/bin`, or
/// the folder on PATH holding `initdb` and `postgres`.
pub fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .find(|dir| dir.join("initdb").exists() && dir.join("postgres").exists())
}

/// Whether this process runs as root (the effective uid of `/proc/self/status`).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}

/// The uid and gid of the `postgres` user.
fn postgres_user() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    let line = passwd.lines().find(|line| line.starts_with("postgres:"))?;
    let fields: Vec<&str> = line.split(':').collect();
    Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?))
}

fn failed(what: &str, err: impl std::fmt::Display) -> ClusterError {
    ClusterError::Failed(format!("{what}: {err}"))
}

impl PostgresCluster {
    /// Creates a cluster in `dir` (removed first if it exists) and starts it.
    pub fn start(dir: &Path) -> Result<Self, ClusterError> {
        let bin = bin_dir().ok_or(ClusterError::NotInstalled)?;
        let owner = if is_root() {
            Some(postgres_user().ok_or(ClusterError::NoPostgresUser)?)
        } else {
            None
        };
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(|e| failed(&dir.display().to_string(), e))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| failed("no free port for postgres", e))?
            .port();
        let mut cluster = Self {
            bin,
            dir: dir.to_path_buf(),
            port,
            owner,
            child: None,
            watchdog: None,
        };
        let pwfile = cluster.dir.join("pwfile");
        std::fs::write(&pwfile, PASSWORD).map_err(|e| failed("password file", e))?;
        if let Some((uid, gid)) = owner {
            for path in [&cluster.dir, &pwfile] {
                std::os::unix::fs::chown(path, Some(uid), Some(gid))
                    .map_err(|e| failed(&format!("chown {}", path.display()), e))?;
            }
        }
        cluster.init(&pwfile)?;
        cluster.spawn()?;
        cluster.watch()?;
        Ok(cluster)
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `postgres://postgres:PASSWORD@127.0.0.1:PORT/DATABASE`.
    pub fn url_of(&self, database: &str) -> String {
        format!(
            "postgres://postgres:{PASSWORD}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    /// The URL of the `postgres` database.
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A command running `program` of the server's folder as the cluster's owner.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        if let Some((uid, gid)) = self.owner {
            command.uid(uid).gid(gid);
        }
        command.current_dir(&self.dir).stdin(Stdio::null());
        command
    }

    fn init(&self, pwfile: &Path) -> Result<(), ClusterError> {
        let output = self
            .command("initdb")
            .arg("-D")
            .arg(self.data())
            .args([
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .args(["--no-instructions", "--encoding=UTF8", "--locale=C"])
            .output()
            .map_err(|e| failed("cannot run initdb", e))?;
        if !output.status.success() {
            return Err(ClusterError::Failed(format!(
                "initdb failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Ok(())
    }

    fn spawn(&mut self) -> Result<(), ClusterError> {
        let log_path = self.dir.join("server.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|e| failed(&log_path.display().to_string(), e))?;
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(self.data())
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", self.dir.display()))
            .args(["-c", "max_connections=200"])
            .args(["-c", "fsync=on", "-c", "synchronous_commit=on"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| failed("cannot start postgres", e))?;
        self.child = Some(child);
        let log = || {
            std::fs::read_to_string(&log_path)
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if self.ready() {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                return Err(ClusterError::Failed(format!(
                    "postgres exited ({status}): {}",
                    log()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(ClusterError::Failed(format!(
            "postgres did not accept connections on port {} within {START_TIMEOUT:?}: {}",
            self.port,
            log()
        )))
    }

    /// Whether the server accepts connections (`pg_isready`).
    pub fn ready(&self) -> bool {
        self.command("pg_isready")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// A shell that, once this process is gone, stops the postmaster by the PID in its
    /// `postmaster.pid` (SIGQUIT: an immediate shutdown), kills it if it is still there after
    /// 10 s, and removes the folder. Killed when the cluster is dropped.
    fn watch(&mut self) -> Result<(), ClusterError> {
        let script = format!(
            "while kill -0 {me} 2>/dev/null; do sleep 1; done; \
             pid=$(head -n 1 '{data}/postmaster.pid' 2>/dev/null); \
             if [ -n \"$pid\" ]; then kill -QUIT \"$pid\" 2>/dev/null; \
               i=0; while kill -0 \"$pid\" 2>/dev/null && [ $i -lt 10 ]; do sleep 1; i=$((i+1)); done; \
               kill -KILL \"$pid\" 2>/dev/null; fi; rm -rf '{dir}'",
            me = std::process::id(),
            data = self.data().display(),
            dir = self.dir.display(),
        );
        let watchdog = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| failed("cannot start the postgres watchdog", e))?;
        self.watchdog = Some(watchdog);
        Ok(())
    }

    /// Runs SQL with `psql` on `database` (as the cluster's owner, over its socket); returns
    /// what psql printed (unaligned, tuples only), or its error.
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, ClusterError> {
        let output = self
            .command("psql")
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .arg("-h")
            .arg(&self.dir)
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                database,
            ])
            .args(["-c", sql])
            .output()
            .map_err(|e| failed("cannot run psql", e))?;
        if !output.status.success() {
            return Err(ClusterError::Failed(format!(
                "psql failed on `{sql}`: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// Stops the cluster with `pg_ctl stop -m MODE` (`fast`, or `immediate`: a crash, for the
    /// server, whose next start replays its WAL), then by its PID if it is still there.
    pub fn stop(&mut self, mode: &str) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if matches!(child.try_wait(), Ok(None)) {
            let _ = self
                .command("pg_ctl")
                .arg("stop")
                .arg("-D")
                .arg(self.data())
                .args(["-m", mode, "-w", "-t", "30"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if matches!(child.try_wait(), Ok(None)) {
            let _ = child.kill();
        }
        let _ = child.wait();
    }

    /// Starts it again on the same port with the same data (after [`stop`](Self::stop), or
    /// stopping it at once first).
    pub fn restart(&mut self) -> Result<(), ClusterError> {
        self.stop("immediate");
        self.spawn()
    }
}

impl Drop for PostgresCluster {
    fn drop(&mut self) {
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        self.stop("fast");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
