//! Deduplication in a real Redis (started on an ephemeral loopback port): atomic claims, two
//! router instances sharing one Redis, Redis killed and restarted mid-run.
#![cfg(feature = "redis")]

mod common;

use std::time::Duration;

use common::exactly_once::{Effects, assert_exactly_once, effect_router, send_all};
use common::seed_event;
use ghl_webhook_router::serve::{Server, spawn};
use ghl_webhook_router::types::EventKind;
use ghl_webhook_router::{Claim, IdempotencyStore, RedisStore, RedisStoreConfig, WebhookRouter};
use ghl_webhook_test_support::{MockSender, RetryPolicy};
use ghl_webhook_testkit::redis_server::RedisServer;

fn config(prefix: &str) -> RedisStoreConfig {
    RedisStoreConfig::default()
        .key_prefix(format!("test:{prefix}:"))
        .in_flight_ttl(Duration::from_secs(3))
}

async fn instance<S: Send + Sync + 'static>(
    router: WebhookRouter<S>,
    retry: &RetryPolicy,
) -> (Server, MockSender) {
    let service = router.into_service().bind(EventKind::AssociationDelete);
    let server = spawn("127.0.0.1:0".parse().expect("addr"), service)
        .await
        .expect("bind");
    let sender = MockSender::new(server.url())
        .expect("url")
        .with_retry(retry.clone());
    (server, sender)
}

#[tokio::test]
async fn claims_are_atomic_and_follow_the_claim_lifecycle() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let a = RedisStore::new(&redis.url(), config("atomic")).expect("store");
    let b = RedisStore::new(&redis.url(), config("atomic")).expect("store");
    let mut claims = Vec::new();
    for i in 0..20 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        claims.push(tokio::spawn(async move { store.claim("same").await }));
    }
    let mut acquired = 0;
    for claim in claims {
        match claim.await.expect("joined").expect("claimed") {
            Claim::Acquired => acquired += 1,
            Claim::InFlight => {}
            other => panic!("nothing completed yet: {other:?}"),
        }
    }
    assert_eq!(acquired, 1, "exactly one of 20 concurrent claims wins");
    a.complete("same").await.expect("complete");
    assert_eq!(b.claim("same").await.expect("claim"), Claim::Done);

    assert_eq!(a.claim("other").await.expect("claim"), Claim::Acquired);
    b.release("other").await.expect("release");
    assert_eq!(a.claim("other").await.expect("claim"), Claim::Acquired);
    // Release never deletes a completed id.
    a.complete("other").await.expect("complete");
    a.release("other").await.expect("release");
    assert_eq!(b.claim("other").await.expect("claim"), Claim::Done);
    // The prefix separates stores.
    let c = RedisStore::new(&redis.url(), config("elsewhere")).expect("store");
    assert_eq!(c.claim("same").await.expect("claim"), Claim::Acquired);
}

#[tokio::test]
async fn in_flight_and_done_claims_expire_after_their_ttls() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::new(
        &redis.url(),
        config("ttl").in_flight_ttl(Duration::from_millis(200)),
    )
    .expect("store");
    assert_eq!(store.claim("x").await.expect("claim"), Claim::Acquired);
    assert_eq!(store.claim("x").await.expect("claim"), Claim::InFlight);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(store.claim("x").await.expect("claim"), Claim::Acquired);

    let short_done = RedisStore::new(
        &redis.url(),
        config("done-ttl").done_ttl(Duration::from_millis(200)),
    )
    .expect("store");
    assert_eq!(short_done.claim("y").await.expect("claim"), Claim::Acquired);
    short_done.complete("y").await.expect("complete");
    assert_eq!(short_done.claim("y").await.expect("claim"), Claim::Done);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        short_done.claim("y").await.expect("claim"),
        Claim::Acquired,
        "a handled id is forgotten after done_ttl"
    );
}

#[test]
fn a_malformed_url_is_a_configuration_error() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let _guard = rt.enter();
    for url in ["", "not a url", "http://127.0.0.1:6379"] {
        assert!(
            RedisStore::new(url, RedisStoreConfig::default()).is_err(),
            "{url}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_sharing_redis_take_each_effect_exactly_once() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let fx = Effects::default();
    let retry = RetryPolicy::highlevel().time_scale(0.0005);
    let router = |prefix| {
        effect_router(&fx, 0.2)
            .dedupe_with(RedisStore::new(&redis.url(), config(prefix)).expect("store"))
    };
    let (_a, to_a) = instance(router("shared"), &retry).await;
    let (_b, to_b) = instance(router("shared"), &retry).await;
    let ids = send_all(&[to_a, to_b], 2_000, "two").await;
    assert_exactly_once(&fx, &ids, true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_mid_run_loses_and_doubles_nothing() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let fx = Effects::default();
    // Slower retries, so that HighLevel's schedule spans the outage.
    let retry = RetryPolicy::highlevel().time_scale(0.005);
    let busy = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let handled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let router = || {
        let (busy, handled) = (busy.clone(), handled.clone());
        effect_router(&fx, 0.1)
            .handler_timeout(Some(Duration::from_secs(1)))
            .dedupe_with(RedisStore::new(&redis.url(), config("outage")).expect("store"))
            .on_answer(move |a| {
                if a.status() == 503 && a.message().contains("store unavailable") {
                    busy.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                if a.status() == 200 {
                    handled.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            })
    };
    let (_a, to_a) = instance(router(), &retry).await;
    let (_b, to_b) = instance(router(), &retry).await;
    let senders = [to_a, to_b];
    // Mid-run whatever the machine's speed: once 200 deliveries are answered 200.
    let outage = async {
        while handled.load(std::sync::atomic::Ordering::Relaxed) < 200 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::task::block_in_place(|| redis.kill());
        tokio::time::sleep(Duration::from_secs(1)).await;
        tokio::task::block_in_place(|| redis.restart());
    };
    let (ids, ()) = tokio::join!(send_all(&senders, 1_000, "outage"), outage);
    assert_exactly_once(&fx, &ids, false);
    let busy = busy.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        busy > 0,
        "the outage hit deliveries in flight (they were answered busy and retried)"
    );
    eprintln!("{busy} deliveries answered 503 during the outage, all retried to exactly-once");
}

#[tokio::test]
async fn while_redis_is_down_deliveries_are_answered_busy_and_processed_once_it_is_back() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let fx = Effects::default();
    let store = RedisStore::new(&redis.url(), config("down")).expect("store");
    let (_a, sender) = instance(
        effect_router(&fx, 0.0).dedupe_with(store),
        &RetryPolicy::none(),
    )
    .await;
    redis.kill();
    let sent = sender
        .event(&seed_event())
        .webhook_id("down-1")
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status, 503, "{}", sent.body_text());
    assert!(fx.done.lock().expect("lock").is_empty());
    redis.restart();
    let mut status = 0;
    for _ in 0..50 {
        let sent = sender
            .event(&seed_event())
            .webhook_id("down-1")
            .send()
            .await
            .expect("sent");
        status = sent.status.as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "processed once Redis is back");
    assert_eq!(fx.done.lock().expect("lock").get("down-1"), Some(&1));
}
