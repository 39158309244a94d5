//! The markdown report: the table (medians and min–max across rounds), the ratios, the targets.

use std::fmt::Write as _;

use ghl_webhook_benches::servers::Server;

use crate::flags::Options;
use crate::stats::Spread;
use crate::{BatchPhase, DurableFigures, Measurement, PhaseJournal};

/// What the report says about the run besides the numbers.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// The command as typed.
    pub command: String,
    /// Cores, CPU model, kernel.
    pub machine: String,
    /// How the processes were placed.
    pub pinning: String,
    /// Versions of the Node peer, when it ran.
    pub node: Option<String>,
    /// The options in force.
    pub options: Options,
    /// Size of one request body.
    pub body_len: usize,
    /// Anything skipped or odd.
    pub notes: Vec<String>,
    /// fsync cost where the journals live (4 KiB write + fdatasync): median, p99, µs.
    pub fsync: Option<(f64, f64)>,
}

/// The SDK's targets against the hand-written receiver: throughput and CPU per request.
const TARGET_THROUGHPUT: f64 = 0.95;
const TARGET_CPU: f64 = 1.05;
const TARGET_RSS_MIB: f64 = 8.0;
const TARGET_NODE: f64 = 8.0;

/// Batch verification's targets against the hand-written receiver.
const TARGET_BATCH_THROUGHPUT: f64 = 1.4;
const TARGET_BATCH_CPU: f64 = 0.7;
const TARGET_BATCH_ATTACK: f64 = 1.0;

/// Durable mode's target against inline (c): acknowledged throughput at N connections.
const TARGET_HANDLED: f64 = 0.8;
const TARGET_ACKS: f64 = 0.9;
const TARGET_DURABLE_CPU: f64 = 1.3;

fn values(results: &[Measurement], server: Server, f: impl Fn(&Measurement) -> f64) -> Vec<f64> {
    results
        .iter()
        .filter(|m| m.server == server)
        .map(f)
        .collect()
}

/// Per-round ratios `num / den` of `f` (rounds where both ran).
fn ratios(
    results: &[Measurement],
    num: Server,
    den: Server,
    f: impl Fn(&Measurement) -> f64,
) -> Option<Spread> {
    let mut out = Vec::new();
    for m in results.iter().filter(|m| m.server == num) {
        if let Some(d) = results
            .iter()
            .find(|d| d.server == den && d.round == m.round)
        {
            let (a, b) = (f(m), f(d));
            if b > 0.0 {
                out.push(a / b);
            }
        }
    }
    Spread::of(&out)
}

fn cell(spread: Option<Spread>, decimals: usize) -> String {
    match spread {
        Some(s) if s.min == s.max => format!("{:.*}", decimals, s.median),
        Some(s) => format!(
            "{:.*} ({:.*}–{:.*})",
            decimals, s.median, decimals, s.min, decimals, s.max
        ),
        None => "–".to_owned(),
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "**met**" } else { "**not met**" }
}

/// Picks one phase's counters out of (f)'s batch figures.
type PhaseOf = fn(&crate::BatchFigures) -> BatchPhase;

