//! What the gateway tests share: the downstream apps (Python and Node, each verifying with
//! its language's Standard Webhooks library), the gateway as a child process, and small
//! HTTP reads of its operations routes.
#![allow(dead_code)] // each test binary uses a part of this

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ghl_webhook_testkit::lines::Lines;
use serde_json::Value;

/// The secret the downstream apps verify with (the Standard Webhooks spec's example key).
pub(crate) const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// Another valid secret, which the apps do not know.
pub(crate) const OTHER_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// Where `install.sh` put the verifiers.
fn downstreams() -> PathBuf {
    std::env::var_os("GHL_GATEWAY_DOWNSTREAMS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/gateway-downstreams"),
        PathBuf::from,
    )
}

fn apps() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/gateway_downstreams")
}

/// Whether both downstream apps can run; `false`, loudly, when their libraries are not
/// installed. Under CI (`CI` set) that is a failure: `.ci/run` installs them.
pub(crate) fn available() -> bool {
    let dir = downstreams();
    let python = dir.join("venv/bin/python").exists();
    let node = dir
        .join("node/node_modules/standardwebhooks/package.json")
        .exists()
        && Command::new("node").arg("--version").output().is_ok();
    if python && node {
        return true;
    }
    let message = format!(
        "the downstream apps' Standard Webhooks libraries are not installed in {}: the gateway \
         tests did NOT run (run crates/cli/tests/gateway_downstreams/install.sh; .ci/run does)",
        dir.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{message}");
    }
    eprintln!("\n*** SKIPPED: {message} ***\n");
    false
}

/// Which downstream app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum App {
    /// `app.py`, PyPI's standardwebhooks.
    Python,
    /// `app.js`, npm's standardwebhooks.
    Node,
}

pub(crate) use ghl_webhook_testkit::child::Guard;

/// A running downstream app.
pub(crate) struct Downstream {
    app: App,
    child: Option<Guard>,
    /// Its port (kept across restarts).
    pub port: u16,
    secret: String,
    /// The records file: one JSON line per request.
    pub records: PathBuf,
    /// Its extra arguments (cleared before a restart, e.g., to answer 2xx again).
    pub extra: Vec<String>,
}

impl Downstream {
    /// Starts `app` on an ephemeral port, recording into `records`, with `extra` arguments
    /// (e.g. `--fail-ratio 0.3`).
    pub(crate) fn start(app: App, secret: &str, records: &Path, extra: &[&str]) -> Self {
        let mut downstream = Self {
            app,
            child: None,
            port: 0,
            secret: secret.to_owned(),
            records: records.to_owned(),
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
        };
        downstream.spawn();
        downstream
    }

    /// `http://127.0.0.1:PORT/PATH`, or `https://…` when it was started with `--tls-cert`.
    pub(crate) fn url(&self, path: &str) -> String {
        let scheme = if self.extra.iter().any(|arg| arg == "--tls-cert") {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://127.0.0.1:{}/{path}", self.port)
    }

    fn spawn(&mut self) {
        let mut command = match self.app {
            App::Python => {
                let mut c = Command::new(downstreams().join("venv/bin/python"));
                c.arg(apps().join("app.py"));
                c
            }
            App::Node => {
                let mut c = Command::new("node");
                c.arg(apps().join("app.js"))
                    .env("NODE_PATH", downstreams().join("node/node_modules"));
                c
            }
        };
        let mut child = Guard(
            command
                .args(["--port", &self.port.to_string(), "--secret", &self.secret])
                .arg("--records")
                .arg(&self.records)
                .args(&self.extra)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("spawn the downstream app"),
        );
        let mut line = String::new();
        BufReader::new(child.0.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the downstream prints its port");
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line of the downstream: {line:?}"));
        self.port = port;
        self.child = Some(child);
    }

    /// Stops it (SIGKILL by its pid) and waits for the exit.
    pub(crate) fn stop(&mut self) {
        self.child = None;
    }

    /// Starts it again on the same port.
    pub(crate) fn restart(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // The port may linger a moment after the kill.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.spawn()));
            if result.is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the downstream did not restart on its port"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Every record so far.
pub(crate) fn records(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("bad record {line}: {e}")))
        .collect()
}

/// The ids the app accepted (verified and answered 2xx), with how many times each.
pub(crate) fn accepted(path: &Path) -> HashMap<String, usize> {
    let mut ids = HashMap::new();
    for record in records(path) {
        let ok = record["ok"] == true;
        let status = record["status"].as_u64().unwrap_or(0);
        if ok && (200..300).contains(&status) {
            *ids.entry(record["id"].as_str().unwrap_or_default().to_owned())
                .or_insert(0) += 1;
        }
    }
    ids
}

/// A running `ghl-webhook gateway`.
pub(crate) struct Gateway {
    child: Guard,
    /// `http://127.0.0.1:PORT` HighLevel posts to.
    pub url: String,
    /// `http://127.0.0.1:PORT` of the operations routes.
    pub ops: String,
    stderr: Lines,
}

/// The `ghl-webhook` binary.
pub(crate) fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ghl-webhook"))
}

impl Gateway {
    /// Starts `gateway --config CONFIG` with `env` and waits for its two addresses.
    pub(crate) fn start(config: &Path, env: &[(&str, &str)]) -> Self {
        let mut child = Guard(
            bin()
                .arg("gateway")
                .arg("--config")
                .arg(config)
                .envs(env.iter().copied())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn ghl-webhook gateway"),
        );
        let stderr = Lines::read(child.0.stderr.take().expect("stderr"));
        let mut gateway = Self {
            child,
            url: String::new(),
            ops: String::new(),
            stderr,
        };
        gateway.url = gateway.address("listening on http://");
        gateway.ops = gateway.address("ops on http://");
        gateway
    }

