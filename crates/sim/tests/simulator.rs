//! The simulator engine against real receivers on loopback: HighLevel's retry policies at a
//! time scale, per-event URLs and the INSTALL rule, the shape of deliveries, HighLevel's
//! habits, Resend, the circuit breaker, retention and the loopback rule.

mod common;

use std::time::Duration;

use common::receiver::{Receiver, Reply};
use ghl_webhook_sim::TestKeys;
use ghl_webhook_sim::simulator::{
    AttemptTrigger, BreakerConfig, BreakerState, ConfigError, Delivery, DeliveryState,
    EventRequest, Habits, PolicyName, SimError, Simulator, SimulatorConfig, Subscription,
    TargetError,
};
use ghl_webhook_types::EventKind;

const WAIT: Duration = Duration::from_secs(30);

async fn sim(config: SimulatorConfig) -> Simulator {
    Simulator::start(config).await.expect("starts")
}

async fn settle(sim: &Simulator, id: u64) -> Delivery {
    sim.wait_settled(id, WAIT).await.expect("settles")
}

/// Checks each retry's chosen delay against the policy's bounds and the real spacing of the
/// attempts against the chosen delay (never shorter).
fn assert_spacing(d: &Delivery, bounds: impl Fn(u32) -> (f64, f64)) {
    for pair in d.attempts.windows(2) {
        let (prev, next) = (&pair[0], &pair[1]);
        let retry = next.number - 1;
        let delay = next.delay_secs.expect("a retry records its delay");
        let (lo, hi) = bounds(retry);
        assert!(
            delay >= lo - 1e-6 && delay <= hi + 1e-6,
            "retry {retry}: delay {delay} outside [{lo}, {hi}]"
        );
        let spacing = next.sim_secs - prev.sim_secs;
        assert!(
            spacing >= delay - 1e-3,
            "retry {retry}: came {spacing} s after the previous attempt, before its delay {delay} s"
        );
    }
}

#[tokio::test]
async fn the_current_policy_retries_failures_with_exponential_backoff_until_a_2xx() {
    let receiver = Receiver::start(|n| Reply::Status(if n <= 4 { 500 } else { 200 })).await;
    let sim = sim(SimulatorConfig::new(receiver.url("/hooks"))
        .subscribe(EventKind::ContactCreate)
        .time_scale(0.0005))
    .await;
    let ids = sim.send(EventKind::ContactCreate).expect("sent");
    let d = settle(&sim, ids[0]).await;
    assert_eq!(d.state, DeliveryState::Succeeded);
    let statuses: Vec<_> = d.attempts.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses,
        [Some(500), Some(500), Some(500), Some(500), Some(200)]
    );
    assert_eq!(d.attempts[0].trigger, AttemptTrigger::Initial);
    assert!(
        d.attempts[1..]
            .iter()
            .all(|a| a.trigger == AttemptTrigger::Retry)
    );
    // 10 s doubling, half of each delay jittered.
    assert_spacing(&d, |retry| {
        let full = 10.0 * 2f64.powi(retry as i32 - 1);
        (full * 0.5, full)
    });
    // Same bytes, same webhookId, same signature on every attempt.
    let got = receiver.received();
    assert_eq!(got.len(), 5);
    assert!(
        got.iter()
            .all(|r| r.body == got[0].body && r.path == "/hooks")
    );
    assert_eq!(got[0].json()["webhookId"].as_str(), d.webhook_id.as_deref());
    let signature = got[0].headers["x-ghl-signature"].to_str().expect("ascii");
    assert_eq!(signature, TestKeys::primary().sign(&got[0].body));
    assert!(
        got.iter()
            .all(|r| r.headers["x-ghl-signature"] == signature)
    );
}

#[tokio::test]
async fn the_current_policy_gives_up_after_twelve_retries() {
    let receiver = Receiver::always(503).await;
    let sim = sim(SimulatorConfig::new(receiver.url("/"))
        .subscribe(EventKind::ContactCreate)
        .time_scale(0.00005))
    .await;
    let ids = sim.send(EventKind::ContactCreate).expect("sent");
    let d = settle(&sim, ids[0]).await;
    assert_eq!(d.state, DeliveryState::Failed);
    assert_eq!(d.attempts.len(), 13, "the first attempt and 12 retries");
    assert_eq!(d.retries, 12);
    assert_eq!(receiver.count(), 13);
    assert_spacing(&d, |retry| {
        let full = (10.0 * 2f64.powi(retry as i32 - 1)).min(3600.0);
        (full * 0.5, full)
    });
}

