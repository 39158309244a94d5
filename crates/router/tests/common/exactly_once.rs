//! The exactly-once scenario: many deliveries, a share of them duplicated and sent
//! concurrently (to several router instances when there are several), handlers failing a share
//! of first attempts, MockSender retrying like HighLevel; then every `webhookId` must have taken
//! effect exactly once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ghl_webhook_router::types::association::{Association, AssociationDelete};
use ghl_webhook_router::{Delivery, WebhookRouter};
use ghl_webhook_test_support::{MockSender, SendError, Sent, TestKeys};

/// What handlers did, per `webhookId`.
#[derive(Clone, Default)]
pub(crate) struct Effects {
    /// Effects that took place (a handler that failed has none).
    pub done: Arc<Mutex<HashMap<String, usize>>>,
    /// Handler calls, failed ones included.
    pub seen: Arc<Mutex<HashMap<String, usize>>>,
}

/// A router whose AssociationDelete handler fails `fail_share` of first attempts at random
/// (before any effect) and otherwise records one effect.
pub(crate) fn effect_router(fx: &Effects, fail_share: f64) -> WebhookRouter<Effects> {
    WebhookRouter::with_state(fx.clone())
        .verifier(TestKeys::primary().verifier())
        .on(
            move |_: AssociationDelete, d: Delivery, fx: Effects| async move {
                let id = d.webhook_id().unwrap_or("").to_owned();
                let first_attempt = {
                    let mut seen = fx.seen.lock().expect("lock");
                    let n = seen.entry(id.clone()).or_default();
                    *n += 1;
                    *n == 1
                };
                if first_attempt && fastrand::f64() < fail_share {
                    return Err("transient failure");
                }
                tokio::task::yield_now().await;
                *fx.done.lock().expect("lock").entry(id).or_default() += 1;
                Ok(())
            },
        )
}

fn event() -> AssociationDelete {
    AssociationDelete(Association {
        key: Some("load".into()),
        ..Association::new("67ade73d1119d2ac7ad0c475")
    })
}

/// Sends `deliveries` distinct deliveries (30% of them two or three times, concurrently, each
/// copy to the next sender in turn, so duplicates reach different instances), 64 at a time,
/// each retried per its sender's policy; `bound` sends each to its kind's path. Returns the
/// ids sent and how each copy ended.
pub(crate) async fn send_copies(
    senders: &[MockSender],
    deliveries: usize,
    prefix: &str,
    bound: bool,
) -> (Vec<String>, Vec<(String, Result<Sent, SendError>)>) {
    let limit = Arc::new(tokio::sync::Semaphore::new(64));
    let mut tasks = tokio::task::JoinSet::new();
    let mut ids = Vec::with_capacity(deliveries);
    for i in 0..deliveries {
        let id = format!("{prefix}-{i:05}");
        ids.push(id.clone());
        let copies = if i % 10 < 3 { 2 + i % 2 } else { 1 };
        for copy in 0..copies {
            let sender = senders[(i + copy) % senders.len()].clone();
            let (id, limit) = (id.clone(), limit.clone());
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await.expect("semaphore");
                let outgoing = sender.event(&event()).webhook_id(&id);
                let outgoing = if bound { outgoing.bound() } else { outgoing };
                let sent = outgoing.send().await;
                (id, sent)
            });
        }
    }
    let mut copies = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        copies.push(joined.expect("task"));
    }
    (ids, copies)
}

/// [`send_copies`] bound by path: the ids of which at least one copy was answered 200 in the
/// end (after its sender's retries).
pub(crate) async fn acknowledged(
    senders: &[MockSender],
    deliveries: usize,
    prefix: &str,
) -> std::collections::HashSet<String> {
    let (_, copies) = send_copies(senders, deliveries, prefix, true).await;
    copies
        .into_iter()
        .filter(|(_, sent)| sent.as_ref().is_ok_and(|sent| sent.status == 200))
        .map(|(id, _)| id)
        .collect()
}

/// After a journal's server went down and came back under a load of `deliveries` distinct
/// ids: every one was acknowledged in the end, journaled once and handled at least once, and
/// nothing is left pending or dead. Returns how many entries were handled more than once.
pub(crate) async fn assert_outage_lost_nothing(
    journal: &dyn ghl_webhook_router::journal::Journal,
    acknowledged: &std::collections::HashSet<String>,
    fx: &Effects,
    deliveries: u64,
) -> usize {
    assert_eq!(
        acknowledged.len() as u64,
        deliveries,
        "HighLevel's retries got every delivery in"
    );
    let stats = super::journal::settled(journal, Duration::from_secs(60)).await;
    assert_eq!(
        (stats.pending, stats.in_progress, stats.dead, stats.done),
        (0, 0, 0, deliveries)
    );
    let journaled = super::journal::keys(journal).await;
    assert_eq!(
        journaled.len() as u64,
        deliveries,
        "nothing journaled twice"
    );
    assert_eq!(
        &journaled
            .into_iter()
            .collect::<std::collections::HashSet<_>>(),
        acknowledged
    );
    let done = fx.done.lock().expect("lock").clone();
    for id in acknowledged {
        assert!(
            done.get(id).copied().unwrap_or(0) >= 1,
            "{id} acknowledged and handled"
        );
    }
    done.values().filter(|n| **n > 1).count()
}

/// [`send_copies`], asserting every copy finally got a 2xx; returns the ids sent.
pub(crate) async fn send_all(
    senders: &[MockSender],
    deliveries: usize,
    prefix: &str,
) -> Vec<String> {
    let (ids, copies) = send_copies(senders, deliveries, prefix, false).await;
    for (id, sent) in copies {
        let sent = sent.unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(
            sent.status,
            200,
            "every delivery ends 2xx after retries ({} attempts): {}",
            sent.attempts,
            sent.body_text()
        );
    }
    ids
}

/// Sends each of `ids` once more to its kind's path (as HighLevel retries what was not
/// answered) and asserts a 200.
pub(crate) async fn resend_bound<'a>(
    sender: &MockSender,
    ids: impl IntoIterator<Item = &'a String>,
) {
    for id in ids {
        let sent = sender
            .event(&event())
            .bound()
            .webhook_id(id)
            .send()
            .await
            .expect("sent");
        assert_eq!(sent.status, 200, "{id}: {}", sent.body_text());
    }
}

/// Every id took effect exactly once, and failures did happen and were retried.
pub(crate) fn assert_exactly_once(fx: &Effects, ids: &[String], expect_failures: bool) {
    let done = fx.done.lock().expect("lock");
    for id in ids {
        assert_eq!(
            done.get(id).copied(),
            Some(1),
            "{id} must take effect exactly once"
        );
    }
    assert_eq!(
        done.len(),
        ids.len(),
        "no effect for an id that was not sent"
    );
    if expect_failures {
        let retried = fx
            .seen
            .lock()
            .expect("lock")
            .values()
            .filter(|n| **n > 1)
            .count();
        assert!(
            retried > ids.len() / 20,
            "failures happened and were retried ({retried})"
        );
    }
}

/// Time to let in-flight work settle in tests that need it.
pub(crate) const SETTLE: Duration = Duration::from_millis(100);
