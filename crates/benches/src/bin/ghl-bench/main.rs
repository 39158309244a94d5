//! `ghl-bench`: the end-to-end benchmark: the SDK against a hand-written receiver (`cargo run --release -p
//! ghl-webhook-benches -- [flags]`; `--help` lists the flags).
//!
//! Whichever way it is started, it first builds the release `ghl-bench` and
//! `ghl-bench-server` (`cargo build --release -p ghl-webhook-benches --bins`), then
//! re-executes the release `ghl-bench`, so that neither the load generator nor the servers run
//! unoptimized or stale. The release `ghl-bench` then, for each round and each server in turn
//! (`a b c [d] a b c [d] ...`):
//!
//! 1. starts the server as its own process on `127.0.0.1:0` (pinned to core 0 with one worker
//!    thread where `taskset` exists and there are two cores or more; this process pins itself
//!    to core 1), and waits for its `listening on ADDR` line;
//! 2. warms it up at N connections (unmeasured);
//! 3. loads it at N connections, reading its CPU ticks (`/proc/<pid>/stat`) before and after,
//!    then its peak RSS (`VmHWM`);
//! 4. loads it at 1 connection, likewise;
//! 5. kills it (also on any error: [`Running`] kills on drop).
//!
//! Every server gets the same requests: distinct pre-signed ContactCreate deliveries (one
//! `webhookId` each), cycled without restarting between phases.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

mod flags;
mod load;
mod peers;
mod procfs;
mod report;
mod stats;

use flags::Options;
use ghl_webhook_benches::servers::Server;
use ghl_webhook_testkit::postgres::PostgresCluster;
use load::{Outcome, Phase};

/// Set on the release `ghl-bench` that the first one re-executes after building it.
const INNER_ENV: &str = "GHL_BENCH_RELEASE";
/// How the benchmark is run, for the report.
const COMMAND: &str = "cargo run --release -p ghl-webhook-benches";
/// The path every server answers on.
const PATH: &str = "/webhooks/highlevel";
/// How long a server may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(20);

fn main() -> ExitCode {
    let options = match flags::parse(std::env::args_os()) {
        Ok(options) => options,
        Err(err) => {
            // `--help` is an "error" that prints on stdout and exits 0; usage errors exit 2.
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if std::env::var_os(INNER_ENV).is_none() {
        build_and_reexec(&args)
    } else {
        bench(&options, &args).map(|()| ExitCode::SUCCESS)
    };
    result.unwrap_or_else(|message| {
        eprintln!("ghl-bench: {message}");
        ExitCode::FAILURE
    })
}

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    // crates/benches -> the workspace.
    manifest
        .ancestors()
        .nth(2)
        .unwrap_or(manifest)
        .to_path_buf()
}

/// Builds the release binaries, then runs the release `ghl-bench` with the same arguments.
fn build_and_reexec(args: &[String]) -> Result<ExitCode, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let build = ["build", "--release", "-p", "ghl-webhook-benches", "--bins"];
    eprintln!("==> cargo {}", build.join(" "));
    let status = Command::new(&cargo)
        .args(build)
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("the release build failed ({status})"));
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate ghl-bench: {e}"))?;
    // Linux names a running program whose file the build just replaced `… (deleted)`: the
    // release binary is the new file at the same path.
    let exe = exe
        .to_str()
        .and_then(|path| path.strip_suffix(" (deleted)"))
        .map_or(exe.clone(), PathBuf::from);
    let release = exe
        .parent()
        .and_then(Path::parent)
        .zip(exe.file_name())
        .map(|(target, name)| target.join("release").join(name))
        .ok_or_else(|| format!("cannot derive the release ghl-bench from {}", exe.display()))?;
    let status = Command::new(&release)
        .args(args)
        .env(INNER_ENV, "1")
        .status()
        .map_err(|e| format!("cannot run {}: {e}", release.display()))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

/// A server process; killed and reaped when dropped, whatever happened.
struct Running {
    child: Child,
}

