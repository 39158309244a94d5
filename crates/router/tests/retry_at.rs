//! A handler's say in its retry (`RetryAt`) and the raw catch-all (`on_any_raw`), through the
//! real workers on a SQLite journal.
#![cfg(feature = "sqlite")]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use ghl_webhook_router::journal::{EntryState, Journal, NewEntry, SqliteJournal};
use ghl_webhook_router::{
    Delivery, DurableConfig, RetryAt, UnknownEvent, VerifiedBy, WebhookRouter,
};

/// Runs the workers of `router` on `journal` until `done` holds (bounded), then stops them.
async fn run_until(
    router: WebhookRouter,
    journal: Arc<SqliteJournal>,
    config: DurableConfig,
    done: impl Fn() -> bool,
) {
    let service = router.durable(journal, config).into_service();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let workers = tokio::spawn(service.workers().expect("durable").run(async {
        let _ = stopped.await;
    }));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the workers never got there"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = stop.send(());
    workers.await.expect("workers");
}

fn journal(name: &str) -> (tempfile::TempDir, Arc<SqliteJournal>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = SqliteJournal::open(dir.path().join(name)).expect("journal");
    (dir, Arc::new(journal))
}

async fn append(journal: &SqliteJournal, key: &str, body: &str) {
    journal
        .append(NewEntry::new(
            key,
            body.to_owned(),
            VerifiedBy::Ed25519("test".into()),
        ))
        .await
        .expect("append");
}

fn fast() -> DurableConfig {
    DurableConfig::default()
        .backoff(Duration::from_millis(5), Duration::from_millis(10))
        .poll_interval(Duration::from_millis(10))
}

#[tokio::test]
async fn a_retry_is_not_earlier_than_the_handler_asked() {
    let (_dir, journal) = journal("at.db");
    append(&journal, "w-1", r#"{"type":"SomethingNew"}"#).await;
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let router = WebhookRouter::new().on_any_raw(move |_: UnknownEvent, _: Delivery| {
        counted.fetch_add(1, Ordering::SeqCst);
        async {
            Err::<(), _>(RetryAt::after(
                Duration::from_secs(30),
                "429: Retry-After 30",
            ))
        }
    });
    let asked_at = SystemTime::now();
    let seen = Arc::clone(&calls);
    run_until(router, Arc::clone(&journal), fast(), move || {
        seen.load(Ordering::SeqCst) >= 1
    })
    .await;
    // The workers' own backoff is 5 ms; the handler asked for 30 s.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let entry = journal.get("w-1").await.expect("get").expect("entry");
    assert_eq!(entry.state, EntryState::Pending);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "not attempted again before its time"
    );
    assert!(
        entry.next_attempt_at >= asked_at + Duration::from_secs(29),
        "{entry:?}"
    );
    assert_eq!(
        entry.last_error.as_deref(),
        Some("handler failed: 429: Retry-After 30")
    );
}

#[tokio::test]
async fn holds_use_up_no_attempts_and_real_failures_still_do() {
    const HOLDS: u32 = 5;
    let (_dir, journal) = journal("hold.db");
    append(&journal, "held", r#"{"type":"SomethingNew","n":1}"#).await;
    append(&journal, "failing", r#"{"type":"SomethingNew","n":2}"#).await;
    let held_calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&held_calls);
    // The "held" entry waits on a paused downstream five times, then fails for real.
    let router = WebhookRouter::new().on_any_raw(move |_: UnknownEvent, delivery: Delivery| {
        let held = delivery.raw().ends_with(b"1}");
        let call = if held {
            counted.fetch_add(1, Ordering::SeqCst) + 1
        } else {
            0
        };
        async move {
            if held && call <= HOLDS {
                Err(RetryAt::hold(
                    SystemTime::now() + Duration::from_millis(5),
                    "paused",
                ))
            } else {
                Err(RetryAt::after(Duration::ZERO, "failed"))
            }
        }
    });
    // Watch the journal from the test's side while the workers run.
    let probe = Arc::clone(&journal);
    let both_dead = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = Arc::clone(&both_dead);
    let watcher = tokio::spawn(async move {
        loop {
            let mut dead = 0;
            for key in ["held", "failing"] {
                if let Ok(Some(entry)) = probe.get(key).await
                    && entry.state == EntryState::Dead
                {
                    dead += 1;
                }
            }
            seen.store(dead == 2, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    run_until(
        router,
        Arc::clone(&journal),
        fast().max_attempts(2),
        move || both_dead.load(Ordering::SeqCst),
    )
    .await;
    watcher.abort();
    let held = journal.get("held").await.expect("get").expect("entry");
    assert_eq!(held.state, EntryState::Dead, "{held:?}");
    assert_eq!(
        held_calls.load(Ordering::SeqCst),
        HOLDS + 2,
        "five holds, then its two attempts"
    );
    assert_eq!(held.attempts, 2, "the holds are not counted: {held:?}");
    let failing = journal.get("failing").await.expect("get").expect("entry");
    assert_eq!(failing.state, EntryState::Dead, "{failing:?}");
    assert_eq!(failing.attempts, 2, "{failing:?}");
}

#[tokio::test]
async fn the_raw_catch_all_takes_known_kinds_that_do_not_decode() {
    let (_dir, journal) = journal("raw.db");
    // A ContactCreate whose `id` is a number: undecodable for the typed models.
    let mut entry = NewEntry::new(
        "w-raw",
        r#"{"type":"ContactCreate","id":42}"#,
        VerifiedBy::Ed25519("test".into()),
    );
    entry.kind = Some(ghl_webhook_router::types::EventKind::ContactCreate);
    journal.append(entry).await.expect("append");
    let router =
        WebhookRouter::new().on_any_raw(|event: UnknownEvent, delivery: Delivery| async move {
            assert_eq!(
                delivery.kind(),
                Some(ghl_webhook_router::types::EventKind::ContactCreate)
            );
            assert_eq!(&event.raw[..], br#"{"type":"ContactCreate","id":42}"#);
        });
    let probe = Arc::clone(&journal);
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&done);
    let watcher = tokio::spawn(async move {
        loop {
            if let Ok(Some(entry)) = probe.get("w-raw").await
                && entry.state == EntryState::Done
            {
                flag.store(true, Ordering::SeqCst);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    let seen = Arc::clone(&done);
    run_until(router, Arc::clone(&journal), fast(), move || {
        seen.load(Ordering::SeqCst)
    })
    .await;
    watcher.abort();
}
