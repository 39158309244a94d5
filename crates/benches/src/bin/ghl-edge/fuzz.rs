//! `ghl-edge fuzz`: mutated deliveries of every kind against a real receiver, checking that
//! it never panics, answers every complete request, answers only documented statuses, and
//! that every body a handler saw is one the test key signed, byte for byte.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fastrand::Rng;
use ghl_webhook_router::types::EventKind;
use ghl_webhook_sim::TestKeys;

use crate::deliveries::{Signed, SignedSet, delivery, fixtures};
use crate::mutate::{Class, mutate};
use crate::server::Receiver;
use crate::wire::{Connection, WireError};

/// The statuses the receiver may answer: the router's outcomes (`outcome` module table) and
/// hyper's own answers to malformed HTTP (400, 431 for an oversized head, 505 for an HTTP
/// version it does not speak).
pub(crate) const DOCUMENTED_STATUSES: [u16; 11] =
    [200, 400, 401, 405, 408, 413, 415, 431, 500, 503, 505];

/// Connections the fuzz keeps open at once.
const CONNECTIONS: usize = 16;

/// How long one request may wait for its answer before it counts as unanswered.
const ANSWER_WITHIN: Duration = Duration::from_secs(60);

/// `fuzz`'s arguments.
#[derive(Debug, Clone)]
pub(crate) struct FuzzOptions {
    /// Requests to send.
    pub requests: u64,
    /// The seed of every random choice.
    pub seed: u64,
    /// Stop sending after this long, whatever the count.
    pub max_seconds: u64,
}

/// What one connection's worker saw.
#[derive(Debug, Default)]
struct Tally {
    statuses: BTreeMap<u16, u64>,
    by_class: BTreeMap<(Class, u16), u64>,
    unanswered: BTreeMap<Class, u64>,
    malformed: BTreeMap<Class, u64>,
    timed_out: BTreeMap<Class, u64>,
    connect_failures: u64,
    sent: u64,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        for (k, v) in other.by_class {
            *self.by_class.entry(k).or_default() += v;
        }
        for (k, v) in other.unanswered {
            *self.unanswered.entry(k).or_default() += v;
        }
        for (k, v) in other.malformed {
            *self.malformed.entry(k).or_default() += v;
        }
        for (k, v) in other.timed_out {
            *self.timed_out.entry(k).or_default() += v;
        }
        self.connect_failures += other.connect_failures;
        self.sent += other.sent;
    }
}

/// The base deliveries: `per_kind` of every kind, signed; and the fixtures for fresh ones.
struct Corpus {
    fixtures: Vec<(EventKind, String)>,
    pool: Vec<Signed>,
}

