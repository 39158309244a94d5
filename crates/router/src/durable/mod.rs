use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;

use crate::delivery::Delivery;
use crate::journal::{Appended, Journal, NewEntry, entry_key};
use crate::outcome::Outcome;

mod attempt;
mod completer;
mod handoff;
mod retry_at;
mod upkeep;
mod workers;

pub use retry_at::RetryAt;
pub use workers::Workers;

/// Computes the order key of a delivery: deliveries with the same key are handled one at a
/// time, in arrival order.
pub type OrderKey = Arc<dyn Fn(&Delivery) -> Option<String> + Send + Sync>;

/// How the workers of durable mode run: the edge acknowledges once a delivery is journaled,
/// the workers handle it later.
///
/// ```text
/// HTTP edge:  read body -> verify -> identify -> append to the journal (dedupe on its key) -> 200
/// workers:    lease entries ahead -> decode -> handler -> complete | retry with backoff | dead letter
///             (the outcomes of entries that finish together are written in one batch)
/// ```
///
/// The edge answers 200 only once the append is durable, and 503 (HighLevel retries) when the
/// journal cannot be written; unverified or rejected requests are never journaled. Workers run
/// the same handlers through the same dispatch (decode, timeout, panic guard) as inline mode.
///
/// | guarantee | how |
/// |---|---|
/// | a verified delivery answered 2xx is never lost | the append is durable before the answer |
/// | each key (`webhookId`, or a digest of the bytes) is journaled once | the append is atomic with the dedupe |
/// | each entry is completed once | only the current lease's token settles an entry |
/// | a handler may see an entry **twice** | when the process dies (or its lease expires) after the handler succeeded and before the completion was written; the next lease shows it again with a higher [`Delivery::attempt`](crate::Delivery::attempt) |
/// | on Postgres, a transactional handler's writes happen **exactly once** | handlers registered with `WebhookRouter::on_in_transaction` (feature `postgres`) write through the transaction that completes the entry: writes and completion commit together or not at all; other effects (HTTP calls, other databases) may repeat as above |
/// | undecodable payloads are kept | dead letters, with the JSON path; replay them after an upgrade |
/// | order | none by default (HighLevel promises none); [`DurableConfig::order_by`] runs entries of one key one at a time, in arrival order |
///
/// To make a handler's effect exactly once, make it idempotent on
/// [`Delivery::webhook_id`](crate::Delivery::webhook_id): e.g. write the effect and the id in
/// one database transaction with a unique constraint on the id, and skip when the id is there;
/// or, with the journal in the app's Postgres, register it with `on_in_transaction`.
#[derive(Clone)]
#[non_exhaustive]
pub struct DurableConfig {
    /// How many entries are handled at once. Default 8. The workers lease twice as many ahead
    /// in one round trip, so that the next ones are in hand when a handler returns, and more
    /// (up to 512) while the handlers return faster than the journal answers (an entry whose
    /// lease runs out before it starts is left to the journal).
    pub concurrency: usize,
    /// Attempts before an entry whose handler keeps failing becomes a dead letter. Default 8.
    pub max_attempts: u32,
    /// The pause after the first failed attempt; doubled after each further one, with jitter.
    /// Default 1 s.
    pub backoff: Duration,
    /// The longest pause between attempts. Default 10 min.
    pub max_backoff: Duration,
    /// How long a worker holds an entry before another may take it (its worker is then
    /// presumed dead). Must exceed the handler timeout. Default: the handler timeout plus
    /// 30 s, or 10 min without one.
    pub lease: Option<Duration>,
    /// How often idle workers look for due entries (appends on this replica wake them at once,
    /// and on Postgres appends on any replica). Default 500 ms.
    pub poll_interval: Duration,
    /// How long done entries are kept, and so how long a late duplicate is still recognised.
    /// Default 7 days, beyond HighLevel's retry horizon.
    pub retention: Duration,
    /// How long done entries keep their bodies, so that they can be replayed (e.g. after a
    /// handler bug is fixed); after it only the key and the counts remain, for deduplication,
    /// until the retention ends. Default 1 day. A body retention as long as the retention
    /// keeps every body to the end.
    pub body_retention: Duration,
    /// How long shutdown waits for handlers in progress before it hands their entries back.
    /// Default 10 s.
    pub grace: Duration,
    /// See [`DurableConfig::order_by`]. Default none.
    pub order_key: Option<OrderKey>,
    /// How often the workers read the journal's counts into the journal gauges of
    /// [`crate::metrics`] (feature `metrics`; without it the journal is not read for them).
    /// Default 5 s.
    pub metrics_interval: Duration,
}

impl Default for DurableConfig {
    fn default() -> Self {
        Self {
            concurrency: 8,
            max_attempts: 8,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(600),
            lease: None,
            poll_interval: Duration::from_millis(500),
            retention: Duration::from_secs(7 * 24 * 3600),
            body_retention: Duration::from_secs(24 * 3600),
            grace: Duration::from_secs(10),
            order_key: None,
            metrics_interval: Duration::from_secs(5),
        }
    }
}

impl fmt::Debug for DurableConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DurableConfig")
            .field("concurrency", &self.concurrency)
            .field("max_attempts", &self.max_attempts)
            .field("backoff", &self.backoff)
            .field("max_backoff", &self.max_backoff)
            .field("lease", &self.lease)
            .field("poll_interval", &self.poll_interval)
            .field("retention", &self.retention)
            .field("body_retention", &self.body_retention)
            .field("grace", &self.grace)
            .field("order_key", &self.order_key.is_some())
            .field("metrics_interval", &self.metrics_interval)
            .finish()
    }
}

