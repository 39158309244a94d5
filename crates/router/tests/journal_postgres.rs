//! What is particular to the Postgres journal, on a real PostgreSQL cluster: malformed URLs,
//! refused passwords, unreachable servers, bad schema names, another app's tables, newer
//! schemas, inspection that creates nothing, rows this SDK did not write, replicas migrating
//! together, wake-ups across replicas, transactional handlers, and Postgres stopped and
//! restarted under load. The contract every engine keeps is in `journal_contract.rs`.
#![cfg(all(feature = "postgres", feature = "sqlite"))]

mod common;
mod journal_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::exactly_once::{Effects, effect_router};
use futures_util::future::BoxFuture;
use ghl_webhook_router::journal::{
    Appended, EntryState, Journal, JournalError, ListFilter, PostgresConfig, PostgresJournal,
    SqliteJournal,
};
use ghl_webhook_router::serve::spawn;
use ghl_webhook_router::types::association::{Association, AssociationDelete};
use ghl_webhook_router::{BoxError, Delivery, DurableConfig, WebhookRouter};
use ghl_webhook_test_support::{MockSender, RetryPolicy, TestKeys};
use ghl_webhook_testkit::postgres_server::{PASSWORD, PostgresServer};
use journal_support::entry;
use sqlx::PgConnection;
use tokio::sync::Notify;

const LONG: Duration = Duration::from_secs(3600);

async fn journal(url: &str, schema: &str) -> PostgresJournal {
    PostgresJournal::connect(url, PostgresConfig::default().schema(schema))
        .await
        .expect("open")
}

/// A port nothing listens on.
fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

fn event() -> AssociationDelete {
    AssociationDelete(Association::new("67ade73d1119d2ac7ad0c475"))
}

#[tokio::test]
async fn a_malformed_url_is_an_invalid_address_that_hides_the_password() {
    for url in [
        "not a url",
        "mysql://app:s3cret@127.0.0.1/app",
        "postgres://app:s3cret@127.0.0.1:notaport/app",
        "postgres://app:s3cret@127.0.0.1/app?sslmode=sometimes",
    ] {
        let err = PostgresJournal::connect(url, PostgresConfig::default())
            .await
            .expect_err(url);
        assert!(
            matches!(err, JournalError::InvalidAddress { .. }),
            "{url}: {err:?}"
        );
        let message = err.to_string();
        assert!(!message.contains("s3cret"), "{message}");
        assert!(
            message.contains("postgres://"),
            "says what is expected: {message}"
        );
    }
}

#[tokio::test]
async fn an_invalid_schema_name_is_refused_before_anything_is_opened() {
    for schema in [
        "",
        "Bad-Name",
        "a;drop",
        "pg_catalog",
        "x".repeat(60).as_str(),
    ] {
        let err = PostgresJournal::connect(
            "postgres://u:p@127.0.0.1:1/db",
            PostgresConfig::default().schema(schema),
        )
        .await
        .expect_err(schema);
        assert!(
            matches!(err, JournalError::InvalidName { .. }),
            "{schema:?}: {err:?}"
        );
        assert!(err.to_string().contains("lowercase letters"), "{err}");
    }
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    let url = format!("postgres://postgres:x@127.0.0.1:{}/postgres", dead_port());
    let config = PostgresConfig::default().acquire_timeout(Duration::from_millis(500));
    let err = PostgresJournal::connect(&url, config)
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, JournalError::Unavailable { .. }), "{err:?}");
    assert!(err.to_string().contains("cannot be reached"), "{err}");
}

