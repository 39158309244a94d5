//! What is particular to the SQLite journal, on real files in temporary directories: group
//! commit, closing, failed transactions, and files that are not (or not yet) journals. The
//! contract every engine keeps is in `journal_contract.rs`.
#![cfg(feature = "sqlite")]

mod journal_support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use ghl_webhook_router::journal::{
    Appended, Journal, JournalError, SqliteConfig, SqliteJournal, Synchronous,
};
use ghl_webhook_router::types::EventKind;
use journal_support::{Scratch, entry, kinded, runtime};

const HOUR: Duration = Duration::from_secs(3600);

/// A lease long enough never to expire during a test.
const LONG: Duration = HOUR;

#[test]
fn concurrent_appends_share_commits_and_each_key_is_new_exactly_once() {
    let dir = Scratch::new();
    let journal = Arc::new(dir.journal());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime");
    let outcomes = rt.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..200 {
            let journal = Arc::clone(&journal);
            tasks.spawn(async move {
                let key = format!("key-{}", i % 50);
                (key.clone(), journal.append(entry(&key)).await.unwrap())
            });
        }
        tasks.join_all().await
    });
    let new: Vec<_> = outcomes
        .iter()
        .filter(|(_, appended)| *appended == Appended::New)
        .map(|(key, _)| key.clone())
        .collect();
    assert_eq!(new.len(), 50);
    assert_eq!(
        new.iter().collect::<HashSet<_>>().len(),
        50,
        "one New per key"
    );
    let commits = journal.commits();
    eprintln!("200 concurrent appends of 50 keys: {commits} commits");
    assert!(commits < 200, "{commits} commits for 200 appends");
    rt.block_on(async { assert_eq!(journal.stats().await.unwrap().pending, 50) });
}

#[test]
fn callers_waiting_for_their_own_commits_share_the_next_ones() {
    // 8 callers, each appending 25 entries one after the other (waiting for each commit):
    // while one commit runs, the others' next appends queue up and share the next one.
    let dir = Scratch::new();
    let journal = Arc::new(dir.journal());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for caller in 0..8 {
            let journal = Arc::clone(&journal);
            tasks.spawn(async move {
                for i in 0..25 {
                    let key = format!("caller-{caller}-{i}");
                    assert_eq!(journal.append(entry(&key)).await.unwrap(), Appended::New);
                }
            });
        }
        tasks.join_all().await;
        assert_eq!(journal.stats().await.unwrap().pending, 200);
    });
    let commits = journal.commits();
    eprintln!("8 callers x 25 sequential appends: {commits} commits");
    assert!(commits < 200, "{commits} commits for 200 appends");
}

#[test]
fn a_kind_unknown_to_this_sdk_reads_back_as_unknown_with_its_type_field() {
    let dir = Scratch::new();
    {
        let journal = dir.journal();
        runtime().block_on(async {
            let mut new = kinded("future", EventKind::ContactCreate);
            new.type_field = Some("ContactTeleport".into());
            journal.append(new).await.unwrap();
        });
    }
    dir.sql("UPDATE entries SET kind = 'ContactTeleport', identified_by = 'psychic'");
    let journal = dir.journal();
    runtime().block_on(async {
        let stored = journal.get("future").await.unwrap().unwrap();
        assert_eq!(stored.kind, None);
        assert_eq!(stored.identified_by, None);
        assert_eq!(stored.type_field.as_deref(), Some("ContactTeleport"));
        let leased = journal.lease(1, LONG).await.unwrap();
        assert_eq!(leased[0].entry.kind, None);
    });
}

#[test]
fn a_verifying_key_this_sdk_never_writes_is_an_error_that_names_it() {
    let dir = Scratch::new();
    {
        let journal = dir.journal();
        runtime().block_on(async { journal.append(entry("odd")).await.unwrap() });
    }
    dir.sql("UPDATE entries SET verified_by = 'a stranger'");
    let journal = dir.journal();
    runtime().block_on(async {
        let err = journal.get("odd").await.expect_err("unreadable row");
        assert!(
            err.to_string()
                .contains("`a stranger` is not a verifying key"),
            "{err}"
        );
    });
}

