//! `ghl-edge soak`: 50 keep-alive connections of signed deliveries for a bounded time, 30%
//! of them duplicates and 10% failing in their handler, reporting every 30 s the throughput,
//! the statuses that were not the expected ones and the receiver's resident memory.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fastrand::Rng;
use ghl_webhook_router::types::EventKind;
use ghl_webhook_sim::TestKeys;

use crate::deliveries::{Signed, delivery, fixtures};
use crate::server::{FAIL_PREFIX, Receiver, rss_kib};
use crate::wire::{Connection, Request};

/// Connections loading the receiver at once.
pub(crate) const CONNECTIONS: usize = 50;

/// The longest soak accepted, minutes.
pub(crate) const MAX_MINUTES: u64 = 120;

/// How often a line is reported.
const EVERY: Duration = Duration::from_secs(30);

/// The receiver's dedupe store (`InMemoryStore::default()`) remembers this many ids.
const STORE_CAPACITY: u64 = 100_000;

/// Memory is compared from the first sample after this many new deliveries were handled:
/// the store then holds its full 100,000 ids and its order queue has reached the length at
/// which it is compacted (2 × capacity + 64), so it stops growing.
const WARM_UP_DELIVERIES: u64 = 2 * STORE_CAPACITY + 64;

/// The latest answered deliveries kept for duplicates (a ring: each new one replaces the
/// oldest). Far fewer than the store remembers, so every duplicate is of a delivery the
/// bounded store still knows.
const RECENT: usize = 10_000;

/// A delivery answered once, kept to be sent again.
#[derive(Clone)]
struct Sent {
    delivery: Signed,
    fails: bool,
}

/// Counters shared by the connections.
#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    new_handled: AtomicU64,
    unexpected: AtomicU64,
    failures_answered: AtomicU64,
    duplicates_answered: AtomicU64,
    busy_retries: AtomicU64,
    errors: AtomicU64,
}

