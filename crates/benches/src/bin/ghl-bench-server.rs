//! The servers of `ghl-bench` (the end-to-end benchmark), one per process so that each one's
//! CPU time and peak memory can be read from `/proc/<pid>`.
//!
//! ```text
//! ghl-bench-server serve <a|bare|b|hand-written|c|sdk|f|sdk-batch|e|durable|g|h|i> [--threads N]
//!                        [--dedupe-capacity N] [--journal PATH] [--redis URL] [--postgres URL]
//!                        [--max-seconds S] [--exit-on-stdin-eof]
//! ghl-bench-server payloads [--count N]     one signed delivery per line (webhookId, signature, body)
//! ghl-bench-server pem                      the test public key (SPKI PEM) the servers trust
//! ghl-bench-server client-id                the clientId matching the payloads' appId (Node SDK peer)
//! ghl-bench-server store-footprint [--ids N] memory of an InMemoryStore::default() over N distinct claims
//! ghl-bench-server batch-curve [--max N] [--millis MS]  Ed25519 batch verification cost, n = 1..N
//! ```
//!
//! `serve` binds `127.0.0.1:0` and prints `listening on 127.0.0.1:PORT` once it accepts.
//! Every server uses the same accept loop and the same hyper HTTP/1.1 settings; only the
//! service differs.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::convert::Infallible;
use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ghl_webhook_benches::baseline::{self, HandWritten};
use ghl_webhook_benches::payloads::{self, contact_create_deliveries};
use ghl_webhook_benches::servers::Server;
use ghl_webhook_router::journal::{
    Journal, PostgresConfig, PostgresJournal, RedisJournal, RedisJournalConfig, SqliteJournal,
};
use ghl_webhook_router::types::contact::ContactCreate;
use ghl_webhook_router::{Delivery, DurableConfig, InMemoryStore, WebhookRouter};
use ghl_webhook_sim::TestKeys;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The servers of the end-to-end benchmark (`ghl-bench` starts and loads them).
#[derive(Debug, Parser)]
#[command(name = "ghl-bench-server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve on 127.0.0.1:0; prints `listening on ADDR` once it accepts.
    Serve(ServeOptions),
    /// One signed delivery per line: webhookId, signature, body (tab-separated).
    Payloads {
        /// How many distinct deliveries.
        #[arg(long, value_name = "N", default_value_t = 4096)]
        count: usize,
    },
    /// The test public key (SPKI PEM) the servers trust.
    Pem,
    /// The clientId matching the payloads' appId (Node SDK peer).
    ClientId,
    /// A journal's bytes per delivery pending, done with its body and done with only its key,
    /// on SQLite and on Postgres (a cluster of its own under DIR, when PostgreSQL's server
    /// programs are installed): a markdown table.
    JournalFootprint {
        /// How many ContactCreate deliveries.
        #[arg(long, value_name = "N", default_value_t = 20_000)]
        entries: usize,
        /// A scratch folder for the journals (on the disk to measure).
        #[arg(
            long,
            value_name = "DIR",
            default_value = "target/ghl-bench-journal/footprint"
        )]
        dir: std::path::PathBuf,
    },
    /// Memory of an `InMemoryStore::default()` while N distinct ids are claimed in it.
    StoreFootprint {
        /// How many distinct ids.
        #[arg(long, value_name = "N", default_value_t = 450_000)]
        ids: usize,
    },
    /// The cost of Ed25519 batch verification of n signatures against n single
    /// `verify_strict` calls, for n = 1..=max (a markdown table).
    BatchCurve {
        /// The largest batch.
        #[arg(long, value_name = "N", default_value_t = 64)]
        max: usize,
        /// Measuring time per batch size, milliseconds (the best of 20 slices is kept).
        #[arg(long, value_name = "MS", default_value_t = 200)]
        millis: u64,
    },
}

