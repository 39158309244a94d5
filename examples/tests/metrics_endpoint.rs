//! What an operator sees: the apps' `GET /metrics` counts every delivery by kind and outcome,
//! and every refused signature by reason, without a webhookId, a location id or anything of a
//! payload in it; `GET /readyz` and `GET /livez` answer JSON.
//!
//! The recorder is global to the process: it is installed once for this test binary, and the
//! tests take turns (one lock) and compare the counters before and after what they send.

mod common;

use common::get_typed as get;

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use ghl_webhook_examples::handlers::{AppState, webhook_service};
use ghl_webhook_examples::observability::{
    Observability, PROMETHEUS_CONTENT_TYPE, install_prometheus,
};
use ghl_webhook_examples::{axum_app, hyper_app};
use ghl_webhook_router::DEFAULT_BODY_LIMIT;
use ghl_webhook_router::metrics::{DELIVERIES_TOTAL, SIGNATURE_REJECTIONS_TOTAL};
use ghl_webhook_router::types::association::{Association, AssociationCreate, AssociationDelete};
use ghl_webhook_test_support::{MockSender, TestKeys};
use ghl_webhook_testkit::prometheus::Exposition;
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::{Value, json};

/// The process's recorder, installed at first use.
fn recorder() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| install_prometheus().expect("the only recorder of this test binary"))
        .clone()
}

/// Held by each test for its whole run: the counters are the process's, not the app's.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Scrapes `base/metrics` over HTTP and parses it.
async fn scrape(base: &str) -> (String, Exposition) {
    let (status, content_type, text) = get(&format!("{base}/metrics")).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(content_type, PROMETHEUS_CONTENT_TYPE);
    let samples = Exposition::parse(&text).expect("the route serves valid exposition text");
    (text, samples)
}

/// A running app: its base URL, and how to stop it.
struct Running {
    base: String,
    stop: Pin<Box<dyn Future<Output = ()>>>,
}

/// What either app is made of: a loopback listener, its base URL, and the webhook service
/// with its observability on the process's recorder.
async fn parts() -> (
    tokio::net::TcpListener,
    String,
    ghl_webhook_router::WebhookService<AppState>,
    Observability,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let webhooks = webhook_service(AppState::default(), TestKeys::primary().verifier());
    let observability = Observability::new(&webhooks, Some(recorder()));
    (listener, base, webhooks, observability)
}

/// The hyper app on a loopback port, with the process's recorder.
async fn start_hyper() -> Running {
    let (listener, base, webhooks, observability) = parts().await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = tokio::spawn(hyper_app::run(listener, webhooks, observability, async {
        let _ = stopped.await;
    }));
    Running {
        base,
        stop: Box::pin(async move {
            let _ = stop.send(());
            app.await.expect("joined").expect("served");
        }),
    }
}

/// The axum app on a loopback port, with the process's recorder.
async fn start_axum() -> Running {
    let (listener, base, webhooks, observability) = parts().await;
    let app = axum_app::app(webhooks, observability);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    Running {
        base,
        stop: Box::pin(async move { server.abort() }),
    }
}

fn deleted(id: &str, location: &str) -> AssociationDelete {
    AssociationDelete(Association {
        key: Some("buyer_property_interest".into()),
        location_id: Some(location.into()),
        ..Association::new(id)
    })
}