impl DurableConfig {
    /// Sets how many entries are handled at once (at least 1).
    pub fn concurrency(mut self, workers: usize) -> Self {
        self.concurrency = workers.max(1);
        self
    }

    /// Sets the attempts before a failing entry becomes a dead letter (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the first pause between attempts and the longest one.
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.backoff = first;
        self.max_backoff = max.max(first);
        self
    }

    /// Sets the lease of an entry (see the field).
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = Some(lease);
        self
    }

    /// Sets how often idle workers look for due entries.
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    /// Sets how long done entries are kept.
    pub fn retention(mut self, keep: Duration) -> Self {
        self.retention = keep;
        self
    }

    /// Sets how long done entries keep their bodies (see the field).
    pub fn body_retention(mut self, keep: Duration) -> Self {
        self.body_retention = keep;
        self
    }

    /// Sets how long shutdown waits for handlers in progress.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Sets how often the workers read the journal's counts into the metrics.
    pub fn metrics_interval(mut self, every: Duration) -> Self {
        self.metrics_interval = every;
        self
    }

    /// Handles deliveries with the same key one at a time, in arrival order (e.g. by contact,
    /// opportunity or location); deliveries without a key, and of other keys, run in parallel.
    /// HighLevel itself promises no order: its retries reorder events.
    ///
    /// ```
    /// use ghl_webhook_router::DurableConfig;
    ///
    /// let config = DurableConfig::default()
    ///     .order_by(|delivery| delivery.location_id().map(str::to_owned));
    /// # let _ = config;
    /// ```
    pub fn order_by<F>(mut self, key: F) -> Self
    where
        F: Fn(&Delivery) -> Option<String> + Send + Sync + 'static,
    {
        self.order_key = Some(Arc::new(key));
        self
    }

    /// The pause before attempt `attempt + 1` after `attempt` failed: exponential, capped, with
    /// up to 25% jitter taken off so that entries failing together do not retry together.
    pub(crate) fn backoff_after(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        let full = self
            .backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff);
        full.mul_f64(1.0 - fastrand::f64() * 0.25)
    }

    /// The lease, from the field or the handler timeout.
    pub(crate) fn lease_for(&self, handler_timeout: Option<Duration>) -> Duration {
        self.lease.unwrap_or(match handler_timeout {
            Some(timeout) => timeout + Duration::from_secs(30),
            None => Duration::from_secs(600),
        })
    }
}

/// The durable side of a pipeline: the journal, the workers' configuration, and the signal
/// that wakes idle workers on an append.
pub(crate) struct Durable {
    pub(crate) journal: Arc<dyn Journal>,
    pub(crate) config: DurableConfig,
    pub(crate) appended: Arc<Notify>,
    /// New entries handed to this process's running workers, leased.
    pub(crate) handoff: handoff::HandOff,
}

impl Durable {
    pub(crate) fn new(journal: Arc<dyn Journal>, config: DurableConfig) -> Self {
        // The setters' bounds, for fields set directly.
        let config = DurableConfig {
            concurrency: config.concurrency.max(1),
            max_attempts: config.max_attempts.max(1),
            max_backoff: config.max_backoff.max(config.backoff),
            ..config
        };
        let appended = Arc::new(Notify::new());
        // Appends of other replicas wake these workers too, where the engine can tell.
        journal.wake_on_appends(Arc::clone(&appended));
        Self {
            journal,
            config,
            appended,
            handoff: handoff::HandOff::default(),
        }
    }

    /// The edge's last step: the verified delivery into the journal; leased at once and handed
    /// to this process's workers when they run and have room (the lease as long as a handler
    /// timing out after `handler_timeout` needs).
    pub(crate) async fn append(
        &self,
        delivery: &Delivery,
        handler_timeout: Option<Duration>,
    ) -> Outcome {
        let order_key = self.config.order_key.as_ref().and_then(|key| key(delivery));
        let entry = NewEntry {
            key: entry_key(delivery.webhook_id(), delivery.raw()),
            raw: delivery.raw().clone(),
            kind: delivery.kind(),
            identified_by: delivery.identified_by(),
            type_field: delivery.type_field().map(str::to_owned),
            verified_by: delivery.verified_by().clone(),
            order_key,
            received_at: SystemTime::now(),
        };
        if entry.order_key.is_none()
            && let Some(place) = self.handoff.reserve()
        {
            let lease_for = self.config.lease_for(handler_timeout);
            return match self.journal.append_leased(entry, lease_for).await {
                Ok((Appended::New, Some(leased))) => {
                    place.send(leased);
                    Outcome::Journaled
                }
                Ok((Appended::New, None)) => {
                    self.appended.notify_one();
                    Outcome::Journaled
                }
                Ok((Appended::Duplicate, _)) => Outcome::AlreadyJournaled,
                Err(err) => Outcome::JournalUnavailable(err),
            };
        }
        match self.journal.append(entry).await {
            Ok(Appended::New) => {
                self.appended.notify_one();
                Outcome::Journaled
            }
            Ok(Appended::Duplicate) => Outcome::AlreadyJournaled,
            Err(err) => Outcome::JournalUnavailable(err),
        }
    }
}