#[tokio::test]
async fn the_legacy_policy_retries_only_429_six_times_ten_minutes_apart() {
    let receiver = Receiver::always(429).await;
    let sim = sim(SimulatorConfig::new(receiver.url("/"))
        .subscribe(EventKind::ContactCreate)
        .retry_policy(PolicyName::Legacy)
        .time_scale(0.0001))
    .await;
    let ids = sim.send(EventKind::ContactCreate).expect("sent");
    let d = settle(&sim, ids[0]).await;
    assert_eq!(d.state, DeliveryState::Failed);
    assert_eq!(d.attempts.len(), 7);
    assert_spacing(&d, |_| (600.0, 600.0));

    // Any other failure is permanent under the legacy policy.
    receiver.set(|_| Reply::Status(500));
    let ids = sim.send(EventKind::ContactCreate).expect("sent");
    let d = settle(&sim, ids[0]).await;
    assert_eq!((d.state, d.attempts.len()), (DeliveryState::Failed, 1));
    assert_eq!(receiver.count(), 8);
}

#[tokio::test]
async fn a_hanging_receiver_times_out_per_attempt_and_is_retried() {
    let receiver = Receiver::start(|n| {
        if n == 1 {
            Reply::Hang
        } else {
            Reply::Status(204)
        }
    })
    .await;
    let sim = sim(SimulatorConfig::new(receiver.url("/"))
        .subscribe(EventKind::ContactCreate)
        .time_scale(0.0001)
        .attempt_timeout_ms(300))
    .await;
    let ids = sim.send(EventKind::ContactCreate).expect("sent");
    let d = settle(&sim, ids[0]).await;
    assert_eq!(d.state, DeliveryState::Succeeded);
    let first = &d.attempts[0];
    assert_eq!(first.status, None);
    let error = first.error.as_deref().unwrap_or_default();
    assert!(error.contains("no answer within 300 ms"), "{error}");
    assert!(first.latency_ms >= 300.0);
    assert_eq!(d.attempts[1].status, Some(204));
}

#[tokio::test]
async fn an_unreachable_url_is_recorded_as_no_answer_with_the_reason() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let sim = sim(SimulatorConfig::new(format!("http://127.0.0.1:{port}/"))
        .subscribe(EventKind::ContactCreate)
        .retry_policy(PolicyName::None))
    .await;
    let ids = sim.send(EventKind::ContactCreate).expect("sent");
    let d = settle(&sim, ids[0]).await;
    assert_eq!(d.state, DeliveryState::Failed);
    let error = d.attempts[0].error.as_deref().unwrap_or_default();
    assert!(error.contains("no answer from"), "{error}");
}

