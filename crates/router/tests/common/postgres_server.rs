//! A real PostgreSQL cluster on an ephemeral loopback port: `initdb` into a scratch folder and
//! `postgres` started as the `postgres` user when the tests run as root (the server refuses
//! to run as root), password authentication over TCP. Stopped by PID (`pg_ctl stop -m
//! immediate` on the cluster's postmaster) when dropped, and by a watchdog (SIGQUIT to the
//! postmaster's PID) when the test process dies first.
//!
//! Shared by the router's, the CLI's and the examples' tests (`#[path]`).
#![allow(dead_code)]

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The password of the `postgres` user of every test cluster (a test password, nothing else).
pub const PASSWORD: &str = "test-only-password";

/// A running PostgreSQL cluster owned by a test.
pub struct PostgresServer {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    owner: Option<(u32, u32)>,
    child: Mutex<Option<Child>>,
    watchdog: Mutex<Option<Child>>,
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
    let found = Command::new("sh")
        .args(["-c", "command -v initdb"])
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(found.stdout).ok()?.trim());
    let path = std::fs::canonicalize(path).ok()?;
    path.parent().map(Path::to_path_buf)
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

/// The uid and gid of the `postgres` user, when this process runs as root.
fn server_owner() -> Option<(u32, u32)> {
    let me = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&me.stdout).trim() != "0" {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    let line = passwd.lines().find(|line| line.starts_with("postgres:"))?;
    let fields: Vec<&str> = line.split(':').collect();
    Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?))
}

impl PostgresServer {
    /// Starts a cluster of its own, or returns `None` (loudly) when PostgreSQL is not
    /// installed.
    pub fn start() -> Option<Self> {
        if !available() {
            return None;
        }
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let bin = bin_dir().expect("checked by available()");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let dir = std::env::temp_dir().join(format!(
            "ghl-postgres-{}-{}-{port}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let owner = server_owner();
        if owner.is_none()
            && Command::new("id")
                .arg("-u")
                .output()
                .is_ok_and(|o| o.stdout.starts_with(b"0"))
        {
            panic!("running as root, but there is no `postgres` user to run the server as");
        }
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).expect("chown the scratch dir");
        }
        let server = Self {
            bin,
            dir,
            port,
            owner,
            child: Mutex::new(None),
            watchdog: Mutex::new(None),
        };
        server.init();
        server.spawn();
        server.watch();
        Some(server)
    }

    /// The one cluster of this test process, started on first use (`None` when PostgreSQL
    /// is not installed); stopped by its watchdog when the process ends.
    pub fn shared() -> Option<&'static PostgresServer> {
        static SHARED: OnceLock<Option<PostgresServer>> = OnceLock::new();
        SHARED.get_or_init(Self::start).as_ref()
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A command that runs as the server's owner.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        if let Some((uid, gid)) = self.owner {
            command.uid(uid).gid(gid);
        }
        command.current_dir(&self.dir);
        command
    }

    fn init(&self) {
        let pwfile = self.dir.join("pwfile");
        std::fs::write(&pwfile, PASSWORD).expect("password file");
        if let Some((uid, gid)) = self.owner {
            std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid)).expect("chown pwfile");
        }
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
            .expect("initdb runs");
        assert!(
            output.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn spawn(&self) {
        let log = std::fs::File::create(self.dir.join("server.log")).expect("log file");
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(self.data())
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", self.dir.display()))
            .args(["-c", "max_connections=200", "-c", "fsync=on"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("postgres starts");
        *self.child.lock().expect("lock") = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.ready() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "postgres did not accept connections on port {} within 30 s: {}",
            self.port,
            std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
        );
    }

    /// Whether the server accepts connections (`pg_isready`).
    pub fn ready(&self) -> bool {
        TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            && self
                .command("pg_isready")
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .is_ok_and(|status| status.success())
    }

    /// A shell that stops the cluster and removes its folder once this process is gone: it
    /// sends the postmaster (by the PID in its `postmaster.pid`) SIGQUIT, an immediate
    /// shutdown, as `pg_ctl stop -m immediate` does.
    fn watch(&self) {
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             postmaster=$(head -n 1 '{data}/postmaster.pid' 2>/dev/null); \
             [ -n \"$postmaster\" ] && kill -QUIT \"$postmaster\" 2>/dev/null; \
             for _ in 1 2 3 4 5 6 7 8 9 10; do \
               [ -n \"$postmaster\" ] && kill -0 \"$postmaster\" 2>/dev/null || break; sleep 1; \
             done; rm -rf '{dir}'",
            pid = std::process::id(),
            data = self.data().display(),
            dir = self.dir.display(),
        );
        let watchdog = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("watchdog starts");
        *self.watchdog.lock().expect("lock") = Some(watchdog);
    }

    /// The port.
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

    /// The URL with another password.
    pub fn url_with_password(&self, password: &str) -> String {
        format!(
            "postgres://postgres:{password}@127.0.0.1:{}/postgres",
            self.port
        )
    }

    /// Runs SQL with `psql` on `database` (as the server's owner, over its socket); panics
    /// with psql's message when it fails. Returns what psql printed (unaligned, tuples only).
    pub fn psql(&self, database: &str, sql: &str) -> String {
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
            .expect("psql runs");
        assert!(
            output.status.success(),
            "psql failed on `{sql}`: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
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
        let _ = self
            .command("pg_ctl")
            .arg("stop")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Some(mut child) = self.child.lock().expect("lock").take() {
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port with the same data (after
    /// [`stop_immediate`](Self::stop_immediate), or stopping it first).
    pub fn restart(&self) {
        self.stop_immediate();
        self.spawn();
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        self.stop_immediate();
        if let Some(mut watchdog) = self.watchdog.lock().expect("lock").take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
