//! The metrics a service records, read back from a real Prometheus exporter after real HTTP
//! deliveries: one count per outcome (forged and oversized requests included), the success
//! window over a known mix, the durable workers' attempts and dead letters, and no label that
//! carries an id or a payload value.
//!
//! Each test installs its own recorder for its thread (`set_default_local_recorder`); the
//! tests run on tokio's current-thread runtime, so the server, the workers and the sender all
//! record into it.
#![cfg(feature = "metrics")]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::prometheus::{recorder, scrape};
use common::{seed_event, serve};
use ghl_webhook_router::metrics as names;
use ghl_webhook_router::types::EventKind;
use ghl_webhook_router::types::association::AssociationDelete;
use ghl_webhook_router::{InMemoryStore, WebhookRouter};
use ghl_webhook_test_support::TestKeys;
use ghl_webhook_testkit::prometheus::Exposition;
use serde_json::json;

const BODY_LIMIT: usize = 8 * 1024;

/// AssociationDelete handled, failing when its id is `fail`; no other handler.
fn router(store: &InMemoryStore) -> WebhookRouter {
    WebhookRouter::new()
        .verifier(TestKeys::primary().verifier())
        .body_limit(BODY_LIMIT)
        .dedupe_in_memory(store.clone())
        .on(
            |event: AssociationDelete, _: ghl_webhook_router::Delivery| async move {
                if event.0.id == "fail" {
                    Err("the handler failed")
                } else {
                    Ok(())
                }
            },
        )
}

fn association(id: &str) -> AssociationDelete {
    let mut event = seed_event();
    event.0.id = id.into();
    event
}

fn deliveries(samples: &Exposition, kind: &str, outcome: &str) -> f64 {
    samples.value(
        names::DELIVERIES_TOTAL,
        &[("kind", kind), ("outcome", outcome)],
    )
}