/// (f): its targets, the phase under attack, and the batches it formed.
fn batch_section(out: &mut String, results: &[Measurement], context: &Context) {
    use Server::{HandWritten, Node, Sdk, SdkBatch};
    let n = context.options.connections;
    let has = |s: Server| results.iter().any(|m| m.server == s);
    if !has(SdkBatch) {
        return;
    }
    let _ = writeln!(
        out,
        "\nTargets of batch verification (f) against the hand-written receiver (b):\n"
    );
    let _ = writeln!(out, "| target | measured (median of rounds) | |");
    let _ = writeln!(out, "|---|---|---|");
    if has(HandWritten) {
        if let Some(r) = ratios(results, SdkBatch, HandWritten, |m| m.loaded.rps()) {
            let _ = writeln!(
                out,
                "| (f)/(b) throughput ≥ {TARGET_BATCH_THROUGHPUT} @{n} | {} | {} |",
                cell(Some(r), 3),
                verdict(r.median >= TARGET_BATCH_THROUGHPUT)
            );
        }
        if let Some(r) = ratios(results, SdkBatch, HandWritten, |m| m.cpu_us_loaded) {
            let _ = writeln!(
                out,
                "| (f)/(b) CPU per request ≤ {TARGET_BATCH_CPU} @{n} | {} | {} |",
                cell(Some(r), 3),
                verdict(r.median <= TARGET_BATCH_CPU)
            );
        }
        for (name, f) in [
            (
                "p50",
                (|m: &Measurement| m.single.p50.as_secs_f64()) as fn(&Measurement) -> f64,
            ),
            ("p99", |m: &Measurement| m.single.p99.as_secs_f64()),
        ] {
            if let Some(r) = ratios(results, SdkBatch, HandWritten, f) {
                let _ = writeln!(
                    out,
                    "| (f)/(b) {name} latency @1 ≈ 1 (no worse within noise) | {} | |",
                    cell(Some(r), 3),
                );
            }
        }
        let attack_rps =
            |m: &Measurement| m.attack.as_ref().map_or(0.0, |a| a.outcome.answered_rps());
        if let Some(r) = ratios(results, SdkBatch, HandWritten, attack_rps) {
            let _ = writeln!(
                out,
                "| (f)/(b) throughput ≥ {TARGET_BATCH_ATTACK} with {}% forged @{n} | {} | {} |",
                context.options.forged_percent,
                cell(Some(r), 3),
                verdict(r.median >= TARGET_BATCH_ATTACK)
            );
        }
    }
    match ratios(results, SdkBatch, Node, |m| m.loaded.rps()) {
        Some(r) => {
            let _ = writeln!(
                out,
                "| (f) ≥ {TARGET_NODE}× the Node SDK @{n} | {} | {} |",
                cell(Some(r), 2),
                verdict(r.median >= TARGET_NODE)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "| (f) ≥ {TARGET_NODE}× the Node SDK | not measured (`--peers`) | |"
            );
        }
    }

    if results.iter().any(|m| m.attack.is_some()) {
        let _ = writeln!(
            out,
            "\nUnder attack: {n} connections, {}% of deliveries signed by another key (each must be answered 401):\n",
            context.options.forged_percent
        );
        let _ = writeln!(
            out,
            "| server | answered/s | valid answered 200 | forged answered 401 | errors (forged accepted included) | CPU µs/answer | p50 µs | p99 µs |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
        for s in [HandWritten, Sdk, SdkBatch] {
            let runs: Vec<&Measurement> = results
                .iter()
                .filter(|m| m.server == s && m.attack.is_some())
                .collect();
            if runs.is_empty() {
                continue;
            }
            let col = |f: &dyn Fn(&crate::Attack) -> f64, d: usize| {
                let v: Vec<f64> = runs
                    .iter()
                    .filter_map(|m| m.attack.as_ref())
                    .map(f)
                    .collect();
                cell(Spread::of(&v), d)
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                s.label(),
                col(&|a| a.outcome.answered_rps(), 0),
                col(&|a| a.outcome.ok as f64, 0),
                col(&|a| a.outcome.rejected as f64, 0),
                col(&|a| a.outcome.errors as f64, 0),
                col(&|a| a.cpu_us, 2),
                col(&|a| a.outcome.p50.as_secs_f64() * 1e6, 0),
                col(&|a| a.outcome.p99.as_secs_f64() * 1e6, 0),
            );
        }
        let _ = writeln!(out, "\n| ratio under attack | value |");
        let _ = writeln!(out, "|---|---|");
        let attack_rps =
            |m: &Measurement| m.attack.as_ref().map_or(0.0, |a| a.outcome.answered_rps());
        let attack_cpu = |m: &Measurement| m.attack.as_ref().map_or(0.0, |a| a.cpu_us);
        for (num, den) in [(SdkBatch, HandWritten), (Sdk, HandWritten), (SdkBatch, Sdk)] {
            let _ = writeln!(
                out,
                "| ({num})/({den}) throughput | {} |\n| ({num})/({den}) CPU per answer | {} |",
                cell(ratios(results, num, den, attack_rps), 3),
                cell(ratios(results, num, den, attack_cpu), 3),
            );
        }
    }

    let _ = writeln!(
        out,
        "\nBatches formed by (f), per phase (median of rounds):\n"
    );
    let _ = writeln!(
        out,
        "| phase | signatures | in batches | batches | mean batch | largest so far | failed batches | alone | leaders that yielded | direct (batching paused or strict check) |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|");
    let phases: [(String, PhaseOf); 3] = [
        (format!("@{n}"), |b| b.loaded),
        ("@1".to_owned(), |b| b.single),
        (format!("@{n}, forged"), |b| b.attack),
    ];
    for (name, get) in phases {
        let figures: Vec<BatchPhase> = results
            .iter()
            .filter_map(|m| m.batch.as_ref())
            .map(get)
            .collect();
        if figures.iter().all(|f| f.signatures == 0) {
            continue;
        }
        let col = |f: &dyn Fn(&BatchPhase) -> f64, d: usize| {
            cell(Spread::of(&figures.iter().map(f).collect::<Vec<_>>()), d)
        };
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            col(&|b| b.signatures as f64, 0),
            col(&|b| b.batched as f64 / b.signatures.max(1) as f64, 3),
            col(&|b| b.batches as f64, 0),
            col(&|b| b.mean_batch(), 1),
            col(&|b| b.largest as f64, 0),
            col(&|b| b.failed_batches as f64, 0),
            col(&|b| b.alone as f64, 0),
            col(&|b| b.yields as f64, 0),
            col(&|b| b.direct as f64, 0),
        );
    }
}

