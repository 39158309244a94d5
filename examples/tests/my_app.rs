//! How a user tests their own app: start it on a loopback port, send it deliveries signed
//! like HighLevel's with MockSender, check what the app did.

mod common;

use common::get;

use ghl_webhook_examples::handlers::{AppState, webhook_service};
use ghl_webhook_examples::observability::Observability;
use ghl_webhook_examples::{axum_app, hyper_app};
use ghl_webhook_router::journal::Journal;
use ghl_webhook_router::types::association::{Association, AssociationDelete};
use ghl_webhook_test_support::{MockSender, TestKeys};

fn deleted(id: &str) -> AssociationDelete {
    AssociationDelete(Association {
        key: Some("buyer_property_interest".into()),
        location_id: Some("loc".into()),
        ..Association::new(id)
    })
}

async fn exercise(base: String, state: AppState) {
    assert_eq!(
        get(&format!("{base}/health")).await,
        (200, "ok".into()),
        "own routes still work"
    );

    let sender = MockSender::new(format!("{base}/webhooks/highlevel")).expect("url");
    let sent = sender
        .event(&deleted("a-1"))
        .bound()
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status, 200, "{}", sent.body_text());
    assert!(
        state
            .lines()
            .iter()
            .any(|l| l.contains("association a-1 deleted"))
    );

    // A duplicate (same webhookId) is acknowledged without running the handler again.
    let id = sent.webhook_id.clone().expect("id");
    let again = sender
        .event(&deleted("a-1"))
        .bound()
        .webhook_id(id)
        .send()
        .await
        .expect("dup");
    assert_eq!(again.status, 200);
    assert_eq!(
        state
            .lines()
            .iter()
            .filter(|l| l.contains("association a-1 "))
            .count(),
        1
    );

    // A forgery is refused and changes nothing.
    let forged = sender
        .event(&deleted("a-2"))
        .bound()
        .signed_by(&TestKeys::other())
        .send()
        .await
        .expect("forged");
    assert_eq!(forged.status, 401);
    assert!(!state.lines().iter().any(|l| l.contains("association a-2 ")));
}

#[tokio::test]
async fn the_hyper_app_receives_signed_deliveries_beside_its_own_routes() {
    let state = AppState::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let webhooks = webhook_service(state.clone(), TestKeys::primary().verifier());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let observability = Observability::new(&webhooks, None);
    let app = tokio::spawn(hyper_app::run(listener, webhooks, observability, async {
        let _ = stopped.await;
    }));
    exercise(base, state).await;
    let _ = stop.send(());
    app.await.expect("joined").expect("served");
}

#[tokio::test]
async fn the_axum_app_receives_signed_deliveries_beside_its_own_routes() {
    let state = AppState::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let webhooks = webhook_service(state.clone(), TestKeys::primary().verifier());
    let observability = Observability::new(&webhooks, None);
    let app = axum_app::app(webhooks, observability);
    let server = tokio::spawn(axum_app::serve(listener, app, std::future::pending()));
    exercise(base, state).await;
    server.abort();
}

