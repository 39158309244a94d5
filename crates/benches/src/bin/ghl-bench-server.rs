//! The servers of `cargo xtask bench`, one per process so that each one's CPU time and peak
//! memory can be read from `/proc/<pid>`.
//!
//! ```text
//! ghl-bench-server serve <a|bare|b|hand-written|c|sdk> [--threads N] [--dedupe-capacity N]
//!                        [--max-seconds S] [--exit-on-stdin-eof]
//! ghl-bench-server payloads [--count N]     one signed delivery per line (webhookId, signature, body)
//! ghl-bench-server pem                      the test public key (SPKI PEM) the servers trust
//! ghl-bench-server client-id                the clientId matching the payloads' appId (Node SDK peer)
//! ghl-bench-server store-footprint [--ids N] memory held by an InMemoryStore full of N ids
//! ```
//!
//! `serve` binds `127.0.0.1:0` and prints `listening on 127.0.0.1:PORT` once it accepts.
//! Every server uses the same accept loop and the same hyper HTTP/1.1 settings; only the
//! service differs.

use std::convert::Infallible;
use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use ghl_webhook_benches::baseline::{self, HandWritten};
use ghl_webhook_benches::payloads::{self, contact_create_deliveries};
use ghl_webhook_router::types::contact::ContactCreate;
use ghl_webhook_router::{Delivery, InMemoryStore, WebhookRouter};
use ghl_webhook_test_support::TestKeys;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const USAGE: &str = "usage:
  ghl-bench-server serve <a|bare|b|hand-written|c|sdk> [--threads N] [--dedupe-capacity N] [--max-seconds S] [--exit-on-stdin-eof]
  ghl-bench-server payloads [--count N]
  ghl-bench-server pem
  ghl-bench-server client-id
  ghl-bench-server store-footprint [--ids N]";

/// Which server to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Bare,
    HandWritten,
    Sdk,
}

#[derive(Debug)]
struct ServeOptions {
    which: Which,
    threads: usize,
    dedupe_capacity: usize,
    max_seconds: u64,
    exit_on_stdin_eof: bool,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => parse_serve(&args[1..]).and_then(serve),
        Some("payloads") => number_flag(&args[1..], "--count", 4096).and_then(print_payloads),
        Some("pem") => {
            print!("{}", TestKeys::primary().public_key_pem());
            Ok(())
        }
        Some("client-id") => {
            println!("{}", payloads::BENCH_CLIENT_ID);
            Ok(())
        }
        Some("store-footprint") => {
            number_flag(&args[1..], "--ids", 100_000).and_then(store_footprint)
        }
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ghl-bench-server: {message}");
            ExitCode::from(2)
        }
    }
}

/// Reads `--name N` from `args` (the only flag allowed), or `default`.
fn number_flag(args: &[String], name: &str, default: usize) -> Result<usize, String> {
    match args {
        [] => Ok(default),
        [flag, value] if flag == name => value
            .parse()
            .map_err(|_| format!("{name} needs a whole number, got `{value}`")),
        _ => Err(format!("unexpected arguments {args:?}\n{USAGE}")),
    }
}

fn parse_serve(args: &[String]) -> Result<ServeOptions, String> {
    let which = match args.first().map(String::as_str) {
        Some("a" | "bare") => Which::Bare,
        Some("b" | "hand-written") => Which::HandWritten,
        Some("c" | "sdk") => Which::Sdk,
        _ => return Err(format!("serve needs a server name\n{USAGE}")),
    };
    let mut options = ServeOptions {
        which,
        threads: 1,
        dedupe_capacity: 100_000,
        max_seconds: 900,
        exit_on_stdin_eof: false,
    };
    let mut rest = args[1..].iter();
    while let Some(flag) = rest.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            let text = rest.next().ok_or(format!("{name} needs a value"))?;
            text.parse()
                .map_err(|_| format!("{name} needs a whole number, got `{text}`"))
        };
        match flag.as_str() {
            "--threads" => options.threads = value("--threads")?.max(1) as usize,
            "--dedupe-capacity" => options.dedupe_capacity = value("--dedupe-capacity")? as usize,
            "--max-seconds" => options.max_seconds = value("--max-seconds")?,
            "--exit-on-stdin-eof" => options.exit_on_stdin_eof = true,
            other => return Err(format!("unknown flag `{other}`\n{USAGE}")),
        }
    }
    Ok(options)
}

