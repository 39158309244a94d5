//! [`HealthService`]: liveness and readiness of a webhook service, as JSON, mountable like the
//! webhook service itself.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use serde_json::json;

use crate::dedupe::Dedupe;
use crate::journal::{Journal, Stats};
use crate::metrics;
use crate::response::ResponseBody;
use crate::success_rate::SuccessRate;
use crate::vitals::Vitals;

/// What makes a service not ready, beyond a store it cannot reach.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HealthConfig {
    /// Durable mode: not ready while the oldest pending entry is older than this (the workers
    /// are not keeping up). `None`: no bound. Default 5 minutes.
    pub max_pending_age: Option<Duration>,
    /// How long each check (the journal, the shared dedupe store) may take before it counts as
    /// unreachable. Default 2 s.
    pub check_timeout: Duration,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            max_pending_age: Some(Duration::from_secs(300)),
            check_timeout: Duration::from_secs(2),
        }
    }
}

impl HealthConfig {
    /// Sets the bound on the age of the oldest pending entry (`None`: no bound).
    ///
    /// ```
    /// use ghl_webhook_router::HealthConfig;
    /// use std::time::Duration;
    ///
    /// let config = HealthConfig::default().max_pending_age(Some(Duration::from_secs(60)));
    /// assert_eq!(config.check_timeout, Duration::from_secs(2));
    /// ```
    pub fn max_pending_age(mut self, bound: Option<Duration>) -> Self {
        self.max_pending_age = bound;
        self
    }

    /// Sets how long each check may take.
    pub fn check_timeout(mut self, timeout: Duration) -> Self {
        self.check_timeout = timeout;
        self
    }
}

/// The journal's part of a [`HealthReport`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JournalHealth {
    /// The counts by state; `None` when the journal could not be read.
    pub stats: Option<Stats>,
    /// How long the oldest pending entry has waited.
    pub oldest_pending_age: Option<Duration>,
    /// Why the journal could not be read.
    pub error: Option<String>,
}

/// The deduplication part of a [`HealthReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DedupeHealth {
    /// Which store: `memory`, `shared` (an [`IdempotencyStore`](crate::IdempotencyStore) such as
    /// Redis), `journal` (durable mode deduplicates in the journal) or `off`.
    pub store: &'static str,
    /// Ids remembered (the in-memory store only).
    pub ids: Option<usize>,
    /// Why the shared store could not be reached.
    pub error: Option<String>,
}

/// The figures of a readiness check, and its verdict.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HealthReport {
    /// Whether the service can take deliveries: every store reachable, and the workers keeping
    /// up.
    pub ready: bool,
    /// Why it is not ready, one sentence each; empty when ready.
    pub problems: Vec<String>,
    /// Requests being answered right now.
    pub in_flight: usize,
    /// HighLevel's view of the URL (see [`SuccessRate`]).
    pub success_rate: SuccessRate,
    /// Durable mode: the journal.
    pub journal: Option<JournalHealth>,
    /// Deduplication.
    pub dedupe: DedupeHealth,
}

impl HealthReport {
    /// The report as the JSON body the health service answers.
    pub fn to_json(&self) -> String {
        let seconds = |d: Option<Duration>| d.map(|d| d.as_secs_f64());
        let journal = self.journal.as_ref().map(|journal| {
            let stats = journal.stats.unwrap_or_default();
            json!({
                "reachable": journal.stats.is_some(),
                "pending": journal.stats.map(|_| stats.pending),
                "in_progress": journal.stats.map(|_| stats.in_progress),
                "done": journal.stats.map(|_| stats.done),
                "dead": journal.stats.map(|_| stats.dead),
                "oldest_pending_age_seconds": seconds(journal.oldest_pending_age),
                "error": journal.error,
            })
        });
        json!({
            "status": if self.ready { "ready" } else { "not_ready" },
            "problems": self.problems,
            "in_flight": self.in_flight,
            "highlevel": {
                "success_ratio": self.success_rate.ratio(),
                "answers": self.success_rate.answers,
                "successes": self.success_rate.successes,
                "window_seconds": self.success_rate.window.as_secs_f64(),
                "at_risk": self.success_rate.at_risk(),
            },
            "journal": journal,
            "dedupe": {
                "store": self.dedupe.store,
                "reachable": self.dedupe.error.is_none(),
                "ids": self.dedupe.ids,
                "error": self.dedupe.error,
            },
        })
        .to_string()
    }
}

/// Which question a [`HealthService`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Question {
    Live,
    Ready,
}

/// Liveness and readiness of a [`WebhookService`](crate::WebhookService), from
/// [`WebhookService::health`](crate::WebhookService::health).
///
/// Answers `GET` (and `HEAD`) on whatever path it is mounted at, with a JSON body:
/// - **readiness** (the default, [`HealthService::readiness`]): `200` when the service can take
///   deliveries, `503` when not: the journal or the shared dedupe store cannot be reached
///   within [`HealthConfig::check_timeout`], or the oldest pending entry is older than
///   [`HealthConfig::max_pending_age`]. The body has the figures ([`HealthReport::to_json`]).
/// - **liveness** ([`HealthService::liveness`]): `200` while the process answers at all; it
///   touches no store, so an outage of Redis does not get the process restarted.
///
/// Mount it beside the webhook service: in axum with `route_service("/readyz",
/// health.readiness())`, in hyper by path:
///
/// ```
/// use ghl_webhook_router::{HealthConfig, ResponseBody, WebhookService};
/// use http::{Request, Response};
///
/// async fn route(
///     webhooks: WebhookService,
///     request: Request<hyper::body::Incoming>,
/// ) -> Response<ResponseBody> {
///     let health = webhooks.health(HealthConfig::default());
///     match request.uri().path() {
///         "/livez" => health.liveness().handle(request).await,
///         "/readyz" => health.readiness().handle(request).await,
///         _ => webhooks.handle(request).await,
///     }
/// }
/// # let _ = route;
/// ```
///
/// (Make it once, beside the webhook service, rather than per request as here: it is cheap to
/// clone.)
#[derive(Clone)]
pub struct HealthService {
    inner: Arc<Inner>,
    question: Question,
}