#[tokio::test]
async fn every_outcome_is_counted_after_real_deliveries() {
    let recorder = recorder();
    let _local = metrics::set_default_local_recorder(&recorder);
    let store = InMemoryStore::default();
    let service = router(&store).into_service();
    let (_server, sender) = serve(service.clone()).await;

    let status = |sent: ghl_webhook_test_support::Sent| sent.status;
    let mut first_id = None;
    for n in 0..3 {
        let sent = sender
            .event(&association(&format!("a{n}")))
            .bound()
            .send()
            .await
            .expect("sent");
        assert_eq!(sent.status, 200, "{}", sent.body_text());
        first_id = first_id.or(sent.webhook_id);
    }
    let dup = sender
        .event(&association("a0"))
        .bound()
        .webhook_id(first_id.expect("an id"))
        .send()
        .await
        .expect("sent");
    assert_eq!(status(dup), 200);
    assert_eq!(
        status(
            sender
                .event(&association("fail"))
                .bound()
                .send()
                .await
                .expect("sent")
        ),
        500
    );
    let contact = json!({"type": "ContactCreate", "locationId": "l", "id": "c"});
    assert_eq!(
        status(sender.json(contact).send().await.expect("sent")),
        200
    );
    let unknown = json!({"type": "SomethingHighLevelAddsLater", "locationId": "l"});
    assert_eq!(
        status(sender.json(unknown).send().await.expect("sent")),
        200
    );
    let undecodable = json!({"type": "AssociationDelete", "id": {"not": "a string"}});
    assert_eq!(
        status(sender.json(undecodable).send().await.expect("sent")),
        200
    );
    // Rejected before identification.
    let forged = sender
        .event(&association("f"))
        .bound()
        .signed_by(&TestKeys::other());
    assert_eq!(status(forged.send().await.expect("sent")), 401);
    let unsigned = sender.event(&association("u")).bound().unsigned();
    assert_eq!(status(unsigned.send().await.expect("sent")), 401);
    let na = sender.event(&association("n")).bound().not_applicable();
    assert_eq!(status(na.send().await.expect("sent")), 401);
    let garbled = sender
        .event(&association("g"))
        .bound()
        .signature_header("%%%");
    assert_eq!(status(garbled.send().await.expect("sent")), 401);
    let oversized = sender.raw(vec![b' '; BODY_LIMIT + 1]);
    assert_eq!(status(oversized.send().await.expect("sent")), 413);
    assert_eq!(
        status(sender.raw(&b"not json"[..]).send().await.expect("sent")),
        400
    );
    let get = sender
        .event(&association("m"))
        .bound()
        .method(http::Method::GET);
    assert_eq!(status(get.send().await.expect("sent")), 405);
    let text = sender
        .event(&association("t"))
        .bound()
        .content_type(Some("text/plain"));
    assert_eq!(status(text.send().await.expect("sent")), 415);

    let samples = scrape(&recorder);
    let expected = [
        ("AssociationDelete", "handled", 3.0),
        ("AssociationDelete", "duplicate", 1.0),
        ("AssociationDelete", "handler_failed", 1.0),
        ("AssociationDelete", "undecodable", 1.0),
        ("ContactCreate", "no_handler", 1.0),
        ("unknown", "unknown", 1.0),
        ("none", "invalid_signature", 4.0),
        ("none", "body_too_large", 1.0),
        ("none", "not_json", 1.0),
        ("none", "method_not_allowed", 1.0),
        ("none", "unsupported_media_type", 1.0),
    ];
    for (kind, outcome, count) in expected {
        assert_eq!(
            deliveries(&samples, kind, outcome),
            count,
            "{kind} {outcome}"
        );
    }
    let sum: f64 = expected.iter().map(|(_, _, count)| count).sum();
    assert_eq!(
        samples.total(names::DELIVERIES_TOTAL),
        sum,
        "nothing else counted"
    );
    for reason in [
        "signature_mismatch",
        "signature_missing",
        "signature_not_applicable",
        "signature_malformed_base64",
    ] {
        let count = samples.value(names::SIGNATURE_REJECTIONS_TOTAL, &[("reason", reason)]);
        assert_eq!(count, 1.0, "{reason}");
    }

    // Verification: the 9 requests that got past it and the 4 it refused (oversized, not-POST
    // and wrong-type requests never reach it).
    let count =
        |name: &str, labels: &[(&str, &str)]| samples.value(&format!("{name}_count"), labels);
    assert_eq!(count(names::VERIFY_SECONDS, &[("result", "verified")]), 9.0);
    assert_eq!(count(names::VERIFY_SECONDS, &[("result", "rejected")]), 4.0);
    // Dispatch: everything verified and not a duplicate.
    let handler = |kind, outcome| {
        count(
            names::HANDLER_SECONDS,
            &[("kind", kind), ("outcome", outcome)],
        )
    };
    assert_eq!(handler("AssociationDelete", "handled"), 3.0);
    assert_eq!(handler("AssociationDelete", "handler_failed"), 1.0);
    assert_eq!(handler("AssociationDelete", "undecodable"), 1.0);
    assert_eq!(handler("ContactCreate", "no_handler"), 1.0);
    assert_eq!(handler("unknown", "unknown"), 1.0);
    assert_eq!(
        samples.total(&format!("{}_count", names::HANDLER_SECONDS)),
        7.0
    );

    // HighLevel's view: the 9 verified deliveries, 7 of them 2xx (not the failure, not the
    // signed body that is not JSON).
    let rate = service.success_rate();
    assert_eq!((rate.answers, rate.successes), (9, 7));
    assert_eq!(samples.value(names::SUCCESS_RATIO, &[]), 7.0 / 9.0);
    assert_eq!(samples.value(names::SUCCESS_WINDOW_ANSWERS, &[]), 9.0);
    assert_eq!(
        samples.value(names::IN_FLIGHT, &[]),
        0.0,
        "every request answered"
    );
    assert_eq!(samples.value(names::DEDUPE_IDS, &[]), store.len() as f64);
    assert_eq!(samples.value(names::DEDUPE_EVICTIONS_TOTAL, &[]), 0.0);
}

#[tokio::test]
async fn the_success_ratio_gauge_is_the_2xx_share_of_a_known_mix() {
    let recorder = recorder();
    let _local = metrics::set_default_local_recorder(&recorder);
    let service = router(&InMemoryStore::default()).into_service();
    let (_server, sender) = serve(service.clone()).await;
    // 17 handled, 3 failing: 85%, under HighLevel's 90%.
    for n in 0..20 {
        let id = if n % 7 == 3 {
            "fail".to_owned()
        } else {
            format!("ok{n}")
        };
        sender
            .event(&association(&id))
            .bound()
            .send()
            .await
            .expect("sent");
    }
    // Forgeries are not HighLevel's deliveries: they leave the ratio alone.
    for _ in 0..5 {
        let forged = sender
            .event(&association("x"))
            .bound()
            .signed_by(&TestKeys::other());
        assert_eq!(forged.send().await.expect("sent").status, 401);
    }
    let samples = scrape(&recorder);
    assert_eq!(samples.value(names::SUCCESS_RATIO, &[]), 0.85);
    assert_eq!(samples.value(names::SUCCESS_WINDOW_ANSWERS, &[]), 20.0);
    assert_eq!(service.success_rate().ratio(), Some(0.85));
}

