//! Durable `listen --postgres` and the `journal ... --postgres` commands, as real processes on
//! a real PostgreSQL cluster (one per test process, a database of its own per test): two
//! receivers share one journal, the journal commands see, replay and purge what they
//! journaled, and every unusable URL, password, schema name or schema content is refused with
//! a clear message naming the option, the right exit code, and nothing created or changed.

mod common;
use ghl_webhook_testkit::postgres_server;

use std::time::{Duration, Instant};

use common::{Listener, Run, WAIT, closed_port, run, trigger};
use ghl_webhook_router::journal::{Journal as _, NewEntry, PostgresConfig, PostgresJournal};
use postgres_server::{PASSWORD, PostgresServer};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Helpers

/// `ghl-webhook journal SUB ARGS... --postgres URL --postgres-schema SCHEMA`.
fn journal(sub: &str, url: &str, schema: &str, args: &[&str]) -> Run {
    let mut all = vec!["journal", sub];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--postgres", url, "--postgres-schema", schema]);
    run(&all, None)
}

/// `ghl-webhook listen --addr 127.0.0.1:0 --test-keys --postgres URL ARGS...`, run to its
/// end: for journals it must refuse before it announces an address.
fn listen_refused(url: &str, args: &[&str]) -> Run {
    let mut all = vec![
        "listen",
        "--addr",
        "127.0.0.1:0",
        "--test-keys",
        "--postgres",
        url,
    ];
    all.extend_from_slice(args);
    let refused = run(&all, None);
    assert!(
        !refused.stderr.contains("listening on"),
        "listen announced an address: {refused:#?}"
    );
    refused
}

/// stdout as one JSON document.
#[track_caller]
fn json(run: &Run) -> Value {
    serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {run:#?}"))
}

/// Polls `journal stats --json` until `done` holds.
#[track_caller]
fn wait_for_stats(url: &str, schema: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let stats = journal("stats", url, schema, &["--json"]);
        stats.expect_code(0);
        let stats = json(&stats);
        if done(&stats) {
            return stats;
        }
        assert!(Instant::now() < deadline, "never {what}: {stats}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The database name at the end of a URL from the harness.
fn database(url: &str) -> &str {
    url.rsplit('/').next().expect("a database in the URL")
}

/// Whether `schema` exists in the database of `url`.
fn schema_exists(server: &PostgresServer, url: &str, schema: &str) -> bool {
    server.psql(
        database(url),
        &format!("SELECT count(*) FROM pg_namespace WHERE nspname = '{schema}'"),
    ) == "1"
}

/// Runs `work` on a journal opened (its tables created) through the router's API.
fn with_journal<F>(url: &str, schema: &str, work: impl FnOnce(PostgresJournal) -> F)
where
    F: std::future::Future<Output = ()>,
{
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let journal = PostgresJournal::connect(url, PostgresConfig::default().schema(schema))
                .await
                .expect("the journal opens");
            work(journal).await;
        });
}

/// Dead-letters one entry through the router's API (no receiver runs).
fn dead_letter(url: &str, schema: &str, key: &str) {
    with_journal(url, schema, |journal| async move {
        common::dead_letter_unknown(&journal, key).await;
    });
}

// ---------------------------------------------------------------------------------------------
// Receiving and inspecting

#[test]
fn two_listeners_share_one_postgres_journal_and_the_journal_commands_see_and_repair_it() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    let schema = "cli_journal";
    let args = [
        "--test-keys",
        "--postgres",
        url.as_str(),
        "--postgres-schema",
        schema,
    ];
    let a = Listener::start(&args);
    let durable = a.note("durable: ");
    assert!(
        durable.contains("Postgres (--postgres postgres://postgres:***@")
            && durable.contains("--postgres-schema cli_journal"),
        "{durable}"
    );
    assert!(!durable.contains(PASSWORD), "{durable}");
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
    let stats = wait_for_stats(&url, schema, "all handled", |s| s["done"] == 11);
    assert_eq!(
        (stats["pending"].as_u64(), stats["dead"].as_u64()),
        (Some(0), Some(0))
    );
    // The entries are rows of the schema's table, as psql sees them.
    assert_eq!(
        server.psql(
            database(&url),
            "SELECT count(*) FROM cli_journal.entries WHERE state = 'done'"
        ),
        "11"
    );

    let listed = journal("list", &url, schema, &["--kind", "NoteCreate"]);
    listed.expect_code(0);
    assert_eq!(listed.stdout.lines().count(), 10);
    assert!(
        listed.stdout.starts_with("wh-0 done NoteCreate 1 "),
        "{}",
        listed.stdout
    );
    let shown = journal("show", &url, schema, &["wh-shared", "--json"]);
    shown.expect_code(0);
    let shown = json(&shown);
    assert_eq!(shown["state"], "done");
    assert_eq!(shown["kind"], "ContactCreate");
    assert_eq!(shown["body"]["webhookId"], "wh-shared");

    let unknown = journal("show", &url, schema, &["nope"]);
    unknown
        .expect_code(2)
        .expect_stderr("no entry with key `nope`")
        .expect_stderr("--postgres-schema cli_journal");
    assert!(!unknown.stderr.contains(PASSWORD), "{}", unknown.stderr);

    // With the receivers stopped, a dead letter; replayed, the next receiver handles it.
    drop(a);
    drop(b);
    dead_letter(&url, schema, "wh-dead");
    journal("list", &url, schema, &["--state", "dead"])
        .expect_code(0)
        .expect_stdout("wh-dead dead (SomethingNew) 1 ");
    let replayed = journal("replay", &url, schema, &["--dead", "--json"]);
    replayed.expect_code(0);
    assert_eq!(json(&replayed)["replayed"], 1);
    let c = Listener::start(&args);
    assert_eq!(c.next_line(), "200 - wh-dead handled");
    wait_for_stats(&url, schema, "the replayed entry handled", |s| {
        s["done"] == 12 && s["dead"] == 0
    });

    let purged = journal("purge", &url, schema, &["--older-than", "0s", "--json"]);
    purged.expect_code(0);
    assert_eq!(json(&purged)["purged"], 12);
    let stats = wait_for_stats(&url, schema, "empty", |s| s["total"] == 0);
    assert_eq!(stats["oldest_pending_at"], Value::Null);
    drop(c);
}

