//! What is particular to the Redis journal, on a real redis-server (AOF, `appendfsync always`)
//! started by each test: foreign data under the prefix, unreachable servers, wrong passwords,
//! malformed URLs, prefix isolation, trimming, the consumer group's view of leases, and Redis
//! killed and restarted under load. The contract every engine keeps is in
//! `journal_contract.rs`.
#![cfg(all(feature = "redis", feature = "sqlite"))]

mod common;
mod journal_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use common::exactly_once::{Effects, effect_router};
use ghl_webhook_router::journal::{
    Appended, EntryState, Journal, JournalError, ListFilter, RedisJournal, RedisJournalConfig,
};
use ghl_webhook_router::serve::{Server, spawn};
use ghl_webhook_router::types::association::{Association, AssociationDelete};
use ghl_webhook_router::{DurableConfig, WebhookRouter};
use ghl_webhook_test_support::{MockSender, RetryPolicy, TestKeys};
use ghl_webhook_testkit::redis_server::RedisServer;
use journal_support::entry;

const LONG: Duration = Duration::from_secs(3600);

fn journal(url: &str, prefix: &str) -> RedisJournal {
    RedisJournal::open(url, RedisJournalConfig::default().key_prefix(prefix)).expect("open")
}

fn journal_as(url: &str, prefix: &str, consumer: &str) -> RedisJournal {
    let config = RedisJournalConfig::default()
        .key_prefix(prefix)
        .consumer(consumer);
    RedisJournal::open(url, config).expect("open")
}

async fn raw(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("connect")
}

async fn run<T: redis::FromRedisValue>(
    connection: &mut redis::aio::MultiplexedConnection,
    args: &[&str],
) -> T {
    let mut cmd = redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    cmd.query_async(connection).await.expect("command")
}

/// A port nothing listens on.
fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

#[tokio::test]
async fn foreign_entries_in_the_stream_are_skipped_with_a_warning_and_real_ones_leased() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let journal = journal(&redis.url(), "app:");
    journal.append(entry("a")).await.expect("append");
    let mut conn = raw(&redis.url()).await;
    // Entries another program wrote to the stream: no marker, a marker of another version,
    // a key with no entry behind it.
    let _: String = run(&mut conn, &["XADD", "app:log", "*", "foo", "bar"]).await;
    let _: String = run(&mut conn, &["XADD", "app:log", "*", "ghl", "2", "key", "a"]).await;
    let _: String = run(
        &mut conn,
        &["XADD", "app:log", "*", "ghl", "1", "key", "ghost"],
    )
    .await;
    journal.append(entry("b")).await.expect("append");

    let leased = journal.lease(10, LONG).await.expect("lease");
    let keys: Vec<_> = leased.iter().map(|l| l.token.key()).collect();
    assert_eq!(keys, ["a", "b"]);
    assert!(journal.lease(10, LONG).await.expect("lease").is_empty());
    let stats = journal.stats().await.expect("stats");
    assert_eq!((stats.pending, stats.in_progress), (0, 2));
    // The foreign entries were acknowledged: they are not handed out again, nor pending.
    let pending: redis::Value = run(&mut conn, &["XPENDING", "app:log", "ghl-webhooks"]).await;
    let redis::Value::Array(summary) = pending else {
        panic!("XPENDING summary: {pending:?}");
    };
    assert_eq!(summary[0], redis::Value::Int(2), "only a and b are pending");
}

