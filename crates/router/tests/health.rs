//! Liveness and readiness over real HTTP: the health service mounted beside the webhook
//! service, flipping to not ready when a real redis-server stops and back when it returns, and
//! when the journal's oldest pending entry passes the bound.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::health_app::{HealthApp, request};
use common::{Recorder, association_router, seed_event};
use futures_util::future::BoxFuture;
use ghl_webhook_router::{Claim, HealthConfig, IdempotencyStore, StoreError, WebhookRouter};
use ghl_webhook_test_support::MockSender;
use serde_json::Value;

/// Polls `/readyz` until its status is `want` (or 15 s pass), and returns its body.
async fn ready_becomes(app: &HealthApp, want: u16) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) = app.get_json("/readyz").await;
        if status == want {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz stayed {status}, not {want}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn problems(body: &Value) -> String {
    body["problems"].to_string()
}

#[tokio::test]
async fn an_inline_service_is_live_and_ready_with_its_figures() {
    let recorder = Recorder::default();
    let webhooks = association_router(&recorder).into_service();
    let app = HealthApp::start(webhooks.clone(), webhooks.health(HealthConfig::default())).await;
    let sender = MockSender::new(app.url("/AssociationDelete")).expect("url");
    for _ in 0..3 {
        let sent = sender.event(&seed_event()).send().await.expect("sent");
        assert_eq!(sent.status, 200, "{}", sent.body_text());
    }
    let forged = sender
        .event(&seed_event())
        .signed_by(&ghl_webhook_test_support::TestKeys::other())
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status, 401);

    let (status, live) = app.get_json("/livez").await;
    assert_eq!((status, live["status"].as_str()), (200, Some("live")));
    let (status, ready) = app.get_json("/readyz").await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["problems"], serde_json::json!([]));
    assert_eq!(ready["dedupe"]["store"], "memory");
    assert_eq!(ready["dedupe"]["ids"], 3);
    assert_eq!(ready["journal"], Value::Null);
    // The forgery is not HighLevel's: only the three verified deliveries are in the window.
    assert_eq!(ready["highlevel"]["answers"], 3);
    assert_eq!(ready["highlevel"]["success_ratio"], 1.0);
    assert_eq!(ready["highlevel"]["at_risk"], false);
    assert_eq!(webhooks.success_rate().answers, 3);
}

#[tokio::test]
async fn the_health_routes_answer_only_get_and_head() {
    let webhooks = WebhookRouter::new().into_service();
    let app = HealthApp::start(webhooks.clone(), webhooks.health(HealthConfig::default())).await;
    for method in [http::Method::POST, http::Method::DELETE, http::Method::PUT] {
        let (status, body) = request(&app.url("/readyz"), method.clone()).await;
        assert_eq!(status, 405, "{method}: {body}");
        assert!(body.contains("only GET and HEAD"), "{body}");
    }
    let (status, body) = request(&app.url("/livez"), http::Method::HEAD).await;
    assert_eq!((status, body.as_str()), (200, ""), "HEAD has no body");
    // Query strings and trailing junk change nothing: the service answers where it is mounted.
    let (status, _) = app.get_json("/readyz?verbose=%ff%00").await;
    assert_eq!(status, 200);
}

/// A shared store whose ping hangs while `stuck` is set.
#[derive(Clone, Default)]
struct HangingStore {
    stuck: Arc<AtomicBool>,
}

impl IdempotencyStore for HangingStore {
    fn claim<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(async { Ok(Claim::Acquired) })
    }
    fn complete<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Ok(()) })
    }
    fn release<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Ok(()) })
    }
    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        let stuck = self.stuck.load(Ordering::SeqCst);
        Box::pin(async move {
            if stuck {
                std::future::pending::<()>().await;
            }
            Ok(())
        })
    }
}

#[tokio::test]
async fn a_store_that_does_not_answer_in_time_is_not_ready() {
    let store = HangingStore::default();
    let webhooks = WebhookRouter::new()
        .dedupe_with(store.clone())
        .into_service();
    let health = webhooks.health(HealthConfig::default().check_timeout(Duration::from_millis(200)));
    let app = HealthApp::start(webhooks, health).await;
    let body = ready_becomes(&app, 200).await;
    assert_eq!(body["dedupe"]["store"], "shared");
    store.stuck.store(true, Ordering::SeqCst);
    let started = Instant::now();
    let body = ready_becomes(&app, 503).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the check is bounded"
    );
    assert_eq!(body["dedupe"]["reachable"], false);
    assert!(problems(&body).contains("no answer within 200ms"), "{body}");
    // The process is still alive: liveness touches no store.
    assert_eq!(app.get_json("/livez").await.0, 200);
}