/// `serve`'s arguments.
#[derive(Debug, Args)]
struct ServeOptions {
    /// Which server (the Node SDK peer is not one of these: `ghl-bench` runs it with node).
    #[arg(value_name = "SERVER", value_parser = Server::parser(&Server::RUST))]
    which: Server,
    /// Worker threads (1: a current-thread runtime).
    #[arg(long, value_name = "N", default_value_t = 1)]
    threads: u64,
    /// Ids the SDK's in-memory dedupe store holds.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    dedupe_capacity: usize,
    /// Exit after this many seconds whatever happens.
    #[arg(long, value_name = "S", default_value_t = 900)]
    max_seconds: u64,
    /// The journal of (e), created afresh (any file there is removed first).
    #[arg(long, value_name = "PATH")]
    journal: Option<std::path::PathBuf>,
    /// The Redis of (g) and (h) (`redis://127.0.0.1:PORT/0`), empty: its journal is made
    /// under the prefix `ghl-bench:`.
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
    /// The Postgres of (i) (`postgres://USER@127.0.0.1:PORT/DATABASE`): its journal is made
    /// in the schema `bench` with the default `PostgresConfig` otherwise.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
    /// The durable servers' retention of done entries, ms (default the SDK's).
    #[arg(long, value_name = "MS")]
    retention_ms: Option<u64>,
    /// The durable servers' body retention, ms (default the SDK's).
    #[arg(long, value_name = "MS")]
    body_retention_ms: Option<u64>,
    /// Exit when stdin closes (the parent is gone).
    #[arg(long)]
    exit_on_stdin_eof: bool,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    let result = match cli.command {
        Command::Serve(options) => serve(options),
        Command::Payloads { count } => print_payloads(count),
        Command::Pem => {
            print!("{}", TestKeys::primary().public_key_pem());
            Ok(())
        }
        Command::ClientId => {
            println!("{}", payloads::BENCH_CLIENT_ID);
            Ok(())
        }
        Command::StoreFootprint { ids } => store_footprint(ids),
        Command::JournalFootprint { entries, dir } => journal_footprint(entries.max(1), &dir),
        Command::BatchCurve { max, millis } => {
            batch_curve(max.max(1), Duration::from_millis(millis.max(5)));
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ghl-bench-server: {message}");
            ExitCode::from(2)
        }
    }
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
    let threads = options.threads.max(1) as usize;
    let runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
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
        Server::Bare => {
            accept_loop(listener, || service_fn(baseline::bare)).await;
        }
        Server::HandWritten => {
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
        Server::Sdk | Server::SdkBatch => {
            let service = WebhookRouter::new()
                .verifier(TestKeys::primary().verifier())
                .batch_verification(options.which == Server::SdkBatch)
                .dedupe_in_memory(InMemoryStore::new(
                    options.dedupe_capacity,
                    Duration::from_secs(24 * 60 * 60),
                ))
                .on(|_event: ContactCreate, _delivery: Delivery| async {})
                .into_service();
            accept_loop(listener, move || {
                let service = service.clone();
                service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let service = service.clone();
                    async move {
                        if request.uri().path() == BATCH_STATS_PATH {
                            Ok::<_, Infallible>(batch_stats(&service))
                        } else {
                            Ok(service.handle(request).await)
                        }
                    }
                })
            })
            .await;
        }
        Server::Durable | Server::RedisAlways | Server::RedisEverysec | Server::Postgres => {
            let journal: Arc<BenchJournal> = if options.which == Server::Postgres {
                let url = options
                    .postgres
                    .as_deref()
                    .ok_or("(i) needs --postgres URL")?;
                let journal = PostgresJournal::connect(
                    url,
                    PostgresConfig::default().schema(POSTGRES_SCHEMA),
                )
                .await
                .map_err(|e| e.to_string())?;
                Arc::new(BenchJournal::Postgres(Arc::new(journal)))
            } else if options.which == Server::Durable {
                let path = options.journal.clone().unwrap_or_else(|| {
                    std::env::temp_dir()
                        .join(format!("ghl-bench-journal-{}.sqlite", std::process::id()))
                });
                for file in journal_files(&path) {
                    let _ = std::fs::remove_file(file);
                }
                Arc::new(BenchJournal::Sqlite(Arc::new(
                    SqliteJournal::open(&path).map_err(|e| format!("{}: {e}", path.display()))?,
                )))
            } else {
                let url = options
                    .redis
                    .as_deref()
                    .ok_or("(g) and (h) need --redis URL")?;
                let journal =
                    RedisJournal::open(url, RedisJournalConfig::default().key_prefix("ghl-bench:"))
                        .map_err(|e| e.to_string())?;
                journal.check().await.map_err(|e| e.to_string())?;
                Arc::new(BenchJournal::Redis(Arc::new(journal)))
            };
            let service = WebhookRouter::new()
                .verifier(TestKeys::primary().verifier())
                .dedupe_in_memory(InMemoryStore::new(
                    options.dedupe_capacity,
                    Duration::from_secs(24 * 60 * 60),
                ))
                .on(|_event: ContactCreate, _delivery: Delivery| async {})
                .durable(journal.shared(), durable_config(&options))
                .into_service();
            // As `serve::serve` does: the workers beside the server, on the same runtime.
            if let Some(workers) = service.workers() {
                tokio::spawn(workers.run(std::future::pending()));
            }
            accept_loop(listener, move || {
                let service = service.clone();
                let journal = journal.clone();
                service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let service = service.clone();
                    let journal = journal.clone();
                    async move {
                        if request.uri().path() == STATS_PATH {
                            Ok::<_, Infallible>(journal_stats(&journal).await)
                        } else {
                            Ok(service.handle(request).await)
                        }
                    }
                })
            })
            .await;
        }
        // Refused by `serve`'s parser already: `ghl-bench` runs the Node SDK with node.
        Server::Node => return Err(format!("{} is not served here", Server::Node.label())),
    }
    Ok(())
}

