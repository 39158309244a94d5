//! Delivery guarantees with the in-memory store, over real HTTP: each `webhookId` has its
//! handler effect exactly once, whatever the duplicates, failures and retries.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod common;

use common::exactly_once::{Effects, assert_exactly_once, effect_router, send_all};
use ghl_webhook_router::serve::spawn;
use ghl_webhook_router::types::EventKind;
use ghl_webhook_router::types::association::{Association, AssociationDelete};
use ghl_webhook_router::{Delivery, InMemoryStore, WebhookRouter};
use ghl_webhook_test_support::{MockSender, RetryPolicy, TestKeys};
use http::StatusCode;

fn event(key: &str) -> AssociationDelete {
    AssociationDelete(Association {
        key: Some(key.into()),
        ..Association::new("67ade73d1119d2ac7ad0c475")
    })
}

async fn start<S: Send + Sync + 'static>(
    router: WebhookRouter<S>,
) -> (ghl_webhook_router::serve::Server, MockSender) {
    let service = router.into_service().bind(EventKind::AssociationDelete);
    let server = spawn("127.0.0.1:0".parse().expect("addr"), service)
        .await
        .expect("bind");
    let sender = MockSender::new(server.url()).expect("url");
    (server, sender)
}

#[tokio::test]
async fn a_duplicate_of_a_completed_delivery_is_200_without_a_handler_call() {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = WebhookRouter::with_state(calls.clone())
        .verifier(TestKeys::primary().verifier())
        .on(
            |_: AssociationDelete, _: Delivery, calls: Arc<AtomicUsize>| async move {
                calls.fetch_add(1, Ordering::SeqCst);
            },
        );
    let (_server, sender) = start(router).await;
    let first = sender
        .event(&event("k"))
        .webhook_id("dup-1")
        .send()
        .await
        .expect("first");
    let second = sender
        .event(&event("k"))
        .webhook_id("dup-1")
        .send()
        .await
        .expect("second");
    assert_eq!(
        (first.status, second.status),
        (StatusCode::OK, StatusCode::OK)
    );
    assert!(second.body_text().contains("duplicate"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // A delivery without webhookId is processed every time (nothing to deduplicate on).
    for _ in 0..2 {
        let sent = sender
            .event(&event("k"))
            .without_webhook_id()
            .send()
            .await
            .expect("no id");
        assert_eq!(sent.status, 200);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_duplicate_while_the_first_is_in_flight_gets_the_retryable_status() {
    let gate = Arc::new(tokio::sync::Notify::new());
    let router = WebhookRouter::with_state(gate.clone())
        .verifier(TestKeys::primary().verifier())
        .on(
            |_: AssociationDelete, _: Delivery, gate: Arc<tokio::sync::Notify>| async move {
                gate.notified().await;
            },
        );
    let (_server, sender) = start(router).await;
    let first = {
        let sender = sender.clone();
        tokio::spawn(async move { sender.event(&event("k")).webhook_id("busy-1").send().await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let dup = sender
        .event(&event("k"))
        .webhook_id("busy-1")
        .send()
        .await
        .expect("dup");
    assert_eq!(dup.status, StatusCode::SERVICE_UNAVAILABLE);
    gate.notify_one();
    let first = first.await.expect("joined").expect("first");
    assert_eq!(first.status, 200);
    let after = sender
        .event(&event("k"))
        .webhook_id("busy-1")
        .send()
        .await
        .expect("after");
    assert_eq!(after.status, 200);
    assert!(after.body_text().contains("duplicate"));
}

#[tokio::test]
async fn timeout_panic_and_error_release_the_claim_so_the_retry_runs() {
    // The first attempt of each id fails in the way its key says; the retry succeeds.
    let attempts: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let router =
        WebhookRouter::with_state(attempts.clone())
            .verifier(TestKeys::primary().verifier())
            .handler_timeout(Some(Duration::from_millis(200)))
            .on(
                |e: AssociationDelete,
                 d: Delivery,
                 attempts: Arc<Mutex<HashMap<String, usize>>>| async move {
                    let n = {
                        let mut map = attempts.lock().expect("lock");
                        let n = map
                            .entry(d.webhook_id().unwrap_or("").to_owned())
                            .or_default();
                        *n += 1;
                        *n
                    };
                    if n == 1 {
                        match e.key.as_deref() {
                            Some("timeout") => tokio::time::sleep(Duration::from_secs(5)).await,
                            Some("panic") => panic!("first attempt panics"),
                            _ => return Err("first attempt fails"),
                        }
                    }
                    Ok(())
                },
            );
    let (_server, sender) = start(router).await;
    for key in ["timeout", "panic", "error"] {
        let id = format!("release-{key}");
        let first = sender
            .event(&event(key))
            .webhook_id(&id)
            .send()
            .await
            .expect("first");
        assert_eq!(first.status, StatusCode::INTERNAL_SERVER_ERROR, "{key}");
        let retry = sender
            .event(&event(key))
            .webhook_id(&id)
            .send()
            .await
            .expect("retry");
        assert_eq!(retry.status, StatusCode::OK, "{key}: {}", retry.body_text());
        assert!(
            !retry.body_text().contains("duplicate"),
            "{key}: the retry must run the handler"
        );
        assert_eq!(attempts.lock().expect("lock")[&id], 2, "{key}");
    }
}

#[tokio::test]
async fn two_thousand_deliveries_with_duplicates_failures_and_retries_take_effect_exactly_once() {
    let fx = Effects::default();
    let router = effect_router(&fx, 0.2)
        .dedupe_in_memory(InMemoryStore::new(10_000, Duration::from_secs(3600)));
    let (_server, sender) = start(router).await;
    let sender = sender.with_retry(RetryPolicy::highlevel().time_scale(0.0005));
    let ids = send_all(&[sender], 2_000, "mem").await;
    assert_exactly_once(&fx, &ids, true);
}

/// A store that is down (like Redis unreachable).
struct DownStore;

impl ghl_webhook_router::IdempotencyStore for DownStore {
    fn claim<'a>(
        &'a self,
        _: &'a str,
    ) -> futures_util::future::BoxFuture<
        'a,
        Result<ghl_webhook_router::Claim, ghl_webhook_router::StoreError>,
    > {
        Box::pin(async { Err(ghl_webhook_router::StoreError::new("connection refused")) })
    }
    fn complete<'a>(
        &'a self,
        _: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<(), ghl_webhook_router::StoreError>> {
        Box::pin(async { Err(ghl_webhook_router::StoreError::new("connection refused")) })
    }
    fn release<'a>(
        &'a self,
        _: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<(), ghl_webhook_router::StoreError>> {
        Box::pin(async { Err(ghl_webhook_router::StoreError::new("connection refused")) })
    }
}

#[tokio::test]
async fn an_unavailable_store_answers_retry_by_default_or_processes_when_configured() {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = |policy| {
        WebhookRouter::with_state(calls.clone())
            .verifier(TestKeys::primary().verifier())
            .dedupe_with(DownStore)
            .on_store_error(policy)
            .on(
                |_: AssociationDelete, _: Delivery, calls: Arc<AtomicUsize>| async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                },
            )
    };
    let (_a, retrying) = start(router(ghl_webhook_router::OnStoreError::Retry)).await;
    let sent = retrying.event(&event("k")).send().await.expect("sent");
    assert_eq!(sent.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "nothing processed while the store is down"
    );

    let (_b, anyway) = start(router(ghl_webhook_router::OnStoreError::ProcessAnyway)).await;
    let sent = anyway.event(&event("k")).send().await.expect("sent");
    assert_eq!(sent.status, StatusCode::OK);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_legacy_policy_answers_429_for_every_retryable_outcome() {
    let gate = Arc::new(tokio::sync::Notify::new());
    let router = WebhookRouter::with_state(gate.clone())
        .verifier(TestKeys::primary().verifier())
        .statuses(ghl_webhook_router::StatusPolicy::legacy_429())
        .on(
            |e: AssociationDelete, _: Delivery, gate: Arc<tokio::sync::Notify>| async move {
                match e.key.as_deref() {
                    Some("wait") => {
                        gate.notified().await;
                        Ok(())
                    }
                    _ => Err("failing"),
                }
            },
        );
    let (_server, sender) = start(router).await;
    let failed = sender.event(&event("fail")).send().await.expect("sent");
    assert_eq!(
        failed.status,
        StatusCode::TOO_MANY_REQUESTS,
        "handler error"
    );

    let first = {
        let sender = sender.clone();
        tokio::spawn(async move {
            sender
                .event(&event("wait"))
                .webhook_id("legacy-1")
                .send()
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let dup = sender
        .event(&event("wait"))
        .webhook_id("legacy-1")
        .send()
        .await
        .expect("dup");
    assert_eq!(
        dup.status,
        StatusCode::TOO_MANY_REQUESTS,
        "duplicate in flight"
    );
    gate.notify_one();
    assert_eq!(first.await.expect("joined").expect("first").status, 200);

    let undecodable = sender
        .json(serde_json::json!({"id": 5}))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        undecodable.status,
        StatusCode::OK,
        "retries cannot fix a decode failure"
    );
}

#[tokio::test]
async fn without_a_timeout_a_slow_handler_runs_to_completion() {
    let router = WebhookRouter::new()
        .verifier(TestKeys::primary().verifier())
        .handler_timeout(None)
        .on(|_: AssociationDelete, _: Delivery| async {
            tokio::time::sleep(Duration::from_millis(300)).await;
        });
    let (_server, sender) = start(router).await;
    let sent = sender.event(&event("slow")).send().await.expect("sent");
    assert_eq!(sent.status, StatusCode::OK);

    let limited = WebhookRouter::new()
        .verifier(TestKeys::primary().verifier())
        .handler_timeout(Some(Duration::from_millis(100)))
        .on(|_: AssociationDelete, _: Delivery| async {
            tokio::time::sleep(Duration::from_millis(300)).await;
        });
    let (_server, sender) = start(limited).await;
    let sent = sender.event(&event("slow")).send().await.expect("sent");
    assert_eq!(sent.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(sent.body_text().contains("timed out"));
}