struct Inner {
    vitals: Arc<Vitals>,
    journal: Option<Arc<dyn Journal>>,
    dedupe: Dedupe,
    config: HealthConfig,
}

impl std::fmt::Debug for HealthService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthService")
            .field("question", &self.question)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl HealthService {
    pub(crate) fn new(
        vitals: Arc<Vitals>,
        journal: Option<Arc<dyn Journal>>,
        dedupe: Dedupe,
        config: HealthConfig,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                vitals,
                journal,
                dedupe,
                config,
            }),
            question: Question::Ready,
        }
    }

    /// The same service, answering liveness.
    pub fn liveness(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            question: Question::Live,
        }
    }

    /// The same service, answering readiness.
    pub fn readiness(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            question: Question::Ready,
        }
    }

    /// Runs the readiness checks (the journal and the shared dedupe store at once).
    pub async fn check(&self) -> HealthReport {
        let inner = &*self.inner;
        let (journal, dedupe) =
            futures_util::future::join(self.check_journal(), self.check_dedupe()).await;
        let mut problems = Vec::new();
        if let Some(journal) = &journal {
            if let Some(error) = &journal.error {
                problems.push(format!("the journal cannot be read: {error}"));
            }
            if let (Some(age), Some(bound)) =
                (journal.oldest_pending_age, inner.config.max_pending_age)
                && age > bound
            {
                problems.push(format!(
                    "the oldest pending entry has waited {:.1} s, over the {:.1} s bound: the workers are not keeping up",
                    age.as_secs_f64(),
                    bound.as_secs_f64()
                ));
            }
        }
        if let Some(error) = &dedupe.error {
            problems.push(format!("the idempotency store cannot be reached: {error}"));
        }
        HealthReport {
            ready: problems.is_empty(),
            problems,
            in_flight: inner.vitals.in_flight(),
            success_rate: inner.vitals.success_rate(),
            journal,
            dedupe,
        }
    }

    async fn check_journal(&self) -> Option<JournalHealth> {
        let journal = self.inner.journal.as_ref()?;
        let read = tokio::time::timeout(self.inner.config.check_timeout, journal.stats()).await;
        Some(match read {
            Ok(Ok(stats)) => {
                let oldest_pending_age = stats.oldest_pending_age();
                metrics::journal(&stats, oldest_pending_age);
                JournalHealth {
                    stats: Some(stats),
                    oldest_pending_age,
                    error: None,
                }
            }
            Ok(Err(err)) => unreadable(err.to_string()),
            Err(_) => unreadable(format!(
                "no answer within {:?}",
                self.inner.config.check_timeout
            )),
        })
    }

    async fn check_dedupe(&self) -> DedupeHealth {
        let (store, ids, error) = match (&self.inner.dedupe, self.inner.journal.is_some()) {
            (_, true) => ("journal", None, None),
            (Dedupe::Off, false) => ("off", None, None),
            (Dedupe::Memory(store), false) => ("memory", Some(store.len()), None),
            (Dedupe::Store(store), false) => {
                let ping = tokio::time::timeout(self.inner.config.check_timeout, store.ping());
                let error = match ping.await {
                    Ok(Ok(())) => None,
                    Ok(Err(err)) => Some(err.to_string()),
                    Err(_) => Some(format!(
                        "no answer within {:?}",
                        self.inner.config.check_timeout
                    )),
                };
                ("shared", None, error)
            }
        };
        DedupeHealth { store, ids, error }
    }

    /// Answers one request: see the type's docs.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<ResponseBody> {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            let mut response = json_response(
                StatusCode::METHOD_NOT_ALLOWED,
                json!({"error": "only GET and HEAD are answered"}).to_string(),
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        match self.question {
            Question::Live => json_response(
                StatusCode::OK,
                json!({"status": "live", "in_flight": self.inner.vitals.in_flight()}).to_string(),
            ),
            Question::Ready => {
                let report = self.check().await;
                let status = if report.ready {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                json_response(status, report.to_json())
            }
        }
    }
}

fn unreadable(error: String) -> JournalHealth {
    JournalHealth {
        stats: None,
        oldest_pending_age: None,
        error: Some(error),
    }
}

fn json_response(status: StatusCode, body: String) -> Response<ResponseBody> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

impl<B: Send + 'static> tower_service::Service<Request<B>> for HealthService {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.handle(request).await) })
    }
}

impl hyper::service::Service<Request<hyper::body::Incoming>> for HealthService {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn call(&self, request: Request<hyper::body::Incoming>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.handle(request).await) })
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;

    #[test]
    fn nothing_pending_has_no_age() {
        let stats = Stats {
            pending: 0,
            oldest_pending: Some(SystemTime::now() - Duration::from_secs(60)),
            ..Stats::default()
        };
        assert_eq!(stats.oldest_pending_age(), None);
    }

    #[test]
    fn a_pending_entry_from_the_future_is_zero_seconds_old() {
        let stats = Stats {
            pending: 1,
            oldest_pending: Some(SystemTime::now() + Duration::from_secs(60)),
            ..Stats::default()
        };
        assert_eq!(stats.oldest_pending_age(), Some(Duration::ZERO));
    }
}