/// `DurableConfig::default()` with the retentions given on the command line.
fn durable_config(options: &ServeOptions) -> DurableConfig {
    let mut config = DurableConfig::default();
    if let Some(ms) = options.retention_ms {
        config = config.retention(Duration::from_millis(ms));
    }
    if let Some(ms) = options.body_retention_ms {
        config = config.body_retention(Duration::from_millis(ms));
    }
    config
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

/// Where (c) and (f) answer their batch verification figures (one JSON line).
const BATCH_STATS_PATH: &str = "/_bench/batch";

/// `{"signatures":..,"direct":..,"alone":..,"yields":..,"batches":..,"batched":..,"failed_batches":..,
/// "largest":..,"rejected":..}`, all zero without batch verification.
fn batch_stats(
    service: &ghl_webhook_router::WebhookService,
) -> http::Response<http_body_util::Full<bytes::Bytes>> {
    let s = service.batch_stats().unwrap_or_default();
    let body = format!(
        "{{\"signatures\":{},\"direct\":{},\"alone\":{},\"yields\":{},\"batches\":{},\"batched\":{},\"failed_batches\":{},\"largest\":{},\"rejected\":{}}}",
        s.signatures,
        s.direct,
        s.alone,
        s.yields,
        s.batches,
        s.batched,
        s.failed_batches,
        s.largest,
        s.rejected
    );
    http::Response::new(http_body_util::Full::new(bytes::Bytes::from(body)))
}

/// Where (e) answers its journal's figures (one JSON line), for `ghl-bench` between phases.
const STATS_PATH: &str = "/_bench/journal";

/// The journal's file and its WAL and shared-memory files.
fn journal_files(path: &std::path::Path) -> [std::path::PathBuf; 3] {
    let with = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        std::path::PathBuf::from(name)
    };
    [path.to_path_buf(), with("-wal"), with("-shm")]
}

