//! The engine: HighLevel's app settings, one task per delivery that attempts, records and
//! retries it on the policy's schedule, Resend, and the breaker consulted before every attempt.
//!
//! Deliveries are signed and posted by [`MockSender`] (one attempt at a time, no retries of its
//! own); the schedule comes from [`RetryPolicy`](crate::RetryPolicy). State sits behind one
//! mutex never held across an await; every change bumps a watch counter that waiters follow.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use ghl_webhook_types::EventKind;
use serde::Serialize;
use tokio::sync::{Notify, watch};

use crate::retry::RetryPolicy;
use crate::sender::MockSender;
use crate::simulator::breaker::{BreakerState, Breakers, UrlBreaker};
use crate::simulator::clock::SimClock;
use crate::simulator::config::{
    ConfigError, DAY_SECS, SigningKey, SimulatorConfig, Subscription, parse_event,
};
use crate::simulator::log::{
    Attempt, AttemptTrigger, Delivery, DeliveryId, DeliveryLog, DeliveryState, wall_clock_now,
};
use crate::simulator::payload::{self, Envelope, EventRequest, PayloadError};
use crate::simulator::target;

mod attempt;
mod delivery_task;

use attempt::{Outcome, post};
use delivery_task::run_delivery;

/// Why the simulator refused a request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A bad setting.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A payload that cannot be built.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// The event is not subscribed.
    #[error("{0} is not subscribed: subscribe to it first (PUT /api/subscriptions)")]
    NotSubscribed(EventKind),
    /// Nowhere to deliver: no event URL and no default URL.
    #[error("{0} has no URL: set the default webhook URL or the event's own URL")]
    NoUrl(EventKind),
    /// No delivery with this number (never made, or past the retention).
    #[error("there is no delivery {0} in the log (never made, or past the retention)")]
    NoSuchDelivery(DeliveryId),
    /// Resend of an attempt that is not the latest.
    #[error(
        "attempt {asked} of delivery {id} is not its latest attempt ({latest}): only the latest \
         failed attempt can be resent"
    )]
    NotLatestAttempt {
        /// The delivery.
        id: DeliveryId,
        /// The attempt asked for.
        asked: u32,
        /// The latest attempt.
        latest: u32,
    },
    /// Resend of a delivery whose latest attempt succeeded.
    #[error("delivery {0} succeeded: only a failed attempt can be resent")]
    AlreadyDelivered(DeliveryId),
    /// Resend of a delivery never attempted (paused, or its first attempt is in flight).
    #[error("delivery {0} has no attempt yet: there is nothing to resend")]
    NothingToResend(DeliveryId),
    /// Resend while an attempt is in flight.
    #[error("delivery {0} has an attempt in flight: resend once it is answered")]
    InFlight(DeliveryId),
    /// Resend to a URL the breaker paused.
    #[error("`{0}` is paused by the circuit breaker: re-enable it first (POST /api/breaker/reset)")]
    Paused(String),
    /// Started outside a tokio runtime.
    #[error("the simulator needs a tokio runtime: start it from async code (`Simulator::start`)")]
    NoRuntime,
    /// The payload could not be serialized.
    #[error("the payload could not be serialized: {0}")]
    Serialize(String),
    /// A wait that did not end in time.
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, &'static str),
}

/// The app settings as they are now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// The default webhook URL.
    pub webhook_url: Option<String>,
    /// The subscribed events, by name.
    pub subscriptions: Vec<Subscription>,
}

/// A running simulator: a cheap handle (clone it freely). Dropping every handle does not stop
/// the deliveries in flight; they end on their own.
#[derive(Clone, Debug)]
pub struct Simulator {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The runtime the delivery tasks run on.
    runtime: tokio::runtime::Handle,
    config: SimulatorConfig,
    policy: RetryPolicy,
    clock: SimClock,
    state: Mutex<State>,
    changed: watch::Sender<u64>,
}

#[derive(Debug)]
struct State {
    webhook_url: Option<String>,
    subscriptions: BTreeMap<EventKind, Option<String>>,
    log: DeliveryLog,
    breakers: Breakers,
    senders: HashMap<String, MockSender>,
    wakers: HashMap<DeliveryId, Arc<Notify>>,
}