#[tokio::test]
async fn a_full_in_memory_store_counts_its_evictions() {
    let recorder = recorder();
    let _local = metrics::set_default_local_recorder(&recorder);
    let store = InMemoryStore::new(2, Duration::from_secs(3600));
    let (_server, sender) = serve(router(&store).into_service()).await;
    for n in 0..5 {
        sender
            .event(&association(&format!("e{n}")))
            .bound()
            .send()
            .await
            .expect("sent");
    }
    let samples = scrape(&recorder);
    assert_eq!(samples.value(names::DEDUPE_EVICTIONS_TOTAL, &[]), 3.0);
    assert_eq!(samples.value(names::DEDUPE_IDS, &[]), 2.0);
}

/// Every outcome code, event name and reason a label may take.
fn allowed_label_values() -> BTreeSet<String> {
    let mut allowed: BTreeSet<String> = EventKind::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect();
    allowed.extend(
        [
            "unknown",
            "none",
            "verified",
            "rejected",
            "completed",
            "retried",
            "dead_letter",
            "unsettled",
        ]
        .map(String::from),
    );
    allowed.extend(
        [
            "undecodable",
            "out_of_attempts",
            "unreadable",
            "pending",
            "in_progress",
            "done",
            "dead",
        ]
        .map(String::from),
    );
    allowed.extend(
        [
            "handled",
            "journaled",
            "already_journaled",
            "journal_unavailable",
            "no_handler",
            "duplicate",
            "duplicate_in_flight",
            "store_unavailable",
            "handler_failed",
            "handler_panicked",
            "handler_timed_out",
            "invalid_signature",
            "body_too_large",
            "body_timeout",
            "body_unreadable",
            "not_json",
            "method_not_allowed",
            "unsupported_media_type",
        ]
        .map(String::from),
    );
    allowed.extend(
        [
            "signature_missing",
            "signature_not_applicable",
            "signature_malformed_base64",
            "signature_wrong_length",
            "signature_mismatch",
        ]
        .map(String::from),
    );
    allowed
}