#[test]
fn closing_finishes_queued_work_and_later_operations_are_closed() {
    let dir = Scratch::new();
    let journal = Arc::new(dir.journal());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let results = rt.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..100 {
            let journal = Arc::clone(&journal);
            tasks.spawn(async move {
                let key = format!("key-{i}");
                let result = journal.append(entry(&key)).await;
                (key, result)
            });
        }
        tokio::task::yield_now().await;
        journal.close().await;
        let results = tasks.join_all().await;
        assert!(matches!(
            journal.append(entry("late")).await,
            Err(JournalError::Closed)
        ));
        assert!(matches!(journal.stats().await, Err(JournalError::Closed)));
        journal.close().await; // twice is fine
        results
    });
    drop(journal);
    assert_eq!(dir.files(), ["journal.db"]);
    let reopened = dir.journal();
    rt.block_on(async {
        for (key, result) in results {
            let stored = reopened.get(&key).await.unwrap();
            match result {
                Ok(Appended::New) => assert!(stored.is_some(), "{key} was acknowledged"),
                Err(JournalError::Closed) => assert!(stored.is_none(), "{key} was refused"),
                other => panic!("{key}: {other:?}"),
            }
        }
    });
}

#[test]
fn a_failed_transaction_fails_every_caller_in_it_and_writes_nothing() {
    let dir = Scratch::new();
    let journal = Arc::new(dir.journal());
    // A trigger that makes one key's insert fail, and a lock that holds the writer back while
    // the others queue up behind it, so that they share the poisoned transaction.
    dir.sql(
        "CREATE TRIGGER poison BEFORE INSERT ON entries WHEN NEW.key = 'poison' \
         BEGIN SELECT RAISE(ABORT, 'poisoned by the test'); END;",
    );
    let lock = dir.connection();
    lock.execute_batch("BEGIN IMMEDIATE").expect("lock");
    let rt = runtime();
    let (first, rest) = rt.block_on(async {
        let first = {
            let journal = Arc::clone(&journal);
            tokio::spawn(async move { journal.append(entry("first")).await })
        };
        // The writer takes "first" alone and waits for the lock.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut rest = tokio::task::JoinSet::new();
        for key in ["k1", "k2", "poison", "k3", "k4"] {
            let journal = Arc::clone(&journal);
            rest.spawn(async move { (key, journal.append(entry(key)).await) });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        lock.execute_batch("ROLLBACK").expect("unlock");
        (first.await.expect("join"), rest.join_all().await)
    });
    assert_eq!(first.unwrap(), Appended::New);
    let commits_before = journal.commits();
    for (key, result) in &rest {
        assert!(
            matches!(result, Err(JournalError::Engine(_))),
            "{key}: {result:?}"
        );
    }
    rt.block_on(async {
        for (key, _) in &rest {
            assert!(
                journal.get(key).await.unwrap().is_none(),
                "{key} half-written"
            );
        }
        // The journal goes on working.
        assert_eq!(journal.append(entry("k1")).await.unwrap(), Appended::New);
    });
    assert_eq!(journal.commits(), commits_before + 1);
}

#[test]
fn a_batch_of_settlements_commits_whole_or_not_at_all() {
    use ghl_webhook_router::journal::{EntryState, LeaseToken, Settlement};
    let dir = Scratch::new();
    // The writer's transactions take at most two operations: a batch of settlements is one.
    let journal = SqliteJournal::open_with(dir.path(), SqliteConfig::default().max_batch(2))
        .expect("open the journal");
    // A trigger that makes completing one key fail: the batch it is in must not commit.
    dir.sql(
        "CREATE TRIGGER poison BEFORE UPDATE ON entries \
         WHEN NEW.key = 'poison' AND NEW.state = 'done' \
         BEGIN SELECT RAISE(ABORT, 'poisoned by the test'); END;",
    );
    let rt = runtime();
    rt.block_on(async {
        for key in ["a", "b", "poison", "c", "d", "e"] {
            journal.append(entry(key)).await.unwrap();
        }
        let mut tokens = std::collections::HashMap::new();
        for leased in journal.lease(10, LONG).await.unwrap() {
            tokens.insert(leased.entry.key.clone(), leased.token);
        }
        let complete = |key: &str| (tokens[key].clone(), Settlement::Complete);

        let poisoned = [complete("a"), complete("b"), complete("poison")];
        let commits = journal.commits();
        let results = journal.settle_many(&poisoned).await;
        assert_eq!(results.len(), 3);
        for result in &results {
            assert!(matches!(result, Err(JournalError::Engine(_))), "{result:?}");
        }
        assert_eq!(journal.commits(), commits, "nothing committed");
        for key in ["a", "b", "poison"] {
            let state = journal.get(key).await.unwrap().unwrap().state;
            assert_eq!(state, EntryState::InProgress, "{key} still leased");
        }

        // A lost lease fails its own settlement only; the rest commit together, once.
        let batch = [
            complete("a"),
            complete("b"),
            (LeaseToken::new("c", 999), Settlement::Complete),
            complete("d"),
            (tokens["e"].clone(), Settlement::Release),
        ];
        let commits = journal.commits();
        let results = journal.settle_many(&batch).await;
        assert_eq!(journal.commits(), commits + 1, "one commit for the batch");
        assert!(results[0].is_ok() && results[1].is_ok() && results[3].is_ok());
        assert!(matches!(&results[2], Err(JournalError::LeaseLost(key)) if key == "c"));
        assert!(results[4].is_ok());
        for (key, state) in [
            ("a", EntryState::Done),
            ("b", EntryState::Done),
            ("c", EntryState::InProgress),
            ("d", EntryState::Done),
            ("e", EntryState::Pending),
        ] {
            assert_eq!(
                journal.get(key).await.unwrap().unwrap().state,
                state,
                "{key}"
            );
        }
    });
}

#[test]
fn an_entry_appended_leased_is_in_progress_on_its_first_attempt_and_settles_with_its_token() {
    use ghl_webhook_router::journal::EntryState;
    let dir = Scratch::new();
    let journal = dir.journal();
    let rt = runtime();
    rt.block_on(async {
        let (appended, leased) = journal.append_leased(entry("a"), LONG).await.unwrap();
        assert_eq!(appended, Appended::New);
        let leased = leased.expect("leased at once");
        assert_eq!(
            (leased.entry.state, leased.entry.attempts),
            (EntryState::InProgress, 1)
        );
        assert_eq!(leased.entry.raw, entry("a").raw, "the body, not read back");
        let stored = journal.get("a").await.unwrap().expect("stored");
        assert_eq!(
            (stored.state, stored.attempts, stored.lease_until),
            (EntryState::InProgress, 1, leased.entry.lease_until)
        );
        assert!(
            journal.lease(10, LONG).await.unwrap().is_empty(),
            "not leased twice"
        );
        let (again, none) = journal.append_leased(entry("a"), LONG).await.unwrap();
        assert_eq!((again, none.is_none()), (Appended::Duplicate, true));
        journal.complete(&leased.token).await.unwrap();
        assert_eq!(
            journal.get("a").await.unwrap().unwrap().state,
            EntryState::Done
        );

        // An order key may have to wait for an earlier entry: appended pending, not leased.
        let mut ordered = entry("b");
        ordered.order_key = Some("loc-1".into());
        let (appended, none) = journal.append_leased(ordered, LONG).await.unwrap();
        assert_eq!((appended, none.is_none()), (Appended::New, true));
        assert_eq!(
            journal.get("b").await.unwrap().unwrap().state,
            EntryState::Pending
        );

        // Its worker died: once the lease runs out, the entry is leased again, the first
        // token lost.
        let (_, first) = journal
            .append_leased(entry("c"), Duration::from_millis(1))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let again: Vec<_> = journal
            .lease(10, LONG)
            .await
            .unwrap()
            .into_iter()
            .filter(|l| l.entry.key == "c")
            .collect();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].entry.attempts, 2);
        let first = first.expect("leased");
        assert!(matches!(
            journal.complete(&first.token).await,
            Err(JournalError::LeaseLost(_))
        ));
    });
}

