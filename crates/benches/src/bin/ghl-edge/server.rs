//! The receiver under test, in a process of its own: the SDK's `WebhookService` for every
//! kind (bound by path), served by `serve_with` with the default limits. It prints
//! `listening on ADDR`, then `handled <sha256>` for every body a handler saw, and exits when
//! its stdin closes. Handlers fail for `webhookId`s starting with `fail-` (the soak's
//! handler failures).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::SocketAddr;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use ghl_webhook_router::serve::{ServeConfig, serve_with};
use ghl_webhook_router::types::Event;
use ghl_webhook_router::{Delivery, UnknownEvent, WebhookRouter};
use ghl_webhook_sim::TestKeys;
use tokio::net::TcpListener;

use crate::deliveries::digest;

/// The prefix of the `webhookId`s whose handler fails.
pub(crate) const FAIL_PREFIX: &str = "fail-";

/// Runs the receiver until stdin closes or `max_seconds` pass.
pub(crate) fn run(max_seconds: u64) -> Result<(), String> {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(max_seconds));
        eprintln!("ghl-edge server: --max-seconds reached, exiting");
        std::process::exit(3);
    });
    let (report, reports) = mpsc::channel::<Option<String>>();
    let writer = std::thread::spawn(move || {
        let mut out = std::io::BufWriter::new(std::io::stdout());
        loop {
            match reports.recv_timeout(Duration::from_millis(200)) {
                Ok(Some(line)) => {
                    let _ = writeln!(out, "{line}");
                }
                Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = out.flush();
                }
            }
        }
        let _ = out.flush();
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let served = runtime.block_on(serve(report.clone()));
    drop(runtime);
    let _ = report.send(None);
    let _ = writer.join();
    served
}

/// The handlers' state: where they report what they saw.
#[derive(Clone)]
struct Reporter(mpsc::Sender<Option<String>>);

impl Reporter {
    fn saw(&self, delivery: &Delivery) -> Result<(), String> {
        let _ = self
            .0
            .send(Some(format!("handled {}", digest(delivery.raw()))));
        match delivery.webhook_id() {
            Some(id) if id.starts_with(FAIL_PREFIX) => Err("a planned failure".to_owned()),
            _ => Ok(()),
        }
    }
}

async fn serve(report: mpsc::Sender<Option<String>>) -> Result<(), String> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|e| format!("cannot bind 127.0.0.1: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("no local address: {e}"))?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        let _ = stop.send(());
    });
    let service = WebhookRouter::with_state(Reporter(report))
        .verifier(TestKeys::primary().verifier())
        .on_any(|_: Event, delivery: Delivery, r: Reporter| async move { r.saw(&delivery) })
        .on_unknown(
            |_: UnknownEvent, delivery: Delivery, r: Reporter| async move { r.saw(&delivery) },
        )
        .into_service()
        .bind_by_path();
    println!("listening on {addr}");
    let signal = async move {
        let _ = stopped.await;
    };
    let config = ServeConfig::default().shutdown_grace(Duration::from_secs(5));
    serve_with(config, listener, service, signal)
        .await
        .map_err(|e| format!("the server failed: {e}"))
}

/// A receiver started by the drivers, with its stdout (the handled digests) and stderr
/// (panics, if any) read by threads.
pub(crate) struct Receiver {
    child: Child,
    /// The address it listens on.
    pub addr: SocketAddr,
    handled: std::thread::JoinHandle<Vec<String>>,
    stderr: std::thread::JoinHandle<String>,
}

/// What a receiver left behind once stopped.
pub(crate) struct Stopped {
    /// The digests of every body a handler saw, in order.
    pub handled: Vec<String>,
    /// Everything it wrote to stderr.
    pub stderr: String,
    /// Whether it was still running when asked to stop.
    pub was_alive: bool,
    /// Whether it then exited with status 0.
    pub exited_cleanly: bool,
}

impl Receiver {
    /// Starts `ghl-edge server` (this very executable) and waits for its address.
    pub(crate) fn start(max_seconds: u64) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("no current executable: {e}"))?;
        let mut child = Command::new(exe)
            .args(["server", "--max-seconds", &max_seconds.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the receiver: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let mut lines = BufReader::new(stdout);
        let mut first = String::new();
        lines
            .read_line(&mut first)
            .map_err(|e| format!("the receiver's stdout: {e}"))?;
        let addr: SocketAddr = first
            .trim()
            .strip_prefix("listening on ")
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| format!("the receiver said `{}`", first.trim()))?;
        let handled = std::thread::spawn(move || read_handled(lines));
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = BufReader::new(stderr).read_to_string(&mut text);
            text
        });
        Ok(Self {
            child,
            addr,
            handled,
            stderr,
        })
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Closes its stdin (it stops gracefully) and collects what it reported.
    pub(crate) fn stop(mut self) -> Stopped {
        let was_alive = matches!(self.child.try_wait(), Ok(None));
        drop(self.child.stdin.take());
        let mut exited_cleanly = false;
        for _ in 0..200 {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    exited_cleanly = status.success();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                Err(_) => break,
            }
        }
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        Stopped {
            handled: self.handled.join().unwrap_or_default(),
            stderr: self.stderr.join().unwrap_or_default(),
            was_alive,
            exited_cleanly,
        }
    }
}

fn read_handled(lines: BufReader<ChildStdout>) -> Vec<String> {
    lines
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| line.strip_prefix("handled ").map(str::to_owned))
        .collect()
}

/// `VmRSS` of process `pid`, KiB.
pub(crate) fn rss_kib(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    text.lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("{path}: no VmRSS line"))
}
