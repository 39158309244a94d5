//! Durable `listen --redis` and the `journal ... --redis` commands, as real processes on a real
//! redis-server (AOF on) started by each test: two receivers share one journal, the journal
//! commands see, replay and purge what they journaled, and every unusable URL, password or
//! prefix is refused with a clear message and the right exit code.

mod common;
use ghl_webhook_testkit::redis_server;

use std::time::{Duration, Instant};

use common::{Listener, Run, WAIT, closed_port, run, trigger};
use ghl_webhook_router::journal::{RedisJournal, RedisJournalConfig};
use redis_server::RedisServer;
use serde_json::Value;

/// `ghl-webhook journal SUB ARGS... --redis URL --redis-prefix PREFIX`.
fn journal(sub: &str, url: &str, prefix: &str, args: &[&str]) -> Run {
    let mut all = vec!["journal", sub];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--redis", url, "--redis-prefix", prefix]);
    run(&all, None)
}

#[track_caller]
fn json(run: &Run) -> Value {
    serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {run:#?}"))
}

/// Polls `journal stats --json` until `done` holds.
#[track_caller]
fn wait_for_stats(url: &str, prefix: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let stats = journal("stats", url, prefix, &["--json"]);
        stats.expect_code(0);
        let stats = json(&stats);
        if done(&stats) {
            return stats;
        }
        assert!(Instant::now() < deadline, "never {what}: {stats}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Dead-letters one entry through the router's API.
fn dead_letter(url: &str, prefix: &str, key: &str) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let journal = RedisJournal::open(url, RedisJournalConfig::default().key_prefix(prefix))
                .expect("open");
            common::dead_letter_unknown(&journal, key).await;
        });
}

#[test]
fn two_listeners_share_one_redis_journal_and_the_journal_commands_see_and_repair_it() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let args = [
        "--test-keys",
        "--redis",
        url.as_str(),
        "--redis-prefix",
        "cli:",
    ];
    let a = Listener::start(&args);
    let b = Listener::start(&args);

    // The same webhookId to both: journaled once, handled once.
    let first = trigger("ContactCreate", &a.url, &["--set", "webhookId=wh-shared"]);
    first.expect_code(0);
    assert_eq!(first.stdout, "200 OK  accepted: journaled\n");
    let again = trigger("ContactCreate", &b.url, &["--set", "webhookId=wh-shared"]);
    again.expect_code(0);
    assert_eq!(again.stdout, "200 OK  duplicate: already journaled\n");
    for i in 0..10 {
        let to = if i % 2 == 0 { &a.url } else { &b.url };
        trigger("NoteCreate", to, &["--set", &format!("webhookId=wh-{i}")]).expect_code(0);
    }
    let stats = wait_for_stats(&url, "cli:", "all handled", |s| s["done"] == 11);
    assert_eq!(
        (stats["pending"].as_u64(), stats["dead"].as_u64()),
        (Some(0), Some(0))
    );

    let listed = journal("list", &url, "cli:", &["--kind", "NoteCreate"]);
    listed.expect_code(0);
    assert_eq!(listed.stdout.lines().count(), 10);
    assert!(
        listed.stdout.starts_with("wh-0 done NoteCreate 1 "),
        "{}",
        listed.stdout
    );
    let shown = journal("show", &url, "cli:", &["wh-shared", "--json"]);
    shown.expect_code(0);
    let shown = json(&shown);
    assert_eq!(shown["state"], "done");
    assert_eq!(shown["kind"], "ContactCreate");
    assert_eq!(shown["body"]["webhookId"], "wh-shared");

    journal("show", &url, "cli:", &["nope"])
        .expect_code(2)
        .expect_stderr("no entry with key `nope`")
        .expect_stderr("--redis-prefix cli:");

    // With the receivers stopped, a dead letter; replayed, the next receiver handles it.
    drop(a);
    drop(b);
    dead_letter(&url, "cli:", "wh-dead");
    journal("list", &url, "cli:", &["--state", "dead"])
        .expect_code(0)
        .expect_stdout("wh-dead dead (SomethingNew) 1 ");
    let replayed = journal("replay", &url, "cli:", &["--dead", "--json"]);
    replayed.expect_code(0);
    assert_eq!(json(&replayed)["replayed"], 1);
    let c = Listener::start(&args);
    assert_eq!(c.next_line(), "200 - wh-dead handled");
    wait_for_stats(&url, "cli:", "the replayed entry handled", |s| {
        s["done"] == 12 && s["dead"] == 0
    });

    let purged = journal("purge", &url, "cli:", &["--older-than", "0s", "--json"]);
    purged.expect_code(0);
    assert_eq!(json(&purged)["purged"], 12);
    let stats = wait_for_stats(&url, "cli:", "empty", |s| s["total"] == 0);
    assert_eq!(stats["oldest_pending_at"], Value::Null);
    drop(c);
}

#[test]
fn unusable_redis_urls_passwords_and_prefixes_are_refused_clearly() {
    let Some(redis) = RedisServer::start_with(Some("right-horse")) else {
        return;
    };
    let unreachable = format!("redis://127.0.0.1:{}/0", closed_port());
    journal("stats", &unreachable, "cli:", &[])
        .expect_code(3)
        .expect_stderr("cannot be reached");
    journal("stats", "http://127.0.0.1:1", "cli:", &[])
        .expect_code(2)
        .expect_stderr("not a journal address")
        .expect_stderr("redis://");
    let wrong = redis.url_with_password("wrong-battery");
    let refused = journal("list", &wrong, "cli:", &[]);
    refused.expect_code(2).expect_stderr("refused this client");
    assert!(
        !refused.stderr.contains("wrong-battery"),
        "{}",
        refused.stderr
    );
    journal("stats", &redis.url(), "typo:", &[])
        .expect_code(2)
        .expect_stderr("there is no journal")
        .expect_stderr("--redis-prefix");
    run(
        &[
            "journal",
            "stats",
            "--journal",
            "x.db",
            "--redis",
            &redis.url(),
        ],
        None,
    )
    .expect_code(2)
    .expect_stderr("cannot be used with");
    run(
        &[
            "journal",
            "stats",
            "--journal",
            "x.db",
            "--redis-prefix",
            "p:",
        ],
        None,
    )
    .expect_code(2)
    .expect_stderr("--redis-prefix");

    // listen refuses to start on a journal it cannot use, before announcing an address.
    let listen = |url: &str| {
        run(
            &[
                "listen",
                "--addr",
                "127.0.0.1:0",
                "--test-keys",
                "--redis",
                url,
            ],
            None,
        )
    };
    listen(&unreachable)
        .expect_code(3)
        .expect_stderr("cannot be reached");
    let refused = listen(&wrong);
    refused.expect_code(2).expect_stderr("refused this client");
    assert!(
        !refused.stderr.contains("listening on"),
        "{}",
        refused.stderr
    );
    listen("redis://host:notaport")
        .expect_code(2)
        .expect_stderr("not a journal address");
}