/// Waits until the app logged a line containing `needle`, up to 10 s.
async fn logged(state: &AppState, needle: &str) -> bool {
    for _ in 0..200 {
        if state.lines().iter().any(|l| l.contains(needle)) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn the_durable_hyper_app_acknowledges_once_journaled_and_handles_afterwards() {
    use ghl_webhook_examples::handlers::durable_webhook_service;
    use ghl_webhook_router::journal::{Journal, SqliteJournal};

    let dir = tempfile::tempdir().expect("temp dir");
    let journal =
        std::sync::Arc::new(SqliteJournal::open(dir.path().join("app.db")).expect("journal"));
    let state = AppState::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let webhooks = durable_webhook_service(
        state.clone(),
        TestKeys::primary().verifier(),
        journal.clone(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let observability = Observability::new(&webhooks, None);
    let app = tokio::spawn(hyper_app::run(listener, webhooks, observability, async {
        let _ = stopped.await;
    }));

    let sender = MockSender::new(format!("{base}/webhooks/highlevel")).expect("url");
    let sent = sender
        .event(&deleted("d-1"))
        .bound()
        .webhook_id("durable-app-1")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        (sent.status.as_u16(), sent.body_text().as_str()),
        (200, "accepted: journaled")
    );
    assert!(
        logged(&state, "association d-1 deleted").await,
        "the workers ran the handler"
    );
    let again = sender
        .event(&deleted("d-1"))
        .bound()
        .webhook_id("durable-app-1")
        .send()
        .await
        .expect("dup");
    assert_eq!(again.body_text(), "duplicate: already journaled");
    let stats = journal.stats().await.expect("stats");
    assert_eq!((stats.done, stats.pending + stats.in_progress), (1, 0));

    let _ = stop.send(());
    app.await.expect("joined").expect("served");
}

use ghl_webhook_testkit::redis_server;

#[tokio::test]
async fn two_durable_app_replicas_share_one_redis_journal() {
    use ghl_webhook_router::journal::{RedisJournal, RedisJournalConfig};

    let Some(redis) = redis_server::RedisServer::start() else {
        return;
    };
    let journal = || -> std::sync::Arc<dyn Journal> {
        std::sync::Arc::new(
            RedisJournal::open(
                &redis.url(),
                RedisJournalConfig::default().key_prefix("my-app:"),
            )
            .expect("journal"),
        )
    };
    two_replicas_handle_a_retried_delivery_once([journal(), journal()], journal(), "d-2").await;
}

use ghl_webhook_testkit::postgres_server;

#[tokio::test]
async fn two_durable_app_replicas_share_one_postgres_journal() {
    use ghl_webhook_router::journal::{PostgresConfig, PostgresJournal};

    let Some(server) = postgres_server::PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    let config = || PostgresConfig::default().schema("my_app");
    // Each replica opens the journal on its own: the first creates the tables.
    let mut journals = Vec::new();
    for _ in 0..2 {
        let journal = PostgresJournal::connect(&url, config())
            .await
            .expect("journal");
        journals.push(std::sync::Arc::new(journal) as std::sync::Arc<dyn Journal>);
    }
    let shared = PostgresJournal::open_existing(&url, config())
        .await
        .expect("the replicas' journal");
    let [a, b] = <[_; 2]>::try_from(journals).unwrap_or_else(|_| unreachable!("two journals"));
    two_replicas_handle_a_retried_delivery_once([a, b], std::sync::Arc::new(shared), "d-3").await;
}

/// Two durable `my_app` replicas, one on each of `journals` (one shared journal, opened
/// twice): a delivery, then HighLevel's retry of it reaching the other replica, is journaled
/// once (`shared` reads it) and handled once by one worker of one replica.
async fn two_replicas_handle_a_retried_delivery_once(
    journals: [std::sync::Arc<dyn Journal>; 2],
    shared: std::sync::Arc<dyn Journal>,
    association: &str,
) {
    use ghl_webhook_examples::handlers::durable_webhook_service;

    let mut replicas = Vec::new();
    for journal in journals {
        let state = AppState::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let webhooks =
            durable_webhook_service(state.clone(), TestKeys::primary().verifier(), journal);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let observability = Observability::new(&webhooks, None);
        let app = tokio::spawn(hyper_app::run(listener, webhooks, observability, async {
            let _ = stopped.await;
        }));
        let sender = MockSender::new(format!("{base}/webhooks/highlevel")).expect("url");
        replicas.push((state, sender, stop, app));
    }

    let webhook_id = format!("replicated-{association}");
    let first = replicas[0]
        .1
        .event(&deleted(association))
        .bound()
        .webhook_id(&webhook_id)
        .send()
        .await
        .expect("sent");
    assert_eq!(first.body_text(), "accepted: journaled");
    let retry = replicas[1]
        .1
        .event(&deleted(association))
        .bound()
        .webhook_id(&webhook_id)
        .send()
        .await
        .expect("sent");
    assert_eq!(retry.body_text(), "duplicate: already journaled");

    let mut stats = shared.stats().await.expect("stats");
    for _ in 0..100 {
        if stats.done == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        stats = shared.stats().await.expect("stats");
    }
    assert_eq!((stats.done, stats.pending + stats.in_progress), (1, 0));
    let handled: usize = replicas
        .iter()
        .map(|(state, ..)| {
            state
                .lines()
                .iter()
                .filter(|line| line.contains(&format!("association {association} deleted")))
                .count()
        })
        .sum();
    assert_eq!(handled, 1, "one worker of one replica handled it");
    for (_, _, stop, app) in replicas {
        let _ = stop.send(());
        app.await.expect("joined").expect("served");
    }
}