/// (e): what its journal and workers did, beside (c).
fn durable_section(out: &mut String, results: &[Measurement], context: &Context) {
    use Server::{Durable, Sdk};
    if !results.iter().any(|m| m.server == Durable) {
        return;
    }
    let n = context.options.connections;
    let col = |f: &dyn Fn(&Measurement) -> f64, d: usize| {
        let v: Vec<f64> = results
            .iter()
            .filter(|m| m.server == Durable)
            .filter_map(|m| m.durable.as_ref().map(|_| f(m)))
            .collect();
        cell(Spread::of(&v), d)
    };
    let d = |m: &Measurement| m.durable.clone().unwrap_or_default();
    let _ = writeln!(out, "\nDurable mode (e), journal and workers:\n");
    if let Some((median, p99)) = context.fsync {
        let _ = writeln!(
            out,
            "fsync here (4 KiB write + fdatasync, 200 times, in the journal's folder): median {median:.0} µs, p99 {p99:.0} µs\n"
        );
    }
    let _ = writeln!(
        out,
        "| phase | workers done/s during | backlog at end | drain s | workers done/s incl. drain | CPU µs/ack incl. drain | commits/ack |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    let loaded: fn(&DurableFigures) -> PhaseJournal = |f| f.loaded;
    let single: fn(&DurableFigures) -> PhaseJournal = |f| f.single;
    let phases = [(format!("@{n}"), loaded), ("@1".to_owned(), single)];
    for (name, get) in phases {
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {} | {} |",
            col(&|m| get(&d(m)).done_per_s_during, 0),
            col(&|m| get(&d(m)).backlog_at_end as f64, 0),
            col(&|m| get(&d(m)).drain_s, 2),
            col(&|m| get(&d(m)).done_per_s_overall, 0),
            col(&|m| get(&d(m)).cpu_us_with_drain, 2),
            col(&|m| get(&d(m)).commits_per_ack, 3),
        );
    }
    let _ = writeln!(
        out,
        "\nJournal after the run (file + -wal): {} bytes per entry, {} entries, {} dead letters.\n",
        col(&|m| d(m).bytes_per_entry, 0),
        col(&|m| d(m).entries as f64, 0),
        col(&|m| d(m).dead as f64, 0),
    );
    let _ = writeln!(
        out,
        "| (e) vs (c), per round then median (min–max) | @{n} connections | @1 connection |"
    );
    let _ = writeln!(out, "|---|---|---|");
    let _ = writeln!(
        out,
        "| (e)/(c) acknowledged throughput | {} | {} |",
        cell(ratios(results, Durable, Sdk, |m| m.loaded.rps()), 3),
        cell(ratios(results, Durable, Sdk, |m| m.single.rps()), 3),
    );
    let _ = writeln!(
        out,
        "| (e)/(c) CPU per request (phase only) | {} | {} |",
        cell(ratios(results, Durable, Sdk, |m| m.cpu_us_loaded), 3),
        cell(ratios(results, Durable, Sdk, |m| m.cpu_us_single), 3),
    );
    // p99 differences per round.
    let mut diff = Vec::new();
    for e in results.iter().filter(|m| m.server == Durable) {
        if let Some(c) = results
            .iter()
            .find(|c| c.server == Sdk && c.round == e.round)
        {
            diff.push((e.single.p99.as_secs_f64() - c.single.p99.as_secs_f64()) * 1e6);
        }
    }
    let _ = writeln!(
        out,
        "| p99 (e) − p99 (c), µs | | {} |",
        cell(Spread::of(&diff), 1)
    );
    let mut sent_over = results
        .iter()
        .filter(|m| m.server == Durable)
        .filter_map(|m| m.durable.clone())
        .filter(|f| {
            f.sent
                > context
                    .options
                    .durable_payloads
                    .max(context.options.payloads) as u64
        });
    if sent_over.next().is_some() {
        let _ = writeln!(
            out,
            "\n**Warning:** (e) was sent more requests than distinct ids in a round: some were duplicates (raise --durable-payloads)."
        );
    }
}

