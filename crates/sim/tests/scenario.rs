//! Scenario runs and their verdicts: a receiver that answers 200, one that fails 15% of its
//! requests, and this SDK's own router with a handler that fails 15% of first attempts, inline
//! (HighLevel sees the 500s: paused) and durable (acknowledged once journaled: ok).

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::receiver::{Receiver, Reply};
use ghl_webhook_router::journal::{Journal, SqliteJournal};
use ghl_webhook_router::serve::spawn;
use ghl_webhook_router::types::contact::ContactCreate;
use ghl_webhook_router::{Delivery, DurableConfig, WebhookRouter};
use ghl_webhook_sim::TestKeys;
use ghl_webhook_sim::simulator::SigningKey;
use ghl_webhook_sim::simulator::scenario::{Report, Scenario, Verdict};

/// 150 events a second for two seconds; the breaker judges more than 100 deliveries.
fn scenario() -> Scenario {
    Scenario::from_json(
        r#"{"rate_per_sec": 150, "duration_secs": 2, "events": {"ContactCreate": 1},
            "time_scale": 0.0001, "breaker": {"min_deliveries": 100}}"#,
    )
    .expect("valid scenario")
}

async fn run(url: &str) -> Report {
    scenario()
        .run(url, false, SigningKey::default())
        .await
        .expect("the scenario runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_answers_200_is_ok() {
    let receiver = Receiver::always(200).await;
    let report = run(&receiver.url("/")).await;
    assert_eq!(report.verdict, Verdict::Ok, "{report:?}");
    assert_eq!(report.deliveries, 300);
    assert_eq!(report.attempts, 300);
    assert_eq!(report.first_attempt_success_rate, 1.0);
    assert_eq!((report.retries_exhausted, report.unsettled), (0, 0));
    assert_eq!(receiver.count(), 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_failing_15_percent_is_paused() {
    // 3 requests in every 20 answered 500: retries succeed, but the breaker counts attempts.
    let receiver = Receiver::start(|n| Reply::Status(if n % 20 < 3 { 500 } else { 200 })).await;
    let report = run(&receiver.url("/")).await;
    assert_eq!(report.verdict, Verdict::Paused, "{report:?}");
    assert!(
        (0.8..0.9).contains(&report.success_rate),
        "{}",
        report.success_rate
    );
    assert!(report.paused_deliveries > 0, "{report:?}");
}

/// Handled ContactCreate deliveries by webhookId, and how many times each was tried.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<HashMap<String, (u32, bool)>>>);

/// The SDK's router with a ContactCreate handler failing the first try of 15% of deliveries
/// (3 in every 20, in arrival order).
fn flaky_router(seen: &Seen) -> WebhookRouter<Seen> {
    WebhookRouter::with_state(seen.clone())
        .verifier(TestKeys::primary().verifier())
        .on(|_: ContactCreate, d: Delivery, seen: Seen| async move {
            let id = d.webhook_id().unwrap_or_default().to_owned();
            let mut map = seen.0.lock().expect("lock");
            let arrivals = map.len();
            let entry = map.entry(id).or_default();
            entry.0 += 1;
            if entry.0 == 1 && arrivals % 20 < 3 {
                return Err("transient failure");
            }
            entry.1 = true;
            Ok(())
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_inline_with_failing_handlers_is_paused_but_durable_is_ok() {
    // Inline: the handler's failures are HighLevel's 500s.
    let seen = Seen::default();
    let server = spawn(
        "127.0.0.1:0".parse().expect("addr"),
        flaky_router(&seen).into_service(),
    )
    .await
    .expect("bind");
    let inline = run(&format!("{}/", server.url())).await;
    server.shutdown(Duration::from_secs(5)).await.expect("stop");
    assert_eq!(inline.verdict, Verdict::Paused, "inline: {inline:?}");
    assert!(inline.first_attempt_success_rate < 0.9, "{inline:?}");

    // Durable: acknowledged once journaled; the workers retry the handler.
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Arc::new(SqliteJournal::open(dir.path().join("journal.db")).expect("journal"));
    let seen = Seen::default();
    let config = DurableConfig::default()
        .backoff(Duration::from_millis(5), Duration::from_millis(50))
        .poll_interval(Duration::from_millis(20));
    let server = spawn(
        "127.0.0.1:0".parse().expect("addr"),
        flaky_router(&seen)
            .durable(journal.clone(), config)
            .into_service(),
    )
    .await
    .expect("bind");
    let durable = run(&format!("{}/", server.url())).await;
    assert_eq!(durable.verdict, Verdict::Ok, "durable: {durable:?}");
    assert_eq!(durable.first_attempt_success_rate, 1.0);
    assert_eq!(durable.attempts, durable.deliveries);
    // And every delivery was handled in the end, some on a second try.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stats = journal.stats().await.expect("stats");
        if stats.done == durable.deliveries {
            break;
        }
        assert!(Instant::now() < deadline, "not all handled: {stats:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let map = seen.0.lock().expect("lock").clone();
    assert_eq!(map.len() as u64, durable.deliveries);
    assert!(map.values().all(|(_, handled)| *handled));
    assert!(
        map.values().any(|(tries, _)| *tries > 1),
        "no handler failed"
    );
    server.shutdown(Duration::from_secs(5)).await.expect("stop");
}
