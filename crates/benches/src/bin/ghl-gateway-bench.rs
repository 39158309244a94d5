//! `ghl-gateway-bench`: the gateway beside the durable SDK in an app, end to end.
//!
//! ```text
//! ghl-gateway-bench run [--count N] [--connections C] [--max-seconds S] [--gateway PATH]
//! ghl-gateway-bench serve-sdk --journal PATH --notify HOST:PORT     (started by `run`)
//! ```
//!
//! `run` measures two targets, each its own process on 127.0.0.1 with a fresh SQLite journal
//! (`synchronous = FULL`, the default) and the same durable settings (16 handlers at once):
//!
//! - **gateway**: `ghl-webhook gateway` (the release binary beside this one, or `--gateway`),
//!   forwarding every delivery to a no-op app in this process (an HTTP/1.1 server answering
//!   204), signed as Standard Webhooks;
//! - **sdk**: `ghl-gateway-bench serve-sdk`, the router's durable mode in an app whose
//!   ContactCreate handler tells this process the `webhookId` (one line on a TCP connection).
//!
//! Each gets the same N distinct pre-signed ContactCreate deliveries over C keep-alive
//! connections (closed loop), bounded by N and by S seconds. Measured: acknowledged per second
//! (first request to last 200), forwarded per second (first request to last arrival at the
//! app), and p50/p99 of the acknowledgement and of the end-to-end delivery (request sent to
//! arrival at the app). Build it with `cargo build --release -p ghl-webhook-benches --bin
//! ghl-gateway-bench -p ghl-webhook-cli --bin ghl-webhook`.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Parser, Subcommand};
use ghl_webhook_benches::payloads::{SignedPayload, contact_create_deliveries};
use ghl_webhook_router::journal::SqliteJournal;
use ghl_webhook_router::types::contact::ContactCreate;
use ghl_webhook_router::{Delivery, DurableConfig, WebhookRouter};
use ghl_webhook_sim::TestKeys;
use ghl_webhook_testkit::child::Guard;
use ghl_webhook_testkit::lines::Lines;
use ghl_webhook_testkit::raw_http;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// The Standard Webhooks secret the gateway signs with (the no-op app does not verify).
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// Handlers (forwards) at once, in both targets.
const CONCURRENCY: usize = 16;

#[derive(Debug, Parser)]
#[command(name = "ghl-gateway-bench")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Measure both targets and print a markdown table.
    Run {
        /// Distinct deliveries per target.
        #[arg(long, default_value_t = 20_000)]
        count: usize,
        /// Keep-alive connections of the load.
        #[arg(long, default_value_t = 16)]
        connections: usize,
        /// Bound on each target's load, and again on its drain.
        #[arg(long, default_value_t = 60)]
        max_seconds: u64,
        /// The `ghl-webhook` binary (default: beside this one).
        #[arg(long)]
        gateway: Option<PathBuf>,
        /// Scratch folder for the journals.
        #[arg(long, default_value = "target/ghl-gateway-bench")]
        dir: PathBuf,
    },
    /// The durable SDK in an app (started by `run`).
    ServeSdk {
        /// The SQLite journal.
        #[arg(long)]
        journal: PathBuf,
        /// Where to tell each handled `webhookId`.
        #[arg(long)]
        notify: SocketAddr,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("ghl-gateway-bench: cannot start a runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Cmd::Run {
            count,
            connections,
            max_seconds,
            gateway,
            dir,
        } => runtime.block_on(run(
            count,
            connections,
            Duration::from_secs(max_seconds),
            gateway,
            &dir,
        )),
        Cmd::ServeSdk { journal, notify } => runtime.block_on(serve_sdk(&journal, notify)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ghl-gateway-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The durable SDK with a ContactCreate handler that tells `notify` each `webhookId`.
async fn serve_sdk(journal: &Path, notify: SocketAddr) -> Result<(), String> {
    let stream = TcpStream::connect(notify)
        .await
        .map_err(|e| format!("notify {notify}: {e}"))?;
    let (lines, mut pending) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        let mut stream = tokio::io::BufWriter::new(stream);
        let mut batch = Vec::new();
        while pending.recv_many(&mut batch, 256).await > 0 {
            for line in batch.drain(..) {
                let _ = stream.write_all(line.as_bytes()).await;
            }
            let _ = stream.flush().await;
        }
    });
    let journal = SqliteJournal::open(journal).map_err(|e| e.to_string())?;
    let service = WebhookRouter::new()
        .verifier(TestKeys::primary().verifier())
        .on(move |_: ContactCreate, delivery: Delivery| {
            let lines = lines.clone();
            async move {
                let _ = lines.send(format!("{}\n", delivery.webhook_id().unwrap_or_default()));
            }
        })
        .durable(journal, DurableConfig::default().concurrency(CONCURRENCY))
        .into_service();
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on {addr}");
    ghl_webhook_router::serve::serve(
        listener,
        service,
        std::future::pending(),
        Duration::from_secs(1),
    )
    .await
    .map_err(|e| e.to_string())
}

