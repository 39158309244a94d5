//! Running the real `ghl-webhook` binary: one-shot commands, and `listen` as a guarded child
//! process that is always killed, even when a test fails.
#![allow(dead_code)] // each test binary uses a part of this

use std::io::Write;

use ghl_webhook_testkit::lines::Lines;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long any one wait in these tests may take before the test fails.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// The binary under test.
pub(crate) fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ghl-webhook"))
}

/// A finished command: exit code, stdout, stderr.
#[derive(Debug)]
pub(crate) struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub(crate) fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "unexpected exit code; {self:#?}");
        self
    }

    /// Asserts that stderr mentions `text`.
    #[track_caller]
    pub(crate) fn expect_stderr(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}; {self:#?}"
        );
        self
    }

    /// Asserts that stdout mentions `text`.
    #[track_caller]
    pub(crate) fn expect_stdout(&self, text: &str) -> &Self {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}; {self:#?}"
        );
        self
    }
}

/// Runs the binary with `args` and `stdin` (none: an empty stdin) to completion (bounded).
pub(crate) fn run(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Guard(
        bin()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ghl-webhook"),
    );
    let stdout = collect(child.0.stdout.take().expect("stdout"));
    let stderr = collect(child.0.stderr.take().expect("stderr"));
    // The command may exit before reading (e.g. on a bad key): a broken pipe is ignored.
    // Dropping the pipe closes stdin.
    if let (Some(mut pipe), Some(bytes)) = (child.0.stdin.take(), stdin) {
        let _ = pipe.write_all(bytes);
    }
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("try_wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "ghl-webhook {args:?} did not finish"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        code: status.code(),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// Reads a pipe to its end on a thread of its own (so a full pipe never blocks the child).
fn collect(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

pub(crate) use ghl_webhook_testkit::child::Guard;

/// The checked-in test keys: `crates/sim/keys/<name>`.
pub(crate) fn test_key(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../sim/keys")
        .join(name);
    assert!(path.exists(), "{}", path.display());
    path.to_string_lossy().into_owned()
}

/// A scratch directory of its own for one test.
pub(crate) fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("ghl-webhook-cli")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Writes `contents` to `dir/name` and returns the path.
pub(crate) fn write(dir: &std::path::Path, name: &str, contents: impl AsRef<[u8]>) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write scratch file");
    path.to_string_lossy().into_owned()
}

/// A port nothing listens on (bound, then released).
pub(crate) fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A running `ghl-webhook listen`, killed when dropped.
pub(crate) struct Listener {
    child: Guard,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    stdout: Lines,
    stderr: Lines,
}

impl Listener {
    /// Starts `listen --addr 127.0.0.1:0` with `args` and waits for its address (first stderr
    /// line).
    pub(crate) fn start(args: &[&str]) -> Listener {
        let mut child = Guard(
            bin()
                .args(["listen", "--addr", "127.0.0.1:0"])
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn ghl-webhook listen"),
        );
        let stdout = Lines::read(child.0.stdout.take().expect("stdout"));
        let stderr = Lines::read(child.0.stderr.take().expect("stderr"));
        let mut listener = Listener {
            child,
            url: String::new(),
            stdout,
            stderr,
        };
        let first = listener
            .stderr
            .next(WAIT)
            .expect("listen printed nothing on stderr");
        let addr = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {first}"));
        listener.url = addr.to_owned();
        listener
    }

    /// The next line on stderr that starts with `prefix` (the notes after the first line,
    /// e.g. `metrics on ...`), with the prefix removed.
    #[track_caller]
    pub(crate) fn note(&self, prefix: &str) -> String {
        self.stderr
            .after(prefix, WAIT)
            .unwrap_or_else(|| panic!("no line starting with {prefix:?} on stderr"))
    }

    /// The next delivery line on stdout.
    #[track_caller]
    pub(crate) fn next_line(&self) -> String {
        self.stdout.next(WAIT).expect("no delivery line on stdout")
    }

    /// The next `n` delivery lines, sorted (for lines whose order is not defined).
    #[track_caller]
    pub(crate) fn next_lines_sorted(&self, n: usize) -> Vec<String> {
        let mut lines: Vec<String> = (0..n).map(|_| self.next_line()).collect();
        lines.sort();
        lines
    }

    /// Asserts that no delivery line comes within `quiet`.
    #[track_caller]
    pub(crate) fn expect_no_line_within(&self, quiet: Duration) {
        if let Some(line) = self.stdout.next(quiet) {
            panic!("unexpected line on stdout: {line}");
        }
    }

    /// The next delivery line, parsed as JSON (`--json`).
    #[track_caller]
    pub(crate) fn next_json(&self) -> serde_json::Value {
        let line = self.next_line();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.0.id()
    }

    /// Sends SIGTERM with `kill` and waits (bounded) for the exit; returns the status, how long
    /// it took and the rest of stderr.
    pub(crate) fn terminate(mut self) -> (ExitStatus, Duration, String) {
        let started = Instant::now();
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        let status = loop {
            if let Some(status) = self.child.0.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                started.elapsed() < WAIT,
                "listen did not stop within {WAIT:?} of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        let took = started.elapsed();
        let mut rest = String::new();
        while let Some(line) = self.stderr.next(Duration::from_secs(2)) {
            rest.push_str(&line);
            rest.push('\n');
        }
        (status, took, rest)
    }
}

/// `ghl-webhook trigger EVENT --to URL ARGS...`.
pub(crate) fn trigger(event: &str, url: &str, args: &[&str]) -> Run {
    let mut all = vec!["trigger", event, "--to", url, "--timeout", "15"];
    all.extend_from_slice(args);
    run(&all, None)
}

/// Makes `key` a dead letter of `journal` through the router's API (no receiver runs): an
/// event this SDK does not know, so that once replayed `listen` handles it as unknown.
pub(crate) async fn dead_letter_unknown(
    journal: &dyn ghl_webhook_router::journal::Journal,
    key: &str,
) {
    use ghl_webhook_router::journal::NewEntry;

    let entry = NewEntry {
        type_field: Some("SomethingNew".into()),
        ..NewEntry::new(
            key,
            format!(r#"{{"type":"SomethingNew","webhookId":"{key}"}}"#),
            ghl_webhook_router::VerifiedBy::Ed25519("test".into()),
        )
    };
    journal.append(entry).await.expect("append");
    let leased = journal
        .lease(100, std::time::Duration::from_secs(60))
        .await
        .expect("lease");
    assert_eq!(
        leased.len(),
        1,
        "no receiver runs, so only {key} is pending"
    );
    journal.dead(&leased[0].token, "why").await.expect("dead");
}