#[tokio::test]
async fn keys_this_sdk_did_not_write_are_foreign_errors_never_duplicates() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let journal = journal(&url, "app:");
    let mut conn = raw(&url).await;
    let _: () = run(&mut conn, &["SET", "app:e:taken", "a string"]).await;
    let _: () = run(&mut conn, &["HSET", "app:e:hashed", "foo", "bar"]).await;
    for key in ["taken", "hashed"] {
        let appended = journal.append(entry(key)).await;
        assert!(
            matches!(&appended, Err(JournalError::Foreign { detail, .. }) if detail.contains(key)),
            "{key}: {appended:?}"
        );
    }
    let got = journal.get("hashed").await;
    assert!(
        matches!(&got, Err(JournalError::Foreign { detail, .. }) if detail.contains("`state`") || detail.contains("`key`")),
        "{got:?}"
    );
    let got = journal.get("taken").await;
    assert!(matches!(got, Err(JournalError::Foreign { .. })), "{got:?}");

    // An entry of this SDK's whose verifying key was rewritten to no key's name.
    journal.append(entry("odd")).await.expect("append");
    let _: () = run(&mut conn, &["HSET", "app:e:odd", "vby", "a stranger"]).await;
    let got = journal.get("odd").await;
    assert!(
        matches!(&got, Err(JournalError::Foreign { detail, .. }) if detail.contains("verified by `a stranger`")),
        "{got:?}"
    );

    // The stream's key holding something else.
    let _: () = run(&mut conn, &["SET", "other:log", "not a stream"]).await;
    let other = self::journal(&url, "other:");
    let checked = other.check().await;
    assert!(
        matches!(&checked, Err(JournalError::Foreign { detail, .. }) if detail.contains("other:log")),
        "{checked:?}"
    );
    let appended = other.append(entry("x")).await;
    assert!(
        matches!(appended, Err(JournalError::Foreign { .. })),
        "{appended:?}"
    );
    let message = checked.expect_err("foreign").to_string();
    assert!(message.contains("a key prefix on Redis"), "{message}");
    // Nothing was written under the foreign prefix.
    let written: Vec<String> = run(&mut conn, &["KEYS", "other:*"]).await;
    assert_eq!(written, ["other:log"]);
    // A journal that works next to them.
    assert!(journal.check().await.is_ok());
    assert_eq!(
        journal.append(entry("mine")).await.expect("append"),
        Appended::New
    );
}

#[tokio::test]
async fn an_unreachable_redis_is_unavailable_at_start_and_mid_run_and_works_once_back() {
    let url = format!("redis://127.0.0.1:{}/0", dead_port());
    let nowhere = journal(&url, "app:");
    let checked = nowhere.check().await;
    assert!(
        matches!(checked, Err(JournalError::Unavailable { .. })),
        "{checked:?}"
    );
    let appended = nowhere.append(entry("a")).await;
    assert!(
        matches!(appended, Err(JournalError::Unavailable { .. })),
        "{appended:?}"
    );
    let leased = nowhere.lease(10, LONG).await;
    assert!(
        matches!(leased, Err(JournalError::Unavailable { .. })),
        "{leased:?}"
    );
    let message = appended.expect_err("down").to_string();
    assert!(message.contains("cannot be reached"), "{message}");

    let Some(redis) = RedisServer::start() else {
        return;
    };
    let journal = journal(&redis.url(), "app:");
    journal.append(entry("before")).await.expect("append");
    redis.kill();
    let appended = journal.append(entry("during")).await;
    assert!(
        matches!(appended, Err(JournalError::Unavailable { .. })),
        "{appended:?}"
    );
    redis.restart();
    let mut appended = journal.append(entry("after")).await;
    for _ in 0..50 {
        if appended.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        appended = journal.append(entry("after")).await;
    }
    assert_eq!(appended.expect("reconnected"), Appended::New);
    // AOF kept what was acknowledged before the kill; the failed append left nothing.
    assert!(journal.get("before").await.expect("get").is_some());
    assert!(journal.get("during").await.expect("get").is_none());
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_a_clear_error_that_hides_the_password() {
    let Some(redis) = RedisServer::start_with(Some("right-horse")) else {
        return;
    };
    for url in [
        redis.url_with_password("wrong-battery"),
        redis.url().replace(":right-horse@", ""),
    ] {
        let journal = journal(&url, "app:");
        let checked = journal.check().await;
        assert!(
            matches!(checked, Err(JournalError::Refused { .. })),
            "{url}: {checked:?}"
        );
        let appended = journal.append(entry("a")).await;
        assert!(
            matches!(appended, Err(JournalError::Refused { .. })),
            "{url}: {appended:?}"
        );
        let message = appended.expect_err("refused").to_string();
        assert!(message.contains("password"), "{message}");
        assert!(!message.contains("wrong-battery"), "{message}");
    }
    let journal = journal(&redis.url(), "app:");
    journal.check().await.expect("the right password");
    assert_eq!(
        journal.append(entry("a")).await.expect("append"),
        Appended::New
    );
    assert!(!journal.location().contains("right-horse"));
}

#[tokio::test]
async fn a_malformed_url_cannot_be_opened() {
    for url in [
        "",
        "not a url",
        "http://127.0.0.1:6379",
        "redis://:99999999/0",
    ] {
        let opened = RedisJournal::open(url, RedisJournalConfig::default());
        assert!(
            matches!(&opened, Err(JournalError::InvalidAddress { .. })),
            "{url}: {opened:?}"
        );
        let message = opened.expect_err("malformed").to_string();
        assert!(message.contains("redis://"), "{message}");
    }
}

#[tokio::test]
async fn journals_with_other_prefixes_share_one_redis_without_seeing_each_other() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let first = journal(&redis.url(), "first:");
    let second = journal(&redis.url(), "second:");
    assert_eq!(
        first.append(entry("same-id")).await.expect("append"),
        Appended::New
    );
    assert_eq!(
        second.append(entry("same-id")).await.expect("append"),
        Appended::New
    );
    first.append(entry("only-first")).await.expect("append");
    let leased = second.lease(10, LONG).await.expect("lease");
    assert_eq!(leased.len(), 1);
    assert_eq!(leased[0].token.key(), "same-id");
    second.complete(&leased[0].token).await.expect("complete");
    assert_eq!(first.stats().await.expect("stats").pending, 2);
    assert_eq!(second.stats().await.expect("stats").done, 1);
    assert!(second.get("only-first").await.expect("get").is_none());
}