/// When each delivery was sent, acknowledged and seen by the app (by index).
struct Times {
    start: Instant,
    sent: Vec<Mutex<Option<Instant>>>,
    acked: Vec<Mutex<Option<Instant>>>,
    arrived: Vec<Mutex<Option<Instant>>>,
    index: HashMap<String, usize>,
    arrivals: AtomicUsize,
}

impl Times {
    fn new(payloads: &[SignedPayload]) -> Self {
        let slots = || (0..payloads.len()).map(|_| Mutex::new(None)).collect();
        Self {
            start: Instant::now(),
            sent: slots(),
            acked: slots(),
            arrived: slots(),
            index: payloads
                .iter()
                .enumerate()
                .map(|(i, p)| (p.webhook_id.clone(), i))
                .collect(),
            arrivals: AtomicUsize::new(0),
        }
    }

    fn set(slot: &Mutex<Option<Instant>>, at: Instant) -> bool {
        let mut slot = slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let first = slot.is_none();
        if first {
            *slot = Some(at);
        }
        first
    }

    fn arrived(&self, id: &str) {
        if let Some(&i) = self.index.get(id)
            && Self::set(&self.arrived[i], Instant::now())
        {
            self.arrivals.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Binds a loopback port and serves each connection with `serve`, on a task of its own.
async fn accept_each<F, Fut>(serve: F) -> Result<SocketAddr, String>
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream));
        }
    });
    Ok(addr)
}