impl Simulator {
    /// Starts a simulator with `config` (validated first). Deliveries run as tasks of the
    /// current tokio runtime (events may then be sent from any thread).
    pub async fn start(config: SimulatorConfig) -> Result<Self, SimError> {
        Self::new(config)
    }

    /// [`Simulator::start`], from synchronous code; it must run inside a tokio runtime
    /// ([`SimError::NoRuntime`] otherwise).
    pub fn new(config: SimulatorConfig) -> Result<Self, SimError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| SimError::NoRuntime)?;
        config.validate()?;
        let mut subscriptions = BTreeMap::new();
        for sub in &config.subscriptions {
            subscriptions.insert(parse_event(&sub.event)?, sub.url.clone());
        }
        let state = State {
            webhook_url: config.webhook_url.clone(),
            subscriptions,
            log: DeliveryLog::default(),
            breakers: Breakers::new(config.breaker.clone()),
            senders: HashMap::new(),
            wakers: HashMap::new(),
        };
        let (changed, _) = watch::channel(0);
        Ok(Self {
            inner: Arc::new(Inner {
                runtime,
                policy: config.policy(),
                clock: SimClock::start(config.time_scale),
                config,
                state: Mutex::new(state),
                changed,
            }),
        })
    }

    /// The configuration it started with (settings changed since are in [`Simulator::settings`]).
    pub fn config(&self) -> &SimulatorConfig {
        &self.inner.config
    }

    /// Simulated seconds since the start.
    pub fn now_secs(&self) -> f64 {
        self.inner.clock.now()
    }

    /// The current app settings.
    pub fn settings(&self) -> Settings {
        let state = self.inner.lock();
        Settings {
            webhook_url: state.webhook_url.clone(),
            subscriptions: state
                .subscriptions
                .iter()
                .map(|(kind, url)| Subscription {
                    event: kind.as_str().to_owned(),
                    url: url.clone(),
                })
                .collect(),
        }
    }

    /// Sets (or clears) the default webhook URL.
    pub fn set_webhook_url(&self, url: Option<String>) -> Result<(), SimError> {
        if let Some(url) = &url {
            target::check(url, self.inner.config.allow_remote).map_err(ConfigError::from)?;
        }
        self.inner.lock().webhook_url = url;
        self.inner.bump();
        Ok(())
    }

    /// Subscribes to an event (replacing its URL when already subscribed).
    pub fn subscribe(&self, sub: Subscription) -> Result<(), SimError> {
        let kind = self.check_subscription(&sub)?;
        self.inner.lock().subscriptions.insert(kind, sub.url);
        self.inner.bump();
        Ok(())
    }

    /// Replaces every subscription at once (all are checked before any is applied).
    pub fn set_subscriptions(&self, subs: Vec<Subscription>) -> Result<(), SimError> {
        let mut table = BTreeMap::new();
        for sub in subs {
            let kind = self.check_subscription(&sub)?;
            table.insert(kind, sub.url);
        }
        self.inner.lock().subscriptions = table;
        self.inner.bump();
        Ok(())
    }

    /// Unsubscribes from `kind`; whether it was subscribed.
    pub fn unsubscribe(&self, kind: EventKind) -> bool {
        let removed = self.inner.lock().subscriptions.remove(&kind).is_some();
        self.inner.bump();
        removed
    }

    fn check_subscription(&self, sub: &Subscription) -> Result<EventKind, SimError> {
        let kind = parse_event(&sub.event)?;
        if let Some(url) = &sub.url {
            target::check(url, self.inner.config.allow_remote).map_err(ConfigError::from)?;
        }
        Ok(kind)
    }

    /// Sends the built-in fixture of `kind`; the deliveries it made (more than one with
    /// paired events or a duplicate).
    pub fn send(&self, kind: EventKind) -> Result<Vec<DeliveryId>, SimError> {
        self.send_event(EventRequest::fixture(kind))
    }

    /// Sends an event as HighLevel would: to its URL (INSTALL/UNINSTALL: the default URL),
    /// with HighLevel's habits when configured. Returns the deliveries made, the event's own
    /// first.
    pub fn send_event(&self, request: EventRequest) -> Result<Vec<DeliveryId>, SimError> {
        let kind = parse_event(&request.event)?;
        let envelope = Envelope {
            app_id: &self.inner.config.app_id,
            version_id: &self.inner.config.version_id,
        };
        let value = payload::build(kind, request.payload, &request.set, envelope)?;
        let url = self.url_for(kind)?;
        let habits = &self.inner.config.habits;
        let paired = if habits.opportunity_pair_ratio > 0.0
            && fastrand::f64() < habits.opportunity_pair_ratio
            && self
                .inner
                .lock()
                .subscriptions
                .contains_key(&EventKind::OpportunityUpdate)
        {
            payload::paired_update(kind, &value, envelope)?
                .map(|update| {
                    Ok::<_, SimError>((self.url_for(EventKind::OpportunityUpdate)?, update))
                })
                .transpose()?
        } else {
            None
        };
        let first = self.deliver(kind, &url, &value, None)?;
        let mut made = first.clone();
        if let Some((update_url, update)) = paired {
            made.extend(self.deliver(
                EventKind::OpportunityUpdate,
                &update_url,
                &update,
                first.first().copied(),
            )?);
        }
        Ok(made)
    }

    /// Where deliveries of `kind` go now.
    fn url_for(&self, kind: EventKind) -> Result<String, SimError> {
        let state = self.inner.lock();
        let lifecycle = matches!(kind, EventKind::AppInstall | EventKind::AppUninstall);
        let own = match state.subscriptions.get(&kind) {
            Some(own) => own.clone(),
            None if lifecycle => None,
            None => return Err(SimError::NotSubscribed(kind)),
        };
        let url = if lifecycle {
            state.webhook_url.clone()
        } else {
            own.or_else(|| state.webhook_url.clone())
        };
        url.ok_or(SimError::NoUrl(kind))
    }

    /// Creates the delivery of `value` to `url` (and its duplicate, by chance) and starts it.
    fn deliver(
        &self,
        kind: EventKind,
        url: &str,
        value: &serde_json::Value,
        paired_with: Option<DeliveryId>,
    ) -> Result<Vec<DeliveryId>, SimError> {
        let sender = self.inner.sender(url)?;
        let (bytes, webhook_id) = sender
            .json(value.clone())
            .into_bytes()
            .map_err(|e| SimError::Serialize(e.to_string()))?;
        let duplicate = fastrand::f64() < self.inner.config.habits.duplicate_ratio;
        let mut ids = Vec::new();
        for copy in 0..if duplicate { 2 } else { 1 } {
            let now = self.inner.clock.now();
            let delivery = Delivery {
                id: 0,
                event: kind.as_str().to_owned(),
                webhook_id: webhook_id.clone(),
                url: url.to_owned(),
                created_at: wall_clock_now(),
                created_sim_secs: now,
                state: DeliveryState::Pending,
                in_flight: false,
                next_retry_sim_secs: None,
                retries: 0,
                duplicate_of: if copy == 1 {
                    ids.first().copied()
                } else {
                    None
                },
                paired_with,
                body: String::from_utf8_lossy(&bytes).into_owned(),
                attempts: Vec::new(),
            };
            let notify = Arc::new(Notify::new());
            let id = {
                let mut state = self.inner.lock();
                let retention = self.inner.config.retention_days * DAY_SECS;
                state.log.prune(now, retention);
                let id = state.log.add(delivery);
                state.wakers.insert(id, notify.clone());
                id
            };
            ids.push(id);
            self.inner.runtime.spawn(run_delivery(
                self.inner.clone(),
                id,
                sender.clone(),
                bytes.clone(),
                notify,
            ));
        }
        self.inner.bump();
        Ok(ids)
    }

    /// Every delivery in the log, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.lock().log.iter().cloned().collect()
    }

    /// One delivery.
    pub fn delivery(&self, id: DeliveryId) -> Option<Delivery> {
        self.inner.lock().log.get(id).cloned()
    }

    /// Forgets every delivery in the log (pending ones are settled first: their retries
    /// are cancelled).
    pub fn clear_log(&self) {
        let mut state = self.inner.lock();
        for notify in state.wakers.values() {
            notify.notify_one();
        }
        state.wakers.clear();
        state.log.clear();
        drop(state);
        self.inner.bump();
    }

    /// Resends delivery `id` now, as the Webhook Logs dashboard does: only when its latest
    /// attempt failed (`attempt`, when given, must be that latest attempt's number). A
    /// success cancels the pending retries; a failure starts no retry cycle of its own.
    /// Returns the resend's attempt.
    pub async fn resend(&self, id: DeliveryId, attempt: Option<u32>) -> Result<Attempt, SimError> {
        let (url, body, sender) = {
            let mut state = self.inner.lock();
            let now = self.inner.clock.now();
            let delivery = state.log.get(id).ok_or(SimError::NoSuchDelivery(id))?;
            let url = delivery.url.clone();
            if delivery.in_flight {
                return Err(SimError::InFlight(id));
            }
            let latest = delivery.latest().ok_or(SimError::NothingToResend(id))?;
            if let Some(asked) = attempt
                && asked != latest.number
            {
                return Err(SimError::NotLatestAttempt {
                    id,
                    asked,
                    latest: latest.number,
                });
            }
            if latest.ok || delivery.state == DeliveryState::Succeeded {
                return Err(SimError::AlreadyDelivered(id));
            }
            let body = Bytes::from(delivery.body.clone().into_bytes());
            if state.breakers.is_paused(&url, now) {
                return Err(SimError::Paused(url));
            }
            let sender = state.senders.get(&url).cloned();
            if let Some(d) = state.log.get_mut(id) {
                d.in_flight = true;
            }
            (url, body, sender)
        };
        self.inner.bump();
        let sender = match sender {
            Some(sender) => sender,
            None => self.inner.sender(&url)?,
        };
        let sim_start = self.inner.clock.now();
        let outcome = post(
            &sender,
            &body,
            self.inner.config.attempt_timeout(),
            &self.inner.config.signing_key,
        )
        .await;
        let attempt = self.inner.record(
            id,
            &url,
            sim_start,
            AttemptTrigger::Resend,
            None,
            &outcome,
            |d, ok| {
                if ok {
                    d.state = DeliveryState::Succeeded;
                    d.next_retry_sim_secs = None;
                }
            },
        );
        if let Some(notify) = self.inner.lock().wakers.get(&id) {
            notify.notify_one();
        }
        self.inner.bump();
        attempt.ok_or(SimError::NoSuchDelivery(id))
    }

    /// Every URL's breaker now.
    pub fn breaker(&self) -> Vec<UrlBreaker> {
        let now = self.inner.clock.now();
        self.inner.lock().breakers.snapshot(now)
    }

    /// The breaker state of `url` now.
    pub fn breaker_state(&self, url: &str) -> BreakerState {
        let now = self.inner.clock.now();
        self.inner.lock().breakers.state(url, now)
    }

    /// When the breaker's next check runs, in simulated seconds.
    pub fn next_breaker_check(&self) -> f64 {
        self.inner.lock().breakers.next_check()
    }

    /// Re-enables `url` (every URL when `None`); how many were reset.
    pub fn reset_breaker(&self, url: Option<&str>) -> usize {
        let n = self.inner.lock().breakers.reset(url);
        self.inner.bump();
        n
    }

    /// Waits until `done` holds for the log (checked at every change, and every 50 ms since
    /// breaker checks happen with time alone), at most `timeout`; returns the log then.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        what: &'static str,
        mut done: impl FnMut(&[Delivery]) -> bool,
    ) -> Result<Vec<Delivery>, SimError> {
        let mut changes = self.inner.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // `done` may call the simulator: it runs on a copy, with the lock released.
            let log = self.deliveries();
            if done(&log) {
                return Ok(log);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(SimError::Timeout(timeout, what));
            }
            next_look(&mut changes, deadline).await;
        }
    }

    /// Waits until `check` finds what it looks for in the log (looked at under the lock,
    /// without copying the log; `check` must not call the simulator), at most `timeout`.
    async fn wait_for<T>(
        &self,
        timeout: Duration,
        what: &'static str,
        mut check: impl FnMut(&DeliveryLog) -> Option<T>,
    ) -> Result<T, SimError> {
        let mut changes = self.inner.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(found) = check(&self.inner.lock().log) {
                return Ok(found);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(SimError::Timeout(timeout, what));
            }
            next_look(&mut changes, deadline).await;
        }
    }

    /// Waits until every delivery is settled (no attempt in flight, no retry pending).
    pub async fn wait_idle(&self, timeout: Duration) -> Result<(), SimError> {
        self.wait_for(timeout, "every delivery to settle", |log| {
            log.iter().all(Delivery::is_settled).then_some(())
        })
        .await
    }

    /// Waits until delivery `id` is settled and returns it.
    pub async fn wait_settled(
        &self,
        id: DeliveryId,
        timeout: Duration,
    ) -> Result<Delivery, SimError> {
        self.wait_for(timeout, "the delivery to settle", |log| match log.get(id) {
            None => Some(Err(SimError::NoSuchDelivery(id))),
            Some(d) if d.is_settled() => Some(Ok(d.clone())),
            Some(_) => None,
        })
        .await?
    }

    /// A receiver of change notifications (the counter goes up at every change).
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.inner.changed.subscribe()
    }
}