    fn address(&self, marker: &str) -> String {
        let address = self
            .stderr
            .address(marker, Duration::from_secs(30))
            .unwrap_or_else(|| panic!("the gateway never logged {marker:?}"));
        format!("http://{address}")
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.0.id()
    }

    /// SIGKILL, and wait.
    pub(crate) fn kill(mut self) {
        let _ = self.child.0.kill();
        let _ = self.child.0.wait();
    }

    /// SIGTERM with `kill`, and wait (bounded); the exit status and the rest of stderr.
    pub(crate) fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.0.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the gateway did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut rest = String::new();
        while let Some(line) = self.stderr.next(Duration::from_millis(500)) {
            rest.push_str(&line);
            rest.push('\n');
        }
        (status, rest)
    }

    /// `GET /readyz`: the status and the JSON.
    pub(crate) fn readiness(&self) -> (u16, Value) {
        let (status, body) = get(&format!("{}/readyz", self.ops));
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    /// `GET /metrics`.
    pub(crate) fn metrics(&self) -> String {
        get(&format!("{}/metrics", self.ops)).1
    }
}

/// A plain HTTP/1.0 GET: the status and the body.
pub(crate) fn get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Writes a gateway config into `dir` and returns its path. `extra` is appended (TOML).
pub(crate) fn config(dir: &Path, target: &str, secret: &str, extra: &str) -> PathBuf {
    let path = dir.join("gateway.toml");
    let text = format!(
        "listen = \"127.0.0.1:0\"\nops = \"127.0.0.1:0\"\njournal = \"{}\"\nhighlevel_keys = [\"test\"]\n\
         target = \"{target}\"\nsecrets = [\"{secret}\"]\nlog = \"json\"\n{extra}\n",
        dir.join("journal.db").display()
    );
    std::fs::write(&path, text).expect("write the config");
    path
}

/// One gateway test's parts: its folder, its app, and the gateway's settings forwarding to the
/// app's `hooks` path.
pub(crate) struct Rig {
    /// The test's scratch folder (the journal is `journal.db` in it).
    pub(crate) dir: PathBuf,
    /// The app, verifying with [`SECRET`].
    pub(crate) app: Downstream,
    /// The gateway's settings file.
    pub(crate) settings: PathBuf,
}

/// The parts of the gateway test `test`: the app `app` started with `app_args`, and settings
/// signing with `secret` plus the `extra` lines. `None` (skipped loudly, or a failure under
/// `CI`) without the downstream apps' libraries.
pub(crate) fn rig(
    test: &str,
    app: App,
    app_args: &[&str],
    secret: &str,
    extra: &str,
) -> Option<Rig> {
    if !available() {
        return None;
    }
    let dir = scratch(test);
    let records = match app {
        App::Python => "python.jsonl",
        App::Node => "node.jsonl",
    };
    let app = Downstream::start(app, SECRET, &dir.join(records), app_args);
    let settings = config(&dir, &app.url("hooks"), secret, extra);
    Some(Rig { dir, app, settings })
}

/// A scratch directory of its own for one test.
pub(crate) fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("gateway")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Waits (bounded) until `done` holds, polling.
#[track_caller]
pub(crate) fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A ContactCreate payload with this webhookId and a marker.
pub(crate) fn payload(id: &str, n: usize) -> Value {
    serde_json::json!({
        "type": "ContactCreate",
        "locationId": format!("loc-{}", n % 7),
        "id": format!("contact-{n}"),
        "email": format!("c{n}@example.com"),
        "webhookId": id,
        "timestamp": "2026-01-01T00:00:00.000Z",
    })
}
