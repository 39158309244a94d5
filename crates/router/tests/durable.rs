//! Durable mode end to end, over real HTTP, against every journal engine: acknowledged once
//! journaled, handled once by the workers, dead letters and replay, and a receiver process
//! killed with SIGKILL mid-run.
#![cfg(feature = "sqlite")]

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::exactly_once::{
    Effects, assert_exactly_once, effect_router, resend_bound, send_copies,
};
use common::journal::{Engine, keys, scratch, settled};
use futures_util::future::BoxFuture;
use ghl_webhook_router::journal::{
    Appended, Entry, EntryState, Journal, JournalError, LeaseToken, Leased, ListFilter, NewEntry,
    ReplaySelector, Settlement, Stats,
};
use ghl_webhook_router::types::association::{Association, AssociationDelete};
use ghl_webhook_router::types::{Event, EventKind, UnknownEvent, WebhookEvent};
use ghl_webhook_router::{Delivery, DurableConfig, WebhookRouter};
use ghl_webhook_test_support::{MockSender, RetryPolicy, TestKeys};
use ghl_webhook_testkit::child::ChildReceiver;

/// Serves `router` on a loopback port, bound by path (`/<EventName>`), and a sender to it.
async fn serve<S: Send + Sync + 'static>(
    router: WebhookRouter<S>,
) -> (ghl_webhook_router::serve::Server, MockSender) {
    common::serve(router.into_service()).await
}

/// Workers that retry fast, so a test's retries take milliseconds.
fn fast() -> DurableConfig {
    DurableConfig::default()
        .backoff(Duration::from_millis(5), Duration::from_millis(50))
        .poll_interval(Duration::from_millis(20))
}

fn event() -> AssociationDelete {
    AssociationDelete(Association::new("67ade73d1119d2ac7ad0c475"))
}