#[tokio::test]
async fn pruning_trims_the_stream_below_its_oldest_open_entry_and_deletes_done_entries() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let journal = journal(&url, "app:");
    let mut conn = raw(&url).await;
    for i in 0..10 {
        journal
            .append(entry(&format!("k{i}")))
            .await
            .expect("append");
    }
    let leased = journal.lease(10, LONG).await.expect("lease");
    assert_eq!(leased.len(), 10);
    for lease in &leased {
        match lease.token.key() {
            "k4" => {} // still in progress
            "k7" => journal.dead(&lease.token, "boom").await.expect("dead"),
            _ => journal.complete(&lease.token).await.expect("complete"),
        }
    }
    let later = SystemTime::now() + Duration::from_secs(60);
    assert_eq!(journal.prune_done(later).await.expect("prune"), 8);
    // k0..k3 are below the oldest open entry (k4): trimmed; k4.. stay.
    let length: usize = run(&mut conn, &["XLEN", "app:log"]).await;
    assert_eq!(length, 6);
    let exists: usize = run(&mut conn, &["EXISTS", "app:e:k0", "app:e:k9"]).await;
    assert_eq!(exists, 0, "the done entries' hashes are deleted");
    let dead_letters: usize = run(&mut conn, &["XLEN", "app:dead-letters"]).await;
    assert_eq!(dead_letters, 1, "k7 is in the dead-letter stream");

    // Once nothing is open, everything finished goes.
    let k4 = leased.iter().find(|l| l.token.key() == "k4").expect("k4");
    journal.complete(&k4.token).await.expect("complete");
    assert_eq!(journal.purge(later).await.expect("purge"), 2);
    let length: usize = run(&mut conn, &["XLEN", "app:log"]).await;
    assert_eq!(length, 0);
    let dead_letters: usize = run(&mut conn, &["XLEN", "app:dead-letters"]).await;
    assert_eq!(dead_letters, 0);
    let mut left: Vec<String> = run(&mut conn, &["KEYS", "app:*"]).await;
    left.sort();
    assert_eq!(
        left,
        ["app:dead-letters", "app:log", "app:seq"],
        "memory stays bounded"
    );
    assert_eq!(journal.stats().await.expect("stats"), Default::default());
}