/// The journals in a database server of their own, beside (c) and (e): Redis, (g)
/// `appendfsync always` and (h) `everysec`, and Postgres (i).
fn journal_servers_section(out: &mut String, results: &[Measurement], context: &Context) {
    use Server::{Durable, Postgres, RedisAlways, RedisEverysec, Sdk};
    let present: Vec<Server> = [RedisAlways, RedisEverysec, Postgres]
        .into_iter()
        .filter(|s| results.iter().any(|m| m.server == *s))
        .collect();
    if present.is_empty() {
        return;
    }
    let n = context.options.connections;
    let redis = present.iter().any(|s| s.redis_fsync().is_some());
    let postgres = present.contains(&Postgres);
    let (engines, what) = match (redis, postgres) {
        (true, true) => (
            "Redis and Postgres",
            "redis-server with AOF, PostgreSQL with fsync on",
        ),
        (true, false) => ("Redis", "redis-server, AOF"),
        _ => ("Postgres", "PostgreSQL, fsync on"),
    };
    let _ = writeln!(
        out,
        "\nDurable mode on {engines} ({what}, on this machine, not pinned; their own CPU is not in the CPU columns):\n"
    );
    if !results.iter().any(|m| m.server == Durable)
        && let Some((median, p99)) = context.fsync
    {
        let _ = writeln!(
            out,
            "fsync here (4 KiB write + fdatasync, 200 times, in the journal's folder): median {median:.0} µs, p99 {p99:.0} µs\n"
        );
    }
    let _ = writeln!(
        out,
        "| per round then median (min–max) | @{n} connections | @1 connection |"
    );
    let _ = writeln!(out, "|---|---|---|");
    for &server in &present {
        for (base, base_name) in [(Sdk, "c"), (Durable, "e")] {
            let loaded = ratios(results, server, base, |m| m.loaded.rps());
            let single = ratios(results, server, base, |m| m.single.rps());
            if loaded.is_none() && single.is_none() {
                continue;
            }
            let _ = writeln!(
                out,
                "| ({server})/({base_name}) acknowledged throughput | {} | {} |",
                cell(loaded, 3),
                cell(single, 3),
            );
        }
        let p99 = |f: fn(&Measurement) -> f64| cell(Spread::of(&values(results, server, f)), 1);
        let _ = writeln!(
            out,
            "| ({server}) p99, µs | {} | {} |",
            p99(|m| m.loaded.p99.as_secs_f64() * 1e6),
            p99(|m| m.single.p99.as_secs_f64() * 1e6),
        );
    }
    let _ = writeln!(
        out,
        "\nTheir workers (as for (e); CPU is the bench server's only, commits are not counted):\n"
    );
    let _ = writeln!(
        out,
        "| server | phase | workers done/s during | backlog at end | drain s | workers done/s incl. drain | CPU µs/ack incl. drain | dead letters |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    let d = |m: &Measurement| m.durable.clone().unwrap_or_default();
    for &server in &present {
        let col = |f: &dyn Fn(&Measurement) -> f64, decimals: usize| {
            let v: Vec<f64> = results
                .iter()
                .filter(|m| m.server == server && m.durable.is_some())
                .map(f)
                .collect();
            cell(Spread::of(&v), decimals)
        };
        let loaded: fn(&DurableFigures) -> PhaseJournal = |f| f.loaded;
        let single: fn(&DurableFigures) -> PhaseJournal = |f| f.single;
        for (name, get) in [(format!("@{n}"), loaded), ("@1".to_owned(), single)] {
            let _ = writeln!(
                out,
                "| ({server}) | {name} | {} | {} | {} | {} | {} | {} |",
                col(&|m| get(&d(m)).done_per_s_during, 0),
                col(&|m| get(&d(m)).backlog_at_end as f64, 0),
                col(&|m| get(&d(m)).drain_s, 2),
                col(&|m| get(&d(m)).done_per_s_overall, 0),
                col(&|m| get(&d(m)).cpu_us_with_drain, 2),
                col(&|m| d(m).dead as f64, 0),
            );
        }
    }
    if postgres {
        let col = |f: &dyn Fn(&Measurement) -> f64| {
            let v: Vec<f64> = results
                .iter()
                .filter(|m| m.server == Postgres && m.durable.is_some())
                .map(f)
                .collect();
            cell(Spread::of(&v), 0)
        };
        let _ = writeln!(
            out,
            "\nJournal of (i) after the run (the entries table with its indexes and TOAST, not the WAL): {} bytes per entry, {} entries.",
            col(&|m| d(m).bytes_per_entry),
            col(&|m| d(m).entries as f64),
        );
    }
}

/// Durable mode's targets against inline (c), per round then the median: deliveries
/// acknowledged and handled at N connections, the backlog left, latency at 1 connection
/// against the machine's fsync, and server CPU per handled delivery.
fn durable_targets(out: &mut String, results: &[Measurement], context: &Context) {
    let n = context.options.connections;
    let durable: Vec<Server> = Server::ALL
        .into_iter()
        .filter(|s| s.is_durable() && results.iter().any(|m| m.server == *s))
        .collect();
    if durable.is_empty() || !results.iter().any(|m| m.server == Server::Sdk) {
        return;
    }
    let d = |m: &Measurement| m.durable.clone().unwrap_or_default();
    let _ = writeln!(out, "\nTargets of durable mode against inline (c):\n");
    let _ = writeln!(out, "| target | measured (median of rounds) | |");
    let _ = writeln!(out, "|---|---|---|");
    let row =
        |out: &mut String, what: String, r: Option<Spread>, decimals, met: fn(f64) -> bool| {
            let verdict_cell = r.map_or(String::new(), |r| verdict(met(r.median)).to_owned());
            let _ = writeln!(out, "| {what} | {} | {verdict_cell} |", cell(r, decimals));
        };
    for server in durable {
        row(
            out,
            format!("({server}) handled/s during the load ÷ (c) req/s ≥ {TARGET_HANDLED} @{n}"),
            ratios(results, server, Server::Sdk, |m| {
                if m.server == Server::Sdk {
                    m.loaded.rps()
                } else {
                    d(m).loaded.done_per_s_during
                }
            }),
            3,
            |r| r >= TARGET_HANDLED,
        );
        row(
            out,
            format!("({server}) backlog at the end of the load ÷ 1 s of its acks ≤ 1 @{n}"),
            Spread::of(
                &results
                    .iter()
                    .filter(|m| m.server == server)
                    .map(|m| d(m).loaded.backlog_at_end as f64 / m.loaded.rps().max(1.0))
                    .collect::<Vec<_>>(),
            ),
            3,
            |r| r <= 1.0,
        );
        row(
            out,
            format!("({server}) acknowledged req/s ÷ (c) ≥ {TARGET_ACKS} @{n}"),
            ratios(results, server, Server::Sdk, |m| m.loaded.rps()),
            3,
            |r| r >= TARGET_ACKS,
        );
        row(
            out,
            format!(
                "({server}) CPU per handled delivery (edge + workers, incl. drain) ÷ (c) ≤ {TARGET_DURABLE_CPU} @{n}"
            ),
            ratios(results, server, Server::Sdk, |m| {
                if m.server == Server::Sdk {
                    m.cpu_us_loaded
                } else {
                    d(m).loaded.cpu_us_with_drain
                }
            }),
            3,
            |r| r <= TARGET_DURABLE_CPU,
        );
        if let Some((fsync, _)) = context.fsync {
            // Over the budget in fsyncs: ≤ 1.5 at p50, ≤ 3 at p99.
            for (name, budget, get) in [
                (
                    "p50",
                    1.5,
                    (|m: &Measurement| m.single.p50) as fn(&Measurement) -> std::time::Duration,
                ),
                ("p99", 3.0, |m: &Measurement| m.single.p99),
            ] {
                let extra: Vec<f64> = results
                    .iter()
                    .filter(|m| m.server == server)
                    .filter_map(|m| {
                        let inline = results
                            .iter()
                            .find(|c| c.server == Server::Sdk && c.round == m.round)?;
                        Some(
                            (get(m).as_secs_f64() - get(inline).as_secs_f64()) * 1e6
                                / fsync.max(1.0),
                        )
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "| ({server}) {name} @1 − (c) {name} @1, in fsyncs ({fsync:.0} µs) ≤ {budget} | {} | {} |",
                    cell(Spread::of(&extra), 2),
                    Spread::of(&extra).map_or("", |s| verdict(s.median <= budget)),
                );
            }
        }
    }
}

/// The backlog (entries pending or in progress) and the journal's size during the loaded
/// phase of each durable server's last round, read every second.
fn backlog_curves(out: &mut String, results: &[Measurement], context: &Context) {
    let last: Vec<&Measurement> = Server::ALL
        .into_iter()
        .filter_map(|s| {
            results
                .iter()
                .rev()
                .find(|m| m.server == s && m.durable.is_some())
        })
        .collect();
    if last.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nBacklog during the @{} phase of the last round, every second (entries pending or in progress; journal MiB where collected):\n",
        context.options.connections
    );
    for m in last {
        let curve = m
            .durable
            .as_ref()
            .map(|d| d.backlog_curve.as_slice())
            .unwrap_or_default();
        let backlog: Vec<String> = curve.iter().map(|(n, _)| n.to_string()).collect();
        let _ = writeln!(out, "- ({}) backlog: {}", m.server, backlog.join(", "));
        if curve.iter().any(|(_, bytes)| *bytes > 0) {
            let sizes: Vec<String> = curve
                .iter()
                .map(|(_, bytes)| format!("{:.1}", *bytes as f64 / (1024.0 * 1024.0)))
                .collect();
            let _ = writeln!(out, "  journal MiB: {}", sizes.join(", "));
        }
    }
}

/// Renders the report.
pub(crate) fn render(results: &[Measurement], context: &Context) -> String {
    let o = &context.options;
    let n = o.connections;
    let mut servers: Vec<Server> = results.iter().map(|m| m.server).collect();
    servers.sort_unstable();
    servers.dedup();
    let us = |d: std::time::Duration| d.as_secs_f64() * 1e6;

    let mut out = String::new();
    let _ = writeln!(out, "Command: `{}`  ", context.command);
    let _ = writeln!(out, "Machine: {}  ", context.machine);
    let _ = writeln!(out, "Placement: {}  ", context.pinning);
    let _ = writeln!(
        out,
        "Load: closed loop, HTTP/1.1 keep-alive, {n} connections then 1, {:.1} s each after a {:.1} s warm-up, {} rounds interleaved ({}); {} distinct signed ContactCreate deliveries of {} bytes, cycled  ",
        o.duration.as_secs_f64(),
        o.warmup.as_secs_f64(),
        o.rounds,
        servers
            .iter()
            .map(Server::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        o.payloads,
        context.body_len,
    );
    if let Some(node) = &context.node {
        let _ = writeln!(out, "Node peer: {node}  ");
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| server | req/s @{n} | p50 µs @{n} | p99 µs @{n} | req/s @1 | p50 µs @1 | p99 µs @1 | CPU µs/req @{n} | CPU µs/req @1 | peak RSS MiB |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|");
    for &s in &servers {
        let col =
            |f: &dyn Fn(&Measurement) -> f64, d: usize| cell(Spread::of(&values(results, s, f)), d);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s.label(),
            col(&|m| m.loaded.rps(), 0),
            col(&|m| us(m.loaded.p50), 0),
            col(&|m| us(m.loaded.p99), 0),
            col(&|m| m.single.rps(), 0),
            col(&|m| us(m.single.p50), 1),
            col(&|m| us(m.single.p99), 1),
            col(&|m| m.cpu_us_loaded, 2),
            col(&|m| m.cpu_us_single, 2),
            col(&|m| m.peak_rss_kib as f64 / 1024.0, 1),
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Ratios, per round then median (min–max) across rounds:\n"
    );
    let _ = writeln!(out, "| ratio | @{n} connections | @1 connection |");
    let _ = writeln!(out, "|---|---|---|");
    use Server::{Bare, HandWritten, Node, Sdk, SdkBatch};
    let pairs = [
        (Sdk, HandWritten),
        (SdkBatch, HandWritten),
        (SdkBatch, Sdk),
        (Sdk, Bare),
        (HandWritten, Bare),
        (Sdk, Node),
        (SdkBatch, Node),
    ];
    for (num, den) in pairs {
        if !(servers.contains(&num) && servers.contains(&den)) {
            continue;
        }
        let _ = writeln!(
            out,
            "| ({num})/({den}) throughput | {} | {} |",
            cell(ratios(results, num, den, |m| m.loaded.rps()), 3),
            cell(ratios(results, num, den, |m| m.single.rps()), 3),
        );
        if den != Bare || num == Sdk {
            if num == SdkBatch && den == HandWritten {
                for (name, f) in [
                    (
                        "p50",
                        (|m: &Measurement| m.single.p50.as_secs_f64()) as fn(&Measurement) -> f64,
                    ),
                    ("p99", |m: &Measurement| m.single.p99.as_secs_f64()),
                ] {
                    let _ = writeln!(
                        out,
                        "| ({num})/({den}) {name} latency | {} | {} |",
                        cell(
                            ratios(results, num, den, |m| match name {
                                "p50" => m.loaded.p50.as_secs_f64(),
                                _ => m.loaded.p99.as_secs_f64(),
                            }),
                            3
                        ),
                        cell(ratios(results, num, den, f), 3),
                    );
                }
            }
            let _ = writeln!(
                out,
                "| ({num})/({den}) CPU per request | {} | {} |",
                cell(ratios(results, num, den, |m| m.cpu_us_loaded), 3),
                cell(ratios(results, num, den, |m| m.cpu_us_single), 3),
            );
        }
    }
    let _ = writeln!(out);

    let _ = writeln!(
        out,
        "Targets of the SDK against the hand-written receiver:\n"
    );
    let _ = writeln!(out, "| target | measured (median of rounds) | |");
    let _ = writeln!(out, "|---|---|---|");
    if servers.contains(&Sdk) && servers.contains(&HandWritten) {
        if let Some(r) = ratios(results, Sdk, HandWritten, |m| m.loaded.rps()) {
            let _ = writeln!(
                out,
                "| (c)/(b) throughput ≥ {TARGET_THROUGHPUT} @{n} | {} | {} |",
                cell(Some(r), 3),
                verdict(r.median >= TARGET_THROUGHPUT)
            );
        }
        if let Some(r) = ratios(results, Sdk, HandWritten, |m| m.cpu_us_loaded) {
            let _ = writeln!(
                out,
                "| (c)/(b) CPU per request ≤ {TARGET_CPU} @{n} | {} | {} |",
                cell(Some(r), 3),
                verdict(r.median <= TARGET_CPU)
            );
        }
    }
    if let Some(rss) = Spread::of(&values(results, Sdk, |m| m.peak_rss_kib as f64 / 1024.0)) {
        let _ = writeln!(
            out,
            "| peak RSS of (c) ≤ {TARGET_RSS_MIB} MiB @{n} | max {:.1} MiB | {} |",
            rss.max,
            verdict(rss.max <= TARGET_RSS_MIB)
        );
    }
    match ratios(results, Sdk, Node, |m| m.loaded.rps()) {
        Some(r) => {
            let _ = writeln!(
                out,
                "| (c) ≥ {TARGET_NODE}× the Node SDK @{n} | {} | {} |",
                cell(Some(r), 2),
                verdict(r.median >= TARGET_NODE)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "| (c) ≥ {TARGET_NODE}× the Node SDK | not measured (`--peers`) | |"
            );
        }
    }
    batch_section(&mut out, results, context);
    durable_section(&mut out, results, context);
    journal_servers_section(&mut out, results, context);
    durable_targets(&mut out, results, context);
    backlog_curves(&mut out, results, context);
    let attack_errors = |m: &Measurement| m.attack.as_ref().map_or(0, |a| a.outcome.errors);
    let errors: Vec<String> = results
        .iter()
        .filter(|m| m.loaded.errors + m.single.errors + attack_errors(m) > 0)
        .map(|m| {
            format!(
                "{} round {}: {} failed request(s), first: {}",
                m.server.label(),
                m.round,
                m.loaded.errors + m.single.errors + attack_errors(m),
                m.loaded
                    .first_error
                    .as_deref()
                    .or(m.single.first_error.as_deref())
                    .or(m
                        .attack
                        .as_ref()
                        .and_then(|a| a.outcome.first_error.as_deref()))
                    .unwrap_or("?")
            )
        })
        .collect();
    if !errors.is_empty() || !context.notes.is_empty() {
        let _ = writeln!(out, "\nNotes:\n");
        for line in context.notes.iter().chain(&errors) {
            let _ = writeln!(out, "- {line}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Outcome;
    use Server::{HandWritten, Sdk};
    use std::time::Duration;

    fn m(server: Server, round: usize, ok: u64, cpu: f64) -> Measurement {
        let outcome = Outcome {
            ok,
            elapsed: Duration::from_secs(1),
            p50: Duration::from_micros(100),
            p99: Duration::from_micros(300),
            ..Outcome::default()
        };
        Measurement {
            server,
            round,
            loaded: outcome.clone(),
            single: outcome,
            cpu_us_loaded: cpu,
            cpu_us_single: cpu,
            peak_rss_kib: 4096,
            durable: None,
            attack: None,
            batch: None,
        }
    }

    #[test]
    fn ratios_are_per_round() {
        let results = [
            m(HandWritten, 1, 100, 10.0),
            m(Sdk, 1, 90, 11.0),
            m(HandWritten, 2, 200, 10.0),
            m(Sdk, 2, 200, 10.0),
        ];
        let r = ratios(&results, Sdk, HandWritten, |m| m.loaded.rps()).expect("two rounds");
        assert!((r.min - 0.9).abs() < 1e-9 && (r.max - 1.0).abs() < 1e-9);
        assert!((r.median - 0.95).abs() < 1e-9);
        let text = render(&results, &context(None));
        assert!(text.contains("| (c)/(b) throughput ≥ 0.95 @50 | 0.950 (0.900–1.000) | **met** |"));
        assert!(text.contains("| peak RSS of (c) ≤ 8 MiB @50 | max 4.0 MiB | **met** |"));
        assert!(text.contains("not measured"));
    }

    /// The report's context in these tests: the default options, and `fsync` as measured.
    fn context(fsync: Option<(f64, f64)>) -> Context {
        Context {
            command: "cargo run --release -p ghl-webhook-benches".into(),
            machine: "test".into(),
            pinning: "none".into(),
            node: None,
            options: crate::flags::parse(["ghl-bench"]).expect("the defaults"),
            body_len: 1,
            notes: vec![],
            fsync,
        }
    }

    #[test]
    fn postgres_is_reported_beside_inline_and_sqlite() {
        use Server::{Durable, Postgres};
        let results = [
            m(Sdk, 1, 100, 10.0),
            m(Durable, 1, 70, 12.0),
            m(Postgres, 1, 85, 11.0),
        ];
        let text = render(&results, &context(Some((200.0, 500.0))));
        assert!(text.contains("Durable mode on Postgres (PostgreSQL, fsync on"));
        assert!(text.contains("| (i)/(c) acknowledged throughput | 0.850 | 0.850 |"));
        assert!(text.contains("| (i)/(e) acknowledged throughput | 1.214 | 1.214 |"));
        assert!(text.contains("| (i) acknowledged req/s ÷ (c) ≥ 0.9 @50 | 0.850 | **not met** |"));
        assert!(text.contains("| (e) acknowledged req/s ÷ (c) ≥ 0.9 @50 | 0.700 | **not met** |"));
        assert!(
            text.contains("| (i) handled/s during the load ÷ (c) req/s ≥ 0.8 @50 |"),
            "{text}"
        );
        assert!(
            text.contains("p50 @1 − (c) p50 @1, in fsyncs (200 µs) ≤ 1.5"),
            "{text}"
        );
    }
}