#[cfg(feature = "redis")]
mod redis {
    use super::*;
    use ghl_webhook_router::journal::{RedisJournal, RedisJournalConfig};
    use ghl_webhook_router::{DurableConfig, RedisStore, RedisStoreConfig};
    use ghl_webhook_testkit::redis_server::RedisServer;

    #[tokio::test]
    async fn readiness_follows_the_shared_dedupe_store_down_and_back() {
        let Some(redis) = RedisServer::start() else {
            return;
        };
        let config = RedisStoreConfig::default()
            .key_prefix("health:")
            .connection_timeout(Duration::from_millis(300))
            .response_timeout(Duration::from_millis(300));
        let store = RedisStore::new(&redis.url(), config).expect("store");
        let webhooks = WebhookRouter::new().dedupe_with(store).into_service();
        let app =
            HealthApp::start(webhooks.clone(), webhooks.health(HealthConfig::default())).await;
        let body = ready_becomes(&app, 200).await;
        assert_eq!(body["dedupe"]["store"], "shared");

        redis.kill();
        let body = ready_becomes(&app, 503).await;
        assert_eq!(body["status"], "not_ready");
        assert!(
            problems(&body).contains("the idempotency store cannot be reached"),
            "{body}"
        );
        assert_eq!(app.get_json("/livez").await.0, 200, "still live");

        redis.restart();
        let body = ready_becomes(&app, 200).await;
        assert_eq!(body["dedupe"]["reachable"], true);
    }

    #[tokio::test]
    async fn readiness_follows_the_redis_journal_down_and_back() {
        let Some(redis) = RedisServer::start() else {
            return;
        };
        let journal = RedisJournal::open(
            &redis.url(),
            RedisJournalConfig::default().key_prefix("health:journal:"),
        )
        .expect("journal");
        let recorder = Recorder::default();
        let webhooks = association_router(&recorder)
            .durable(journal, DurableConfig::default())
            .into_service();
        let app =
            HealthApp::start(webhooks.clone(), webhooks.health(HealthConfig::default())).await;
        let body = ready_becomes(&app, 200).await;
        assert_eq!(body["journal"]["reachable"], true);
        assert_eq!(body["dedupe"]["store"], "journal");

        redis.kill();
        let body = ready_becomes(&app, 503).await;
        assert_eq!(body["journal"]["reachable"], false);
        assert!(
            problems(&body).contains("the journal cannot be read"),
            "{body}"
        );

        redis.restart();
        ready_becomes(&app, 200).await;
    }
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn readiness_fails_while_the_oldest_pending_entry_is_over_the_bound() {
    use ghl_webhook_router::DurableConfig;
    use ghl_webhook_router::journal::SqliteJournal;

    let dir = tempfile::tempdir().expect("dir");
    let journal = SqliteJournal::open(dir.path().join("health.db")).expect("journal");
    let recorder = Recorder::default();
    let webhooks = association_router(&recorder)
        .durable(
            journal,
            DurableConfig::default().poll_interval(Duration::from_millis(20)),
        )
        .into_service();
    let bound = Duration::from_millis(400);
    let health = webhooks.health(HealthConfig::default().max_pending_age(Some(bound)));
    let app = HealthApp::start(webhooks.clone(), health).await;
    let sender = MockSender::new(app.url("/AssociationDelete")).expect("url");

    // No workers run yet: the entry waits.
    let sent = sender.event(&seed_event()).send().await.expect("sent");
    assert_eq!(sent.status, 200, "{}", sent.body_text());
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 200, "within the bound: {body}");
    assert_eq!(body["journal"]["pending"], 1);

    let body = ready_becomes(&app, 503).await;
    assert!(
        problems(&body).contains("the workers are not keeping up"),
        "{body}"
    );
    assert!(body["journal"]["oldest_pending_age_seconds"].as_f64() > Some(0.4));

    // Workers take the entry: ready again, nothing pending.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let workers = tokio::spawn(webhooks.workers().expect("durable").run(async {
        let _ = stopped.await;
    }));
    let body = ready_becomes(&app, 200).await;
    assert_eq!(body["journal"]["pending"], 0);
    assert_eq!(body["journal"]["oldest_pending_age_seconds"], Value::Null);
    let deadline = Instant::now() + Duration::from_secs(10);
    while recorder.total() < 1 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(recorder.total(), 1, "the worker handled the entry");
    drop(stop);
    workers.await.expect("workers stop");
}
