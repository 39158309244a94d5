//! The PostgreSQL cluster of server (i): `initdb` into a fresh folder, `postgres` on
//! 127.0.0.1 and an ephemeral port with `fsync` on, trust authentication (loopback only, a
//! throwaway cluster). When `ghl-bench` runs as root the server programs run as the
//! `postgres` user (PostgreSQL refuses to run as root).
//!
//! Stopped when dropped, also on error: `pg_ctl stop -m fast`, then the postmaster killed by
//! its PID if it is still there; its folder is removed. A watchdog shell stops the
//! postmaster (by PID, `SIGINT`: a fast shutdown) if `ghl-bench` dies first.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running cluster; stopped and its folder removed when dropped.
pub struct PostgresProcess {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    owner: Option<(u32, u32)>,
    child: Option<Child>,
    watchdog: Option<Child>,
}

/// The folder of PostgreSQL's server programs: the newest `/usr/lib/postgresql/N/bin`, or
/// the folder of `initdb` on PATH.
fn bin_dir() -> Option<PathBuf> {
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

/// Whether this process runs as root (the real and effective uid of `/proc/self/status`).
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

impl PostgresProcess {
    /// Creates a cluster in `dir` (removed first if it exists) and starts it; waits up to
    /// `timeout` for it to accept connections.
    pub fn start(dir: &Path, timeout: Duration) -> Result<Self, String> {
        let bin = bin_dir().ok_or(
            "PostgreSQL's server programs (initdb, postgres) are not installed, needed by (i) \
             (apt-get install postgresql)",
        )?;
        let owner = if is_root() {
            Some(postgres_user().ok_or(
                "running as root, but there is no `postgres` user to run PostgreSQL as (it refuses root)",
            )?)
        } else {
            None
        };
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir, Some(uid), Some(gid))
                .map_err(|e| format!("chown {}: {e}", dir.display()))?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port for postgres: {e}"))?
            .port();
        let mut cluster = Self {
            bin,
            dir: dir.to_path_buf(),
            port,
            owner,
            child: None,
            watchdog: None,
        };
        cluster.init()?;
        cluster.spawn(timeout)?;
        Ok(cluster)
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
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

    fn init(&self) -> Result<(), String> {
        let output = self
            .command("initdb")
            .arg("-D")
            .arg(self.data())
            .args(["-U", "postgres", "--auth=trust", "--no-instructions"])
            .args(["--encoding=UTF8", "--locale=C"])
            .output()
            .map_err(|e| format!("cannot run initdb: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "initdb failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(())
    }

    fn spawn(&mut self, timeout: Duration) -> Result<(), String> {
        let log_path = self.dir.join("server.log");
        let log =
            std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(self.data())
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", self.dir.display()))
            .args(["-c", "fsync=on", "-c", "synchronous_commit=on"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start postgres: {e}"))?;
        let pid = child.id();
        self.child = Some(child);
        self.watch(pid)?;
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.ready() {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                return Err(format!(
                    "postgres exited ({status}): {}",
                    std::fs::read_to_string(&log_path)
                        .unwrap_or_default()
                        .trim()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "postgres did not accept connections on port {} within {timeout:?}: {}",
            self.port,
            std::fs::read_to_string(&log_path)
                .unwrap_or_default()
                .trim()
        ))
    }

    /// Whether the server accepts connections (`pg_isready`).
    fn ready(&self) -> bool {
        self.command("pg_isready")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// A shell that, once `ghl-bench` is gone, stops the postmaster `pid` (fast shutdown),
    /// kills it if it is still there after 30 s, and removes the folder. Killed when the
    /// cluster is dropped.
    fn watch(&mut self, pid: u32) -> Result<(), String> {
        let script = format!(
            "while kill -0 {me} 2>/dev/null; do sleep 1; done; \
             kill -INT {pid} 2>/dev/null; \
             i=0; while kill -0 {pid} 2>/dev/null && [ $i -lt 30 ]; do sleep 1; i=$((i+1)); done; \
             kill -KILL {pid} 2>/dev/null; rm -rf '{dir}'",
            me = std::process::id(),
            dir = self.dir.display(),
        );
        let watchdog = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the postgres watchdog: {e}"))?;
        self.watchdog = Some(watchdog);
        Ok(())
    }
}

impl Drop for PostgresProcess {
    fn drop(&mut self) {
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        if let Some(mut child) = self.child.take() {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = self
                    .command("pg_ctl")
                    .arg("stop")
                    .arg("-D")
                    .arg(self.data())
                    .args(["-m", "fast", "-w", "-t", "30"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
            // Stopped by now; if pg_ctl could not stop it, by its PID.
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