/// Runs the soak for `minutes` (at most [`MAX_MINUTES`]); `Ok(true)` when no status was
/// unexpected and no connection failed.
pub(crate) fn run(minutes: f64, seed: u64) -> Result<bool, String> {
    if !(minutes > 0.0 && minutes <= MAX_MINUTES as f64) {
        return Err(format!(
            "--minutes {minutes}: give a positive number up to {MAX_MINUTES}"
        ));
    }
    let duration = Duration::from_secs_f64(minutes * 60.0);
    let fixtures = Arc::new(fixtures());
    let receiver = Receiver::start(duration.as_secs() + 120)?;
    let addr = receiver.addr;
    let pid = receiver.pid();
    eprintln!(
        "ghl-edge soak: {CONNECTIONS} connections for {minutes} min against pid {pid} on {addr}"
    );
    let counters = Arc::new(Counters::default());
    let recent = Arc::new(Mutex::new(Vec::<Sent>::with_capacity(RECENT)));
    let started = Instant::now();
    let deadline = started + duration;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let samples = runtime.block_on(async {
        let mut connections = tokio::task::JoinSet::new();
        for i in 0..CONNECTIONS {
            let fixtures = fixtures.clone();
            let counters = counters.clone();
            let recent = recent.clone();
            let seed = seed.wrapping_mul(7919).wrapping_add(i as u64);
            connections.spawn(async move {
                soak_connection(addr, &fixtures, &counters, &recent, deadline, (i, seed)).await
            });
        }
        let mut samples = Vec::new();
        let mut last_requests = 0;
        let mut last_at = started;
        println!("| t (s) | requests | requests/s (last 30 s) | unexpected statuses (total) | receiver RSS (KiB) |");
        println!("|---|---|---|---|---|");
        while Instant::now() < deadline {
            let next = (last_at + EVERY).min(deadline);
            tokio::time::sleep_until(next.into()).await;
            let now = Instant::now();
            let requests = counters.requests.load(Ordering::Relaxed);
            let rss = rss_kib(pid).unwrap_or(0);
            let handled = counters.new_handled.load(Ordering::Relaxed);
            let rate = (requests - last_requests) as f64 / (now - last_at).as_secs_f64().max(1e-9);
            println!(
                "| {:.0} | {requests} | {rate:.0} | {} | {rss} |",
                (now - started).as_secs_f64(),
                counters.unexpected.load(Ordering::Relaxed)
            );
            samples.push(((now - started), rss, handled));
            last_requests = requests;
            last_at = now;
        }
        while connections.join_next().await.is_some() {}
        samples
    });
    let elapsed = started.elapsed();
    let stopped = receiver.stop();
    let requests = counters.requests.load(Ordering::Relaxed);
    let unexpected = counters.unexpected.load(Ordering::Relaxed);
    let errors = counters.errors.load(Ordering::Relaxed);
    let panicked = stopped.stderr.contains("panicked");
    let warmed = samples
        .iter()
        .find(|(_, _, handled)| *handled >= WARM_UP_DELIVERIES);
    let (warm_at, warm) = warmed
        .or(samples.first())
        .map_or((Duration::ZERO, 0), |(at, rss, _)| (*at, *rss));
    let last = samples.last().map_or(0, |(_, rss, _)| *rss);
    let peak = samples.iter().map(|(_, rss, _)| *rss).max().unwrap_or(0);
    let growth = if warm > 0 {
        (last as f64 - warm as f64) / warm as f64 * 100.0
    } else {
        0.0
    };
    println!();
    println!("## ghl-edge soak report");
    println!();
    println!(
        "- {requests} requests in {:.1} s ({:.0} requests/s) on {CONNECTIONS} keep-alive connections",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    println!(
        "- answered as expected except {unexpected} (must be 0); connection errors: {errors} (must be 0)"
    );
    println!(
        "- handler failures answered 500: {}; duplicates answered 200 `duplicate`: {}; duplicates of a failing delivery met in flight (503, retry later): {}",
        counters.failures_answered.load(Ordering::Relaxed),
        counters.duplicates_answered.load(Ordering::Relaxed),
        counters.busy_retries.load(Ordering::Relaxed)
    );
    println!(
        "- receiver RSS: {warm} KiB after warm-up (at {:.0} s{}), {last} KiB at the end, peak {peak} KiB: {growth:+.1}% since warm-up",
        warm_at.as_secs_f64(),
        if warmed.is_some() {
            format!(", the first sample after {WARM_UP_DELIVERIES} new deliveries")
        } else {
            format!(": the run ended before {WARM_UP_DELIVERIES} new deliveries, not warmed up")
        }
    );
    println!(
        "- bodies handlers saw: {}; receiver alive at the end: {}; exited cleanly: {}; panic in its stderr: {panicked}",
        stopped.handled.len(),
        stopped.was_alive,
        stopped.exited_cleanly
    );
    Ok(unexpected == 0 && errors == 0 && !panicked && stopped.was_alive && stopped.exited_cleanly)
}

/// One connection's share of the soak.
async fn soak_connection(
    addr: std::net::SocketAddr,
    fixtures: &[(EventKind, String)],
    counters: &Counters,
    recent: &Mutex<Vec<Sent>>,
    deadline: Instant,
    (index, seed): (usize, u64),
) {
    let keys = TestKeys::primary();
    let mut rng = Rng::with_seed(seed);
    let mut connection: Option<Connection> = None;
    let mut n = 0u64;
    let mut next_slot = 0usize;
    while Instant::now() < deadline {
        let duplicate = if rng.u8(0..10) < 3 {
            recent
                .lock()
                .ok()
                .and_then(|r| (!r.is_empty()).then(|| r[rng.usize(..r.len())].clone()))
        } else {
            None
        };
        let is_duplicate = duplicate.is_some();
        let sent = duplicate.unwrap_or_else(|| {
            n += 1;
            let fails = rng.u8(0..10) == 0;
            let id = if fails {
                format!("{FAIL_PREFIX}soak-{seed}-{n}")
            } else {
                format!("soak-{seed}-{n}")
            };
            let (kind, fixture) = &fixtures[rng.usize(..fixtures.len())];
            Sent {
                delivery: delivery(&keys, *kind, fixture, &id),
                fails,
            }
        });
        let request = Request::signed_post(
            &sent.delivery.path,
            sent.delivery.body.clone(),
            &sent.delivery.signature,
        )
        .encode();
        let mut open = match connection.take() {
            Some(open) => open,
            None => match Connection::open(addr).await {
                Ok(open) => open,
                Err(_) => {
                    counters.errors.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let answered = open.exchange(&request, Duration::from_secs(60)).await;
        counters.requests.fetch_add(1, Ordering::Relaxed);
        let response = match answered {
            Ok(response) => response,
            Err(_) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        let text = String::from_utf8_lossy(&response.body);
        let expected = match (sent.fails, is_duplicate) {
            (false, false) if response.status == 200 && text == "handled" => {
                counters.new_handled.fetch_add(1, Ordering::Relaxed);
                true
            }
            (false, false) => false,
            (false, true) => response.status == 200 && text.starts_with("duplicate"),
            (true, _) if response.status == 500 => {
                counters.failures_answered.fetch_add(1, Ordering::Relaxed);
                true
            }
            // Another connection is handling the same failing delivery right now.
            (true, true) if response.status == 503 => {
                counters.busy_retries.fetch_add(1, Ordering::Relaxed);
                true
            }
            (true, _) => false,
        };
        if is_duplicate && !sent.fails && expected {
            counters.duplicates_answered.fetch_add(1, Ordering::Relaxed);
        }
        if !expected {
            let seen = counters.unexpected.fetch_add(1, Ordering::Relaxed);
            if seen < 10 {
                eprintln!(
                    "ghl-edge soak: unexpected {} `{text}` for {} (fails: {}, duplicate: {is_duplicate})",
                    response.status, sent.delivery.path, sent.fails
                );
            }
        }
        if !is_duplicate && let Ok(mut r) = recent.lock() {
            if r.len() < RECENT {
                r.push(sent);
            } else {
                // The oldest entry of this connection's share of the ring.
                let at = (index + next_slot * CONNECTIONS) % RECENT;
                next_slot = (next_slot + 1) % (RECENT / CONNECTIONS);
                r[at] = sent;
            }
        }
        if !response.closes {
            connection = Some(open);
        }
    }
}