/// The schema of (i)'s journal tables.
const POSTGRES_SCHEMA: &str = "bench";

/// The journal of a durable server: (e)'s SQLite file, (g)/(h)'s Redis or (i)'s Postgres.
enum BenchJournal {
    Sqlite(Arc<SqliteJournal>),
    Redis(Arc<RedisJournal>),
    Postgres(Arc<PostgresJournal>),
}

impl BenchJournal {
    fn journal(&self) -> &dyn Journal {
        match self {
            Self::Sqlite(journal) => &**journal,
            Self::Redis(journal) => &**journal,
            Self::Postgres(journal) => &**journal,
        }
    }

    /// The same journal, for the router.
    fn shared(&self) -> Arc<dyn Journal> {
        match self {
            Self::Sqlite(journal) => journal.clone(),
            Self::Redis(journal) => journal.clone(),
            Self::Postgres(journal) => journal.clone(),
        }
    }
}

/// `{"pending":..,"in_progress":..,"done":..,"dead":..,"commits":..,"bytes":..}`; bytes are
/// the file plus its `-wal` for SQLite, the entries table with its indexes and TOAST for
/// Postgres (`pg_total_relation_size`, the WAL not included), 0 for Redis; commits are
/// counted for SQLite only (0 otherwise).
async fn journal_stats(
    journal: &BenchJournal,
) -> http::Response<http_body_util::Full<bytes::Bytes>> {
    let (commits, bytes) = match journal {
        BenchJournal::Sqlite(sqlite) => {
            let [file, wal, _] = journal_files(sqlite.path());
            let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
            (sqlite.commits(), size(&file) + size(&wal))
        }
        BenchJournal::Redis(_) => (0, 0),
        BenchJournal::Postgres(postgres) => {
            let size: Result<i64, _> = sqlx::query_scalar(
                "SELECT pg_total_relation_size(format('%I.entries', $1::text)::regclass)",
            )
            .bind(POSTGRES_SCHEMA)
            .fetch_one(postgres.pool())
            .await;
            match size {
                Ok(size) => (0, u64::try_from(size).unwrap_or(0)),
                Err(e) => {
                    let body = format!("{{\"error\":\"table size: {e}\"}}");
                    return http::Response::new(http_body_util::Full::new(bytes::Bytes::from(
                        body,
                    )));
                }
            }
        }
    };
    let body = match journal.journal().stats().await {
        Ok(s) => format!(
            "{{\"pending\":{},\"in_progress\":{},\"done\":{},\"dead\":{},\"commits\":{commits},\"bytes\":{bytes}}}",
            s.pending, s.in_progress, s.done, s.dead,
        ),
        Err(e) => format!("{{\"error\":\"{e}\"}}"),
    };
    http::Response::new(http_body_util::Full::new(bytes::Bytes::from(body)))
}

fn print_payloads(count: usize) -> Result<(), String> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for payload in contact_create_deliveries(count) {
        writeln!(out, "{}", payload.to_line()).map_err(|e| format!("stdout: {e}"))?;
    }
    out.flush().map_err(|e| format!("stdout: {e}"))
}

/// Prints how much resident memory an `InMemoryStore::default()` takes while `ids` distinct
/// `webhookId`s are claimed and completed in it, one after another (VmRSS over the start,
/// every 50 000 claims, KiB): several times its capacity is churn, the oldest evicted.
fn store_footprint(ids: usize) -> Result<(), String> {
    let names: Vec<String> = (0..ids).map(payloads::webhook_id).collect();
    let before = vm_rss_kib()?;
    let store = InMemoryStore::default();
    println!(
        "InMemoryStore::default(): capacity {}, {} bytes allocated ({} per id)",
        store.capacity(),
        store.memory_bytes(),
        InMemoryStore::BYTES_PER_ID
    );
    println!();
    println!("| claims | ids held | resident over the start, KiB | per id held, bytes |");
    println!("|---:|---:|---:|---:|");
    for (i, id) in names.iter().enumerate() {
        store.claim_now(id);
        store.complete_now(id);
        if (i + 1) % 50_000 == 0 || i + 1 == names.len() {
            let grown = vm_rss_kib()?.saturating_sub(before);
            println!(
                "| {} | {} | {grown} | {} |",
                i + 1,
                store.len(),
                grown * 1024 / store.len().max(1) as u64
            );
        }
    }
    Ok(())
}

