//! Durable `listen --journal` and the `journal` commands, as real processes on real files:
//! deliveries are journaled before they are answered and handled by the workers, the journal
//! commands see (and replay, and purge) what was journaled, and every unusable file or
//! argument is refused with exit 2 and leaves the file untouched.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Listener, Run, WAIT, run, scratch, trigger, write};
use ghl_webhook_router::journal::{Journal as _, NewEntry, SqliteJournal};
use ghl_webhook_router::types::EventKind;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Helpers

/// `ghl-webhook journal SUB ARGS... --journal PATH`.
fn journal(sub: &str, path: &Path, args: &[&str]) -> Run {
    let path = path.to_str().expect("a UTF-8 path");
    let mut all = vec!["journal", sub];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--journal", path]);
    run(&all, None)
}

/// stdout as one JSON document.
#[track_caller]
fn json(run: &Run) -> Value {
    serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {run:#?}"))
}

/// `journal stats --json`.
#[track_caller]
fn stats(path: &Path) -> Value {
    let stats = journal("stats", path, &["--json"]);
    stats.expect_code(0);
    json(&stats)
}

/// Polls `journal stats --json` (while a receiver runs) until `done` holds.
#[track_caller]
fn wait_for_stats(path: &Path, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let stats = stats(path);
        if done(&stats) {
            return stats;
        }
        assert!(Instant::now() < deadline, "never {what}: {stats}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGTERM stops the receiver, successfully.
#[track_caller]
fn stop(listener: Listener) {
    let (status, _, stderr) = listener.terminate();
    assert!(
        status.success(),
        "listen exited with {status}; stderr: {stderr}"
    );
    assert!(stderr.contains("stopped"), "{stderr}");
}

fn text(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// An entry appended through the router's API.
fn entry(key: &str, kind: Option<EventKind>) -> NewEntry {
    let type_field = kind.map_or("SomethingNew", EventKind::as_str);
    NewEntry {
        kind,
        type_field: Some(type_field.to_owned()),
        ..NewEntry::new(
            key,
            format!(r#"{{"type":"{type_field}","webhookId":"{key}"}}"#),
            ghl_webhook_router::VerifiedBy::Ed25519("test".into()),
        )
    }
}

fn tokio() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Writes a journal at `path` through the router's API: `pending` entries stay pending,
/// `done` ones are completed, `dead` ones dead-lettered (with the error `why`).
fn journal_with(path: &Path, pending: &[&str], done: &[&str], dead: &[&str]) {
    tokio().block_on(async {
        let journal = SqliteJournal::open(path).expect("create the journal");
        for key in done.iter().chain(dead) {
            journal
                .append(entry(key, Some(EventKind::ContactCreate)))
                .await
                .expect("append");
        }
        for leased in journal
            .lease(100, Duration::from_secs(60))
            .await
            .expect("lease")
        {
            if dead.contains(&leased.token.key()) {
                journal.dead(&leased.token, "why").await.expect("dead");
            } else {
                journal.complete(&leased.token).await.expect("complete");
            }
        }
        for key in pending {
            journal.append(entry(key, None)).await.expect("append");
        }
        journal.close().await;
    });
}

/// Runs SQL on the file through a plain SQLite connection, closed before returning.
fn sql(path: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(path).expect("sqlite");
    conn.execute_batch(sql).expect("sql");
    conn.close().map_err(|(_, err)| err).expect("close");
}

/// Every file of `dir` and its bytes, by name: to check that nothing changed.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|entry| {
            let entry = entry.expect("dir entry");
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).expect("read file"),
            )
        })
        .collect();
    files.sort();
    files
}

/// Asserts that `dir` holds the same files with the same bytes as in `before`.
#[track_caller]
fn assert_unchanged(dir: &Path, before: &[(String, Vec<u8>)], after: &str) {
    let now = snapshot(dir);
    let names = |files: &[(String, Vec<u8>)]| files.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&now), names(before), "files changed after {after}");
    assert!(now == before, "bytes changed after {after}");
}

/// Every subcommand, with the arguments it needs, to run on a file that cannot be used.
const EVERY_SUBCOMMAND: &[(&str, &[&str])] = &[
    ("stats", &[]),
    ("list", &[]),
    ("list", &["--json", "--state", "dead"]),
    ("show", &["some-key"]),
    ("replay", &["--dead"]),
    ("replay", &["some-key"]),
    ("purge", &["--older-than", "1h"]),
];