#[test]
fn synchronous_normal_journals_work_the_same() {
    let dir = Scratch::new();
    let config = SqliteConfig::default().synchronous(Synchronous::Normal);
    let journal = SqliteJournal::open_with(dir.path(), config).unwrap();
    runtime().block_on(async {
        assert_eq!(journal.append(entry("a")).await.unwrap(), Appended::New);
        assert_eq!(journal.lease(1, LONG).await.unwrap().len(), 1);
    });
    assert_eq!(SqliteConfig::default().synchronous, Synchronous::Full);
}

// ---------------------------------------------------------------------------------------------
// Files that are not (or not yet) journals

#[test]
fn open_existing_on_a_missing_path_fails_and_creates_nothing() {
    let dir = Scratch::new();
    let err = SqliteJournal::open_existing(dir.path()).unwrap_err();
    assert!(
        matches!(&err, JournalError::Missing { path } if path == dir.path()),
        "{err}"
    );
    assert!(err.to_string().contains("nothing was created"), "{err}");
    assert_eq!(dir.files(), Vec::<String>::new());
}

#[test]
fn open_creates_a_missing_journal_but_not_a_missing_directory() {
    let dir = Scratch::new();
    let journal = dir.journal();
    runtime().block_on(async { journal.append(entry("a")).await.unwrap() });
    drop(journal);
    // Closed, the journal is one file again: the WAL was checkpointed into it and removed.
    assert_eq!(dir.files(), ["journal.db"]);

    let nested = dir.root().join("no/such/dir/journal.db");
    let err = SqliteJournal::open(&nested).unwrap_err();
    assert!(matches!(err, JournalError::CannotOpen { .. }), "{err}");
    assert!(!dir.root().join("no").exists());

    let err = SqliteJournal::open(dir.root()).unwrap_err();
    assert!(
        matches!(err, JournalError::CannotOpen { .. }),
        "a directory: {err}"
    );
}