/// Prints the journal footprint table (see `Command::JournalFootprint`).
fn journal_footprint(entries: usize, dir: &std::path::Path) -> Result<(), String> {
    use ghl_webhook_benches::footprint;
    use ghl_webhook_testkit::postgres::PostgresCluster;

    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // Absolute: the Postgres cluster's programs run in a folder of their own.
    let dir = &std::fs::canonicalize(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let mut rows = vec![(
        "SQLite (file, after VACUUM)",
        runtime.block_on(footprint::sqlite(&dir.join("footprint.sqlite"), entries))?,
    )];
    match PostgresCluster::start(&dir.join("postgres")) {
        Ok(cluster) => rows.push((
            "Postgres (entries table with indexes, after VACUUM FULL)",
            runtime.block_on(footprint::postgres(&cluster.url(), "footprint", entries))?,
        )),
        Err(e) => eprintln!("ghl-bench-server: Postgres not measured: {e}"),
    }
    println!("{entries} ContactCreate deliveries of about 1.2 kB each:\n");
    println!("| journal | pending, B/delivery | done with its body | done, key only |");
    println!("|---|---:|---:|---:|");
    for (name, f) in rows {
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} |",
            f.pending, f.done, f.key_only
        );
    }
    let _ = std::fs::remove_dir_all(dir);
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

/// Prints, for n = 1..=max, the time of one `verify_batch` of n signatures per signature,
/// against one `verify_strict`: the curve that decides whether batching pays.
fn batch_curve(max: usize, time: Duration) {
    use ed25519_dalek::Signer as _;
    let signing = TestKeys::primary().signing_key().clone();
    let key = signing.verifying_key();
    let deliveries = contact_create_deliveries(max);
    let bodies: Vec<&[u8]> = deliveries.iter().map(|d| d.body.as_ref()).collect();
    let signatures: Vec<ed25519_dalek::Signature> =
        bodies.iter().map(|body| signing.sign(body)).collect();
    let keys = vec![key; max];
    // Best of 20 slices: the least disturbed by other work on the machine.
    let best_ns_per_call = |f: &mut dyn FnMut()| {
        let slice = time / 20;
        let mut best = f64::INFINITY;
        for _ in 0..20 {
            let start = std::time::Instant::now();
            let mut calls = 0u64;
            while start.elapsed() < slice {
                f();
                calls += 1;
            }
            best = best.min(start.elapsed().as_nanos() as f64 / calls as f64);
        }
        best
    };
    let single = best_ns_per_call(&mut || {
        let ok = key.verify_strict(bodies[0], &signatures[0]).is_ok();
        std::hint::black_box(ok);
    });
    println!(
        "verify_strict of one {}-byte body: {:.2} µs",
        bodies[0].len(),
        single / 1e3
    );
    println!();
    println!("| n | batch µs | µs per signature | per signature / verify_strict |");
    println!("|---:|---:|---:|---:|");
    for n in 1..=max {
        let batch = best_ns_per_call(&mut || {
            let ok =
                ed25519_dalek::verify_batch(&bodies[..n], &signatures[..n], &keys[..n]).is_ok();
            std::hint::black_box(ok);
        });
        println!(
            "| {n} | {:.1} | {:.2} | {:.3} |",
            batch / 1e3,
            batch / 1e3 / n as f64,
            batch / n as f64 / single
        );
    }
}