#[tokio::test]
async fn the_pending_entries_list_names_the_replica_holding_each_lease() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let a = journal_as(&url, "app:", "replica-a");
    let b = journal_as(&url, "app:", "replica-b");
    let mut conn = raw(&url).await;
    let holders = |conn: &mut redis::aio::MultiplexedConnection| {
        let mut conn = conn.clone();
        async move {
            let value: redis::Value =
                run(&mut conn, &["XPENDING", "app:log", "ghl-webhooks"]).await;
            format!("{value:?}")
        }
    };
    a.append(entry("x")).await.expect("append");
    let dead_worker = a.lease(1, Duration::ZERO).await.expect("lease");
    assert_eq!(dead_worker.len(), 1);
    assert!(holders(&mut conn).await.contains("replica-a"));
    let taken = b.lease(1, LONG).await.expect("lease");
    assert_eq!(taken.len(), 1, "b takes over the expired lease");
    let now = holders(&mut conn).await;
    assert!(
        now.contains("replica-b") && !now.contains("replica-a"),
        "{now}"
    );
    assert!(matches!(
        a.complete(&dead_worker[0].token).await,
        Err(JournalError::LeaseLost(_))
    ));
    b.complete(&taken[0].token).await.expect("complete");
    let after: redis::Value = run(&mut conn, &["XPENDING", "app:log", "ghl-webhooks"]).await;
    let redis::Value::Array(summary) = after else {
        panic!("{after:?}");
    };
    assert_eq!(summary[0], redis::Value::Int(0), "acknowledged once done");
}

#[tokio::test]
async fn a_kind_unknown_to_this_sdk_reads_back_as_unknown_with_its_type_field() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let journal = journal(&redis.url(), "app:");
    let mut new = journal_support::kinded(
        "future",
        ghl_webhook_router::types::EventKind::ContactCreate,
    );
    new.type_field = Some("ContactTeleport".into());
    journal.append(new).await.expect("append");
    let mut conn = raw(&redis.url()).await;
    let _: () = run(
        &mut conn,
        &[
            "HSET",
            "app:e:future",
            "kind",
            "ContactTeleport",
            "by",
            "psychic",
        ],
    )
    .await;
    let stored = journal.get("future").await.expect("get").expect("entry");
    assert_eq!(stored.kind, None);
    assert_eq!(stored.identified_by, None);
    assert_eq!(stored.type_field.as_deref(), Some("ContactTeleport"));
    let leased = journal.lease(1, LONG).await.expect("lease");
    assert_eq!(leased[0].entry.kind, None);
}

// ---------------------------------------------------------------------------------------------
// The HTTP edge over a Redis journal

fn event() -> AssociationDelete {
    AssociationDelete(Association::new("67ade73d1119d2ac7ad0c475"))
}

async fn serve_durable(journal: RedisJournal) -> (Server, MockSender) {
    let router = WebhookRouter::new()
        .verifier(TestKeys::primary().verifier())
        .on(|_: AssociationDelete, _: ghl_webhook_router::Delivery| async {})
        .durable(Arc::new(journal), DurableConfig::default());
    common::serve(router.into_service()).await
}