/// Sends `deliveries` distinct ids (30% of them two or three times, concurrently) bound by
/// path, retried like HighLevel; asserts every copy ended 200 and returns the ids and the most
/// attempts any copy needed.
async fn send_with_duplicates(sender: &MockSender, deliveries: usize) -> (Vec<String>, u32) {
    let (ids, copies) =
        send_copies(std::slice::from_ref(sender), deliveries, "durable", true).await;
    let mut most_attempts = 0;
    for (id, sent) in copies {
        let sent = sent.unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(sent.status, 200, "{}", sent.body_text());
        most_attempts = most_attempts.max(sent.attempts);
    }
    (ids, most_attempts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_delivery_is_acknowledged_on_its_first_attempt_and_handled_once() {
    for engine in Engine::all() {
        let dir = scratch();
        let journal = engine.open(&dir, "load").await;
        let fx = Effects::default();
        let router = effect_router(&fx, 0.2).durable(journal.clone(), fast());
        let (server, sender) = serve(router).await;
        let sender = sender.with_retry(RetryPolicy::highlevel().time_scale(0.001));

        let (ids, most_attempts) = send_with_duplicates(&sender, 2_000).await;
        assert_eq!(
            most_attempts, 1,
            "{engine:?}: HighLevel sees 2xx on the first attempt of every delivery"
        );
        let stats = settled(&*journal, Duration::from_secs(120)).await;
        assert_eq!(
            (stats.pending, stats.in_progress, stats.dead, stats.done),
            (0, 0, 0, 2_000),
            "{engine:?}"
        );
        let journaled = keys(&*journal).await;
        assert_eq!(journaled.len(), 2_000, "{engine:?}: each id journaled once");
        assert_eq!(
            journaled.iter().collect::<HashSet<_>>(),
            ids.iter().collect::<HashSet<_>>()
        );
        assert_exactly_once(&fx, &ids, true);
        server.shutdown(Duration::from_secs(5)).await.expect("stop");
    }
}

/// AssociationDelete as a later SDK release might model it: an `id` of any JSON type.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct FixedAssociationDelete {
    id: serde_json::Value,
}

impl WebhookEvent for FixedAssociationDelete {
    const KIND: EventKind = EventKind::AssociationDelete;
    fn into_event(self) -> Event {
        Event::Unknown(UnknownEvent::new(
            None,
            serde_json::to_vec(&self).unwrap_or_default(),
        ))
    }
}

#[tokio::test]
async fn an_undecodable_delivery_is_a_dead_letter_with_its_path_and_replays_once_fixed() {
    for engine in Engine::all() {
        let dir = scratch();
        let journal = engine.open(&dir, "dead").await;
        let handled = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = handled.clone();
        let router = WebhookRouter::new()
            .verifier(TestKeys::primary().verifier())
            .on(move |_: AssociationDelete, _: Delivery| {
                let count = count.clone();
                async move {
                    count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            })
            .durable(journal.clone(), fast());
        let (server, sender) = serve(router).await;
        let body = br#"{"type":"AssociationDelete","id":12345,"webhookId":"drifted-1"}"#;
        let sent = sender.raw(body.to_vec()).send().await.expect("sent");
        assert_eq!(
            (sent.status.as_u16(), sent.body_text().as_str()),
            (200, "accepted: journaled"),
            "{engine:?}"
        );
        let stats = settled(&*journal, Duration::from_secs(10)).await;
        assert_eq!(stats.dead, 1, "{engine:?}: a dead letter");
        let entry = journal
            .get("drifted-1")
            .await
            .expect("get")
            .expect("journaled");
        assert_eq!(entry.state, EntryState::Dead);
        assert_eq!(&entry.raw[..], &body[..], "the exact bytes are kept");
        let error = entry.last_error.unwrap_or_default();
        assert!(
            error.contains("at `id`"),
            "the error names the path: {error}"
        );
        assert_eq!(handled.load(std::sync::atomic::Ordering::SeqCst), 0);
        server.shutdown(Duration::from_secs(5)).await.expect("stop");

        // The model is fixed (a release that accepts the payload); replay the dead letters.
        let fixed = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = fixed.clone();
        let router = WebhookRouter::new()
            .verifier(TestKeys::primary().verifier())
            .on(move |event: FixedAssociationDelete, d: Delivery| {
                let seen = seen.clone();
                async move {
                    seen.lock().expect("lock").push((event.id, d.attempt()));
                }
            })
            .durable(journal.clone(), fast());
        let replayed = journal
            .replay(&ReplaySelector::AllDead)
            .await
            .expect("replay");
        assert_eq!(replayed, 1);
        let (server, _) = serve(router).await;
        let stats = settled(&*journal, Duration::from_secs(10)).await;
        assert_eq!((stats.dead, stats.done), (0, 1), "{engine:?}");
        assert_eq!(
            fixed.lock().expect("lock").as_slice(),
            &[(serde_json::json!(12345), 1)]
        );
        server.shutdown(Duration::from_secs(5)).await.expect("stop");
    }
}

#[tokio::test]
async fn a_handler_that_keeps_failing_ends_as_a_dead_letter_after_its_attempts() {
    for engine in Engine::all() {
        let dir = scratch();
        let journal = engine.open(&dir, "failing").await;
        let attempts = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = attempts.clone();
        let router = WebhookRouter::new()
            .verifier(TestKeys::primary().verifier())
            .on(move |_: AssociationDelete, d: Delivery| {
                let seen = seen.clone();
                async move {
                    seen.lock().expect("lock").push(d.attempt());
                    Err::<(), _>("the CRM is down")
                }
            })
            .durable(journal.clone(), fast().max_attempts(3));
        let (server, sender) = serve(router).await;
        let sent = sender
            .event(&event())
            .bound()
            .webhook_id("failing-1")
            .send()
            .await
            .expect("sent");
        assert_eq!(
            sent.status, 200,
            "acknowledged: the workers retry, not HighLevel"
        );
        let stats = settled(&*journal, Duration::from_secs(10)).await;
        assert_eq!(stats.dead, 1, "{engine:?}");
        assert_eq!(attempts.lock().expect("lock").as_slice(), &[1, 2, 3]);
        let entry = journal.get("failing-1").await.expect("get").expect("entry");
        assert_eq!(entry.attempts, 3);
        assert_eq!(
            entry.last_error.as_deref(),
            Some("handler failed: the CRM is down")
        );
        server.shutdown(Duration::from_secs(5)).await.expect("stop");
    }
}

#[tokio::test]
async fn unknown_kinds_are_journaled_and_rejected_requests_never_are() {
    for engine in Engine::all() {
        let dir = scratch();
        let journal = engine.open(&dir, "unknown").await;
        let unknown = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = unknown.clone();
        let router = WebhookRouter::new()
            .verifier(TestKeys::primary().verifier())
            .on_unknown(
                move |event: ghl_webhook_router::UnknownEvent, _: Delivery| {
                    let seen = seen.clone();
                    async move { seen.lock().expect("lock").push(event.type_field) }
                },
            )
            .durable(journal.clone(), fast());
        let (server, sender) = serve(router).await;
        let new_kind = br#"{"type":"SomethingNew","webhookId":"new-1"}"#.to_vec();
        assert_eq!(
            sender
                .raw(new_kind.clone())
                .send()
                .await
                .expect("sent")
                .status,
            200
        );
        let again = sender.raw(new_kind).send().await.expect("sent");
        assert_eq!(
            (again.status.as_u16(), again.body_text().as_str()),
            (200, "duplicate: already journaled")
        );
        let forged = sender
            .event(&event())
            .bound()
            .signed_by(&TestKeys::other())
            .send()
            .await
            .expect("sent");
        assert_eq!(forged.status, 401);
        let not_json = sender.raw(b"{".to_vec()).send().await.expect("sent");
        assert_eq!(not_json.status, 400);
        let stats = settled(&*journal, Duration::from_secs(10)).await;
        assert_eq!(keys(&*journal).await, ["new-1"], "{engine:?}");
        assert_eq!(stats.done, 1);
        assert_eq!(
            unknown.lock().expect("lock").as_slice(),
            &[Some("SomethingNew".to_owned())]
        );
        server.shutdown(Duration::from_secs(5)).await.expect("stop");
    }
}

#[tokio::test]
async fn a_journal_that_cannot_be_written_answers_503_and_keeps_nothing() {
    let dir = scratch();
    let journal = Engine::Sqlite.open(&dir, "broken").await;
    let router = WebhookRouter::new()
        .verifier(TestKeys::primary().verifier())
        .durable(journal.clone(), fast());
    let (server, sender) = serve(router).await;
    // Another process holds the write lock for longer than the journal's busy timeout.
    let path = Engine::Sqlite.location(&dir, "broken");
    let blocker = rusqlite_lock(&path);
    let sent = sender
        .event(&event())
        .bound()
        .webhook_id("locked-1")
        .send()
        .await
        .expect("sent");
    drop(blocker);
    assert_eq!(
        (sent.status.as_u16(), sent.body_text().as_str()),
        (503, "journal unavailable: retry later")
    );
    assert!(journal.get("locked-1").await.expect("get").is_none());
    server.shutdown(Duration::from_secs(5)).await.expect("stop");
}

/// Holds SQLite's write lock on `path` from a `sqlite3`-like second connection until dropped.
fn rusqlite_lock(path: &str) -> impl Drop {
    struct Lock(Option<std::process::Child>);
    impl Drop for Lock {
        fn drop(&mut self) {
            if let Some(mut child) = self.0.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "child_process_entry_point", "--nocapture"])
        .env("GHL_DURABLE_CHILD", "lock")
        .env("GHL_DURABLE_JOURNAL", path)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the lock holder");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    while let Some(Ok(line)) = lines.next() {
        if line == "locked" {
            break;
        }
    }
    Lock(Some(child))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_killed_mid_run_loses_nothing_and_appends_nothing_twice() {
    for engine in Engine::all() {
        receiver_killed_mid_run(engine).await;
    }
}

async fn receiver_killed_mid_run(engine: Engine) {
    let dir = scratch();
    let location = engine.location(&dir, "crash");
    let handled_log = dir.path().join("handled.log");
    let start = || Receiver::start(engine, &location, &handled_log);

    let first = start();
    let mut tasks = send_load(&first, "crash", 400);
    // Kill it once part of the load is acknowledged, with requests and handlers in flight.
    let mut acknowledged = HashSet::new();
    let mut unanswered = Vec::new();
    let mut first = Some(first);
    while let Some(joined) = tasks.join_next().await {
        let (id, status) = joined.expect("task");
        if status == 200 {
            acknowledged.insert(id);
        } else {
            unanswered.push(id);
        }
        if acknowledged.len() >= 150
            && let Some(receiver) = first.take()
        {
            receiver.kill();
        }
    }
    assert!(first.is_none(), "killed mid-run");
    let journal = engine.reopen(&dir, "crash").await;
    let at_kill = journal.stats().await.expect("stats");
    assert!(
        at_kill.pending + at_kill.in_progress > 0,
        "the kill left work unfinished: {at_kill:?}"
    );
    assert!(!unanswered.is_empty(), "the kill cut requests in flight");

    restart_and_settle(start(), &*journal, &mut acknowledged, &unanswered).await;
    let handled: HashSet<String> = handled_lines(&handled_log)
        .into_iter()
        .filter(|line| line.succeeded)
        .map(|line| line.id)
        .collect();
    for id in &acknowledged {
        assert!(
            handled.contains(id),
            "{id} was acknowledged but never handled"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_with_one_order_key_run_one_at_a_time_in_arrival_order() {
    for engine in Engine::all() {
        let dir = scratch();
        let journal = engine.open(&dir, "order").await;
        // (location, webhookId, started, finished) per handler call.
        type Calls = Vec<(String, String, std::time::Instant, std::time::Instant)>;
        let calls: Arc<std::sync::Mutex<Calls>> = Default::default();
        let log = calls.clone();
        let router = WebhookRouter::new()
            .verifier(TestKeys::primary().verifier())
            .on(move |_: AssociationDelete, d: Delivery| {
                let log = log.clone();
                async move {
                    let started = std::time::Instant::now();
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    log.lock().expect("lock").push((
                        d.location_id().unwrap_or("-").to_owned(),
                        d.webhook_id().unwrap_or("-").to_owned(),
                        started,
                        std::time::Instant::now(),
                    ));
                }
            })
            .durable(
                journal.clone(),
                fast()
                    .concurrency(8)
                    .order_by(|d| d.location_id().map(str::to_owned)),
            );
        let (server, sender) = serve(router).await;
        // Sent one after the other, so arrival order is the order of `i`.
        for i in 0..40 {
            let mut event = event();
            event.0.location_id = Some(format!("loc-{}", i % 2));
            let sent = sender
                .event(&event)
                .bound()
                .webhook_id(format!("order-{i:02}"))
                .send()
                .await
                .expect("sent");
            assert_eq!(sent.status, 200);
        }
        let stats = settled(&*journal, Duration::from_secs(30)).await;
        assert_eq!(stats.done, 40, "{engine:?}");
        let calls = calls.lock().expect("lock").clone();
        for location in ["loc-0", "loc-1"] {
            let mut mine: Vec<_> = calls.iter().filter(|c| c.0 == location).collect();
            mine.sort_by_key(|c| c.2);
            let ids: Vec<&str> = mine.iter().map(|c| c.1.as_str()).collect();
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            assert_eq!(ids, sorted, "{location} ran in arrival order");
            for pair in mine.windows(2) {
                assert!(pair[0].3 <= pair[1].2, "{location} ran one at a time");
            }
        }
        server.shutdown(Duration::from_secs(5)).await.expect("stop");
    }
}

#[tokio::test]
async fn shutdown_hands_entries_in_progress_back_without_counting_the_attempt() {
    for engine in Engine::all() {
        let dir = scratch();
        let journal = engine.open(&dir, "shutdown").await;
        let (started, mut has_started) = tokio::sync::mpsc::channel::<()>(1);
        let router = WebhookRouter::new()
            .verifier(TestKeys::primary().verifier())
            .on(move |_: AssociationDelete, _: Delivery| {
                let started = started.clone();
                async move {
                    let _ = started.send(()).await;
                    tokio::time::sleep(Duration::from_secs(600)).await;
                }
            })
            .durable(journal.clone(), fast().grace(Duration::from_millis(100)));
        let (server, sender) = serve(router).await;
        let sent = sender
            .event(&event())
            .bound()
            .webhook_id("slow-1")
            .send()
            .await
            .expect("sent");
        assert_eq!(sent.status, 200);
        has_started.recv().await.expect("the handler started");
        server.shutdown(Duration::from_secs(5)).await.expect("stop");
        let entry = journal.get("slow-1").await.expect("get").expect("entry");
        assert_eq!(
            (entry.state, entry.attempts),
            (EntryState::Pending, 0),
            "{engine:?}: handed back, due again, the attempt not counted"
        );
    }
}

#[tokio::test]
async fn done_entries_are_pruned_after_the_retention_so_the_journal_stays_bounded() {
    for engine in Engine::all() {
        let dir = scratch();
        let journal = engine.open(&dir, "retention").await;
        let router = WebhookRouter::new()
            .verifier(TestKeys::primary().verifier())
            .on(|_: AssociationDelete, _: Delivery| async {})
            .durable(
                journal.clone(),
                fast().retention(Duration::from_millis(200)),
            );
        let (server, sender) = serve(router).await;
        for i in 0..20 {
            let sent = sender
                .event(&event())
                .bound()
                .webhook_id(format!("kept-{i}"))
                .send()
                .await
                .expect("sent");
            assert_eq!(sent.status, 200);
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let stats = loop {
            let stats = journal.stats().await.expect("stats");
            let total = stats.pending + stats.in_progress + stats.done + stats.dead;
            if total == 0 || std::time::Instant::now() > deadline {
                break stats;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(
            (stats.pending, stats.in_progress, stats.done, stats.dead),
            (0, 0, 0, 0),
            "{engine:?}: every done entry pruned"
        );
        server.shutdown(Duration::from_secs(5)).await.expect("stop");
    }
}

/// A durable receiver in a child process (this test binary, re-executed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_killed_inside_a_batched_completion_loses_nothing_and_repeats_only_what_did_not_commit()
 {
    for engine in Engine::all() {
        // The kill lands at once, or a little later: before, during or after the commit.
        for delay_us in [0, 300, 1500] {
            killed_inside_a_batched_completion(engine, delay_us).await;
        }
    }
}

async fn killed_inside_a_batched_completion(engine: Engine, delay_us: u64) {
    let dir = scratch();
    let name = format!("batch{delay_us}");
    let location = engine.location(&dir, &name);
    let handled_log = dir.path().join("handled.log");
    let batch_log = dir.path().join("batch.log");
    let first = ChildReceiver::start(
        "child_process_entry_point",
        &[
            ("GHL_DURABLE_CHILD", format!("{engine:?}")),
            ("GHL_DURABLE_JOURNAL", location.clone()),
            ("GHL_DURABLE_HANDLED_LOG", handled_log.display().to_string()),
            ("GHL_DURABLE_KILL_IN_BATCH", delay_us.to_string()),
            ("GHL_DURABLE_BATCH_LOG", batch_log.display().to_string()),
        ],
    );
    let mut tasks = send_load(&first, "batch", 300);
    // The receiver kills itself inside its first completion of several entries.
    let mut acknowledged = HashSet::new();
    let mut unanswered = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (id, status) = joined.expect("task");
        if status == 200 {
            acknowledged.insert(id);
        } else {
            unanswered.push(id);
        }
    }
    let batch: Vec<String> = std::fs::read_to_string(&batch_log)
        .expect("the receiver logged the batch it died in")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert!(batch.len() >= 2, "a batch of several: {batch:?}");
    first.stop();

    // Right after the kill: which entries are done. The batch committed whole or not at all
    // (Redis settles each entry on its own: each is done or still leased).
    let journal = engine.reopen(&dir, &name).await;
    let mut done_at_kill = HashSet::new();
    for key in keys(&*journal).await {
        let entry = journal.get(&key).await.expect("get").expect("listed");
        if entry.state == EntryState::Done {
            done_at_kill.insert(key);
        }
    }
    let batch_done = batch.iter().filter(|k| done_at_kill.contains(*k)).count();
    if engine.settles_batches_atomically() {
        assert!(
            batch_done == 0 || batch_done == batch.len(),
            "{engine:?} +{delay_us}µs: {batch_done} of the batch {batch:?} committed"
        );
    }

    let second = Receiver::start(engine, &location, &handled_log);
    restart_and_settle(second, &*journal, &mut acknowledged, &unanswered).await;
    let mut times: std::collections::HashMap<String, usize> = Default::default();
    for line in handled_lines(&handled_log) {
        *times.entry(line.id).or_default() += 1;
    }
    for id in &acknowledged {
        assert!(
            times.contains_key(id),
            "{id} was acknowledged but never handled"
        );
    }
    for (id, n) in &times {
        assert!(
            *n == 1 || !done_at_kill.contains(id),
            "{engine:?} +{delay_us}µs: {id} was handled {n} times though its completion had committed"
        );
    }
    eprintln!(
        "{engine:?}, kill {delay_us} µs into a completion of {}: {batch_done} of it committed, {} handled twice",
        batch.len(),
        times.values().filter(|n| **n > 1).count()
    );
}

/// Sends `count` distinct deliveries (`PREFIX-NNNN`, bound by path) to `receiver`, 16 at a
/// time and without retries: each id with its status (0: no answer, e.g. the receiver died).
fn send_load(
    receiver: &ChildReceiver,
    prefix: &str,
    count: usize,
) -> tokio::task::JoinSet<(String, u16)> {
    let sender = MockSender::new(receiver.url.clone()).expect("url");
    let mut tasks = tokio::task::JoinSet::new();
    let limit = Arc::new(tokio::sync::Semaphore::new(16));
    for i in 0..count {
        let (sender, limit) = (sender.clone(), limit.clone());
        let id = format!("{prefix}-{i:04}");
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("semaphore");
            let sent = sender.event(&event()).bound().webhook_id(&id).send().await;
            (id, sent.map(|s| s.status.as_u16()).unwrap_or(0))
        });
    }
    tasks
}

/// After a kill: on `second`, a receiver restarted on the same journal, HighLevel retries
/// what was not answered; once the journal settles, nothing is journaled twice and every
/// acknowledged delivery (`acknowledged` grows by the retried ones) is journaled.
async fn restart_and_settle(
    second: ChildReceiver,
    journal: &dyn Journal,
    acknowledged: &mut HashSet<String>,
    unanswered: &[String],
) {
    let sender = MockSender::new(second.url.clone()).expect("url");
    resend_bound(&sender, unanswered).await;
    acknowledged.extend(unanswered.iter().cloned());
    let stats = settled(journal, Duration::from_secs(60)).await;
    assert_eq!((stats.pending, stats.in_progress, stats.dead), (0, 0, 0));
    second.stop();

    let journaled = keys(journal).await;
    assert_eq!(
        journaled.len(),
        journaled.iter().collect::<HashSet<_>>().len(),
        "nothing appended twice"
    );
    assert_eq!(
        &journaled.into_iter().collect::<HashSet<_>>(),
        acknowledged,
        "every acknowledged delivery is journaled"
    );
}

struct Receiver;

impl Receiver {
    fn start(engine: Engine, location: &str, handled_log: &std::path::Path) -> ChildReceiver {
        Self::start_failing(engine, location, handled_log, 0.0)
    }

    /// A receiver whose handler fails `fail_share` of first attempts (before any effect).
    fn start_failing(
        engine: Engine,
        location: &str,
        handled_log: &std::path::Path,
        fail_share: f64,
    ) -> ChildReceiver {
        ChildReceiver::start(
            "child_process_entry_point",
            &[
                ("GHL_DURABLE_CHILD", format!("{engine:?}")),
                ("GHL_DURABLE_JOURNAL", location.to_owned()),
                ("GHL_DURABLE_HANDLED_LOG", handled_log.display().to_string()),
                ("GHL_DURABLE_FAIL_SHARE", fail_share.to_string()),
            ],
        )
    }
}

/// Not a test of its own: the entry point of the child processes above, run only when
/// `GHL_DURABLE_CHILD` says which role to play (a receiver, or a holder of the write lock).
#[test]
fn child_process_entry_point() {
    let Ok(role) = std::env::var("GHL_DURABLE_CHILD") else {
        return;
    };
    let location = std::env::var("GHL_DURABLE_JOURNAL").expect("GHL_DURABLE_JOURNAL");
    if role == "lock" {
        let connection = rusqlite::Connection::open(&location).expect("open");
        connection
            .execute_batch("BEGIN IMMEDIATE")
            .expect("take the write lock");
        println!("locked");
        std::thread::sleep(Duration::from_secs(60));
        return;
    }
    let engine = Engine::from_name(&role).unwrap_or_else(|| panic!("unknown engine {role}"));
    let log_path = std::env::var("GHL_DURABLE_HANDLED_LOG").expect("GHL_DURABLE_HANDLED_LOG");
    let fail_share: f64 = std::env::var("GHL_DURABLE_FAIL_SHARE")
        .ok()
        .and_then(|share| share.parse().ok())
        .unwrap_or(0.0);
    let runtime = common::runtime();
    runtime.block_on(async move {
        let journal = engine.open_location(&location).await;
        let log = ghl_webhook_testkit::child::append_log(&log_path);
        let router = WebhookRouter::new()
            .verifier(TestKeys::primary().verifier())
            .on(move |_: AssociationDelete, d: Delivery| {
                let log = log.clone();
                async move {
                    // Slow enough that a kill finds handlers in progress.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    let failed = d.attempt() == 1 && fastrand::f64() < fail_share;
                    let line = format!(
                        "{} {} {}\n",
                        if failed { "fail" } else { "ok" },
                        d.webhook_id().unwrap_or("-"),
                        std::process::id()
                    );
                    log.lock()
                        .expect("lock")
                        .write_all(line.as_bytes())
                        .expect("log");
                    if failed {
                        Err("transient failure")
                    } else {
                        Ok(())
                    }
                }
            })
            .durable(
                kill_inside_a_batch(journal),
                fast().concurrency(4).lease(Duration::from_secs(2)),
            );
        let (server, _) = serve(router).await;
        println!("listening on {}", server.url());
        std::future::pending::<()>().await;
    });
}

/// The child's journal: as opened, or, when `GHL_DURABLE_KILL_IN_BATCH` gives a delay in µs,
/// one whose first completion of several entries logs their keys to `GHL_DURABLE_BATCH_LOG`,
/// starts the completion and SIGKILLs the process that delay after.
fn kill_inside_a_batch(journal: Arc<dyn Journal>) -> Arc<dyn Journal> {
    let Some(delay) = std::env::var("GHL_DURABLE_KILL_IN_BATCH")
        .ok()
        .and_then(|us| us.parse().ok())
        .map(Duration::from_micros)
    else {
        return journal;
    };
    let log = std::env::var("GHL_DURABLE_BATCH_LOG").expect("GHL_DURABLE_BATCH_LOG");
    Arc::new(KillInsideBatch {
        inner: journal,
        delay,
        log: log.into(),
        batches: Default::default(),
    })
}

struct KillInsideBatch {
    inner: Arc<dyn Journal>,
    delay: Duration,
    log: std::path::PathBuf,
    batches: std::sync::atomic::AtomicUsize,
}

impl Journal for KillInsideBatch {
    fn settle_many<'a>(
        &'a self,
        batch: &'a [(LeaseToken, Settlement)],
    ) -> BoxFuture<'a, Vec<Result<(), JournalError>>> {
        use std::sync::atomic::Ordering;
        let completes = batch
            .iter()
            .filter(|(_, how)| *how == Settlement::Complete)
            .count();
        if completes >= 2 && self.batches.fetch_add(1, Ordering::SeqCst) == 0 {
            let keys: Vec<&str> = batch.iter().map(|(token, _)| token.key()).collect();
            std::fs::write(&self.log, keys.join(" ")).expect("the batch log");
            let delay = self.delay;
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                let me = rustix::process::getpid();
                let _ = rustix::process::kill_process(me, rustix::process::Signal::KILL);
            });
        }
        self.inner.settle_many(batch)
    }
    fn append(&self, entry: NewEntry) -> BoxFuture<'_, Result<Appended, JournalError>> {
        self.inner.append(entry)
    }
    fn lease(
        &self,
        max: usize,
        lease_for: Duration,
    ) -> BoxFuture<'_, Result<Vec<Leased>, JournalError>> {
        self.inner.lease(max, lease_for)
    }
    fn settle<'a>(
        &'a self,
        token: &'a LeaseToken,
        how: &'a Settlement,
    ) -> BoxFuture<'a, Result<(), JournalError>> {
        self.inner.settle(token, how)
    }
    fn stats(&self) -> BoxFuture<'_, Result<Stats, JournalError>> {
        self.inner.stats()
    }
    fn list<'a>(
        &'a self,
        filter: &'a ListFilter,
    ) -> BoxFuture<'a, Result<Vec<Entry>, JournalError>> {
        self.inner.list(filter)
    }
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Entry>, JournalError>> {
        self.inner.get(key)
    }
    fn replay<'a>(
        &'a self,
        selector: &'a ReplaySelector,
    ) -> BoxFuture<'a, Result<usize, JournalError>> {
        self.inner.replay(selector)
    }
    fn purge(
        &self,
        older_than: std::time::SystemTime,
    ) -> BoxFuture<'_, Result<usize, JournalError>> {
        self.inner.purge(older_than)
    }
    fn prune_done(
        &self,
        older_than: std::time::SystemTime,
    ) -> BoxFuture<'_, Result<usize, JournalError>> {
        self.inner.prune_done(older_than)
    }
    fn drop_done_bodies(
        &self,
        older_than: std::time::SystemTime,
    ) -> BoxFuture<'_, Result<usize, JournalError>> {
        self.inner.drop_done_bodies(older_than)
    }
    fn wake_on_appends(&self, wake: Arc<tokio::sync::Notify>) {
        self.inner.wake_on_appends(wake);
    }
}

