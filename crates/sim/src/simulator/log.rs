//! The delivery log, as HighLevel's Webhook Logs dashboard shows it: every delivery with each
//! of its attempts (time, status, latency, error), kept for the configured retention.

use std::collections::BTreeMap;

use serde::Serialize;

/// A delivery's number in the log (1, 2, ...).
pub type DeliveryId = u64;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeliveryState {
    /// An attempt is in flight or a retry is scheduled.
    Pending,
    /// An attempt was answered 2xx.
    Succeeded,
    /// The last attempt failed and no retry is left (or the policy retries no such failure).
    Failed,
    /// Not sent: its URL was paused by the circuit breaker.
    Paused,
}

/// What started an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttemptTrigger {
    /// The first attempt.
    Initial,
    /// A retry of the policy.
    Retry,
    /// A manual Resend.
    Resend,
}

/// One POST of a delivery.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    /// 1-based, over all of the delivery's attempts (resends included).
    pub number: u32,
    /// What started it.
    pub trigger: AttemptTrigger,
    /// When it started (wall clock, RFC 3339).
    pub at: String,
    /// When it started, in simulated seconds since the simulator's start.
    pub sim_secs: f64,
    /// For a retry: the delay the policy chose before it, in simulated seconds (jitter
    /// included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_secs: Option<f64>,
    /// The answer's status; `None`: no answer (refused, reset, timed out).
    pub status: Option<u16>,
    /// Whether it was answered 2xx.
    pub ok: bool,
    /// Time to the answer (or the failure), in real milliseconds.
    pub latency_ms: f64,
    /// Why there was no answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One delivery: one `webhookId`'s bytes to one URL, with its attempts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    /// Its number in the log.
    pub id: DeliveryId,
    /// The event name.
    pub event: String,
    /// The payload's `webhookId`.
    pub webhook_id: Option<String>,
    /// The URL it goes to.
    pub url: String,
    /// When it was created (wall clock, RFC 3339).
    pub created_at: String,
    /// When it was created, in simulated seconds.
    pub created_sim_secs: f64,
    /// Where it stands.
    pub state: DeliveryState,
    /// Whether an attempt is in flight now.
    pub in_flight: bool,
    /// When the next retry is due, in simulated seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_retry_sim_secs: Option<f64>,
    /// Retries of the policy made so far (resends not counted).
    pub retries: u32,
    /// The delivery this one duplicates (same `webhookId`, same bytes), HighLevel's habit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<DeliveryId>,
    /// The delivery whose event fired this one (an `OpportunityUpdate` fired by another
    /// opportunity event).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paired_with: Option<DeliveryId>,
    /// The exact body, as text.
    pub body: String,
    /// Every attempt, oldest first.
    pub attempts: Vec<Attempt>,
}

impl Delivery {
    /// The latest attempt.
    pub fn latest(&self) -> Option<&Attempt> {
        self.attempts.last()
    }

    /// Whether it is settled: succeeded, failed for good or paused, nothing in flight.
    pub fn is_settled(&self) -> bool {
        self.state != DeliveryState::Pending && !self.in_flight
    }
}

/// Every delivery, by number.
#[derive(Debug, Default)]
pub(super) struct DeliveryLog {
    deliveries: BTreeMap<DeliveryId, Delivery>,
    next_id: DeliveryId,
}

impl DeliveryLog {
    /// Adds a delivery (its `id` is assigned here) and returns its number.
    pub(super) fn add(&mut self, mut delivery: Delivery) -> DeliveryId {
        self.next_id += 1;
        delivery.id = self.next_id;
        self.deliveries.insert(self.next_id, delivery);
        self.next_id
    }

    /// The delivery numbered `id`.
    pub(super) fn get(&self, id: DeliveryId) -> Option<&Delivery> {
        self.deliveries.get(&id)
    }

    /// The delivery numbered `id`, to change it.
    pub(super) fn get_mut(&mut self, id: DeliveryId) -> Option<&mut Delivery> {
        self.deliveries.get_mut(&id)
    }

    /// Every delivery, oldest first.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Delivery> {
        self.deliveries.values()
    }

    /// Drops settled deliveries created more than `retention_secs` (simulated) before
    /// `now_secs`. Pending ones stay until they settle.
    pub(super) fn prune(&mut self, now_secs: f64, retention_secs: f64) {
        let cutoff = now_secs - retention_secs;
        self.deliveries
            .retain(|_, d| !d.is_settled() || d.created_sim_secs >= cutoff);
    }

    /// Forgets every delivery (numbers keep counting up).
    pub(super) fn clear(&mut self) {
        self.deliveries.clear();
    }
}

/// Now, as HighLevel writes times.
pub(super) use crate::payload::now as wall_clock_now;

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(created: f64, state: DeliveryState) -> Delivery {
        Delivery {
            id: 0,
            event: "ContactCreate".into(),
            webhook_id: None,
            url: "http://127.0.0.1:1/".into(),
            created_at: wall_clock_now(),
            created_sim_secs: created,
            state,
            in_flight: false,
            next_retry_sim_secs: None,
            retries: 0,
            duplicate_of: None,
            paired_with: None,
            body: "{}".into(),
            attempts: Vec::new(),
        }
    }

    #[test]
    fn retention_drops_old_settled_deliveries_but_keeps_pending_ones() {
        let mut log = DeliveryLog::default();
        let old = log.add(delivery(0.0, DeliveryState::Succeeded));
        let old_pending = log.add(delivery(0.0, DeliveryState::Pending));
        let recent = log.add(delivery(90.0, DeliveryState::Failed));
        log.prune(100.0, 50.0);
        assert!(log.get(old).is_none());
        assert!(log.get(old_pending).is_some());
        assert!(log.get(recent).is_some());
        assert_eq!((old, old_pending, recent), (1, 2, 3));
    }
}