#[tokio::test]
async fn the_edge_answers_503_never_200_when_redis_cannot_take_the_append() {
    let Some(redis) = RedisServer::start_with(Some("right-horse")) else {
        return;
    };
    let mut conn = raw(&redis.url()).await;
    let _: () = run(&mut conn, &["SET", "app:e:foreign-1", "x"]).await;
    let cases = [
        (
            "unreachable",
            format!("redis://127.0.0.1:{}/0", dead_port()),
            "unreachable-1",
        ),
        (
            "wrong password",
            redis.url_with_password("wrong"),
            "password-1",
        ),
        ("foreign key", redis.url(), "foreign-1"),
    ];
    for (case, url, id) in cases {
        let (server, sender) = serve_durable(journal(&url, "app:")).await;
        let sent = sender
            .event(&event())
            .bound()
            .webhook_id(id)
            .send()
            .await
            .expect("sent");
        assert_eq!(
            (sent.status.as_u16(), sent.body_text().as_str()),
            (503, "journal unavailable: retry later"),
            "{case}"
        );
        server.shutdown(Duration::from_secs(5)).await.expect("stop");
    }
    let journal = journal(&redis.url(), "app:");
    assert!(journal.get("password-1").await.expect("get").is_none());
    assert_eq!(journal.stats().await.expect("stats"), Default::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_mid_run_loses_nothing_answered_200_and_journals_nothing_twice()
{
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let fx = Effects::default();
    // Slower retries, so that HighLevel's schedule spans the outage.
    let retry = RetryPolicy::highlevel().time_scale(0.005);
    let busy = Arc::new(AtomicUsize::new(0));
    let journaled = Arc::new(AtomicUsize::new(0));
    let config = DurableConfig::default()
        .backoff(Duration::from_millis(5), Duration::from_millis(50))
        .poll_interval(Duration::from_millis(20))
        .lease(Duration::from_secs(2));
    let replica = || {
        let (busy, journaled) = (busy.clone(), journaled.clone());
        let router = effect_router(&fx, 0.2)
            .on_answer(move |answer| {
                if answer.status() == 503 && answer.message().contains("journal unavailable") {
                    busy.fetch_add(1, Ordering::Relaxed);
                }
                if answer.status() == 200 {
                    journaled.fetch_add(1, Ordering::Relaxed);
                }
            })
            .durable(Arc::new(journal(&redis.url(), "outage:")), config.clone());
        let retry = retry.clone();
        async move {
            let server = spawn(
                "127.0.0.1:0".parse().expect("addr"),
                router.into_service().bind_by_path(),
            )
            .await
            .expect("bind");
            let sender = MockSender::new(server.url())
                .expect("url")
                .with_retry(retry.clone());
            (server, sender)
        }
    };
    let (a, to_a) = replica().await;
    let (b, to_b) = replica().await;
    let senders = [to_a, to_b];
    // Mid-run whatever the machine's speed: once 200 of the 1,300 deliveries are in.
    let outage = async {
        while journaled.load(Ordering::Relaxed) < 200 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::task::block_in_place(|| redis.kill());
        tokio::time::sleep(Duration::from_secs(1)).await;
        tokio::task::block_in_place(|| redis.restart());
    };
    let send = common::exactly_once::acknowledged(&senders, 1_000, "outage");
    let (acknowledged, ()) = tokio::join!(send, outage);
    let journal = journal(&redis.url(), "outage:");
    let twice =
        common::exactly_once::assert_outage_lost_nothing(&journal, &acknowledged, &fx, 1_000).await;
    let busy = busy.load(Ordering::Relaxed);
    assert!(
        busy > 0,
        "the outage hit deliveries in flight (answered 503 and retried)"
    );
    eprintln!(
        "{busy} deliveries answered 503 during the outage; {twice} entries handled twice \
         (a completion lost with Redis, so the lease expired and the entry ran again)"
    );
    a.shutdown(Duration::from_secs(5)).await.expect("stop");
    b.shutdown(Duration::from_secs(5)).await.expect("stop");
}

#[tokio::test]
async fn list_reads_a_large_journal_in_steps_in_arrival_order() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let journal = journal(&redis.url(), "app:");
    for i in 0..1_234 {
        journal
            .append(entry(&format!("k{i:04}")))
            .await
            .expect("append");
    }
    let all = journal.list(&ListFilter::default()).await.expect("list");
    assert_eq!(all.len(), 1_234);
    assert!(all.windows(2).all(|pair| pair[0].key < pair[1].key));
    assert!(all.iter().all(|e| e.state == EntryState::Pending));
    let leased = journal.lease(usize::MAX, LONG).await.expect("lease");
    assert_eq!(leased.len(), 1_000, "one lease takes at most 1000");
}