#[tokio::test]
async fn a_wrong_password_or_database_is_refused_with_a_clear_error_that_hides_the_password() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let cases = [
        server.url_with_password("wrong-horse"),
        server.url_of("no_such_database"),
    ];
    for url in cases {
        let err = PostgresJournal::connect(&url, PostgresConfig::default())
            .await
            .expect_err(&url);
        assert!(
            matches!(err, JournalError::Refused { .. }),
            "{url}: {err:?}"
        );
        let message = err.to_string();
        assert!(
            !message.contains("wrong-horse") && !message.contains(PASSWORD),
            "{message}"
        );
        assert!(
            message.contains("check the user, password and database"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn inspection_of_a_database_without_a_journal_creates_nothing() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    let err =
        PostgresJournal::open_existing(&url, PostgresConfig::default().schema("nothing_here"))
            .await
            .expect_err("no journal");
    assert!(matches!(err, JournalError::Missing { .. }), "{err:?}");
    let database = url.rsplit('/').next().expect("database");
    assert_eq!(
        server.psql(
            database,
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'nothing_here'"
        ),
        "0",
        "no schema was created"
    );
}

#[tokio::test]
async fn another_apps_tables_in_the_schema_are_foreign_and_left_untouched() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    let database = url.rsplit('/').next().expect("database").to_owned();
    server.psql(
        &database,
        "CREATE SCHEMA shop; CREATE TABLE shop.entries (id int); INSERT INTO shop.entries VALUES (7);
         CREATE SCHEMA crm; CREATE TABLE crm.schema_version (v text); INSERT INTO crm.schema_version VALUES ('x');
         CREATE SCHEMA ledger; CREATE TABLE ledger.schema_version (version int, written_by text);
         INSERT INTO ledger.schema_version VALUES (1, 'ledger app')",
    );
    for schema in ["shop", "crm", "ledger"] {
        for config in [
            PostgresConfig::default().schema(schema),
            PostgresConfig::default().schema(schema).create(false),
        ] {
            let err = PostgresJournal::connect(&url, config)
                .await
                .expect_err(schema);
            assert!(
                matches!(err, JournalError::Foreign { .. }),
                "{schema}: {err:?}"
            );
            assert!(err.to_string().contains("did not write"), "{err}");
        }
    }
    assert_eq!(server.psql(&database, "SELECT id FROM shop.entries"), "7");
    assert_eq!(
        server.psql(&database, "SELECT v FROM crm.schema_version"),
        "x"
    );
    assert_eq!(
        server.psql(
            &database,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'shop'"
        ),
        "1",
        "nothing was added beside the app's table"
    );
}

#[tokio::test]
async fn a_newer_schema_is_refused_and_left_untouched() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    let database = url.rsplit('/').next().expect("database").to_owned();
    let journal = journal(&url, "future").await;
    journal.append(entry("kept")).await.expect("append");
    drop(journal);
    server.psql(&database, "UPDATE future.schema_version SET version = 99");
    let err = PostgresJournal::connect(&url, PostgresConfig::default().schema("future"))
        .await
        .expect_err("newer");
    journal_support::assert_newer_schema(&err, 1);
    assert_eq!(
        server.psql(&database, "SELECT version FROM future.schema_version"),
        "99"
    );
    assert_eq!(
        server.psql(&database, "SELECT count(*) FROM future.entries"),
        "1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_together_create_the_journal_once() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    let opened = futures_util::future::join_all(
        (0..6)
            .map(|_| PostgresJournal::connect(&url, PostgresConfig::default().schema("together"))),
    )
    .await;
    let journals: Vec<PostgresJournal> = opened
        .into_iter()
        .map(|opened| opened.expect("every replica opens"))
        .collect();
    for (i, journal) in journals.iter().enumerate() {
        let appended = journal.append(entry("same")).await.expect("append");
        assert_eq!(appended == Appended::New, i == 0);
    }
    let database = url.rsplit('/').next().expect("database");
    assert_eq!(
        server.psql(database, "SELECT version FROM together.schema_version"),
        "1"
    );
}

/// Batches of appends in flight together that share keys, in opposite orders, wait for each
/// other's index entries: Postgres aborts one to break the deadlock, and the journal sends it
/// again, so that no append fails and each key is new exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batches_sharing_keys_in_opposite_orders_never_fail() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    let journal = Arc::new(
        PostgresJournal::connect(&url, PostgresConfig::default().schema("crossed").writers(4))
            .await
            .expect("open"),
    );
    for round in 0..120 {
        let keys: Vec<String> = (0..24).map(|i| format!("r{round}-k{i}")).collect();
        let mut tasks = tokio::task::JoinSet::new();
        for copy in 0..4 {
            let mut mine = keys.clone();
            if copy % 2 == 1 {
                mine.reverse();
            }
            for key in mine {
                let journal = Arc::clone(&journal);
                tasks.spawn(async move { (key.clone(), journal.append(entry(&key)).await) });
            }
        }
        let mut new = std::collections::HashMap::<String, usize>::new();
        for (key, appended) in tasks.join_all().await {
            let appended = appended.unwrap_or_else(|err| panic!("round {round}, {key}: {err}"));
            if appended == Appended::New {
                *new.entry(key).or_default() += 1;
            }
        }
        assert_eq!(new.len(), keys.len(), "round {round}: every key new once");
        assert!(new.values().all(|&n| n == 1), "round {round}: {new:?}");
    }
}

