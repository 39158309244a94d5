//! The way of one delivery, one line per step: read, verify, identify, claim, dispatch,
//! settle, answer (in durable mode: read, verify, identify, append, answer). Each step lives
//! in its own module and returns what the next step needs or the [`Outcome`] that ends the
//! delivery. Once answered, the delivery is counted: in the success window (`vitals`), in the
//! metrics (`metrics`), and by the observer.

use std::sync::Arc;
use std::time::Duration;

use ghl_webhook_types::EventKind;
use http::{Request, Response};
use http_body::Body;
use tracing::{Instrument, field};

use crate::BoxError;
use crate::batch::BatchVerifier;
use crate::body::{check_request, read_body};
use crate::dedupe::{Dedupe, InMemoryStore, OnStoreError};
use crate::delivery::Delivery;
use crate::dispatch::Dispatcher;
use crate::durable::Durable;
use crate::identify::{Binding, identify_body};
use crate::metrics::{self, Timer};
use crate::outcome::{Outcome, StatusPolicy};
use crate::response::{Answer, ResponseBody, respond};
use crate::success_rate::{self, DEFAULT_SUCCESS_WINDOW};
use crate::verify::Verifier;
use crate::vitals::Vitals;

/// A callback told of every answered delivery.
pub(crate) type Observer = Box<dyn Fn(&Answer<'_>) + Send + Sync>;

/// Everything a delivery goes through, as configured on the router.
pub(crate) struct Pipeline<S> {
    pub(crate) verifier: Verifier,
    /// Batch verification of deliveries that wait together, when enabled (made from
    /// `verifier` when the service is built).
    pub(crate) batch: Option<BatchVerifier>,
    pub(crate) body_limit: usize,
    pub(crate) body_timeout: Duration,
    pub(crate) dedupe: Dedupe,
    pub(crate) on_store_error: OnStoreError,
    pub(crate) statuses: StatusPolicy,
    pub(crate) dispatcher: Dispatcher<S>,
    pub(crate) observer: Option<Observer>,
    /// Durable mode: the journal the edge appends to, and the workers' configuration.
    pub(crate) durable: Option<Durable>,
    /// Requests in flight and the success window, shared with the health service.
    pub(crate) vitals: Arc<Vitals>,
}

impl<S> Pipeline<S> {
    /// The default pipeline: `verifier`, in-memory deduplication, no handlers.
    pub(crate) fn new(
        state: S,
        verifier: Verifier,
        body_limit: usize,
        body_timeout: Duration,
        timeout: Option<Duration>,
    ) -> Self {
        Self {
            verifier,
            batch: None,
            body_limit,
            body_timeout,
            dedupe: Dedupe::Memory(InMemoryStore::default()),
            on_store_error: OnStoreError::default(),
            statuses: StatusPolicy::default(),
            dispatcher: Dispatcher::new(state, timeout),
            observer: None,
            durable: None,
            vitals: Arc::new(Vitals::new(DEFAULT_SUCCESS_WINDOW)),
        }
    }

    /// Runs one request through every step, in a span of its own, and answers it.
    pub(crate) async fn run<B>(
        &self,
        binding: Binding,
        request: Request<B>,
    ) -> Response<ResponseBody>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        let _in_flight = self.vitals.enter();
        let span = tracing::info_span!(
            "ghl_webhook",
            kind = field::Empty,
            webhook_id = field::Empty,
            location_id = field::Empty,
            trace_id = field::Empty,
            status = field::Empty,
        );
        let (outcome, delivery) = async {
            let (outcome, delivery) = match self.receive(binding, request).await {
                Ok(delivery) => (self.deliver(delivery.clone()).await, Some(delivery)),
                Err(rejected) => (rejected, None),
            };
            outcome.log();
            (outcome, delivery)
        }
        .instrument(span.clone())
        .await;
        let status = outcome.status(&self.statuses);
        span.record("status", status.as_u16());
        if success_rate::counts(&outcome) {
            self.vitals.answered(status.is_success());
        }
        let kind = delivery
            .as_ref()
            .map_or(metrics::NOT_IDENTIFIED, |d| metrics::kind_label(d.kind()));
        metrics::answered(kind, &outcome);
        if let Some(observer) = &self.observer {
            observer(&Answer {
                outcome: &outcome,
                status,
                delivery: delivery.as_ref(),
            });
        }
        respond(status, &outcome)
    }

    /// The steps before anything is known of the delivery but its bytes: a JSON `POST`
    /// (405/415), the body within the limits (413/408/400), the signature (401), the kind (400 when
    /// the body is not JSON).
    async fn receive<B>(&self, binding: Binding, request: Request<B>) -> Result<Delivery, Outcome>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        let (parts, body) = request.into_parts();
        check_request(&parts)?;
        let raw = read_body(body, &parts.headers, self.body_limit, self.body_timeout).await?;
        let timer = Timer::start();
        let verified = match &self.batch {
            Some(batch) => batch.verify(&parts.headers, &raw).await,
            None => self.verifier.verify(&parts.headers, &raw),
        };
        timer.verified(verified.is_ok());
        let verified_by = verified?;
        let identified = identify_body(binding, parts.uri.path(), &raw)?;
        let delivery = Delivery::new(identified.probe, identified.kind, verified_by, raw);
        record_in_span(&delivery);
        Ok(delivery)
    }

    /// The steps of a verified delivery: in durable mode, append it to the journal (the
    /// workers take it from there); inline, claim its `webhookId` (duplicates end here),
    /// dispatch it, settle the claim by the outcome.
    async fn deliver(&self, delivery: Delivery) -> Outcome {
        if let Some(durable) = &self.durable {
            return durable.append(&delivery, self.dispatcher.timeout()).await;
        }
        let claim = match self.dedupe.claim_for(&delivery, self.on_store_error).await {
            Ok(claim) => claim,
            Err(duplicate_or_unavailable) => return duplicate_or_unavailable,
        };
        let kind = metrics::kind_label(delivery.kind());
        let timer = Timer::start();
        let outcome = self.dispatcher.dispatch(delivery.clone()).await;
        timer.handled(kind, &outcome);
        claim
            .settle(outcome.status(&self.statuses).is_success())
            .await;
        outcome
    }
}

/// Names the delivery in the current span: kind, `webhookId`, `locationId`, `traceId`.
fn record_in_span(delivery: &Delivery) {
    let span = tracing::Span::current();
    if let Some(kind) = delivery.kind() {
        span.record("kind", EventKind::as_str(kind));
    }
    if let Some(id) = delivery.webhook_id() {
        span.record("webhook_id", id);
    }
    if let Some(id) = delivery.location_id() {
        span.record("location_id", id);
    }
    if let Some(id) = delivery.trace_id() {
        span.record("trace_id", id);
    }
}