#[tokio::test]
async fn no_label_carries_an_id_a_location_or_a_payload_value() {
    let recorder = recorder();
    let _local = metrics::set_default_local_recorder(&recorder);
    let service = router(&InMemoryStore::default()).into_service();
    let (_server, sender) = serve(service).await;
    let markers = [
        "wh-marker-7f3a",
        "loc-marker-9q2",
        "payload-marker-zz",
        "TypeMarkerFromTheFuture",
    ];
    let mut event = association("payload-marker-zz");
    event.0.location_id = Some("loc-marker-9q2".into());
    let sends = [
        sender.event(&event).bound().webhook_id("wh-marker-7f3a"),
        sender.event(&event).bound().webhook_id("wh-marker-7f3a"),
        sender.event(&event).bound().webhook_id("wh-marker-7f3a-2").signed_by(&TestKeys::other()),
        sender.json(json!({"type": "TypeMarkerFromTheFuture", "locationId": "loc-marker-9q2", "webhookId": "wh-marker-7f3a-3"})),
        sender.json(json!({"type": "AssociationDelete", "id": 1, "locationId": "loc-marker-9q2", "x": "payload-marker-zz"})),
        sender.raw(&b"payload-marker-zz"[..]),
    ];
    for outgoing in sends {
        outgoing.send().await.expect("sent");
    }
    let text = recorder.handle().render();
    for marker in markers {
        assert!(
            !text.contains(marker),
            "`{marker}` leaked into the metrics:\n{text}"
        );
    }
    // And every label is documented, with a value from the fixed sets.
    let allowed = allowed_label_values();
    let samples = Exposition::parse(&text).expect("valid text");
    assert!(samples.total(names::DELIVERIES_TOTAL) >= 6.0, "{text}");
    for sample in &samples.samples {
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| sample.name.strip_suffix(suffix))
            .filter(|base| names::ALL.iter().any(|(name, _)| name == base))
            .unwrap_or(&sample.name);
        let (_, labels) = names::ALL
            .iter()
            .find(|(name, _)| *name == base)
            .unwrap_or_else(|| panic!("undocumented metric {}", sample.name));
        for (key, value) in &sample.labels {
            if key == "le" {
                continue;
            }
            assert!(
                labels.contains(&key.as_str()),
                "undocumented label {key} on {}",
                sample.name
            );
            assert!(
                allowed.contains(value),
                "label {key}={value} on {}",
                sample.name
            );
        }
    }
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn durable_workers_count_attempts_retries_and_dead_letters() {
    use ghl_webhook_router::DurableConfig;
    use ghl_webhook_router::journal::SqliteJournal;

    let recorder = recorder();
    let _local = metrics::set_default_local_recorder(&recorder);
    let dir = tempfile::tempdir().expect("dir");
    let journal = SqliteJournal::open(dir.path().join("metrics.db")).expect("journal");
    let flaky_failed = Arc::new(AtomicBool::new(false));
    let service =
        WebhookRouter::with_state(flaky_failed)
            .verifier(TestKeys::primary().verifier())
            .on(
                |event: AssociationDelete,
                 _: ghl_webhook_router::Delivery,
                 failed: Arc<AtomicBool>| async move {
                    match event.0.id.as_str() {
                        "doomed" => Err("always fails"),
                        "flaky" if !failed.swap(true, Ordering::SeqCst) => Err("fails once"),
                        _ => Ok(()),
                    }
                },
            )
            .durable(
                journal,
                DurableConfig::default()
                    .max_attempts(2)
                    .backoff(Duration::from_millis(10), Duration::from_millis(20))
                    .poll_interval(Duration::from_millis(10))
                    .metrics_interval(Duration::from_millis(20)),
            )
            .into_service();
    let (server, sender) = serve(service).await;
    for id in ["ok1", "ok2", "flaky", "doomed"] {
        let sent = sender
            .event(&association(id))
            .bound()
            .send()
            .await
            .expect("sent");
        assert_eq!(sent.status, 200, "{}", sent.body_text());
    }
    let undecodable = json!({"type": "AssociationDelete", "id": ["no"]});
    assert_eq!(
        sender.json(undecodable).send().await.expect("sent").status,
        200
    );

    // Until the workers settled everything and the gauges caught up.
    let deadline = Instant::now() + Duration::from_secs(20);
    let samples = loop {
        let samples = scrape(&recorder);
        let entries = |state| samples.value(names::JOURNAL_ENTRIES, &[("state", state)]);
        if entries("dead") == 2.0 && entries("done") == 3.0 && entries("pending") == 0.0 {
            break samples;
        }
        assert!(
            Instant::now() < deadline,
            "workers did not settle: {samples:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let attempts = |result| {
        samples.value(
            names::WORKER_ATTEMPTS_TOTAL,
            &[("kind", "AssociationDelete"), ("result", result)],
        )
    };
    assert_eq!(attempts("completed"), 3.0, "ok1, ok2, flaky's second");
    assert_eq!(attempts("retried"), 2.0, "flaky's first, doomed's first");
    assert_eq!(
        attempts("dead_letter"),
        2.0,
        "doomed's second, the undecodable one"
    );
    let dead = |reason| {
        samples.value(
            names::DEAD_LETTERS_TOTAL,
            &[("kind", "AssociationDelete"), ("reason", reason)],
        )
    };
    assert_eq!(dead("out_of_attempts"), 1.0);
    assert_eq!(dead("undecodable"), 1.0);
    assert_eq!(
        samples.value(names::JOURNAL_OLDEST_PENDING_SECONDS, &[]),
        0.0
    );
    assert_eq!(deliveries(&samples, "AssociationDelete", "journaled"), 5.0);
    server
        .shutdown(Duration::from_secs(5))
        .await
        .expect("stops");
}

#[tokio::test]
async fn the_window_gauges_slide_on_with_readiness_checks_while_nothing_arrives() {
    let recorder = recorder();
    let _local = metrics::set_default_local_recorder(&recorder);
    let service = router(&InMemoryStore::default())
        .success_window(Duration::from_millis(600))
        .into_service();
    let (_server, sender) = serve(service.clone()).await;
    for id in ["fail", "w1"] {
        sender
            .event(&association(id))
            .bound()
            .send()
            .await
            .expect("sent");
    }
    let samples = scrape(&recorder);
    assert_eq!(samples.value(names::SUCCESS_WINDOW_ANSWERS, &[]), 2.0);
    assert_eq!(samples.value(names::SUCCESS_RATIO, &[]), 0.5);

    // A window later, with no delivery since: a readiness check moves the gauges on.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let report = service
        .health(ghl_webhook_router::HealthConfig::default())
        .check()
        .await;
    assert_eq!(report.success_rate.answers, 0);
    let samples = scrape(&recorder);
    assert_eq!(samples.value(names::SUCCESS_WINDOW_ANSWERS, &[]), 0.0);
}