#[tokio::test]
async fn a_row_this_sdk_did_not_write_is_a_clear_error_not_a_panic() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    let database = url.rsplit('/').next().expect("database").to_owned();
    let journal = journal(&url, "tampered").await;
    journal.append(entry("fine")).await.expect("append");
    server.psql(
        &database,
        "INSERT INTO tampered.entries (key, state, verified_by, received_at, next_attempt_at, \
         updated_at, raw) VALUES ('\\xff'::bytea, 'pending', 'k', 0, 0, 0, '\\x00'::bytea)",
    );
    let err = journal
        .list(&ListFilter::default())
        .await
        .expect_err("not UTF-8");
    assert!(matches!(err, JournalError::Foreign { .. }), "{err:?}");
    assert!(err.to_string().contains("does not read"), "{err}");
    // A verifying key this SDK never writes.
    journal.append(entry("odd")).await.expect("append");
    server.psql(
        &database,
        "UPDATE tampered.entries SET verified_by = 'a stranger' WHERE key = 'odd'::bytea",
    );
    let err = journal.get("odd").await.expect_err("unreadable row");
    assert!(
        err.to_string()
            .contains("`a stranger` is not a verifying key"),
        "{err}"
    );
    server.psql(
        &database,
        "UPDATE tampered.entries SET verified_by = 'ed25519:k' WHERE key = 'odd'::bytea",
    );
    // Leasing skips it as a dead letter that says why, and leases the real entry.
    let leased = journal.lease(10, LONG).await.expect("lease");
    let keys: Vec<&str> = leased.iter().map(|l| l.entry.key.as_str()).collect();
    assert_eq!(keys, ["fine", "odd"]);
    let stats = journal.stats().await.expect("stats");
    assert_eq!((stats.in_progress, stats.dead), (2, 1), "{stats:?}");
    assert_eq!(
        server.psql(
            &database,
            "SELECT last_error FROM tampered.entries WHERE state = 'dead'"
        ),
        "not a journal entry: error occurred while decoding column key: not UTF-8 text: invalid utf-8 sequence of 1 bytes from index 0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_on_one_replica_wakes_the_idle_workers_of_another_at_once() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    let here = journal(&url, "wake").await;
    let there = journal(&url, "wake").await;
    let wake = Arc::new(Notify::new());
    there.wake_on_appends(Arc::clone(&wake));
    // The listener woke once on connecting; take that permit.
    let _ = tokio::time::timeout(Duration::from_secs(5), wake.notified()).await;
    let mut latencies = Vec::new();
    for i in 0..20 {
        let started = Instant::now();
        here.append(entry(&format!("w{i}"))).await.expect("append");
        tokio::time::timeout(Duration::from_secs(2), wake.notified())
            .await
            .expect("woken by the other replica's append");
        latencies.push(started.elapsed());
    }
    latencies.sort();
    eprintln!(
        "append-to-wake latency across replicas: median {:?}",
        latencies[10]
    );

    // End to end: workers polling once a minute still handle at once what another replica
    // appends.
    let fx = Effects::default();
    let service = effect_router(&fx, 0.0)
        .durable(
            there,
            DurableConfig::default().poll_interval(Duration::from_secs(60)),
        )
        .into_service();
    let workers = service.workers().expect("durable");
    let stop = Arc::new(Notify::new());
    let stopped = Arc::clone(&stop);
    let running = tokio::spawn(workers.run(async move { stopped.notified().await }));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut new = entry("from-elsewhere");
    new.raw = serde_json::to_vec(&serde_json::json!({
        "type": "AssociationDelete", "id": "a-1", "webhookId": "from-elsewhere"
    }))
    .expect("json")
    .into();
    new.kind = Some(ghl_webhook_router::types::EventKind::AssociationDelete);
    let started = Instant::now();
    here.append(new).await.expect("append");
    while fx.done.lock().expect("lock").is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "not handled before the next poll"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    eprintln!(
        "appended on one replica, handled on another after {:?}",
        started.elapsed()
    );
    stop.notify_one();
    running.await.expect("workers stop");
}

