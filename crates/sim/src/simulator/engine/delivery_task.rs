//! The task of one delivery: attempt it, record the attempt, wait for the policy's retry (or
//! a Resend that settles it), until it succeeds, runs out of retries or its URL is paused.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::Notify;

use super::Inner;
use super::attempt::post;
use crate::sender::MockSender;
use crate::simulator::log::{AttemptTrigger, DeliveryId, DeliveryState};

fn set_retries(inner: &Inner, id: DeliveryId, retries: u32) {
    if let Some(d) = inner.lock().log.get_mut(id) {
        d.retries = retries;
    }
}

/// Whether delivery `id` is no longer pending (or left the log).
fn is_settled(inner: &Inner, id: DeliveryId) -> bool {
    inner
        .lock()
        .log
        .get(id)
        .is_none_or(|d| d.state != DeliveryState::Pending)
}

/// What a delivery's task does next.
enum Begin {
    /// Attempt it, to this URL.
    Attempt(String),
    /// A Resend is in flight: wait for its answer.
    WaitForResend,
    /// It settled (or left the log, or its URL is paused): the task ends.
    Stop,
}

/// Marks delivery `id` in flight when it is still pending and its URL is not paused (paused:
/// it is marked so and never sent).
fn begin_attempt(inner: &Inner, id: DeliveryId) -> Begin {
    let mut state = inner.lock();
    let now = inner.clock.now();
    let Some(d) = state.log.get(id) else {
        return Begin::Stop;
    };
    if d.state != DeliveryState::Pending {
        return Begin::Stop;
    }
    if d.in_flight {
        return Begin::WaitForResend;
    }
    let url = d.url.clone();
    let paused = state.breakers.is_paused(&url, now);
    let Some(d) = state.log.get_mut(id) else {
        return Begin::Stop;
    };
    if paused {
        d.state = DeliveryState::Paused;
        d.next_retry_sim_secs = None;
        drop(state);
        inner.bump();
        return Begin::Stop;
    }
    d.in_flight = true;
    Begin::Attempt(url)
}

/// The life of one delivery: attempt, record, wait for the retry (or a Resend that settles
/// it), until it succeeds, runs out of retries or its URL is paused.
pub(super) async fn run_delivery(
    inner: Arc<Inner>,
    id: DeliveryId,
    sender: MockSender,
    body: Bytes,
    notify: Arc<Notify>,
) {
    let mut retries = 0u32;
    let mut delay_secs = None;
    loop {
        // Start the attempt unless the delivery settled meanwhile or its URL is paused.
        let url = match begin_attempt(&inner, id) {
            Begin::Attempt(url) => url,
            Begin::WaitForResend => {
                notify.notified().await;
                continue;
            }
            Begin::Stop => break,
        };
        inner.bump();
        let sim_start = inner.clock.now();
        let outcome = post(
            &sender,
            &body,
            inner.config.attempt_timeout(),
            &inner.config.signing_key,
        )
        .await;
        let trigger = if retries == 0 && delay_secs.is_none() {
            AttemptTrigger::Initial
        } else {
            AttemptTrigger::Retry
        };
        let retry = inner.policy.retries(
            outcome
                .status
                .and_then(|s| http::StatusCode::from_u16(s).ok()),
        ) && retries < inner.policy.max_retries;
        let next_delay = retry.then(|| inner.policy.delay(retries + 1));
        let clock = inner.clock;
        let recorded = inner.record(
            id,
            &url,
            sim_start,
            trigger,
            delay_secs,
            &outcome,
            |d, ok| {
                if d.state != DeliveryState::Pending {
                    return;
                }
                if ok {
                    d.state = DeliveryState::Succeeded;
                    d.next_retry_sim_secs = None;
                } else if let Some(delay) = next_delay {
                    d.next_retry_sim_secs = Some(clock.now() + clock.simulated(delay));
                } else {
                    d.state = DeliveryState::Failed;
                    d.next_retry_sim_secs = None;
                }
            },
        );
        inner.bump();
        let Some(attempt) = recorded else { break };
        let Some(delay) = next_delay.filter(|_| !attempt.ok) else {
            break;
        };
        retries += 1;
        delay_secs = Some(clock.simulated(delay));
        // Sleep until the retry is due; a Resend wakes us early: stop if it settled the
        // delivery, sleep on otherwise (a failed resend changes no schedule).
        let due = tokio::time::Instant::now() + delay;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(due) => break,
                () = notify.notified() => {
                    if is_settled(&inner, id) {
                        break;
                    }
                }
            }
        }
        set_retries(&inner, id, retries);
    }
    inner.lock().wakers.remove(&id);
}