/// One line of the children's handled log: an attempt, its outcome and the process.
struct Handled {
    succeeded: bool,
    id: String,
    pid: u32,
}

fn handled_lines(path: &std::path::Path) -> Vec<Handled> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut words = line.split(' ');
            let outcome = words.next()?;
            let id = words.next()?.to_owned();
            let pid = words.next()?.parse().ok()?;
            Some(Handled {
                succeeded: outcome == "ok",
                id,
                pid,
            })
        })
        .collect()
}

/// Sends `deliveries` distinct ids (30% of them two or three times, each copy to the next
/// sender in turn, so duplicates reach different replicas), bound by path, each retried like
/// HighLevel; returns the ids and the status each copy ended with (0: no answer).
async fn send_across(
    senders: &[MockSender],
    deliveries: usize,
    prefix: &str,
) -> (Vec<String>, Vec<(String, u16)>) {
    let (ids, copies) = send_copies(senders, deliveries, prefix, true).await;
    let statuses = copies
        .into_iter()
        .map(|(id, sent)| (id, sent.map(|s| s.status.as_u16()).unwrap_or(0)))
        .collect();
    (ids, statuses)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_sharing_one_journal_journal_each_delivery_once_and_handle_it_once() {
    for engine in Engine::all() {
        let dir = scratch();
        let location = engine.location(&dir, "replicas");
        let handled_log = dir.path().join("handled.log");
        let a = Receiver::start_failing(engine, &location, &handled_log, 0.2);
        let b = Receiver::start_failing(engine, &location, &handled_log, 0.2);
        let retry = RetryPolicy::highlevel().time_scale(0.001);
        let senders = [&a, &b].map(|replica| {
            MockSender::new(replica.url.clone())
                .expect("url")
                .with_retry(retry.clone())
        });
        let (ids, statuses) = send_across(&senders, 2_000, "replica").await;
        for (id, status) in &statuses {
            assert_eq!(*status, 200, "{engine:?}: {id} acknowledged");
        }
        let journal = engine.reopen(&dir, "replicas").await;
        let stats = settled(&*journal, Duration::from_secs(120)).await;
        assert_eq!(
            (stats.pending, stats.in_progress, stats.dead, stats.done),
            (0, 0, 0, 2_000),
            "{engine:?}"
        );
        let journaled = keys(&*journal).await;
        assert_eq!(journaled.len(), 2_000, "{engine:?}: each id journaled once");
        assert_eq!(
            journaled.iter().collect::<HashSet<_>>(),
            ids.iter().collect::<HashSet<_>>()
        );
        let lines = handled_lines(&handled_log);
        let mut successes: std::collections::HashMap<&str, usize> = Default::default();
        for line in lines.iter().filter(|line| line.succeeded) {
            *successes.entry(&line.id).or_default() += 1;
        }
        for id in &ids {
            assert_eq!(
                successes.get(id.as_str()),
                Some(&1),
                "{engine:?}: {id} handled successfully once"
            );
        }
        let failures = lines.iter().filter(|line| !line.succeeded).count();
        assert!(
            failures > 200,
            "{engine:?}: first attempts failed ({failures}) and were retried"
        );
        let pids: HashSet<u32> = lines.iter().map(|line| line.pid).collect();
        assert_eq!(
            pids,
            HashSet::from([a.pid(), b.pid()]),
            "{engine:?}: both replicas' workers handled entries"
        );
        a.stop();
        b.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_processing_has_its_leases_taken_over_by_the_other() {
    for engine in Engine::all() {
        let dir = scratch();
        let location = engine.location(&dir, "takeover");
        let handled_log = dir.path().join("handled.log");
        let a = Receiver::start(engine, &location, &handled_log);
        let b = Receiver::start(engine, &location, &handled_log);
        let (a_pid, b_pid) = (a.pid(), b.pid());
        let to_a = MockSender::new(a.url.clone()).expect("url");
        let to_b = MockSender::new(b.url.clone()).expect("url");
        // Every delivery goes to A first, as a load balancer would; what A does not answer
        // (it dies) HighLevel retries, and the balancer sends it to B.
        let mut acknowledged = HashSet::new();
        let mut unanswered = Vec::new();
        for chunk in 0..20 {
            let mut tasks = tokio::task::JoinSet::new();
            for i in 0..20 {
                let (sender, id) = (to_a.clone(), format!("takeover-{chunk:02}-{i:02}"));
                tasks.spawn(async move {
                    let sent = sender.event(&event()).bound().webhook_id(&id).send().await;
                    (id, sent.map(|s| s.status.as_u16()).unwrap_or(0))
                });
            }
            for (id, status) in tasks.join_all().await {
                if status == 200 {
                    acknowledged.insert(id);
                } else {
                    unanswered.push(id);
                }
            }
        }
        // A's workers hold leases now (handlers take 20 ms each, 4 at a time).
        let journal = engine.reopen(&dir, "takeover").await;
        let before = journal.stats().await.expect("stats");
        a.kill();
        assert!(
            before.pending + before.in_progress > 0,
            "{engine:?}: the kill found work unfinished: {before:?}"
        );
        resend_bound(&to_b, &unanswered).await;
        acknowledged.extend(unanswered.iter().cloned());
        // A's leases (2 s) expire, and B's workers take them over.
        let stats = settled(&*journal, Duration::from_secs(60)).await;
        assert_eq!(
            (stats.pending, stats.in_progress, stats.dead),
            (0, 0, 0),
            "{engine:?}"
        );
        b.stop();
        let journaled = keys(&*journal).await;
        assert_eq!(
            journaled.len(),
            journaled.iter().collect::<HashSet<_>>().len(),
            "{engine:?}: nothing appended twice"
        );
        assert_eq!(
            journaled.iter().cloned().collect::<HashSet<_>>(),
            acknowledged,
            "{engine:?}: every acknowledged delivery is journaled"
        );
        let lines = handled_lines(&handled_log);
        for id in &acknowledged {
            assert!(
                lines.iter().any(|line| line.succeeded && &line.id == id),
                "{engine:?}: {id} was acknowledged but never handled"
            );
        }
        // No handler failed, so an entry leased twice is one B took over from A.
        let taken_over: Vec<_> = journal
            .list(&ListFilter::default())
            .await
            .expect("list")
            .into_iter()
            .filter(|entry| entry.attempts >= 2)
            .collect();
        assert!(
            !taken_over.is_empty(),
            "{engine:?}: A died holding leases, and they were taken over"
        );
        for entry in &taken_over {
            assert_eq!(entry.state, EntryState::Done);
            assert!(
                lines
                    .iter()
                    .any(|line| line.succeeded && line.id == entry.key && line.pid == b_pid),
                "{engine:?}: {} handled by B after the takeover",
                entry.key
            );
        }
        eprintln!(
            "{engine:?}: {} entries of A (pid {a_pid}) taken over by B",
            taken_over.len()
        );
    }
}

/// A new entry is handed to this process's workers, leased, only while they run: an app that
/// runs no workers (they run elsewhere, on the same journal) leaves every entry pending for
/// whichever worker leases it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_stay_pending_for_any_worker_until_this_process_runs_its_workers() {
    use http_body_util::Full;
    use tower_service::Service as _;

    for engine in Engine::all() {
        let dir = scratch();
        let journal = engine.open(&dir, "handoff").await;
        let (handled, mut was_handled) = tokio::sync::mpsc::unbounded_channel();
        let mut service = WebhookRouter::new()
            .verifier(TestKeys::primary().verifier())
            .on(move |_: AssociationDelete, delivery: Delivery| {
                let handled = handled.clone();
                async move {
                    let _ = handled.send(delivery.webhook_id().map(str::to_owned));
                }
            })
            .durable(journal.clone(), fast())
            .into_service()
            .bind(EventKind::AssociationDelete);
        // Delivers `id` (answered 200) and reads its entry back.
        let deliver = async |service: &mut ghl_webhook_router::WebhookService, id: &str| {
            let body = serde_json::json!({
                "id": "67ade73d1119d2ac7ad0c475",
                "webhookId": id,
                "locationId": "loc-1",
            })
            .to_string();
            let request = http::Request::post("/webhooks")
                .header("content-type", "application/json")
                .header(
                    ghl_webhook_router::SIGNATURE_HEADER,
                    TestKeys::primary().sign(body.as_bytes()),
                )
                .body(Full::new(bytes::Bytes::from(body)))
                .expect("a request");
            let answer = service.call(request).await.expect("infallible");
            assert_eq!(answer.status(), 200, "{id}");
            journal.get(id).await.expect("get").expect("entry")
        };
        let entry = deliver(&mut service, "before-workers").await;
        assert_eq!(
            (entry.state, entry.attempts),
            (EntryState::Pending, 0),
            "{engine:?}: no workers here, nothing leased"
        );

        let workers = service.workers().expect("durable");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(workers.run(async move {
            let _ = stopped.await;
        }));
        let mut next_handled = async || {
            tokio::time::timeout(Duration::from_secs(10), was_handled.recv())
                .await
                .expect("handled within 10 s")
                .flatten()
        };
        assert_eq!(next_handled().await.as_deref(), Some("before-workers"));
        deliver(&mut service, "with-workers").await;
        assert_eq!(next_handled().await.as_deref(), Some("with-workers"));
        let stats = settled(&*journal, Duration::from_secs(10)).await;
        assert_eq!((stats.done, stats.pending, stats.in_progress), (2, 0, 0));
        let entry = journal
            .get("with-workers")
            .await
            .expect("get")
            .expect("entry");
        assert_eq!(entry.attempts, 1, "{engine:?}: one attempt");
        let _ = stop.send(());
        running.await.expect("the workers stop");

        // Stopped: entries are pending again for any worker.
        let entry = deliver(&mut service, "after-workers").await;
        assert_eq!(
            (entry.state, entry.attempts),
            (EntryState::Pending, 0),
            "{engine:?}"
        );
    }
}
