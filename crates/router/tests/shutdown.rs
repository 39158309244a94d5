//! Graceful shutdown: stop accepting, let in-flight handlers finish up to a deadline, answer
//! nothing half-done.

mod common;

use common::seed_event;
use std::time::{Duration, Instant};

use ghl_webhook_router::serve::spawn;
use ghl_webhook_router::types::EventKind;
use ghl_webhook_router::types::association::AssociationDelete;
use ghl_webhook_router::{Delivery, WebhookRouter};
use ghl_webhook_test_support::{MockSender, TestKeys};

async fn slow_server(handler_time: Duration) -> (ghl_webhook_router::serve::Server, MockSender) {
    let router = WebhookRouter::new()
        .verifier(TestKeys::primary().verifier())
        .on(move |_: AssociationDelete, _: Delivery| async move {
            tokio::time::sleep(handler_time).await;
        });
    let server = spawn(
        "127.0.0.1:0".parse().expect("addr"),
        router.into_service().bind(EventKind::AssociationDelete),
    )
    .await
    .expect("bind");
    let sender = MockSender::new(server.url()).expect("url");
    (server, sender)
}

#[tokio::test]
async fn in_flight_deliveries_finish_and_new_connections_are_refused() {
    let (server, sender) = slow_server(Duration::from_millis(500)).await;
    let addr = server.addr();
    let in_flight = {
        let sender = sender.clone();
        tokio::spawn(async move { sender.event(&seed_event()).send().await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    server
        .shutdown(Duration::from_secs(5))
        .await
        .expect("shutdown");
    let sent = in_flight.await.expect("joined").expect("answered");
    assert_eq!(
        sent.status, 200,
        "the in-flight delivery completed before shutdown returned"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no new connections after shutdown"
    );
}

#[tokio::test]
async fn past_the_grace_period_busy_connections_are_dropped_without_an_answer() {
    let (server, sender) = slow_server(Duration::from_secs(30)).await;
    let in_flight = {
        let sender = sender.clone();
        tokio::spawn(async move { sender.event(&seed_event()).send().await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    server
        .shutdown(Duration::from_millis(300))
        .await
        .expect("shutdown");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "shutdown respects its deadline"
    );
    let outcome = tokio::time::timeout(Duration::from_secs(5), in_flight)
        .await
        .expect("client finished")
        .expect("joined");
    assert!(
        outcome.is_err(),
        "no success answered for a handler that never finished: {outcome:?}"
    );
}