/// `listen --journal PATH` (exits at once when the journal cannot be used).
fn listen_on(path: &Path) -> Run {
    run(
        &[
            "listen",
            "--addr",
            "127.0.0.1:0",
            "--test-keys",
            "--journal",
            text(path),
        ],
        None,
    )
}

/// Makes `path` read-only to this process, also as root (see test-support's
/// `make_read_only`); a test that cannot do so fails rather than testing nothing.
fn make_read_only(path: &Path) -> ghl_webhook_testkit::ReadOnly {
    ghl_webhook_testkit::make_read_only(path).expect("a read-only file")
}

// ---------------------------------------------------------------------------------------------
// listen --journal, then the journal commands

#[test]
fn listen_journal_answers_once_journaled_and_the_journal_commands_see_every_entry() {
    let dir = scratch("journal_listen");
    let path = dir.join("journal.db");
    let unknown = write(
        &dir,
        "unknown.json",
        r#"{"type":"SomethingNew","webhookId":"wh-unknown","x":1}"#,
    );
    let listener = Listener::start(&["--test-keys", "--journal", text(&path)]);

    // Answered once journaled; the handled line follows from the worker.
    let sent = trigger(
        "ContactCreate",
        &listener.url,
        &["--set", "webhookId=wh-contact"],
    );
    sent.expect_code(0);
    assert_eq!(sent.stdout, "200 OK  accepted: journaled\n");
    // The edge's line and the worker's race: in either order.
    assert_eq!(
        listener.next_lines_sorted(2),
        [
            "200 ContactCreate wh-contact accepted: journaled",
            "200 ContactCreate wh-contact handled",
        ]
    );

    // A repeat is a duplicate of the journaled entry, handled once.
    let repeated = trigger(
        "NoteCreate",
        &listener.url,
        &["--set", "webhookId=wh-note", "--repeat", "2"],
    );
    repeated.expect_code(0);
    assert_eq!(
        repeated.stdout.lines().collect::<Vec<_>>(),
        [
            "[1/2] 200 OK  accepted: journaled",
            "[2/2] 200 OK  duplicate: already journaled"
        ]
    );
    assert_eq!(
        listener.next_lines_sorted(3),
        [
            "200 NoteCreate wh-note accepted: journaled",
            "200 NoteCreate wh-note duplicate: already journaled",
            "200 NoteCreate wh-note handled",
        ]
    );

    // An event this SDK does not know is journaled and handled as unknown.
    trigger("NoteCreate", &listener.url, &["--fixture", &unknown]).expect_code(0);
    assert_eq!(
        listener.next_lines_sorted(2),
        [
            "200 - wh-unknown accepted: journaled",
            "200 - wh-unknown handled"
        ]
    );

    // An undecodable payload is answered 200 and becomes a dead letter: no handled line.
    trigger(
        "ContactDelete",
        &listener.url,
        &["--set", "id=null", "--set", "webhookId=wh-dead"],
    )
    .expect_code(0);
    assert_eq!(
        listener.next_line(),
        "200 ContactDelete wh-dead accepted: journaled"
    );
    // Inspected while the receiver runs.
    wait_for_stats(&path, "a dead letter", |stats| stats["dead"] == 1);
    listener.expect_no_line_within(Duration::from_millis(300));

    // Rejected deliveries are never journaled.
    trigger("ContactCreate", &listener.url, &["--tamper"]).expect_code(1);
    assert!(
        listener
            .next_line()
            .starts_with("401 - - invalid signature"),
    );
    stop(listener);
    assert_eq!(
        snapshot(&dir).into_iter().map(|f| f.0).collect::<Vec<_>>(),
        ["journal.db", "unknown.json"],
        "listen closed the journal: its WAL was checkpointed and removed"
    );

    // stats
    let counts = journal("stats", &path, &[]);
    counts.expect_code(0);
    assert_eq!(
        counts.stdout,
        "pending      0\nin_progress  0\ndone         3\ndead         1\ntotal        4\n\
         oldest pending: none\n"
    );
    let counts = stats(&path);
    assert_eq!(
        ["pending", "in_progress", "done", "dead", "total"].map(|state| counts[state].as_u64()),
        [Some(0), Some(0), Some(3), Some(1), Some(4)],
        "{counts}"
    );
    assert_eq!(counts["oldest_pending_at"], Value::Null);
    assert_eq!(counts["oldest_pending_age_ms"], Value::Null);

    // list: arrival order, one line each.
    let listed = journal("list", &path, &[]);
    listed.expect_code(0).expect_stderr("4 entries");
    let lines: Vec<&str> = listed.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", listed.stdout);
    assert!(
        lines[0].starts_with("wh-contact done ContactCreate 1 20"),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with("Z -"), "no error: {}", lines[0]);
    let received = lines[0].split(' ').nth(4).expect("RECEIVED_AT");
    assert_eq!(
        received.len(),
        "2026-12-01T10:00:00.000Z".len(),
        "{received}"
    );
    assert!(
        lines[1].starts_with("wh-note done NoteCreate 1 "),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("wh-unknown done (SomethingNew) 1 "),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].starts_with("wh-dead dead ContactDelete 1 "),
        "{}",
        lines[3]
    );
    assert!(
        lines[3].contains("undecodable payload") && lines[3].contains("`id`"),
        "the last error names the JSON path: {}",
        lines[3]
    );

    // list's filters.
    let keys = |args: &[&str]| -> Vec<String> {
        let listed = journal("list", &path, args);
        listed.expect_code(0);
        listed
            .stdout
            .lines()
            .map(|line| line.split(' ').next().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(keys(&["--state", "dead"]), ["wh-dead"]);
    assert_eq!(
        keys(&["--state", "done"]),
        ["wh-contact", "wh-note", "wh-unknown"]
    );
    assert!(keys(&["--state", "in-progress"]).is_empty());
    assert!(keys(&["--state", "in_progress"]).is_empty());
    assert_eq!(keys(&["--kind", "NoteCreate"]), ["wh-note"]);
    assert_eq!(keys(&["--limit", "2"]), ["wh-contact", "wh-note"]);
    assert_eq!(keys(&["--since", "1h"]).len(), 4);
    assert_eq!(keys(&["--since", "2000-01-01T00:00:00Z"]).len(), 4);
    let none = journal("list", &path, &["--since", "2999-01-01T00:00:00Z"]);
    none.expect_code(0).expect_stderr("0 entries");
    assert_eq!(none.stdout, "");
    assert_eq!(
        keys(&[
            "--state",
            "done",
            "--kind",
            "ContactCreate",
            "--since",
            "1d"
        ]),
        ["wh-contact"]
    );

    // list --json: one object per line, without bodies.
    let listed = journal("list", &path, &["--json"]);
    listed.expect_code(0);
    let objects: Vec<Value> = listed
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert_eq!(objects.len(), 4);
    assert_eq!(objects[2]["key"], "wh-unknown");
    assert_eq!(objects[2]["kind"], Value::Null);
    assert_eq!(objects[2]["type_field"], "SomethingNew");
    assert_eq!(objects[3]["state"], "dead");
    assert_eq!(objects[3]["kind"], "ContactDelete");
    assert!(objects.iter().all(|o| o.get("body").is_none()));

    // show: everything, the last error and the body as text.
    let shown = journal("show", &path, &["wh-dead"]);
    shown.expect_code(0);
    for text in [
        "key:           wh-dead\n",
        "state:         dead\n",
        "kind:          ContactDelete\n",
        "identified by: type_field\n",
        "attempts:      1\n",
        "last error:    undecodable payload",
        "`id`",
        "body (",
        r#""id":null"#,
        r#""webhookId":"wh-dead""#,
    ] {
        shown.expect_stdout(text);
    }
    let shown = journal("show", &path, &["wh-dead", "--json"]);
    shown.expect_code(0);
    let shown = json(&shown);
    assert_eq!(shown["key"], "wh-dead");
    assert_eq!(shown["state"], "dead");
    assert_eq!(shown["attempts"], 1);
    assert!(
        shown["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("at `id`")),
        "{shown}"
    );
    assert_eq!(shown["body"]["id"], Value::Null, "the body, as JSON");
    assert_eq!(shown["body"]["webhookId"], "wh-dead");
    assert_eq!(shown["body"]["type"], "ContactDelete");
    assert!(shown.get("body_text").is_none());
}

#[test]
fn replayed_entries_are_handled_again_by_the_next_listen() {
    let dir = scratch("journal_replay");
    let path = dir.join("journal.db");
    let listener = Listener::start(&["--test-keys", "--json", "--journal", text(&path)]);
    trigger(
        "ContactCreate",
        &listener.url,
        &["--set", "webhookId=wh-done"],
    )
    .expect_code(0);
    // --json: the acceptance is no error; the handled line carries the decoded event.
    let (first, second) = (listener.next_json(), listener.next_json());
    let (accepted, handled) = if first["message"] == "handled" {
        (second, first)
    } else {
        (first, second)
    };
    assert_eq!(accepted["status"], 200);
    assert_eq!(accepted["kind"], "ContactCreate");
    assert_eq!(accepted["webhookId"], "wh-done");
    assert_eq!(accepted["message"], "accepted: journaled");
    assert!(accepted.get("error").is_none(), "{accepted}");
    assert!(accepted.get("event").is_none(), "{accepted}");
    assert_eq!(handled["message"], "handled");
    assert_eq!(
        handled["event"]["id"], "nmFmQEsNgz6AVpgLVUJ0",
        "the built-in fixture"
    );
    trigger(
        "ContactDelete",
        &listener.url,
        &["--set", "id=null", "--set", "webhookId=wh-dead"],
    )
    .expect_code(0);
    assert_eq!(listener.next_json()["message"], "accepted: journaled");
    wait_for_stats(&path, "one done and one dead", |stats| {
        stats["done"] == 1 && stats["dead"] == 1
    });
    stop(listener);

    // Back to pending, attempts reset, the error kept.
    let replayed = journal("replay", &path, &["--dead"]);
    replayed.expect_code(0);
    assert_eq!(
        replayed.stdout,
        "replayed 1 entry: pending again, a receiver running on this journal handles it\n"
    );
    let counts = stats(&path);
    assert_eq!(
        (counts["pending"].as_u64(), counts["dead"].as_u64()),
        (Some(1), Some(0))
    );
    assert!(counts["oldest_pending_at"].is_string(), "{counts}");
    assert!(counts["oldest_pending_age_ms"].is_u64(), "{counts}");
    journal("stats", &path, &[])
        .expect_code(0)
        .expect_stdout("oldest pending: received 20")
        .expect_stdout(" ago\n");
    let shown = json(&journal("show", &path, &["wh-dead", "--json"]));
    assert_eq!(shown["state"], "pending");
    assert_eq!(shown["attempts"], 0);
    assert!(
        shown["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("`id`")),
        "{shown}"
    );

    // One key; a pending entry is left alone.
    journal("replay", &path, &["wh-done"])
        .expect_code(0)
        .expect_stdout("replayed 1 entry");
    journal("replay", &path, &["wh-dead"])
        .expect_code(0)
        .expect_stdout("replayed 0 entries")
        .expect_stderr("`wh-dead` is pending, not done or dead: left alone");
    journal("replay", &path, &["--kind", "ContactCreate", "--json"])
        .expect_code(0)
        .expect_stdout("{\"replayed\":0}\n");
    assert_eq!(stats(&path)["pending"], 2);

    // The next listen runs them: the done one is handled again, the dead one dies again.
    let listener = Listener::start(&["--test-keys", "--journal", text(&path)]);
    assert_eq!(listener.next_line(), "200 ContactCreate wh-done handled");
    wait_for_stats(&path, "handled the replayed entries", |stats| {
        stats["pending"] == 0 && stats["in_progress"] == 0
    });
    listener.expect_no_line_within(Duration::from_millis(300));
    stop(listener);
    let counts = stats(&path);
    assert_eq!(
        (counts["done"].as_u64(), counts["dead"].as_u64()),
        (Some(1), Some(1))
    );
    let shown = json(&journal("show", &path, &["wh-dead", "--json"]));
    assert_eq!(shown["state"], "dead");
    assert_eq!(shown["attempts"], 1);

    // By kind: done and dead entries of that kind.
    journal("replay", &path, &["--kind", "ContactDelete", "--json"])
        .expect_code(0)
        .expect_stdout("{\"replayed\":1}\n");
}

#[test]
fn purge_deletes_only_done_and_dead_entries_older_than_the_duration() {
    let dir = scratch("journal_purge");
    let path = dir.join("journal.db");
    journal_with(
        &path,
        &["old-pending"],
        &["old-done", "new-done"],
        &["old-dead", "new-dead"],
    );
    sql(
        &path,
        "UPDATE entries SET updated_at = updated_at - 7200000, received_at = received_at - 7200000 \
         WHERE key IN ('old-pending', 'old-done', 'old-dead')",
    );
    let keys = || -> Vec<String> {
        let listed = journal("list", &path, &["--json"]);
        listed.expect_code(0);
        let mut keys: Vec<String> = listed
            .stdout
            .lines()
            .map(|line| {
                let entry: Value = serde_json::from_str(line).expect("JSON line");
                entry["key"].as_str().unwrap_or_default().to_owned()
            })
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(keys().len(), 5);

    journal("purge", &path, &["--older-than", "1h"])
        .expect_code(0)
        .expect_stdout("purged 2 entries (done or dead, unchanged for more than 1h)");
    assert_eq!(keys(), ["new-dead", "new-done", "old-pending"]);
    journal("purge", &path, &["--older-than", "1h", "--json"])
        .expect_code(0)
        .expect_stdout("{\"purged\":0}\n");
    journal("purge", &path, &["--older-than", "1000y"])
        .expect_code(0)
        .expect_stdout("purged 0 entries");
    // `0s`: every done and dead entry; pending ones are never purged.
    std::thread::sleep(Duration::from_millis(5));
    journal("purge", &path, &["--older-than", "0s", "--json"])
        .expect_code(0)
        .expect_stdout("{\"purged\":2}\n");
    assert_eq!(keys(), ["old-pending"]);
}

// ---------------------------------------------------------------------------------------------
// Unusable files: exit 2, a message naming the problem, nothing modified

#[test]
fn a_missing_journal_is_an_error_and_nothing_is_created() {
    let dir = scratch("journal_missing");
    let path = dir.join("nope.db");
    for (sub, args) in EVERY_SUBCOMMAND {
        journal(sub, &path, args)
            .expect_code(2)
            .expect_stderr("there is no journal at")
            .expect_stderr("nope.db")
            .expect_stderr("nothing was created")
            .expect_stderr("listen --journal FILE");
    }
    assert!(snapshot(&dir).is_empty(), "nothing was created");
    let no_dir = dir.join("no-such-dir").join("journal.db");
    journal("stats", &no_dir, &[])
        .expect_code(2)
        .expect_stderr("there is no journal at");
    listen_on(&no_dir)
        .expect_code(2)
        .expect_stderr("cannot open or create the journal")
        .expect_stderr("check that its directory exists");
    assert!(snapshot(&dir).is_empty(), "nothing was created");
}

#[test]
fn a_file_that_is_not_a_journal_is_refused_untouched() {
    let dir = scratch("journal_not_a_journal");
    let garbage = PathBuf::from(write(
        &dir,
        "garbage.db",
        b"this is not a journal\n\x00\xff".repeat(300),
    ));
    let empty = PathBuf::from(write(&dir, "empty.db", b""));
    let other = dir.join("other.db");
    sql(
        &other,
        "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hi');",
    );
    let before = snapshot(&dir);
    for (file, detail) in [
        (&garbage, "file is not a database"),
        (&empty, "an empty database"),
        (
            &other,
            "without the journal's schema_version and entries tables",
        ),
    ] {
        for (sub, args) in EVERY_SUBCOMMAND {
            journal(sub, file, args)
                .expect_code(2)
                .expect_stderr("is not a journal")
                .expect_stderr(detail)
                .expect_stderr("nothing was written to it");
        }
        assert_unchanged(&dir, &before, &format!("the journal commands on {detail}"));
    }
    // A receiver refuses them too (an empty file is a new database it would make a journal).
    for file in [&garbage, &other] {
        listen_on(file)
            .expect_code(2)
            .expect_stderr("is not a journal");
    }
    assert_unchanged(&dir, &before, "listen");
    journal("stats", &dir, &[])
        .expect_code(2)
        .expect_stderr("cannot open or create the journal");
}

#[test]
fn a_journal_of_a_newer_schema_is_refused_untouched() {
    let dir = scratch("journal_newer");
    let path = dir.join("journal.db");
    journal_with(&path, &["k-1"], &[], &[]);
    sql(&path, "UPDATE schema_version SET version = 99");
    let before = snapshot(&dir);
    assert_eq!(before.len(), 1, "one file, its WAL checkpointed");
    for (sub, args) in EVERY_SUBCOMMAND {
        journal(sub, &path, args)
            .expect_code(2)
            .expect_stderr("schema version 99, newer than version 2")
            .expect_stderr("left untouched")
            .expect_stderr("upgrade ghl-webhook-cli");
    }
    listen_on(&path)
        .expect_code(2)
        .expect_stderr("schema version 99");
    assert_unchanged(&dir, &before, "the newer schema was refused");
}

#[test]
fn a_read_only_journal_is_refused_untouched() {
    let dir = scratch("journal_read_only");
    let path = dir.join("journal.db");
    journal_with(&path, &["k-1"], &["k-2"], &[]);
    let before = snapshot(&dir);
    let _read_only = make_read_only(&path);
    for (sub, args) in EVERY_SUBCOMMAND {
        journal(sub, &path, args)
            .expect_code(2)
            .expect_stderr("is read-only to this process")
            .expect_stderr("give it write access")
            .expect_stderr("need write access even to inspect it");
    }
    listen_on(&path)
        .expect_code(2)
        .expect_stderr("is read-only to this process");
    assert_unchanged(&dir, &before, "the read-only journal was refused");
}

#[test]
fn unknown_keys_are_errors_that_change_nothing() {
    let dir = scratch("journal_unknown_key");
    let path = dir.join("journal.db");
    journal_with(&path, &["k-pending"], &["k-done"], &[]);
    let before = snapshot(&dir);
    for sub in ["show", "replay"] {
        journal(sub, &path, &["nope"])
            .expect_code(2)
            .expect_stderr("has no entry with key `nope`")
            .expect_stderr("ghl-webhook journal list --journal");
    }
    assert_unchanged(&dir, &before, "unknown keys");
    // And what reads or matches nothing changes nothing either.
    for (sub, args) in [
        ("stats", &[][..]),
        ("list", &["--json"][..]),
        ("show", &["k-done", "--json"][..]),
        ("replay", &["k-pending"][..]),
        ("replay", &["--kind", "NoteCreate"][..]),
        ("purge", &["--older-than", "1d"][..]),
    ] {
        journal(sub, &path, args).expect_code(0);
        assert_unchanged(&dir, &before, &format!("{sub} {args:?}"));
    }
}

#[test]
fn bad_arguments_exit_2_before_the_journal_is_opened() {
    let dir = scratch("journal_bad_arguments");
    let path = dir.join("journal.db");
    journal_with(&path, &[], &["k-done"], &["k-dead"]);
    let before = snapshot(&dir);
    let missing = dir.join("missing.db");
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "list",
            &["--state", "finished"],
            "invalid value 'finished' for '--state <STATE>'",
        ),
        (
            "list",
            &["--state", "finished"],
            "[possible values: pending, in-progress, done, dead]",
        ),
        (
            "list",
            &["--kind", "contactcreate"],
            "did you mean `ContactCreate`",
        ),
        (
            "list",
            &["--kind", "INSTALL"],
            "`type` value of `AppInstall`",
        ),
        (
            "replay",
            &["--kind", "Nope"],
            "`Nope` is not a HighLevel event name",
        ),
        (
            "list",
            &["--since", "yesterday"],
            "invalid value 'yesterday' for '--since <WHEN>'",
        ),
        (
            "list",
            &["--since", "2026-12-01T10:00:00+02:00"],
            "a UTC time in RFC 3339",
        ),
        ("list", &["--since", "2026-12-01"], "RFC 3339"),
        ("list", &["--limit", "0"], "'--limit <N>'"),
        (
            "purge",
            &["--older-than", "2x"],
            "expected a duration such as 30min, 2h or 7d",
        ),
        ("purge", &["--older-than", "30"], "expected a duration"),
        ("purge", &[], "--older-than <DURATION>"),
        ("replay", &[], "<KEY|--dead|--kind <EVENT>>"),
        ("replay", &["k-dead", "--dead"], "cannot be used with"),
        (
            "replay",
            &["--dead", "--kind", "ContactCreate"],
            "cannot be used with",
        ),
        ("show", &[], "<KEY>"),
    ];
    for (sub, args, message) in cases {
        for file in [&path, &missing] {
            journal(sub, file, args)
                .expect_code(2)
                .expect_stderr(message);
        }
    }
    assert_unchanged(&dir, &before, "bad arguments");
    run(&["journal", "stats"], None)
        .expect_code(2)
        .expect_stderr("--journal <FILE>");
    run(&["journal"], None)
        .expect_code(2)
        .expect_stderr("Usage");
    run(&["journal", "frobnicate", "--journal", text(&path)], None)
        .expect_code(2)
        .expect_stderr("unrecognized subcommand");
    assert_unchanged(&dir, &before, "bad arguments");
}

#[test]
fn a_journal_locked_by_another_process_is_an_io_failure_with_exit_3() {
    let dir = scratch("journal_locked");
    let path = dir.join("journal.db");
    journal_with(&path, &[], &[], &["k-dead"]);
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    conn.execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");
    // Reads go on under WAL while another connection writes.
    assert_eq!(stats(&path)["dead"], 1);
    // Writes wait for the lock (5 s), then fail without effect.
    journal("replay", &path, &["--dead"])
        .expect_code(3)
        .expect_stderr("the journal engine failed")
        .expect_stderr("the operation did not take effect");
    conn.execute_batch("ROLLBACK").expect("release the lock");
    conn.close().map_err(|(_, err)| err).expect("close");
    assert_eq!(stats(&path)["dead"], 1);
}

// ---------------------------------------------------------------------------------------------
// Help

#[test]
fn help_documents_the_journal_commands_and_durable_listen() {
    let help = run(&["journal", "--help"], None);
    help.expect_code(0);
    for text in [
        "stats",
        "list",
        "show",
        "replay",
        "purge",
        "Exit codes:",
        "--journal FILE",
    ] {
        help.expect_stdout(text);
    }
    for sub in ["stats", "list", "show", "replay", "purge"] {
        run(&["journal", sub, "--help"], None)
            .expect_code(0)
            .expect_stdout("--journal <FILE>")
            .expect_stdout("--redis <URL>")
            .expect_stdout("--redis-prefix <PREFIX>")
            .expect_stdout("--json")
            .expect_stdout("Exit codes:");
    }
    run(&["journal", "replay", "--help"], None).expect_stdout(
        "Usage: ghl-webhook journal replay [OPTIONS] <--journal <FILE>|--redis <URL>|--postgres <URL>> <KEY|--dead|--kind <EVENT>>",
    );
    run(&["journal", "list", "--help"], None)
        .expect_stdout("KEY STATE KIND ATTEMPTS RECEIVED_AT LAST_ERROR")
        .expect_stdout("2026-12-01T10:00:00Z");
    run(&["listen", "--help"], None)
        .expect_code(0)
        .expect_stdout("--journal <FILE>")
        .expect_stdout("--redis <URL>")
        .expect_stdout("appendfsync always")
        .expect_stdout("accepted: journaled")
        .expect_stdout("dead letter");
    run(&["--help"], None)
        .expect_code(0)
        .expect_stdout("journal")
        .expect_stdout("not a journal, read-only or of a newer");
}

#[test]
fn show_gives_highlevels_trace_id_while_the_body_is_kept() {
    let dir = scratch("show-trace-id");
    let path = dir.join("journal.db");
    tokio().block_on(async {
        let journal = SqliteJournal::open(&path).expect("create the journal");
        let traced = NewEntry::new(
            "wh-traced",
            r#"{"type":"ContactCreate","webhookId":"wh-traced","traceId":"9f3c-trace"}"#,
            ghl_webhook_router::VerifiedBy::Ed25519("test".into()),
        );
        journal.append(traced).await.expect("append");
        journal
            .append(entry("wh-untraced", Some(EventKind::ContactCreate)))
            .await
            .expect("append");
        journal.close().await;
    });
    journal("show", &path, &["wh-traced"])
        .expect_code(0)
        .expect_stdout("trace id:      9f3c-trace\n");
    let shown = json(&journal("show", &path, &["wh-traced", "--json"]));
    assert_eq!(shown["trace_id"], "9f3c-trace", "{shown}");
    journal("show", &path, &["wh-untraced"])
        .expect_code(0)
        .expect_stdout("trace id:      -\n");
    let untraced = json(&journal("show", &path, &["wh-untraced", "--json"]));
    assert!(untraced.get("trace_id").is_none(), "{untraced}");
}