// ---------------------------------------------------------------------------------------------
// Transactional handlers

/// The app's table the handlers write to.
const APP_TABLE: &str = "CREATE TABLE effects (webhook_id text NOT NULL, attempt int NOT NULL)";

/// The rows of the app table, as (webhook_id, attempt).
async fn effects(pool: &sqlx::PgPool) -> Vec<(String, i32)> {
    sqlx::query_as("SELECT webhook_id, attempt FROM effects ORDER BY attempt")
        .fetch_all(pool)
        .await
        .expect("read the app table")
}

/// Inserts the delivery's effect in the transaction, then fails, panics or overruns its
/// timeout on attempts 1, 2 and 3; succeeds on the 4th.
fn flaky<'c>(
    _: AssociationDelete,
    delivery: Delivery,
    tx: &'c mut PgConnection,
) -> BoxFuture<'c, Result<(), BoxError>> {
    Box::pin(async move {
        sqlx::query("INSERT INTO effects (webhook_id, attempt) VALUES ($1, $2)")
            .bind(delivery.webhook_id().unwrap_or("-"))
            .bind(i32::try_from(delivery.attempt()).unwrap_or(i32::MAX))
            .execute(&mut *tx)
            .await?;
        match delivery.attempt() {
            1 => Err("the handler failed after writing".into()),
            2 => panic!("the handler panicked after writing"),
            3 => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok(())
            }
            _ => Ok(()),
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transactional_handler_that_fails_panics_or_times_out_leaves_no_write_behind() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    let journal = journal(&url, "tx").await;
    let pool = journal.pool().clone();
    sqlx::query(APP_TABLE)
        .execute(&pool)
        .await
        .expect("app table");
    let service = WebhookRouter::new()
        .verifier(TestKeys::primary().verifier())
        .handler_timeout(Some(Duration::from_millis(300)))
        .on_in_transaction(flaky)
        .durable(
            journal,
            DurableConfig::default()
                .backoff(Duration::from_millis(10), Duration::from_millis(20))
                .poll_interval(Duration::from_millis(20)),
        )
        .into_service();
    let (server_handle, sender) = common::serve(service).await;
    let sent = sender
        .event(&event())
        .bound()
        .webhook_id("tx-1")
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status, 200, "{}", sent.body_text());
    let inspect = PostgresJournal::connect(&url, PostgresConfig::default().schema("tx"))
        .await
        .expect("open");
    let stats = common::journal::settled(&inspect, Duration::from_secs(30)).await;
    assert_eq!((stats.done, stats.dead), (1, 0), "{stats:?}");
    let stored = inspect.get("tx-1").await.expect("get").expect("entry");
    assert_eq!(stored.attempts, 4);
    assert_eq!(
        effects(&pool).await,
        [("tx-1".to_owned(), 4)],
        "only the attempt that completed left its write"
    );
    server_handle
        .shutdown(Duration::from_secs(5))
        .await
        .expect("stop");
}

#[tokio::test]
async fn a_completion_holds_its_entry_past_an_expired_lease_and_a_stale_token_is_lost() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    let journal = journal(&url, "hold").await;
    let other = self::journal(&url, "hold").await;
    sqlx::query(APP_TABLE)
        .execute(journal.pool())
        .await
        .expect("app table");
    journal.append(entry("held")).await.expect("append");
    let leased = journal
        .lease(1, Duration::from_millis(50))
        .await
        .expect("lease")
        .remove(0);
    let mut completion = journal
        .begin_completion(&leased.token)
        .await
        .expect("begin");
    sqlx::query("INSERT INTO effects VALUES ('held', 1)")
        .execute(completion.connection())
        .await
        .expect("write in the transaction");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        other.lease(10, LONG).await.expect("lease").is_empty(),
        "the lease expired, but the entry is locked by its completion"
    );
    assert!(
        effects(journal.pool()).await.is_empty(),
        "not committed yet"
    );
    completion.commit().await.expect("commit");
    assert_eq!(
        journal
            .get("held")
            .await
            .expect("get")
            .expect("entry")
            .state,
        EntryState::Done
    );
    assert_eq!(effects(journal.pool()).await.len(), 1);
    let err = journal
        .begin_completion(&leased.token)
        .await
        .expect_err("already done");
    assert!(matches!(err, JournalError::LeaseLost(_)), "{err:?}");
    let unknown = ghl_webhook_router::journal::LeaseToken::new("nobody", 1);
    let err = journal
        .begin_completion(&unknown)
        .await
        .expect_err("unknown");
    assert!(matches!(err, JournalError::NotFound(_)), "{err:?}");
}