/// The no-op app the gateway forwards to: 204 for everything, the arrival recorded.
async fn noop_app(times: Arc<Times>) -> Result<SocketAddr, String> {
    accept_each(move |stream| {
        let times = Arc::clone(&times);
        async move {
            let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                let times = Arc::clone(&times);
                async move {
                    let id = request
                        .headers()
                        .get("webhook-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let _ = request.into_body().collect().await;
                    times.arrived(&id);
                    let mut response = http::Response::new(Full::new(Bytes::new()));
                    *response.status_mut() = http::StatusCode::NO_CONTENT;
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        }
    })
    .await
}

/// The line listener of the SDK app's handler.
async fn notify_listener(times: Arc<Times>) -> Result<SocketAddr, String> {
    accept_each(move |stream| {
        let times = Arc::clone(&times);
        async move {
            let mut reader = tokio::io::BufReader::new(stream);
            let mut line = String::new();
            while tokio::io::AsyncBufReadExt::read_line(&mut reader, &mut line)
                .await
                .is_ok_and(|n| n > 0)
            {
                times.arrived(line.trim());
                line.clear();
            }
        }
    })
    .await
}

/// Starts `command` and reads its address from the first line of stdout or stderr that says
/// `listening on` (bounded).
fn start(mut command: Command, stderr: bool) -> Result<(Guard, SocketAddr), String> {
    command.stdin(Stdio::null());
    if stderr {
        command.stdout(Stdio::null()).stderr(Stdio::piped());
    } else {
        command.stdout(Stdio::piped()).stderr(Stdio::inherit());
    }
    let mut child = Guard(
        command
            .spawn()
            .map_err(|e| format!("cannot start {command:?}: {e}"))?,
    );
    let pipe: Box<dyn std::io::Read + Send> = if stderr {
        Box::new(child.0.stderr.take().ok_or("no stderr")?)
    } else {
        Box::new(child.0.stdout.take().ok_or("no stdout")?)
    };
    // Read to the end (a closed pipe would stop the target at its next line).
    let lines = Lines::read(pipe);
    let addr = lines
        .address("listening on ", Duration::from_secs(30))
        .ok_or("the target never printed its address")?;
    Ok((child, addr))
}

/// Sends every payload once over `connections` keep-alive connections (closed loop), until
/// done or `limit`.
async fn load(
    addr: SocketAddr,
    payloads: Arc<Vec<SignedPayload>>,
    times: Arc<Times>,
    connections: usize,
    limit: Duration,
) -> usize {
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + limit;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (payloads, times, next) =
            (Arc::clone(&payloads), Arc::clone(&times), Arc::clone(&next));
        tasks.spawn(async move {
            let mut errors = 0;
            let Ok(mut stream) = TcpStream::connect(addr).await else {
                return 1;
            };
            let _ = stream.set_nodelay(true);
            let mut buffer = Vec::with_capacity(8192);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= payloads.len() || Instant::now() >= deadline {
                    return errors;
                }
                let p = &payloads[i];
                let mut request = format!(
                    "POST / HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nX-GHL-Signature: {}\r\nContent-Length: {}\r\n\r\n",
                    p.signature,
                    p.body.len()
                )
                .into_bytes();
                request.extend_from_slice(&p.body);
                Times::set(&times.sent[i], Instant::now());
                if stream.write_all(&request).await.is_err() {
                    return errors + 1;
                }
                match raw_http::read(&mut stream, &mut buffer).await {
                    Ok(response) if response.status == 200 => {
                        Times::set(&times.acked[i], Instant::now());
                    }
                    Ok(_) => errors += 1,
                    Err(_) => return errors + 1,
                }
            }
        });
    }
    let mut errors = 0;
    while let Some(done) = tasks.join_next().await {
        errors += done.unwrap_or(1);
    }
    errors
}