/// Waits for the next change, or 50 ms (breaker checks happen with time alone), or the
/// deadline, whichever comes first.
async fn next_look(changes: &mut watch::Receiver<u64>, deadline: tokio::time::Instant) {
    let tick = tokio::time::Instant::now() + Duration::from_millis(50);
    tokio::select! {
        _ = changes.changed() => {}
        () = tokio::time::sleep_until(tick.min(deadline)) => {}
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (every change is one
        // assignment): keep going.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The sender for `url`, one per URL so connections are reused.
    fn sender(&self, url: &str) -> Result<MockSender, SimError> {
        let mut state = self.lock();
        if let Some(sender) = state.senders.get(url) {
            return Ok(sender.clone());
        }
        target::check(url, self.config.allow_remote).map_err(ConfigError::from)?;
        let sender = MockSender::new(url)
            .map_err(|_| ConfigError::Target(target::TargetError::NotHttp(url.to_owned())))?;
        let sender = match &self.config.signing_key {
            SigningKey::Ed25519(keys) => sender.with_keys(keys.clone()),
            #[cfg(feature = "legacy-rsa")]
            SigningKey::Rsa(key) => sender.with_rsa_key(key.clone()),
        };
        state.senders.insert(url.to_owned(), sender.clone());
        Ok(sender)
    }

    /// Records an attempt of delivery `id` (and in the breaker), then lets `update` settle
    /// the delivery given whether it succeeded. `None` when the delivery left the log.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        id: DeliveryId,
        url: &str,
        sim_start: f64,
        trigger: AttemptTrigger,
        delay_secs: Option<f64>,
        outcome: &Outcome,
        update: impl FnOnce(&mut Delivery, bool),
    ) -> Option<Attempt> {
        let ok = outcome.status.is_some_and(|s| (200..300).contains(&s));
        let now = self.clock.now();
        let mut state = self.lock();
        state.breakers.record(url, now, ok);
        let delivery = state.log.get_mut(id)?;
        let attempt = Attempt {
            number: u32::try_from(delivery.attempts.len())
                .unwrap_or(u32::MAX)
                .saturating_add(1),
            trigger,
            at: wall_clock_now(),
            sim_secs: sim_start,
            delay_secs,
            status: outcome.status,
            ok,
            latency_ms: outcome.latency_ms,
            error: outcome.error.clone(),
        };
        delivery.attempts.push(attempt.clone());
        delivery.in_flight = false;
        update(delivery, ok);
        Some(attempt)
    }
}