/// Sends one delivery of each way it can end, and checks what `/metrics` and `/readyz` say of
/// them.
async fn count_what_is_sent(app: Running, tag: &str) {
    let base = app.base.clone();
    let (_, before) = scrape(&base).await;
    let sender = MockSender::new(format!("{base}/webhooks/highlevel")).expect("url");
    let event = deleted(&format!("assoc-{tag}"), "loc-1");

    let handled = sender
        .event(&event)
        .bound()
        .webhook_id(format!("wh-{tag}"))
        .send()
        .await
        .expect("handled");
    assert_eq!(handled.status, 200, "{}", handled.body_text());
    let duplicate = sender
        .event(&event)
        .bound()
        .webhook_id(format!("wh-{tag}"))
        .send()
        .await
        .expect("duplicate");
    assert_eq!(duplicate.body_text(), "duplicate: already handled");
    let forged = sender
        .event(&event)
        .bound()
        .signed_by(&TestKeys::other())
        .send()
        .await
        .expect("forged");
    assert_eq!(forged.status, 401);
    let unsigned = sender
        .event(&event)
        .bound()
        .unsigned()
        .send()
        .await
        .expect("unsigned");
    assert_eq!(unsigned.status, 401);
    // Refused on its Content-Length, before a byte of it is read: the server may close the
    // connection while the client still writes, so only the count is checked here.
    let oversized = vec![b' '; DEFAULT_BODY_LIMIT + 1];
    if let Ok(sent) = sender.raw(oversized).send().await {
        assert_eq!(sent.status, 413);
    }
    let not_json = sender
        .raw(&b"a signed body that is not JSON"[..])
        .send()
        .await
        .expect("not JSON");
    assert_eq!(not_json.status, 400);

    let (_, after) = scrape(&base).await;
    let delta = |name: &str, labels: &[(&str, &str)]| {
        after.value(name, labels) - before.value(name, labels)
    };
    let delivered = |kind: &str, outcome: &str| {
        delta(DELIVERIES_TOTAL, &[("kind", kind), ("outcome", outcome)])
    };
    assert_eq!(delivered("AssociationDelete", "handled"), 1.0);
    assert_eq!(delivered("AssociationDelete", "duplicate"), 1.0);
    assert_eq!(delivered("none", "invalid_signature"), 2.0);
    assert_eq!(delivered("none", "body_too_large"), 1.0);
    assert_eq!(delivered("none", "not_json"), 1.0);
    assert_eq!(
        after.total(DELIVERIES_TOTAL) - before.total(DELIVERIES_TOTAL),
        6.0,
        "nothing else was counted"
    );
    let rejected = |reason: &str| delta(SIGNATURE_REJECTIONS_TOTAL, &[("reason", reason)]);
    assert_eq!(rejected("signature_mismatch"), 1.0);
    assert_eq!(rejected("signature_missing"), 1.0);
    assert_eq!(
        after.total(SIGNATURE_REJECTIONS_TOTAL) - before.total(SIGNATURE_REJECTIONS_TOTAL),
        2.0
    );
    assert!(
        after.value(
            "ghl_webhook_verify_seconds_count",
            &[("result", "verified")]
        ) > before.value(
            "ghl_webhook_verify_seconds_count",
            &[("result", "verified")]
        ),
        "verification is timed, as a histogram"
    );

    let (status, content_type, body) = get(&format!("{base}/readyz")).await;
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    let ready: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(ready["status"], "ready", "{ready}");
    // HighLevel counts the answers to verified deliveries: handled, duplicate, not JSON.
    assert_eq!(ready["highlevel"]["answers"], 3, "{ready}");
    assert_eq!(ready["highlevel"]["successes"], 2, "{ready}");
    assert_eq!(ready["dedupe"]["store"], "memory", "{ready}");

    let (status, _, body) = get(&format!("{base}/livez")).await;
    assert_eq!(status, 200);
    let live: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(live["status"], "live");
    assert_eq!(get(&format!("{base}/health")).await.2, "ok", "kept");

    (app.stop).await;
}

#[tokio::test]
async fn the_hyper_apps_metrics_count_each_delivery_by_kind_outcome_and_reason() {
    let _turn = TURN.lock().await;
    count_what_is_sent(start_hyper().await, "hyper").await;
}

#[tokio::test]
async fn the_axum_apps_metrics_count_each_delivery_by_kind_outcome_and_reason() {
    let _turn = TURN.lock().await;
    count_what_is_sent(start_axum().await, "axum").await;
}

#[tokio::test]
async fn no_webhook_id_location_id_nor_payload_value_reaches_the_metrics() {
    let _turn = TURN.lock().await;
    for app in [start_hyper().await, start_axum().await] {
        let base = app.base.clone();
        let sender = MockSender::new(format!("{base}/webhooks/highlevel")).expect("url");
        let created = AssociationCreate(Association {
            key: Some("secret-key-c0ffee".into()),
            first_object_key: Some("secret-first-8d21".into()),
            second_object_key: Some("secret-second-4e90".into()),
            location_id: Some("secret-location-91b2".into()),
            ..Association::new("secret-assoc-55d1")
        });
        sender
            .event(&created)
            .bound()
            .webhook_id("secret-webhook-7f3a")
            .send()
            .await
            .expect("handled");
        sender
            .event(&deleted(
                "secret-assoc-deleted-19ab",
                "secret-location-2c3d",
            ))
            .bound()
            .webhook_id("secret-webhook-forged-0b1c")
            .signed_by(&TestKeys::other())
            .send()
            .await
            .expect("forged");
        // A kind the router does not know (the app's `on_unknown` handles it): its `type` is a
        // payload value too, and is counted as `unknown`.
        sender
            .json(json!({
                "type": "SecretKind6a7b",
                "locationId": "secret-location-unknown-5f6e",
                "note": "secret-note-3d4c",
            }))
            .webhook_id("secret-webhook-unknown-8e9f")
            .send()
            .await
            .expect("unknown");

        let (text, samples) = scrape(&base).await;
        assert!(
            samples.value(
                DELIVERIES_TOTAL,
                &[("kind", "AssociationCreate"), ("outcome", "handled")]
            ) >= 1.0,
            "the deliveries were counted: {text}"
        );
        assert!(
            samples.value(
                DELIVERIES_TOTAL,
                &[("kind", "unknown"), ("outcome", "handled")]
            ) >= 1.0,
            "{text}"
        );
        for secret in ["secret", "7f3a", "91b2", "55d1", "6a7b", "c0ffee"] {
            assert!(
                !text.contains(secret),
                "`{secret}` of a delivery is in /metrics:\n{text}"
            );
        }
        (app.stop).await;
    }
}