#[test]
fn a_file_of_garbage_is_not_a_journal_and_stays_byte_for_byte_the_same() {
    let dir = Scratch::new();
    let garbage: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(dir.path(), &garbage).unwrap();
    for open in [SqliteJournal::open, SqliteJournal::open_existing] {
        let err = open(dir.path()).unwrap_err();
        assert!(matches!(err, JournalError::NotAJournal { .. }), "{err}");
        assert!(err.to_string().contains("is not a journal"), "{err}");
        assert_eq!(std::fs::read(dir.path()).unwrap(), garbage);
    }
    assert_eq!(
        dir.files(),
        ["journal.db"],
        "no companion files left behind"
    );
}

#[test]
fn a_file_with_a_sqlite_header_and_garbage_after_it_is_refused_untouched() {
    let dir = Scratch::new();
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend((0..4080u32).map(|i| (i * 7 + 3) as u8));
    std::fs::write(dir.path(), &bytes).unwrap();
    for open in [SqliteJournal::open, SqliteJournal::open_existing] {
        let err = open(dir.path()).unwrap_err();
        assert!(matches!(err, JournalError::NotAJournal { .. }), "{err}");
        assert_eq!(std::fs::read(dir.path()).unwrap(), bytes);
    }
}

#[test]
fn a_sqlite_database_of_something_else_is_not_a_journal_and_stays_untouched() {
    let dir = Scratch::new();
    dir.sql("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada');");
    let before = std::fs::read(dir.path()).unwrap();
    for open in [SqliteJournal::open, SqliteJournal::open_existing] {
        let err = open(dir.path()).unwrap_err();
        assert!(matches!(err, JournalError::NotAJournal { .. }), "{err}");
        assert_eq!(std::fs::read(dir.path()).unwrap(), before);
    }
}