/// One target's figures.
#[derive(Debug)]
struct Figures {
    name: &'static str,
    acked: usize,
    arrived: usize,
    errors: usize,
    acked_per_s: f64,
    forwarded_per_s: f64,
    ack_p50: Duration,
    ack_p99: Duration,
    e2e_p50: Duration,
    e2e_p99: Duration,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn figures(name: &'static str, times: &Times, errors: usize) -> Figures {
    let get = |slots: &[Mutex<Option<Instant>>], i: usize| {
        *slots[i]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    let n = times.sent.len();
    let mut acks = Vec::new();
    let mut e2e = Vec::new();
    let (mut first, mut last_ack, mut last_arrival) = (None::<Instant>, times.start, times.start);
    for i in 0..n {
        let Some(sent) = get(&times.sent, i) else {
            continue;
        };
        first = Some(first.map_or(sent, |f| f.min(sent)));
        if let Some(acked) = get(&times.acked, i) {
            acks.push(acked - sent);
            last_ack = last_ack.max(acked);
        }
        if let Some(arrived) = get(&times.arrived, i) {
            e2e.push(arrived.saturating_duration_since(sent));
            last_arrival = last_arrival.max(arrived);
        }
    }
    acks.sort();
    e2e.sort();
    let first = first.unwrap_or(times.start);
    let per_s = |count: usize, last: Instant| {
        count as f64
            / last
                .saturating_duration_since(first)
                .as_secs_f64()
                .max(1e-9)
    };
    Figures {
        name,
        acked: acks.len(),
        arrived: e2e.len(),
        errors,
        acked_per_s: per_s(acks.len(), last_ack),
        forwarded_per_s: per_s(e2e.len(), last_arrival),
        ack_p50: percentile(&acks, 50.0),
        ack_p99: percentile(&acks, 99.0),
        e2e_p50: percentile(&e2e, 50.0),
        e2e_p99: percentile(&e2e, 99.0),
    }
}

/// Loads the target at `addr` and waits (bounded) for every acknowledged delivery to arrive.
async fn measure(
    name: &'static str,
    addr: SocketAddr,
    payloads: &Arc<Vec<SignedPayload>>,
    times: &Arc<Times>,
    connections: usize,
    limit: Duration,
) -> Figures {
    let errors = load(
        addr,
        Arc::clone(payloads),
        Arc::clone(times),
        connections,
        limit,
    )
    .await;
    let acked = times
        .acked
        .iter()
        .filter(|s| s.lock().map(|s| s.is_some()).unwrap_or(false))
        .count();
    let deadline = Instant::now() + limit;
    while times.arrivals.load(Ordering::Relaxed) < acked && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    figures(name, times, errors)
}

async fn run(
    count: usize,
    connections: usize,
    limit: Duration,
    gateway: Option<PathBuf>,
    dir: &Path,
) -> Result<(), String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let gateway = gateway.unwrap_or_else(|| me.with_file_name("ghl-webhook"));
    if !gateway.exists() {
        return Err(format!(
            "no gateway binary at {}: build ghl-webhook-cli in release, or pass --gateway",
            gateway.display()
        ));
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let payloads = Arc::new(contact_create_deliveries(count));
    let mut results = Vec::new();

    // The gateway, forwarding to the no-op app.
    let times = Arc::new(Times::new(&payloads));
    let app = noop_app(Arc::clone(&times)).await?;
    let mut command = Command::new(&gateway);
    command
        .arg("gateway")
        .env("GHL_GATEWAY_LISTEN", "127.0.0.1:0")
        .env("GHL_GATEWAY_OPS", "127.0.0.1:0")
        .env("GHL_GATEWAY_JOURNAL", dir.join("gateway.db"))
        .env("GHL_GATEWAY_HIGHLEVEL_KEYS", "test")
        .env("GHL_GATEWAY_TARGET", format!("http://{app}/hooks"))
        .env("GHL_GATEWAY_SECRETS", SECRET)
        .env("GHL_GATEWAY_CONCURRENCY", CONCURRENCY.to_string());
    let (child, addr) = start(command, true)?;
    results.push(
        measure(
            "gateway (ghl-webhook gateway → no-op app over HTTP)",
            addr,
            &payloads,
            &times,
            connections,
            limit,
        )
        .await,
    );
    drop(child);

    // The durable SDK in an app.
    let times = Arc::new(Times::new(&payloads));
    let notify = notify_listener(Arc::clone(&times)).await?;
    let mut command = Command::new(&me);
    command
        .arg("serve-sdk")
        .arg("--journal")
        .arg(dir.join("sdk.db"))
        .arg("--notify")
        .arg(notify.to_string());
    let (child, addr) = start(command, false)?;
    results.push(
        measure(
            "durable SDK in an app (handler in process)",
            addr,
            &payloads,
            &times,
            connections,
            limit,
        )
        .await,
    );
    drop(child);
    let _ = std::fs::remove_dir_all(dir);

    let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1e3);
    println!(
        "{count} ContactCreate deliveries, {connections} connections, SQLite journal (synchronous = FULL), {CONCURRENCY} handlers\n"
    );
    println!(
        "| target | acked | arrived | errors | acked/s | forwarded/s | ack p50 ms | ack p99 ms | e2e p50 ms | e2e p99 ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for f in &results {
        println!(
            "| {} | {} | {} | {} | {:.0} | {:.0} | {} | {} | {} | {} |",
            f.name,
            f.acked,
            f.arrived,
            f.errors,
            f.acked_per_s,
            f.forwarded_per_s,
            ms(f.ack_p50),
            ms(f.ack_p99),
            ms(f.e2e_p50),
            ms(f.e2e_p99)
        );
    }
    if let [gateway, sdk] = &results[..] {
        println!(
            "\ngateway / SDK: acknowledged per second {:.2}×, forwarded per second {:.2}×",
            gateway.acked_per_s / sdk.acked_per_s.max(1e-9),
            gateway.forwarded_per_s / sdk.forwarded_per_s.max(1e-9)
        );
    }
    Ok(())
}