#[test]
fn listen_postgres_uses_the_default_schema_without_postgres_schema() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    let listener = Listener::start(&["--test-keys", "--postgres", &url]);
    trigger(
        "ContactDelete",
        &listener.url,
        &["--set", "webhookId=wh-default"],
    )
    .expect_code(0);
    assert_eq!(
        listener.next_lines_sorted(2),
        [
            "200 ContactDelete wh-default accepted: journaled",
            "200 ContactDelete wh-default handled",
        ]
    );
    // The handler's line comes before its entry is completed: done once the journal says so.
    wait_for_stats(&url, "ghl_webhooks", "handled", |s| s["done"] == 1);
    drop(listener);
    assert!(schema_exists(server, &url, "ghl_webhooks"));
    run(&["journal", "list", "--postgres", &url], None)
        .expect_code(0)
        .expect_stdout("wh-default done ContactDelete 1 ");
}

// ---------------------------------------------------------------------------------------------
// Unusable URLs, passwords, schemas and servers

#[test]
fn a_malformed_postgres_url_is_refused_naming_the_option() {
    for url in [
        "postgres://127.0.0.1:notaport/app",
        "http://127.0.0.1:1/app",
    ] {
        journal("stats", url, "ghl_webhooks", &[])
            .expect_code(2)
            .expect_stderr("--postgres: ")
            .expect_stderr("not a journal address")
            .expect_stderr("postgres://[user[:password]@]host[:port]/database");
        listen_refused(url, &[])
            .expect_code(2)
            .expect_stderr("--postgres: ")
            .expect_stderr("not a journal address");
    }
}

#[test]
fn a_refused_password_is_reported_without_printing_any_password() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let wrong = server.url_with_password("wrong-battery");
    for refused in [
        journal("list", &wrong, "ghl_webhooks", &[]),
        listen_refused(&wrong, &[]),
    ] {
        refused
            .expect_code(2)
            .expect_stderr("--postgres: ")
            .expect_stderr("refused this client")
            .expect_stderr("postgres://postgres:***@127.0.0.1:");
        assert!(
            !refused.stderr.contains("wrong-battery"),
            "{}",
            refused.stderr
        );
    }
}

#[test]
fn inspecting_a_database_without_a_journal_creates_nothing() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    for (sub, args) in [
        ("stats", &[][..]),
        ("list", &[][..]),
        ("replay", &["--dead"][..]),
        ("purge", &["--older-than", "0s"][..]),
    ] {
        journal(sub, &url, "ghl_webhooks", args)
            .expect_code(2)
            .expect_stderr("--postgres: there is no journal at postgres://postgres:***@")
            .expect_stderr("(schema `ghl_webhooks`)")
            .expect_stderr("nothing was created")
            .expect_stderr("--postgres-schema");
    }
    assert!(!schema_exists(server, &url, "ghl_webhooks"));
    assert_eq!(
        server.psql(
            database(&url),
            "SELECT count(*) FROM pg_tables WHERE tablename IN ('entries', 'schema_version')"
        ),
        "0"
    );
}

#[test]
fn another_apps_entries_table_in_the_schema_is_refused_and_left_untouched() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    let db = database(&url);
    server.psql(
        db,
        "CREATE SCHEMA other_app; \
         CREATE TABLE other_app.entries (id integer PRIMARY KEY, note text NOT NULL); \
         INSERT INTO other_app.entries VALUES (1, 'keep me')",
    );
    let contents = || {
        (
            server.psql(
                db,
                "SELECT string_agg(table_name, ',' ORDER BY table_name) \
                 FROM information_schema.tables WHERE table_schema = 'other_app'",
            ),
            server.psql(
                db,
                "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) \
                 FROM information_schema.columns \
                 WHERE table_schema = 'other_app' AND table_name = 'entries'",
            ),
            server.psql(db, "SELECT id || ':' || note FROM other_app.entries"),
        )
    };
    let before = contents();
    assert_eq!(before.0, "entries");
    for refused in [
        journal("stats", &url, "other_app", &[]),
        journal("purge", &url, "other_app", &["--older-than", "0s"]),
        listen_refused(&url, &["--postgres-schema", "other_app"]),
    ] {
        refused
            .expect_code(2)
            .expect_stderr("--postgres: ")
            .expect_stderr("(schema `other_app`) holds tables this SDK did not write")
            .expect_stderr("nothing was changed")
            .expect_stderr("--postgres-schema SCHEMA");
    }
    assert_eq!(contents(), before);
}