/// Runs the fuzz; `Ok(true)` when every check held.
pub(crate) fn run(options: FuzzOptions) -> Result<bool, String> {
    let keys = TestKeys::primary();
    let fixtures = fixtures();
    let signed = Arc::new(Mutex::new(SignedSet::default()));
    let mut pool = Vec::new();
    for round in 0..20 {
        for (kind, fixture) in &fixtures {
            let id = format!("fuzz-{}-{kind}-{round}", options.seed);
            let d = delivery(&keys, *kind, fixture, &id);
            signed.lock().map_err(|_| "poisoned")?.insert(&d.body);
            pool.push(d);
        }
    }
    let corpus = Arc::new(Corpus { fixtures, pool });
    let receiver = Receiver::start(options.max_seconds + 120)?;
    let addr = receiver.addr;
    eprintln!(
        "ghl-edge fuzz: {} requests (seed {}, at most {} s) against pid {} on {addr}",
        options.requests,
        options.seed,
        options.max_seconds,
        receiver.pid()
    );
    let started = Instant::now();
    let deadline = started + Duration::from_secs(options.max_seconds);
    let issued = Arc::new(AtomicU64::new(0));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let tally = runtime.block_on(async {
        let mut workers = tokio::task::JoinSet::new();
        for worker in 0..CONNECTIONS {
            let corpus = corpus.clone();
            let signed = signed.clone();
            let issued = issued.clone();
            let requests = options.requests;
            let seed = options
                .seed
                .wrapping_mul(1_000_003)
                .wrapping_add(worker as u64);
            workers.spawn(async move {
                fuzz_connection(addr, &corpus, &signed, &issued, requests, deadline, seed).await
            });
        }
        let progress = tokio::spawn({
            let issued = issued.clone();
            async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    eprintln!(
                        "ghl-edge fuzz: {} sent after {:.0} s",
                        issued.load(Ordering::Relaxed),
                        started.elapsed().as_secs_f64()
                    );
                }
            }
        });
        let mut tally = Tally::default();
        while let Some(joined) = workers.join_next().await {
            if let Ok(one) = joined {
                tally.merge(one);
            }
        }
        progress.abort();
        tally
    });
    let elapsed = started.elapsed();
    let stopped = receiver.stop();
    let signed = signed.lock().map_err(|_| "poisoned")?;
    let forged: Vec<&String> = stopped
        .handled
        .iter()
        .filter(|d| !signed.contains(d))
        .collect();
    let undocumented: BTreeMap<u16, u64> = tally
        .statuses
        .iter()
        .filter(|(s, _)| !DOCUMENTED_STATUSES.contains(s))
        .map(|(s, n)| (*s, *n))
        .collect();
    let panicked = stopped.stderr.contains("panicked");
    let unanswered: u64 = tally.unanswered.values().sum();
    let timed_out: u64 = tally.timed_out.values().sum();
    let malformed: u64 = tally.malformed.values().sum();
    let accepted: u64 = tally
        .statuses
        .iter()
        .filter(|(s, _)| (200..300).contains(*s))
        .map(|(_, n)| n)
        .sum();
    let answered: u64 = tally.statuses.values().sum();

    println!("## ghl-edge fuzz report");
    println!();
    println!(
        "- requests sent: {} of {} asked (seed {}), in {:.1} s ({:.0} requests/s), {CONNECTIONS} keep-alive connections",
        tally.sent,
        options.requests,
        options.seed,
        elapsed.as_secs_f64(),
        tally.sent as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    println!(
        "- answered: {answered}; accepted (2xx): {accepted}; rejected (non-2xx): {}",
        answered - accepted
    );
    println!(
        "- bodies handlers saw: {}; not signed by the test key (forged, must be 0): {}",
        stopped.handled.len(),
        forged.len()
    );
    println!(
        "- signed bodies (originals and re-signed hostile JSON): {}",
        signed.len()
    );
    println!(
        "- complete requests left unanswered (connection closed, must be 0): {unanswered}; timed out (must be 0): {timed_out}; malformed responses (must be 0): {malformed}"
    );
    println!(
        "- statuses outside the documented set {DOCUMENTED_STATUSES:?} (must be none): {undocumented:?}"
    );
    println!(
        "- receiver alive at the end: {}; exited cleanly: {}; panic in its stderr: {panicked}; connect failures: {}",
        stopped.was_alive, stopped.exited_cleanly, tally.connect_failures
    );
    println!();
    let statuses: Vec<String> = tally
        .statuses
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    println!("Statuses: {}", statuses.join(", "));
    println!();
    println!("| mutation | requests | statuses |");
    println!("|---|---|---|");
    for class in Class::ALL {
        let row: Vec<String> = tally
            .by_class
            .iter()
            .filter(|((c, _), _)| *c == class)
            .map(|((_, s), n)| format!("{s}×{n}"))
            .collect();
        let total: u64 = tally
            .by_class
            .iter()
            .filter(|((c, _), _)| *c == class)
            .map(|(_, n)| n)
            .sum();
        let mut problems = String::new();
        for (what, map) in [
            ("unanswered", &tally.unanswered),
            ("timed out", &tally.timed_out),
            ("malformed", &tally.malformed),
        ] {
            if let Some(n) = map.get(&class) {
                problems.push_str(&format!(", {what}×{n}"));
            }
        }
        println!(
            "| {} | {total} | {}{problems} |",
            class.name(),
            row.join(", ")
        );
    }
    for digest in forged.iter().take(5) {
        println!("forged body handled: sha256 {digest}");
    }
    if panicked {
        println!("receiver stderr:\n{}", stopped.stderr);
    }
    Ok(forged.is_empty()
        && undocumented.is_empty()
        && unanswered == 0
        && timed_out == 0
        && malformed == 0
        && !panicked
        && stopped.was_alive
        && stopped.exited_cleanly
        && tally.connect_failures == 0)
}

/// One keep-alive connection's share of the fuzz.
async fn fuzz_connection(
    addr: std::net::SocketAddr,
    corpus: &Corpus,
    signed: &Mutex<SignedSet>,
    issued: &AtomicU64,
    requests: u64,
    deadline: Instant,
    seed: u64,
) -> Tally {
    let keys = TestKeys::primary();
    let mut rng = Rng::with_seed(seed);
    let mut tally = Tally::default();
    let mut connection: Option<Connection> = None;
    let mut fresh = 0u64;
    while Instant::now() < deadline && issued.fetch_add(1, Ordering::Relaxed) < requests {
        let base = if rng.u8(0..4) == 0 {
            // A fresh delivery: a new webhookId, so it is handled, not a duplicate.
            let (kind, fixture) = &corpus.fixtures[rng.usize(..corpus.fixtures.len())];
            fresh += 1;
            let d = delivery(&keys, *kind, fixture, &format!("fresh-{seed}-{fresh}"));
            if let Ok(mut set) = signed.lock() {
                set.insert(&d.body);
            }
            d
        } else {
            corpus.pool[rng.usize(..corpus.pool.len())].clone()
        };
        let other = &corpus.pool[rng.usize(..corpus.pool.len())];
        let class = Class::draw(&mut rng);
        let case = mutate(class, &base, other, &keys, signed, &mut rng);
        let mut open = match connection.take() {
            Some(open) => open,
            None => match Connection::open(addr).await {
                Ok(open) => open,
                Err(_) => {
                    tally.connect_failures += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        tally.sent += 1;
        match open.exchange(&case.bytes, ANSWER_WITHIN).await {
            Ok(response) => {
                *tally.statuses.entry(response.status).or_default() += 1;
                *tally.by_class.entry((class, response.status)).or_default() += 1;
                if !response.closes && !class.may_close() {
                    connection = Some(open);
                }
            }
            Err(WireError::Closed { .. }) => *tally.unanswered.entry(class).or_default() += 1,
            Err(WireError::TimedOut(_)) => *tally.timed_out.entry(class).or_default() += 1,
            Err(WireError::Malformed(_)) => *tally.malformed.entry(class).or_default() += 1,
        }
    }
    tally
}