fn serve(options: ServeOptions) -> Result<(), String> {
    // Never outlive the benchmark: a hard deadline, and (when asked) the parent's stdin closing.
    let max = Duration::from_secs(options.max_seconds);
    std::thread::spawn(move || {
        std::thread::sleep(max);
        eprintln!("ghl-bench-server: --max-seconds reached, exiting");
        std::process::exit(3);
    });
    if options.exit_on_stdin_eof {
        std::thread::spawn(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
            std::process::exit(0);
        });
    }
    let runtime = if options.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(options.threads)
            .enable_all()
            .build()
    }
    .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(run(options))
}

async fn run(options: ServeOptions) -> Result<(), String> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|e| format!("cannot bind 127.0.0.1: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("no local address: {e}"))?;
    let mut out = std::io::stdout();
    let _ = writeln!(out, "listening on {addr}");
    let _ = out.flush();

    match options.which {
        Which::Bare => {
            accept_loop(listener, || service_fn(baseline::bare)).await;
        }
        Which::HandWritten => {
            let receiver = Arc::new(
                HandWritten::from_pem(&TestKeys::primary().public_key_pem())
                    .map_err(|e| format!("the test key does not parse: {e}"))?,
            );
            accept_loop(listener, move || {
                let receiver = receiver.clone();
                service_fn(move |request| {
                    let receiver = receiver.clone();
                    async move { baseline::hand_written::<ContactCreate, _>(&receiver, request).await }
                })
            })
            .await;
        }
        Which::Sdk => {
            let service = WebhookRouter::new()
                .verifier(TestKeys::primary().verifier())
                .dedupe_in_memory(InMemoryStore::new(
                    options.dedupe_capacity,
                    Duration::from_secs(24 * 60 * 60),
                ))
                .on(|_event: ContactCreate, _delivery: Delivery| async {})
                .into_service();
            accept_loop(listener, move || service.clone()).await;
        }
    }
    Ok(())
}

/// Accepts forever, serving each connection with HTTP/1.1 (keep-alive) on its own task.
async fn accept_loop<F, S>(listener: TcpListener, make_service: F)
where
    F: Fn() -> S,
    S: hyper::service::Service<
            http::Request<hyper::body::Incoming>,
            Response = http::Response<http_body_util::Full<bytes::Bytes>>,
            Error = Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
{
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let connection =
            http1::Builder::new().serve_connection(TokioIo::new(stream), make_service());
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
}

fn print_payloads(count: usize) -> Result<(), String> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for payload in contact_create_deliveries(count) {
        writeln!(out, "{}", payload.to_line()).map_err(|e| format!("stdout: {e}"))?;
    }
    out.flush().map_err(|e| format!("stdout: {e}"))
}

/// Prints how much resident memory an `InMemoryStore::default()` holding `ids` completed
/// `webhookId`s takes (VmRSS before and after, KiB).
fn store_footprint(ids: usize) -> Result<(), String> {
    let names: Vec<String> = (0..ids).map(payloads::webhook_id).collect();
    let before = vm_rss_kib()?;
    let store = InMemoryStore::default();
    for id in &names {
        store.claim_now(id);
        store.complete_now(id);
    }
    let after = vm_rss_kib()?;
    println!(
        "InMemoryStore::default() holding {} ids of {} bytes: +{} KiB resident ({} bytes per id)",
        store.len(),
        names.first().map_or(0, String::len),
        after.saturating_sub(before),
        (after.saturating_sub(before) * 1024) / (store.len().max(1) as u64)
    );
    Ok(())
}

fn vm_rss_kib() -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("/proc/self/status: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS in /proc/self/status".to_owned())
}