#[test]
fn a_journal_of_a_newer_schema_version_is_refused_and_left_untouched() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    with_journal(&url, "ghl_webhooks", |journal| async move {
        journal
            .append(NewEntry::new(
                "wh-kept",
                r#"{"type":"X"}"#,
                ghl_webhook_router::VerifiedBy::Ed25519("test".into()),
            ))
            .await
            .expect("append");
    });
    let db = database(&url);
    server.psql(db, "UPDATE ghl_webhooks.schema_version SET version = 99");
    for refused in [
        journal("stats", &url, "ghl_webhooks", &[]),
        journal("purge", &url, "ghl_webhooks", &["--older-than", "0s"]),
        listen_refused(&url, &[]),
    ] {
        refused
            .expect_code(2)
            .expect_stderr("--postgres: ")
            .expect_stderr("has schema version 99, newer than version 1")
            .expect_stderr("left untouched");
    }
    journal("stats", &url, "ghl_webhooks", &[]).expect_stderr("upgrade ghl-webhook-cli");
    assert_eq!(
        server.psql(db, "SELECT version FROM ghl_webhooks.schema_version"),
        "99"
    );
    assert_eq!(
        server.psql(
            db,
            "SELECT convert_from(key, 'UTF8') || ' ' || state FROM ghl_webhooks.entries"
        ),
        "wh-kept pending"
    );
}

#[test]
fn an_invalid_postgres_schema_name_is_refused_naming_the_option() {
    // Checked before any connection: no server is needed.
    let url = format!("postgres://postgres:x@127.0.0.1:{}/postgres", closed_port());
    for refused in [
        journal("stats", &url, "Bad-Name", &[]),
        listen_refused(&url, &["--postgres-schema", "Bad-Name"]),
    ] {
        refused
            .expect_code(2)
            .expect_stderr(
                "--postgres-schema: `Bad-Name` cannot name the journal's Postgres schema",
            )
            .expect_stderr("lowercase letters, digits and underscores");
    }
}

#[test]
fn a_postgres_server_that_is_down_is_an_io_failure() {
    let url = format!(
        "postgres://postgres:secret-down@127.0.0.1:{}/postgres",
        closed_port()
    );
    for down in [
        journal("stats", &url, "ghl_webhooks", &[]),
        listen_refused(&url, &[]),
    ] {
        down.expect_code(3)
            .expect_stderr("cannot be reached")
            .expect_stderr("postgres://postgres:***@127.0.0.1:");
        assert!(!down.stderr.contains("secret-down"), "{}", down.stderr);
    }
}

// ---------------------------------------------------------------------------------------------
// The command line

#[test]
fn the_journal_options_are_exclusive_and_the_schema_needs_postgres() {
    let url = "postgres://postgres@127.0.0.1:1/postgres";
    for other in [["--journal", "x.db"], ["--redis", "redis://127.0.0.1:1/0"]] {
        run(
            &["journal", "stats", "--postgres", url, other[0], other[1]],
            None,
        )
        .expect_code(2)
        .expect_stderr("cannot be used with");
        run(
            &[
                "listen",
                "--test-keys",
                "--postgres",
                url,
                other[0],
                other[1],
            ],
            None,
        )
        .expect_code(2)
        .expect_stderr("cannot be used with");
    }
    for without in [
        &[
            "journal",
            "stats",
            "--journal",
            "x.db",
            "--postgres-schema",
            "s",
        ][..],
        &["listen", "--test-keys", "--postgres-schema", "s"][..],
    ] {
        run(without, None)
            .expect_code(2)
            .expect_stderr("--postgres-schema");
    }
}

#[test]
fn help_documents_postgres_for_listen_and_the_journal_commands() {
    for sub in ["stats", "list", "show", "replay", "purge"] {
        run(&["journal", sub, "--help"], None)
            .expect_code(0)
            .expect_stdout("--postgres <URL>")
            .expect_stdout("--postgres-schema <SCHEMA>")
            .expect_stdout("nothing is created");
    }
    run(&["listen", "--help"], None)
        .expect_code(0)
        .expect_stdout("--postgres <URL>")
        .expect_stdout("--postgres-schema <SCHEMA>")
        .expect_stdout("synchronous_commit");
    run(&["--help"], None)
        .expect_code(0)
        .expect_stdout("an invalid\n     --postgres-schema")
        .expect_stdout("Redis or Postgres cannot be reached");
}