#[tokio::test]
async fn events_go_to_their_own_url_and_install_always_to_the_default_url() {
    let default = Receiver::always(200).await;
    let own = Receiver::always(200).await;
    let sim = sim(SimulatorConfig::new(default.url("/default"))
        .subscribe_to(EventKind::ContactCreate, own.url("/contacts"))
        .subscribe(EventKind::ContactDelete)
        .subscribe_to(EventKind::AppInstall, own.url("/install")))
    .await;
    for kind in [
        EventKind::ContactCreate,
        EventKind::ContactDelete,
        EventKind::AppInstall,
        EventKind::AppUninstall,
    ] {
        let ids = sim.send(kind).expect("sent");
        assert_eq!(settle(&sim, ids[0]).await.state, DeliveryState::Succeeded);
    }
    let paths = |r: &Receiver| {
        r.received()
            .iter()
            .map(|r| r.path.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(paths(&own), ["/contacts"]);
    assert_eq!(paths(&default), ["/default", "/default", "/default"]);
    let types: Vec<_> = default
        .received()
        .iter()
        .map(|r| r.json()["type"].clone())
        .collect();
    assert_eq!(types, ["ContactDelete", "INSTALL", "UNINSTALL"]);

    // Not subscribed: refused, nothing sent.
    assert_eq!(
        sim.send(EventKind::NoteCreate),
        Err(SimError::NotSubscribed(EventKind::NoteCreate))
    );
    // Settings change at run time.
    sim.subscribe(Subscription::to_url(
        EventKind::NoteCreate,
        own.url("/notes"),
    ))
    .expect("subscribed");
    sim.set_webhook_url(None).expect("cleared");
    assert_eq!(
        sim.send(EventKind::AppInstall),
        Err(SimError::NoUrl(EventKind::AppInstall))
    );
    let ids = sim.send(EventKind::NoteCreate).expect("sent");
    settle(&sim, ids[0]).await;
    assert_eq!(paths(&own), ["/contacts", "/notes"]);
    assert!(sim.unsubscribe(EventKind::NoteCreate));
    assert!(!sim.unsubscribe(EventKind::NoteCreate));
}

#[tokio::test]
async fn deliveries_carry_the_envelope_and_type_as_highlevel_sends_them() {
    let receiver = Receiver::always(200).await;
    let mut config = SimulatorConfig::new(receiver.url("/"))
        .subscribe(EventKind::AssociationDelete)
        .subscribe(EventKind::ContactCreate);
    config.app_id = "my-app".into();
    let sim = sim(config).await;
    let a = sim.send(EventKind::AssociationDelete).expect("sent");
    let c = sim
        .send_event(EventRequest::fixture(EventKind::ContactCreate).set("email=jo@example.com"))
        .expect("sent");
    settle(&sim, a[0]).await;
    settle(&sim, c[0]).await;
    let got = receiver.received();
    let assoc = got[0].json();
    assert!(
        assoc.get("type").is_none(),
        "AssociationDelete carries no type"
    );
    let contact = got[1].json();
    assert_eq!(contact["type"], "ContactCreate");
    assert_eq!(contact["email"], "jo@example.com");
    for body in [&assoc, &contact] {
        assert_eq!(body["appId"], "my-app");
        assert!(body["versionId"].is_string() && body["timestamp"].is_string());
        assert!(body["locationId"].is_string(), "{body}");
        let id = body["webhookId"].as_str().expect("webhookId");
        assert_eq!(id.len(), 36, "a fresh UUID: {id}");
    }
    assert_ne!(assoc["webhookId"], contact["webhookId"]);
    assert_eq!(got[0].headers["content-type"], "application/json");
    // The log holds the exact bytes.
    assert_eq!(
        sim.delivery(a[0]).expect("logged").body.as_bytes(),
        &got[0].body[..]
    );

    // A given payload is sent as given, with only the envelope it lacks.
    let given = serde_json::json!({"type": "ContactCreate", "id": "c-1", "webhookId": "fixed-1"});
    let ids = sim
        .send_event(EventRequest::payload(EventKind::ContactCreate, given))
        .expect("sent");
    settle(&sim, ids[0]).await;
    let body = receiver.received()[2].json();
    assert_eq!(
        (body["id"].as_str(), body["webhookId"].as_str()),
        (Some("c-1"), Some("fixed-1"))
    );
}

#[tokio::test]
async fn opportunity_changes_fire_a_paired_update_and_duplicates_repeat_the_webhook_id() {
    let receiver = Receiver::always(200).await;
    let sim = sim(SimulatorConfig::new(receiver.url("/"))
        .subscribe(EventKind::OpportunityCreate)
        .subscribe(EventKind::OpportunityUpdate)
        .habits(
            Habits::default()
                .opportunity_pair_ratio(1.0)
                .duplicate_ratio(1.0),
        ))
    .await;
    let ids = sim.send(EventKind::OpportunityCreate).expect("sent");
    assert_eq!(
        ids.len(),
        4,
        "the create, its duplicate, the update, its duplicate"
    );
    sim.wait_idle(WAIT).await.expect("settles");
    let log = sim.deliveries();
    let events: Vec<_> = log.iter().map(|d| d.event.as_str()).collect();
    assert_eq!(
        events,
        [
            "OpportunityCreate",
            "OpportunityCreate",
            "OpportunityUpdate",
            "OpportunityUpdate"
        ]
    );
    assert_eq!(log[1].duplicate_of, Some(log[0].id));
    assert_eq!(log[1].webhook_id, log[0].webhook_id);
    assert_eq!(log[2].paired_with, Some(log[0].id));
    assert_ne!(log[2].webhook_id, log[0].webhook_id);
    let got = receiver.received();
    assert_eq!(got.len(), 4);
    let create = got
        .iter()
        .find(|r| r.json()["type"] == "OpportunityCreate")
        .expect("create");
    let update = got
        .iter()
        .find(|r| r.json()["type"] == "OpportunityUpdate")
        .expect("update");
    assert_eq!(create.json()["id"], update.json()["id"]);

    // Without OpportunityUpdate subscribed, no pair is delivered.
    sim.unsubscribe(EventKind::OpportunityUpdate);
    assert_eq!(
        sim.send(EventKind::OpportunityCreate).expect("sent").len(),
        2
    );
}

#[tokio::test]
async fn resend_works_only_on_the_latest_failed_attempt_and_a_success_cancels_the_retries() {
    let receiver = Receiver::always(500).await;
    // Retries 0.5 to 1 s apart (real time): room to resend in between.
    let sim = sim(SimulatorConfig::new(receiver.url("/"))
        .subscribe(EventKind::ContactCreate)
        .time_scale(0.1))
    .await;
    let id = sim.send(EventKind::ContactCreate).expect("sent")[0];
    sim.wait_until(WAIT, "the first attempt", |log| {
        log.iter()
            .any(|d| d.id == id && !d.attempts.is_empty() && !d.in_flight)
    })
    .await
    .expect("attempted");

    assert_eq!(
        sim.resend(id, Some(7)).await,
        Err(SimError::NotLatestAttempt {
            id,
            asked: 7,
            latest: 1
        })
    );
    // A failed resend is recorded and changes no schedule.
    let failed = sim.resend(id, Some(1)).await.expect("resent");
    assert_eq!(
        (failed.number, failed.trigger, failed.ok),
        (2, AttemptTrigger::Resend, false)
    );
    let d = sim.delivery(id).expect("logged");
    assert_eq!(d.state, DeliveryState::Pending);
    let due = d.next_retry_sim_secs.expect("a retry is still scheduled");
    assert_eq!(
        sim.resend(id, Some(1)).await,
        Err(SimError::NotLatestAttempt {
            id,
            asked: 1,
            latest: 2
        })
    );

    receiver.set(|_| Reply::Status(200));
    let ok = sim.resend(id, None).await.expect("resent");
    assert!(ok.ok && ok.trigger == AttemptTrigger::Resend);
    let d = settle(&sim, id).await;
    assert_eq!(d.state, DeliveryState::Succeeded);
    assert_eq!(d.next_retry_sim_secs, None);
    // Past the time the retry was due: it never came.
    while sim.now_secs() < due + 2.0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(receiver.count(), 3);
    assert_eq!(sim.delivery(id).expect("logged").attempts.len(), 3);
    assert_eq!(
        sim.resend(id, None).await,
        Err(SimError::AlreadyDelivered(id))
    );
    assert_eq!(
        sim.resend(999, None).await,
        Err(SimError::NoSuchDelivery(999))
    );
}

#[tokio::test]
async fn a_failed_resend_of_an_exhausted_delivery_starts_no_retry_cycle() {
    let receiver = Receiver::always(500).await;
    let sim = sim(SimulatorConfig::new(receiver.url("/"))
        .subscribe(EventKind::ContactCreate)
        .retry_policy(PolicyName::None))
    .await;
    let id = sim.send(EventKind::ContactCreate).expect("sent")[0];
    assert_eq!(settle(&sim, id).await.state, DeliveryState::Failed);
    let again = sim.resend(id, Some(1)).await.expect("resent");
    assert!(!again.ok);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let d = sim.delivery(id).expect("logged");
    assert_eq!((d.state, d.attempts.len()), (DeliveryState::Failed, 2));
    assert_eq!(receiver.count(), 2);
    receiver.set(|_| Reply::Status(200));
    sim.resend(id, Some(2)).await.expect("resent");
    assert_eq!(
        sim.delivery(id).expect("logged").state,
        DeliveryState::Succeeded
    );
}

/// ContactCreate to `url`, no retries, and a breaker that checks every simulated 1,000 s (a
/// real second), judging more than 50 deliveries at under 90% success.
fn breaker_config(url: &str) -> SimulatorConfig {
    SimulatorConfig::new(url)
        .subscribe(EventKind::ContactCreate)
        .retry_policy(PolicyName::None)
        .time_scale(0.001)
        .breaker(
            BreakerConfig::default()
                .min_deliveries(50)
                .min_success_rate(0.9)
                .window_secs(1000.0)
                .check_every_secs(1000.0),
        )
}

#[tokio::test]
async fn the_breaker_warns_then_pauses_a_failing_url_and_resumes_when_re_enabled() {
    let receiver = Receiver::always(500).await;
    let url = receiver.url("/");
    let sim = sim(breaker_config(&url)).await;
    let burst = |n: usize| {
        for _ in 0..n {
            sim.send(EventKind::ContactCreate).expect("sent");
        }
    };
    burst(60);
    sim.wait_idle(WAIT).await.expect("settled");
    let state = |sim: &Simulator| sim.breaker_state(&url);
    sim.wait_until(WAIT, "the warning", |_| state(&sim) == BreakerState::Warned)
        .await
        .expect("warned");
    // Flagged again at the next check: paused.
    burst(60);
    sim.wait_idle(WAIT).await.expect("settled");
    sim.wait_until(WAIT, "the pause", |_| state(&sim) == BreakerState::Paused)
        .await
        .expect("paused");
    let breaker = sim.breaker().remove(0);
    let check = breaker.last_check.expect("checked");
    assert!(check.flagged && check.deliveries > 50, "{check:?}");

    // Paused: nothing is sent.
    let before = receiver.count();
    let id = sim.send(EventKind::ContactCreate).expect("logged")[0];
    let d = settle(&sim, id).await;
    assert_eq!((d.state, d.attempts.len()), (DeliveryState::Paused, 0));
    assert_eq!(receiver.count(), before);
    assert_eq!(
        sim.resend(1, None).await,
        Err(SimError::Paused(url.clone()))
    );

    // Re-enabled: delivered again.
    assert_eq!(sim.reset_breaker(Some(&url)), 1);
    assert_eq!(state(&sim), BreakerState::Healthy);
    receiver.set(|_| Reply::Status(200));
    let id = sim.send(EventKind::ContactCreate).expect("sent")[0];
    assert_eq!(settle(&sim, id).await.state, DeliveryState::Succeeded);
    assert_eq!(receiver.count(), before + 1);
}

#[tokio::test]
async fn the_breaker_leaves_a_url_alone_at_the_minimum_or_above_the_rate() {
    // 50 failures: not more than the minimum. Then 95% success over 200: above the rate.
    let receiver = Receiver::always(500).await;
    let url = receiver.url("/");
    let sim = sim(breaker_config(&url)).await;
    for _ in 0..50 {
        sim.send(EventKind::ContactCreate).expect("sent");
    }
    sim.wait_idle(WAIT).await.expect("settled");
    sim.wait_until(WAIT, "a check", |_| {
        sim.breaker()
            .first()
            .is_some_and(|b| b.last_check.is_some())
    })
    .await
    .expect("checked");
    let b = sim.breaker().remove(0);
    assert_eq!(b.state, BreakerState::Healthy, "{b:?}");
    assert!(!b.last_check.expect("checked").flagged);
}

#[tokio::test]
async fn the_log_keeps_deliveries_for_the_retention_only() {
    let receiver = Receiver::always(200).await;
    let mut config = SimulatorConfig::new(receiver.url("/"))
        .subscribe(EventKind::ContactCreate)
        .time_scale(0.001);
    config.retention_days = 0.002; // 172.8 simulated seconds: 173 ms
    let sim = sim(config).await;
    let first = sim.send(EventKind::ContactCreate).expect("sent")[0];
    settle(&sim, first).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let second = sim.send(EventKind::ContactCreate).expect("sent")[0];
    assert!(sim.delivery(first).is_none(), "past the retention");
    assert!(sim.delivery(second).is_some());
}

#[tokio::test]
async fn the_simulator_sends_only_to_loopback_unless_remote_urls_are_allowed() {
    let remote = "http://example.com/hooks";
    let refused = Simulator::start(SimulatorConfig::new(remote)).await;
    assert!(matches!(
        refused,
        Err(SimError::Config(ConfigError::Target(TargetError::Remote(
            _
        ))))
    ));
    let sim = sim(SimulatorConfig::new("http://127.0.0.1:9/")).await;
    assert!(sim.set_webhook_url(Some(remote.into())).is_err());
    assert!(
        sim.subscribe(Subscription::to_url(
            EventKind::ContactCreate,
            "http://10.1.2.3/"
        ))
        .is_err()
    );
    assert!(
        sim.set_webhook_url(Some("https://127.0.0.1/".into()))
            .is_err()
    );
    let allowed = Simulator::start(SimulatorConfig::new(remote).allow_remote(true)).await;
    assert!(allowed.is_ok());
}

#[tokio::test]
async fn bad_event_requests_are_refused_before_anything_is_sent() {
    let receiver = Receiver::always(200).await;
    let sim =
        sim(SimulatorConfig::new(receiver.url("/")).subscribe(EventKind::ContactCreate)).await;
    let err = |request: EventRequest| sim.send_event(request).expect_err("refused").to_string();
    let unknown = EventRequest {
        event: "ContactMade".into(),
        ..EventRequest::default()
    };
    assert!(err(unknown).contains("`ContactMade` is not a HighLevel event name"));
    let not_object = EventRequest::payload(EventKind::ContactCreate, serde_json::json!([1, 2]));
    assert!(err(not_object).contains("must be a JSON object"));
    let bad_set = EventRequest::fixture(EventKind::ContactCreate).set("=x");
    assert!(err(bad_set).contains("path before `=` is empty"));
    let into_scalar = EventRequest::fixture(EventKind::ContactCreate).set("email.x=1");
    assert!(err(into_scalar).contains("has no field"));
    assert!(sim.deliveries().is_empty());
    assert_eq!(receiver.count(), 0);
}

#[tokio::test]
async fn deliveries_are_signed_with_the_key_given_ed25519_or_legacy_rsa() {
    use ghl_webhook_sim::rsa_keys::{self, RsaSigner};
    use ghl_webhook_sim::simulator::SigningKey;

    let receiver = Receiver::always(200).await;
    let other = TestKeys::other();
    let ed = sim(SimulatorConfig::new(receiver.url("/"))
        .subscribe(EventKind::ContactCreate)
        .signing_key(SigningKey::Ed25519(other.clone())))
    .await;
    settle(&ed, ed.send(EventKind::ContactCreate).expect("sent")[0]).await;
    let rsa = sim(SimulatorConfig::new(receiver.url("/"))
        .subscribe(EventKind::ContactCreate)
        .signing_key(SigningKey::Rsa(RsaSigner::test_key())))
    .await;
    settle(&rsa, rsa.send(EventKind::ContactCreate).expect("sent")[0]).await;

    let got = receiver.received();
    assert_eq!(
        got[0].headers["x-ghl-signature"],
        other.sign(&got[0].body).as_str()
    );
    assert!(got[0].headers.get("x-wh-signature").is_none());
    assert!(got[1].headers.get("x-ghl-signature").is_none());
    assert_eq!(
        got[1].headers["x-wh-signature"],
        rsa_keys::sign(&got[1].body).as_str()
    );
}

#[test]
fn a_simulator_outside_a_runtime_is_refused_and_events_can_be_sent_from_any_thread() {
    let config = SimulatorConfig::new("http://127.0.0.1:9/").subscribe(EventKind::ContactCreate);
    assert_eq!(
        Simulator::new(config.clone()).map(|_| ()),
        Err(SimError::NoRuntime)
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let sim = runtime
        .block_on(Simulator::start(config.retry_policy(PolicyName::None)))
        .expect("starts");
    // From this (non-runtime) thread: the delivery runs on the simulator's runtime.
    let id = sim.send(EventKind::ContactCreate).expect("sent")[0];
    let d = runtime
        .block_on(sim.wait_settled(id, WAIT))
        .expect("settles");
    assert_eq!(d.state, DeliveryState::Failed, "nothing listens on port 9");
}