#[test]
fn an_empty_file_becomes_a_journal_for_a_receiver_but_not_for_inspection() {
    let dir = Scratch::new();
    std::fs::write(dir.path(), b"").unwrap();
    let err = SqliteJournal::open_existing(dir.path()).unwrap_err();
    assert!(matches!(err, JournalError::NotAJournal { .. }), "{err}");
    assert_eq!(std::fs::read(dir.path()).unwrap(), b"");

    let journal = dir.journal();
    runtime().block_on(async {
        assert_eq!(journal.append(entry("a")).await.unwrap(), Appended::New);
    });
}

#[test]
fn a_journal_of_a_newer_schema_is_refused_untouched() {
    let dir = Scratch::new();
    {
        let journal = dir.journal();
        runtime().block_on(async { journal.append(entry("a")).await.unwrap() });
    }
    dir.sql("UPDATE schema_version SET version = 99");
    let before = std::fs::read(dir.path()).unwrap();
    for open in [SqliteJournal::open, SqliteJournal::open_existing] {
        let err = open(dir.path()).unwrap_err();
        journal_support::assert_newer_schema(&err, 2);
        assert_eq!(std::fs::read(dir.path()).unwrap(), before);
    }
}

#[test]
fn a_read_only_journal_is_refused_even_for_root() {
    let dir = Scratch::new();
    {
        let journal = dir.journal();
        runtime().block_on(async { journal.append(entry("a")).await.unwrap() });
    }
    let before = std::fs::read(dir.path()).unwrap();
    let _guard = journal_support::make_read_only(dir.path());
    for open in [SqliteJournal::open, SqliteJournal::open_existing] {
        let err = open(dir.path()).unwrap_err();
        assert!(matches!(err, JournalError::ReadOnly { .. }), "{err}");
        assert!(err.to_string().contains("read-only"), "{err}");
    }
    assert_eq!(std::fs::read(dir.path()).unwrap(), before);
}

/// The schema of version 1, as a journal of that version holds it: the migration the SDK
/// runs on an empty file to reach version 1.
const SCHEMA_V1: &str = include_str!("../src/journal/sqlite/migrations/1.sql");

#[test]
fn a_journal_of_schema_version_1_is_upgraded_with_every_entry_and_state() {
    let dir = Scratch::new();
    dir.sql(SCHEMA_V1);
    dir.sql("INSERT INTO schema_version (version) VALUES (1)");
    // One entry per state, as version 1 wrote them (times in ms; `lease_until` long past).
    for (key, state, lease_until) in [
        ("p", "pending", "NULL"),
        ("i", "in_progress", "1"),
        ("d", "done", "NULL"),
        ("x", "dead", "NULL"),
    ] {
        dir.sql(&format!(
            "INSERT INTO entries (key, state, verified_by, received_at, next_attempt_at, \
             lease_until, updated_at, raw) \
             VALUES ('{key}', '{state}', 'ed25519:ghl-webhooks-test-key', 1, 1, {lease_until}, 1, X'7B7D')"
        ));
    }
    let journal = dir.journal();
    runtime().block_on(async {
        let stats = journal.stats().await.unwrap();
        assert_eq!(
            (stats.pending, stats.in_progress, stats.done, stats.dead),
            (1, 1, 1, 1)
        );
        // The pending entry and the expired lease are leased again; the finished ones are not.
        let leased = journal.lease(10, Duration::from_secs(60)).await.unwrap();
        let keys: HashSet<String> = leased.iter().map(|l| l.entry.key.clone()).collect();
        assert_eq!(keys, HashSet::from(["p".to_owned(), "i".to_owned()]));
        assert_eq!(
            journal.purge(std::time::SystemTime::now()).await.unwrap(),
            2
        );
        assert_eq!(
            journal.append(entry("p")).await.unwrap(),
            Appended::Duplicate
        );
    });
    drop(journal);
    let conn = dir.connection();
    let version: i64 = conn
        .query_row("SELECT version FROM schema_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, 2);
    let indexes: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'entries_%' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        indexes,
        [
            "entries_dead",
            "entries_done",
            "entries_due",
            "entries_lease",
            "entries_order"
        ]
    );
}