#[test]
#[should_panic(expected = "make the router durable on a PostgresJournal")]
fn transactional_handlers_refuse_to_run_inline() {
    let _ = WebhookRouter::new().on_in_transaction(flaky).into_service();
}

#[test]
#[should_panic(expected = "make the router durable on a PostgresJournal")]
fn transactional_handlers_refuse_another_engine() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = SqliteJournal::open(dir.path().join("j.db")).expect("journal");
    let _ = WebhookRouter::new()
        .on_in_transaction(flaky)
        .durable(journal, DurableConfig::default())
        .into_service();
}

// ---------------------------------------------------------------------------------------------
// Postgres down and back

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_immediately_mid_run_loses_nothing_answered_200_and_journals_nothing_twice()
 {
    let Some(server) = PostgresServer::start() else {
        return;
    };
    let url = server.url();
    let fx = Effects::default();
    // Slower retries, so that HighLevel's schedule spans the outage.
    let retry = RetryPolicy::highlevel().time_scale(0.005);
    let busy = Arc::new(AtomicUsize::new(0));
    let journaled = Arc::new(AtomicUsize::new(0));
    let config = DurableConfig::default()
        .backoff(Duration::from_millis(5), Duration::from_millis(50))
        .poll_interval(Duration::from_millis(20))
        .lease(Duration::from_secs(2));
    let mut replicas = Vec::new();
    let mut senders = Vec::new();
    for _ in 0..2 {
        let (busy, journaled) = (busy.clone(), journaled.clone());
        let journal = PostgresJournal::connect(
            &url,
            PostgresConfig::default()
                .schema("outage")
                .acquire_timeout(Duration::from_millis(500)),
        )
        .await
        .expect("open");
        let router = effect_router(&fx, 0.2)
            .on_answer(move |answer| {
                if answer.status() == 503 && answer.message().contains("journal unavailable") {
                    busy.fetch_add(1, Ordering::Relaxed);
                }
                if answer.status() == 200 {
                    journaled.fetch_add(1, Ordering::Relaxed);
                }
            })
            .durable(journal, config.clone());
        let service = router.into_service();
        let replica = spawn("127.0.0.1:0".parse().expect("addr"), service.bind_by_path())
            .await
            .expect("bind");
        senders.push(
            MockSender::new(replica.url())
                .expect("url")
                .with_retry(retry.clone()),
        );
        replicas.push((replica, service));
    }
    let health = replicas[0]
        .1
        .health(ghl_webhook_router::HealthConfig::default());
    // Mid-run whatever the machine's speed: once 200 of the 1,000 deliveries are in.
    let outage = async {
        while journaled.load(Ordering::Relaxed) < 200 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::task::block_in_place(|| server.stop_immediate());
        let report = health.check().await;
        assert!(
            !report.ready,
            "not ready while Postgres is down: {report:?}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        tokio::task::block_in_place(|| server.restart());
        let deadline = Instant::now() + Duration::from_secs(15);
        while !health.check().await.ready {
            assert!(
                Instant::now() < deadline,
                "ready again once Postgres is back"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let send = common::exactly_once::acknowledged(&senders, 1_000, "outage");
    let (acknowledged, ()) = tokio::join!(send, outage);
    let journal = journal(&url, "outage").await;
    let twice =
        common::exactly_once::assert_outage_lost_nothing(&journal, &acknowledged, &fx, 1_000).await;
    let busy = busy.load(Ordering::Relaxed);
    assert!(
        busy > 0,
        "the outage hit deliveries in flight (answered 503 and retried)"
    );
    eprintln!(
        "{busy} deliveries answered 503 while Postgres was down; {twice} entries handled twice \
         (a completion lost with Postgres, so the lease expired and the entry ran again)"
    );
    for (replica, _) in replicas {
        replica
            .shutdown(Duration::from_secs(5))
            .await
            .expect("stop");
    }
}