impl Running {
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command` and waits for its `listening on ADDR` line; the address must be loopback.
fn start(mut command: Command, name: &'static str) -> Result<(Running, SocketAddr), String> {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {name}: {e}"))?;
    let stdout = child.stdout.take();
    let running = Running { child };
    let stdout = stdout.ok_or_else(|| format!("{name}: no stdout"))?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if !sent && let Some(addr) = line.trim().strip_prefix("listening on ") {
                let _ = tx.send(addr.to_owned());
                sent = true;
            }
        }
    });
    let text = rx.recv_timeout(START_TIMEOUT).map_err(|_| {
        format!("{name} did not print `listening on ADDR` within {START_TIMEOUT:?}")
    })?;
    let addr: SocketAddr = text
        .parse()
        .map_err(|_| format!("{name} printed an unreadable address `{text}`"))?;
    if !addr.ip().is_loopback() {
        return Err(format!("{name} listens on {addr}, not on loopback"));
    }
    Ok((running, addr))
}

/// One server in one round.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// Which server.
    pub server: Server,
    /// The round, from 1.
    pub round: usize,
    /// The phase at N connections.
    pub loaded: Outcome,
    /// The phase at 1 connection.
    pub single: Outcome,
    /// Server CPU time per request answered 200 at N connections, µs.
    pub cpu_us_loaded: f64,
    /// Server CPU time per request answered 200 at 1 connection, µs.
    pub cpu_us_single: f64,
    /// Peak resident memory after the N-connection phase, KiB.
    pub peak_rss_kib: u64,
    /// Durable servers only: the journal and its workers.
    pub durable: Option<DurableFigures>,
    /// (b), (c), (f) with --forged-percent: the phase under attack.
    pub attack: Option<Attack>,
    /// (f) only: what batch verification did in each phase.
    pub batch: Option<BatchFigures>,
}

/// The phase at N connections where a share of the deliveries carry forged signatures.
#[derive(Debug, Clone)]
pub struct Attack {
    /// What the load generator saw (`ok`: valid ones answered 200; `rejected`: forged ones
    /// answered 401).
    pub outcome: Outcome,
    /// Server CPU per request answered as it must be, µs.
    pub cpu_us: f64,
}

/// Batch verification counters of one phase (differences of `/_bench/batch` around it).
#[derive(Debug, Clone, Copy, Default)]
pub struct BatchPhase {
    /// Signatures verified.
    pub signatures: u64,
    /// Verified alone without queueing.
    pub direct: u64,
    /// Found alone by their leader.
    pub alone: u64,
    /// Leaders that yielded once before taking the queue.
    pub yields: u64,
    /// Batches of two or more.
    pub batches: u64,
    /// Signatures in those batches.
    pub batched: u64,
    /// Batches that failed.
    pub failed_batches: u64,
    /// The largest batch so far (not a difference).
    pub largest: u64,
}

impl BatchPhase {
    fn since(self, before: BatchPhase) -> BatchPhase {
        BatchPhase {
            signatures: self.signatures.saturating_sub(before.signatures),
            direct: self.direct.saturating_sub(before.direct),
            alone: self.alone.saturating_sub(before.alone),
            yields: self.yields.saturating_sub(before.yields),
            batches: self.batches.saturating_sub(before.batches),
            batched: self.batched.saturating_sub(before.batched),
            failed_batches: self.failed_batches.saturating_sub(before.failed_batches),
            largest: self.largest,
        }
    }

    /// The mean size of the batches of two or more.
    pub fn mean_batch(&self) -> f64 {
        self.batched as f64 / self.batches.max(1) as f64
    }
}

/// (f)'s batch verification in each phase.
#[derive(Debug, Clone, Copy, Default)]
pub struct BatchFigures {
    /// At N connections.
    pub loaded: BatchPhase,
    /// At 1 connection.
    pub single: BatchPhase,
    /// Under attack.
    pub attack: BatchPhase,
}

/// What (e)'s journal says around one phase: at its end, then once the workers caught up.
#[derive(Debug, Clone, Copy, Default)]
pub struct PhaseJournal {
    /// Entries done during the phase per second of the phase.
    pub done_per_s_during: f64,
    /// Entries not yet done when the phase ended.
    pub backlog_at_end: u64,
    /// Time from the end of the phase until nothing was pending or in progress, s.
    pub drain_s: f64,
    /// Entries done in the phase and the drain, per second of both.
    pub done_per_s_overall: f64,
    /// Server CPU of the phase and its drain per acknowledged delivery, µs.
    pub cpu_us_with_drain: f64,
    /// Journal commits per acknowledged delivery in the phase.
    pub commits_per_ack: f64,
}

/// (e)'s figures of one round.
#[derive(Debug, Clone, Default)]
pub struct DurableFigures {
    /// During the N-connection phase, every second: entries pending or in progress, and the
    /// journal's bytes (file and WAL, or table; 0 where not collected).
    pub backlog_curve: Vec<(u64, u64)>,
    /// Around the N-connection phase.
    pub loaded: PhaseJournal,
    /// Around the 1-connection phase.
    pub single: PhaseJournal,
    /// File + `-wal` bytes after the run per entry in the journal.
    pub bytes_per_entry: f64,
    /// Entries in the journal after the run.
    pub entries: u64,
    /// Requests sent to (e) in all (an id repeats when this exceeds the payloads).
    pub sent: u64,
    /// Dead letters (should be 0).
    pub dead: u64,
}

/// Everything needed to start the servers.
struct Setup {
    server_bin: PathBuf,
    pinned: bool,
    threads: usize,
    dedupe_capacity: usize,
    journal_dir: PathBuf,
    retention: Option<Duration>,
    body_retention: Option<Duration>,
    node: Option<peers::NodePeer>,
    pem: String,
    client_id: String,
}

impl Setup {
    fn journal_path(&self, round: usize) -> PathBuf {
        self.journal_dir.join(format!("e-round-{round}.sqlite"))
    }

    /// The folder of the Redis of (g) or (h), or of the Postgres cluster of (i), in `round`,
    /// on the journal's disk.
    fn journal_server_dir(&self, server: Server, round: usize) -> PathBuf {
        let engine = if server == Server::Postgres {
            "postgres"
        } else {
            "redis"
        };
        self.journal_dir
            .join(format!("{server}-round-{round}-{engine}"))
    }

    fn command(
        &self,
        server: Server,
        round: usize,
        journal_server: Option<&JournalServer>,
    ) -> Result<Command, String> {
        let mut command = if self.pinned {
            let mut c = Command::new("taskset");
            c.args(["-c", "0"]);
            c
        } else {
            // `env` runs the program itself: the same shape of command line either way.
            Command::new("env")
        };
        match server {
            Server::Bare
            | Server::HandWritten
            | Server::Sdk
            | Server::SdkBatch
            | Server::Durable
            | Server::RedisAlways
            | Server::RedisEverysec
            | Server::Postgres => {
                command.arg(&self.server_bin).args([
                    "serve",
                    &server.to_string(),
                    "--threads",
                    &self.threads.to_string(),
                    "--dedupe-capacity",
                    &self.dedupe_capacity.to_string(),
                    "--max-seconds",
                    "900",
                    "--exit-on-stdin-eof",
                ]);
                if server == Server::Durable {
                    command.arg("--journal").arg(self.journal_path(round));
                }
                if server.is_durable() {
                    for (flag, keep) in [
                        ("--retention-ms", self.retention),
                        ("--body-retention-ms", self.body_retention),
                    ] {
                        if let Some(keep) = keep {
                            command.arg(flag).arg(keep.as_millis().to_string());
                        }
                    }
                }
                match journal_server {
                    Some(JournalServer::Redis(redis)) => {
                        command.arg("--redis").arg(redis.url());
                    }
                    Some(JournalServer::Postgres(postgres)) => {
                        command.arg("--postgres").arg(postgres.url());
                    }
                    None => {}
                }
            }
            Server::Node => {
                let node = self.node.as_ref().ok_or("the Node peer is not installed")?;
                command
                    .args(["node", "app.js"])
                    .current_dir(&node.dir)
                    .env("WEBHOOK_SIGNATURE_PUBLIC_KEY", &self.pem)
                    .env("GHL_BENCH_CLIENT_ID", &self.client_id)
                    .env("NODE_ENV", "production");
            }
        }
        Ok(command)
    }
}

fn captured(server_bin: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new(server_bin)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", server_bin.display()))?;
    if !output.status.success() {
        return Err(format!(
            "`ghl-bench-server {}` failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|_| "non-UTF-8 output".to_owned())
}

fn taskset_available() -> bool {
    Command::new("taskset")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn bench(options: &Options, args: &[String]) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate ghl-bench: {e}"))?;
    // Linux names a running program whose file the build just replaced `… (deleted)`: the
    // release binary is the new file at the same path.
    let exe = exe
        .to_str()
        .and_then(|path| path.strip_suffix(" (deleted)"))
        .map_or(exe.clone(), PathBuf::from);
    let server_bin = exe
        .parent()
        .map(|dir| dir.join("ghl-bench-server"))
        .filter(|path| path.exists())
        .ok_or(
            "ghl-bench-server is not built next to this ghl-bench: run \
             `cargo run --release -p ghl-webhook-benches` (it builds both in release mode)",
        )?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Read before pinning narrows this process's view to one core.
    let machine = procfs::machine();
    let pinned = options.pin && cores >= 2 && taskset_available();
    if pinned {
        // This process (the load generator) on core 1; servers on core 0. Threads started
        // from here on inherit the mask.
        let status = Command::new("taskset")
            .args(["-p", "-c", "1", &std::process::id().to_string()])
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run taskset: {e}"))?;
        if !status.success() {
            return Err(format!(
                "taskset could not pin the load generator ({status})"
            ));
        }
    }
    let threads = if pinned {
        1
    } else {
        options.threads.unwrap_or(cores)
    };

    let mut notes = Vec::new();
    let mut servers = options.servers.clone();
    let mut node = None;
    if servers.contains(&Server::Node) {
        match peers::prepare(&options.peers_dir, &workspace_root()) {
            Ok(peer) => node = Some(peer),
            Err(message) => {
                eprintln!("ghl-bench: the Node SDK peer (d) is skipped: {message}");
                notes.push(format!("The Node SDK peer (d) was skipped: {message}."));
                servers.retain(|&s| s != Server::Node);
            }
        }
    }
    if servers.is_empty() {
        return Err("no server left to run".to_owned());
    }

    // (e) gets more distinct ids (its journal remembers them all); a-d the first --payloads.
    let count = if servers.iter().any(|s| s.is_durable()) {
        options.payloads.max(options.durable_payloads)
    } else {
        options.payloads
    };
    let payload_text = captured(&server_bin, &["payloads", "--count", &count.to_string()])?;
    let payloads: Vec<(String, String)> = payload_text
        .lines()
        .map(|line| {
            let mut parts = line.splitn(3, '\t');
            let (_id, signature, body) = (parts.next(), parts.next(), parts.next());
            signature
                .zip(body)
                .map(|(s, b)| (s.to_owned(), b.to_owned()))
                .ok_or_else(|| format!("malformed payload line `{line}`"))
        })
        .collect::<Result<_, _>>()?;
    drop(payload_text);
    if payloads.len() != count {
        return Err(format!("expected {count} payloads, got {}", payloads.len()));
    }
    let journal_dir = options.journal_dir.clone().unwrap_or_else(|| {
        exe.parent()
            .and_then(Path::parent)
            .unwrap_or(Path::new("."))
            .join("ghl-bench-journal")
    });
    // The fsync cost where every journal lives: (e)'s file, (g)/(h)'s AOF, (i)'s WAL.
    let fsync = if servers.iter().any(|s| s.is_durable()) {
        std::fs::create_dir_all(&journal_dir)
            .map_err(|e| format!("{}: {e}", journal_dir.display()))?;
        let cost = fsync_cost(&journal_dir)?;
        eprintln!(
            "fsync (4 KiB write + fdatasync, 200 times) in {}: median {:.0} µs, p99 {:.0} µs",
            journal_dir.display(),
            cost.0,
            cost.1
        );
        Some(cost)
    } else {
        None
    };
    let body_len = payloads.first().map_or(0, |(_, b)| b.len());
    let setup = Setup {
        server_bin: server_bin.clone(),
        pinned,
        threads,
        // Fewer ids than payloads: every id is evicted before it comes round again, so every
        // request to (c) is a first delivery (see BENCHMARKS.md).
        dedupe_capacity: options
            .dedupe_capacity
            .unwrap_or((options.payloads / 2).max(1)),
        journal_dir,
        retention: options.retention,
        body_retention: options.body_retention,
        node,
        pem: captured(&server_bin, &["pem"])?,
        client_id: captured(&server_bin, &["client-id"])?.trim().to_owned(),
    };

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the load generator's runtime: {e}"))?;
    let ticks = procfs::ticks_per_second();
    let mut results = Vec::new();
    for round in 1..=options.rounds {
        for &server in &servers {
            let mine = if server.is_durable() {
                &payloads[..]
            } else {
                &payloads[..options.payloads.min(payloads.len())]
            };
            let m = measure(&setup, server, round, options, mine, &runtime, ticks)?;
            if let Some(d) = &m.durable {
                eprintln!(
                    "round {round}: ({server}) journal: {:.0} B/entry, {} entries, {} dead; workers @{} {:.0}/s during, backlog {}, drain {:.2} s; @1 {:.0}/s, backlog {}; commits/ack {:.3} @{} {:.3} @1",
                    d.bytes_per_entry,
                    d.entries,
                    d.dead,
                    options.connections,
                    d.loaded.done_per_s_during,
                    d.loaded.backlog_at_end,
                    d.loaded.drain_s,
                    d.single.done_per_s_during,
                    d.single.backlog_at_end,
                    d.loaded.commits_per_ack,
                    options.connections,
                    d.single.commits_per_ack,
                );
            }
            eprintln!(
                "round {round}/{}: {:<44} {:>8.0} req/s p50 {:>7.1} µs p99 {:>7.1} µs {:>6.2} CPU µs/req | 1 conn {:>7.0} req/s p50 {:>6.1} µs | peak RSS {:.1} MiB",
                options.rounds,
                server.label(),
                m.loaded.rps(),
                m.loaded.p50.as_secs_f64() * 1e6,
                m.loaded.p99.as_secs_f64() * 1e6,
                m.cpu_us_loaded,
                m.single.rps(),
                m.single.p50.as_secs_f64() * 1e6,
                m.peak_rss_kib as f64 / 1024.0
            );
            results.push(m);
        }
    }

    let context = report::Context {
        command: if args.is_empty() {
            COMMAND.to_owned()
        } else {
            format!("{COMMAND} -- {}", args.join(" "))
        },
        machine,
        pinning: if pinned {
            "servers pinned to core 0 (`taskset -c 0`, one worker thread), load generator to core 1"
                .to_owned()
        } else {
            format!("not pinned; servers with {threads} worker thread(s)")
        },
        node: setup.node.as_ref().map(|n| n.versions.clone()),
        options: options.clone(),
        body_len,
        notes,
        fsync,
    };
    let text = report::render(&results, &context);
    println!("{text}");
    if let Some(path) = &options.markdown {
        std::fs::write(path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("ghl-bench: report written to {}", path.display());
    }
    Ok(())
}

fn measure(
    setup: &Setup,
    server_id: Server,
    round: usize,
    options: &Options,
    payloads: &[(String, String)],
    runtime: &tokio::runtime::Runtime,
    ticks_per_second: u64,
) -> Result<Measurement, String> {
    let name = server_id.label();
    // (g) and (h): a Redis of their own on this machine, (i) a Postgres cluster, fresh for
    // the round; stopped after the server (declared first, dropped last, also on error).
    let dir = setup.journal_server_dir(server_id, round);
    let journal_server = match (server_id, server_id.redis_fsync()) {
        (_, Some(fsync)) => Some(JournalServer::Redis(RedisProcess::start(&dir, fsync)?)),
        (Server::Postgres, None) => Some(JournalServer::Postgres(
            PostgresCluster::start(&dir).map_err(|e| format!("(i)'s Postgres: {e}"))?,
        )),
        _ => None,
    };
    let (server, addr) = start(
        setup.command(server_id, round, journal_server.as_ref())?,
        name,
    )?;
    let durable = server_id.is_durable();
    let pid = server.pid();
    let requests: Arc<Vec<load::Request>> = Arc::new(
        payloads
            .iter()
            .map(|(signature, body)| load::Request {
                bytes: load::request_bytes(addr, PATH, signature, body),
                forged: false,
            })
            .collect(),
    );
    let attacked = options.forged_percent > 0
        && matches!(
            server_id,
            Server::HandWritten | Server::Sdk | Server::SdkBatch
        );
    let attack_requests: Arc<Vec<load::Request>> = Arc::new(if attacked {
        let attacker = ghl_webhook_sim::TestKeys::other();
        payloads
            .iter()
            .enumerate()
            .map(|(i, (signature, body))| {
                let forged = is_forged(i, options.forged_percent);
                let signature = if forged {
                    attacker.sign(body.as_bytes())
                } else {
                    signature.clone()
                };
                load::Request {
                    bytes: load::request_bytes(addr, PATH, &signature, body),
                    forged,
                }
            })
            .collect()
    } else {
        Vec::new()
    });
    let batched = server_id == Server::SdkBatch;
    let batch_now = || -> Result<BatchPhase, String> {
        if batched {
            batch_stats(addr)
        } else {
            Ok(BatchPhase::default())
        }
    };
    let phase = |connections: usize, duration: Duration, first_index: u64| Phase {
        addr,
        connections,
        duration,
        max_requests: options.max_requests,
        timeout: options.timeout,
        first_index,
    };
    let in_phase = |what: &str, e: String| format!("{name}, round {round}, {what}: {e}");
    let mut next_index = 0;
    if !options.warmup.is_zero() {
        let warm = runtime
            .block_on(load::run(
                &phase(options.connections, options.warmup, next_index),
                requests.clone(),
            ))
            .map_err(|e| in_phase("warm-up", e))?;
        next_index += warm.ok + warm.errors;
    }
    let mut s0 = JournalStats::default();
    if durable {
        drain(addr).map_err(|e| in_phase("warm-up drain", e))?;
        s0 = journal_stats(addr).map_err(|e| in_phase("journal", e))?;
    }
    let mut batch = BatchFigures::default();
    let b0 = batch_now().map_err(|e| in_phase("batch stats", e))?;
    let cpu_before = procfs::cpu_ticks(pid).map_err(|e| in_phase("CPU", e))?;
    let sampler = durable.then(|| BacklogSampler::start(addr));
    let loaded = runtime
        .block_on(load::run(
            &phase(options.connections, options.duration, next_index),
            requests.clone(),
        ))
        .map_err(|e| in_phase("loaded phase", e))?;
    let backlog_curve = sampler.map(BacklogSampler::stop).unwrap_or_default();
    next_index += loaded.ok + loaded.errors;
    let cpu_loaded = procfs::cpu_ticks(pid).map_err(|e| in_phase("CPU", e))?;
    let peak_rss_kib = procfs::vm_hwm_kib(pid).map_err(|e| in_phase("VmHWM", e))?;
    let b1 = batch_now().map_err(|e| in_phase("batch stats", e))?;
    batch.loaded = b1.since(b0);
    let us_per_request =
        |ticks: u64, ok: u64| ticks as f64 * 1e6 / ticks_per_second as f64 / ok.max(1) as f64;
    let mut figures = DurableFigures::default();
    let mut cpu_single_start = cpu_loaded;
    if durable {
        let (journal, stats, cpu) =
            phase_journal(addr, pid, &s0, &loaded, options.duration, cpu_before)
                .map_err(|e| in_phase("journal", e))?;
        figures.loaded = journal;
        figures.loaded.cpu_us_with_drain = us_per_request(cpu, loaded.ok);
        figures.backlog_curve = backlog_curve;
        s0 = stats;
        cpu_single_start = procfs::cpu_ticks(pid).map_err(|e| in_phase("CPU", e))?;
    }
    let single = runtime
        .block_on(load::run(&phase(1, options.duration, next_index), requests))
        .map_err(|e| in_phase("1-connection phase", e))?;
    next_index += single.ok + single.errors;
    let cpu_single = procfs::cpu_ticks(pid).map_err(|e| in_phase("CPU", e))?;
    let b2 = batch_now().map_err(|e| in_phase("batch stats", e))?;
    batch.single = b2.since(b1);
    let attack = if attacked {
        let cpu_start = procfs::cpu_ticks(pid).map_err(|e| in_phase("CPU", e))?;
        let outcome = runtime
            .block_on(load::run(
                &phase(options.connections, options.duration, next_index),
                attack_requests,
            ))
            .map_err(|e| in_phase("attack phase", e))?;
        let cpu_end = procfs::cpu_ticks(pid).map_err(|e| in_phase("CPU", e))?;
        let b3 = batch_now().map_err(|e| in_phase("batch stats", e))?;
        batch.attack = b3.since(b2);
        Some(Attack {
            cpu_us: us_per_request(
                cpu_end.saturating_sub(cpu_start),
                outcome.ok + outcome.rejected,
            ),
            outcome,
        })
    } else {
        None
    };
    if durable {
        let (journal, stats, cpu) =
            phase_journal(addr, pid, &s0, &single, options.duration, cpu_single_start)
                .map_err(|e| in_phase("journal", e))?;
        figures.single = journal;
        figures.single.cpu_us_with_drain = us_per_request(cpu, single.ok);
        figures.entries = stats.done + stats.dead;
        figures.dead = stats.dead;
        figures.bytes_per_entry = stats.bytes as f64 / figures.entries.max(1) as f64;
        figures.sent = next_index;
    }
    drop(server);
    drop(journal_server);
    if server_id == Server::Durable {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = setup.journal_path(round).into_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }

    let under_attack = attack.as_ref().map(|a| &a.outcome);
    for (what, outcome) in [
        ("loaded", Some(&loaded)),
        ("1-connection", Some(&single)),
        ("attack", under_attack),
    ] {
        let Some(outcome) = outcome else { continue };
        if outcome.errors > 0 {
            eprintln!(
                "ghl-bench: {name}, round {round}, {what} phase: {} error(s), first: {}",
                outcome.errors,
                outcome.first_error.as_deref().unwrap_or("?")
            );
        }
    }
    Ok(Measurement {
        server: server_id,
        round,
        cpu_us_loaded: us_per_request(cpu_loaded.saturating_sub(cpu_before), loaded.ok),
        cpu_us_single: us_per_request(cpu_single.saturating_sub(cpu_single_start), single.ok),
        loaded,
        single,
        peak_rss_kib,
        durable: durable.then_some(figures),
        attack,
        batch: batched.then_some(batch),
    })
}

/// Whether delivery `index` of the attack phase carries a forged signature: `percent` of
/// them, spread evenly.
fn is_forged(index: usize, percent: u32) -> bool {
    let p = percent as usize;
    (index + 1) * p / 100 != index * p / 100
}

/// Asks (f) for its batch verification counters (one request on its own connection).
fn batch_stats(addr: SocketAddr) -> Result<BatchPhase, String> {
    let value = get_json(addr, "/_bench/batch")?;
    let field = |name: &str| {
        value
            .get(name)
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| format!("batch stats `{value}`: no {name}"))
    };
    Ok(BatchPhase {
        signatures: field("signatures")?,
        direct: field("direct")?,
        alone: field("alone")?,
        yields: field("yields")?,
        batches: field("batches")?,
        batched: field("batched")?,
        failed_batches: field("failed_batches")?,
        largest: field("largest")?,
    })
}

/// Reads a durable server's backlog and journal size every second on a thread of its own,
/// until stopped.
struct BacklogSampler {
    stop: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<Vec<(u64, u64)>>,
}

impl BacklogSampler {
    fn start(addr: SocketAddr) -> Self {
        let (stop, stopped) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let mut curve = Vec::new();
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(Duration::from_secs(1))
            {
                // A failed reading is left out of the curve (the phase's own figures say
                // whether the server answered).
                if let Ok(s) = journal_stats(addr) {
                    curve.push((s.pending + s.in_progress, s.bytes));
                }
            }
            curve
        });
        Self { stop, thread }
    }

    fn stop(self) -> Vec<(u64, u64)> {
        let _ = self.stop.send(());
        self.thread.join().unwrap_or_default()
    }
}

/// (e)'s journal counts, from its `/_bench/journal` answer.
#[derive(Debug, Clone, Copy, Default)]
struct JournalStats {
    pending: u64,
    in_progress: u64,
    done: u64,
    dead: u64,
    commits: u64,
    bytes: u64,
}

/// GETs `path` from a benchmark server on a connection of its own and parses the JSON body.
fn get_json(addr: SocketAddr, path: &str) -> Result<serde_json::Value, String> {
    use std::io::{Read as _, Write as _};
    let mut stream =
        std::net::TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .map_err(|e| format!("stats request: {e}"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|e| format!("stats answer: {e}"))?;
    let text = String::from_utf8_lossy(&answer);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .ok_or("no body in the stats answer")?;
    serde_json::from_str(body.trim()).map_err(|e| format!("stats `{body}`: {e}"))
}

/// Asks (e) for its journal's counts (one request on its own connection).
fn journal_stats(addr: SocketAddr) -> Result<JournalStats, String> {
    let value = get_json(addr, "/_bench/journal")?;
    let body = value.to_string();
    let field = |name: &str| {
        value
            .get(name)
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| format!("stats `{body}`: no {name}"))
    };
    Ok(JournalStats {
        pending: field("pending")?,
        in_progress: field("in_progress")?,
        done: field("done")?,
        dead: field("dead")?,
        commits: field("commits")?,
        bytes: field("bytes")?,
    })
}

/// Waits until a durable server has nothing pending or in progress (5 min at most); returns
/// how long it took. Polls every 10 ms, or every four times as long as the last answer took:
/// Postgres counts the entries by scanning its table, and asking back to back would compete
/// with the workers being waited for.
fn drain(addr: SocketAddr) -> Result<Duration, String> {
    let start = std::time::Instant::now();
    loop {
        let asked = std::time::Instant::now();
        let s = journal_stats(addr)?;
        let took = asked.elapsed();
        if s.pending == 0 && s.in_progress == 0 {
            return Ok(start.elapsed());
        }
        if start.elapsed() > Duration::from_secs(300) {
            return Err(format!("the workers did not catch up in 5 min ({s:?})"));
        }
        std::thread::sleep(Duration::from_millis(10).max(took * 4));
    }
}

/// The journal's figures of a phase that just ended (`before`: the counts at its start):
/// counts now, then waits for the workers to catch up. Also returns the counts after the
/// drain and the server's CPU ticks from `cpu_start` to the end of the drain.
fn phase_journal(
    addr: SocketAddr,
    pid: u32,
    before: &JournalStats,
    outcome: &Outcome,
    duration: Duration,
    cpu_start: u64,
) -> Result<(PhaseJournal, JournalStats, u64), String> {
    let end = journal_stats(addr)?;
    let drain_time = drain(addr)?;
    let after = journal_stats(addr)?;
    let cpu = procfs::cpu_ticks(pid)?.saturating_sub(cpu_start);
    let secs = duration.as_secs_f64();
    let done_during = end.done.saturating_sub(before.done) as f64;
    let done_overall = after.done.saturating_sub(before.done) as f64;
    Ok((
        PhaseJournal {
            done_per_s_during: done_during / secs,
            backlog_at_end: end.pending + end.in_progress,
            drain_s: drain_time.as_secs_f64(),
            done_per_s_overall: done_overall / (secs + drain_time.as_secs_f64()),
            cpu_us_with_drain: 0.0,
            commits_per_ack: end.commits.saturating_sub(before.commits) as f64
                / outcome.ok.max(1) as f64,
        },
        after,
        cpu,
    ))
}

/// This machine's fsync cost in `dir`: 200 times a 4 KiB write at the end of a file then
/// `fdatasync`; median and p99 in µs.
fn fsync_cost(dir: &Path) -> Result<(f64, f64), String> {
    use std::io::Write as _;
    let path = dir.join("fsync-probe");
    let mut file = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let block = [0x5au8; 4096];
    let mut times = Vec::with_capacity(200);
    for _ in 0..200 {
        let start = std::time::Instant::now();
        file.write_all(&block)
            .map_err(|e| format!("fsync probe: {e}"))?;
        file.sync_data().map_err(|e| format!("fsync probe: {e}"))?;
        times.push(start.elapsed().as_secs_f64() * 1e6);
    }
    drop(file);
    let _ = std::fs::remove_file(&path);
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], times[times.len() * 99 / 100]))
}

/// The database server a durable server's journal lives in.
enum JournalServer {
    /// (g) and (h).
    Redis(RedisProcess),
    /// (i).
    Postgres(PostgresCluster),
}

/// A `redis-server` for (g) or (h): loopback, an ephemeral port, AOF with the given
/// `appendfsync`, its data in a fresh folder; killed and its folder removed when dropped.
struct RedisProcess {
    child: std::process::Child,
    port: u16,
    dir: PathBuf,
}

impl RedisProcess {
    fn start(dir: &Path, fsync: &str) -> Result<Self, String> {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port for redis-server: {e}"))?
            .port();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "yes", "--appendfsync", fsync])
            .arg("--dir")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("cannot start redis-server for (g)/(h) (apt-get install redis-server): {e}")
            })?;
        let redis = Self {
            child,
            port,
            dir: dir.to_path_buf(),
        };
        let deadline = std::time::Instant::now() + START_TIMEOUT;
        while std::time::Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(redis);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "redis-server did not listen on port {port} within {START_TIMEOUT:?}"
        ))
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forged_share_is_exact_and_spread_evenly() {
        for percent in [0, 1, 10, 33, 50, 100] {
            let forged: Vec<usize> = (0..1000).filter(|&i| is_forged(i, percent)).collect();
            assert_eq!(forged.len(), percent as usize * 10, "{percent}%");
            if percent == 10 {
                assert!(forged.windows(2).all(|w| w[1] - w[0] == 10), "one in ten");
            }
        }
    }

    #[test]
    fn batch_counters_of_a_phase_are_differences() {
        let before = BatchPhase {
            signatures: 10,
            batches: 2,
            batched: 8,
            largest: 5,
            ..BatchPhase::default()
        };
        let after = BatchPhase {
            signatures: 110,
            batches: 6,
            batched: 98,
            largest: 40,
            ..BatchPhase::default()
        };
        let phase = after.since(before);
        assert_eq!(
            (phase.signatures, phase.batches, phase.batched),
            (100, 4, 90)
        );
        assert_eq!(phase.largest, 40, "the largest so far, not a difference");
        assert!((phase.mean_batch() - 22.5).abs() < 1e-9);
        assert_eq!(BatchPhase::default().mean_batch(), 0.0);
    }
}
