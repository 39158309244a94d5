//! [`WebhookService`]: the pipeline as a hyper and tower service, mounted on a route.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use ghl_webhook_types::EventKind;
use http::{Request, Response};
use http_body::Body;

use crate::BoxError;
use crate::durable::Workers;
use crate::health::{HealthConfig, HealthService};
use crate::identify::Binding;
use crate::pipeline::Pipeline;
use crate::response::ResponseBody;
use crate::success_rate::SuccessRate;

/// The webhook endpoint: verify, identify, deduplicate, decode, dispatch, answer.
///
/// Cheap to clone (an `Arc` inside). Implements [`tower_service::Service`] for any
/// [`http_body::Body`] (so axum's `route_service`) and [`hyper::service::Service`] for hyper's
/// `Incoming`; [`WebhookService::handle`] serves any other framework. It never fails: every
/// outcome is a response, the error type is [`Infallible`].
pub struct WebhookService<S = ()> {
    pipeline: Arc<Pipeline<S>>,
    binding: Binding,
}

impl<S> Clone for WebhookService<S> {
    fn clone(&self) -> Self {
        Self {
            pipeline: self.pipeline.clone(),
            binding: self.binding,
        }
    }
}

impl<S> std::fmt::Debug for WebhookService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookService")
            .field("binding", &self.binding)
            .finish_non_exhaustive()
    }
}

impl<S: Send + Sync + 'static> WebhookService<S> {
    pub(crate) fn new(pipeline: Pipeline<S>) -> Self {
        Self {
            pipeline: Arc::new(pipeline),
            binding: Binding::None,
        }
    }

    /// What batch verification did so far (`None` unless
    /// [`WebhookRouter::batch_verification`](crate::WebhookRouter::batch_verification) is on).
    pub fn batch_stats(&self) -> Option<crate::batch::BatchStats> {
        self.pipeline
            .batch
            .as_ref()
            .map(crate::batch::BatchVerifier::stats)
    }

    /// Liveness and readiness of this service, to mount beside it (see [`HealthService`]).
    pub fn health(&self, config: HealthConfig) -> HealthService {
        HealthService::new(
            self.pipeline.vitals.clone(),
            self.pipeline.durable.as_ref().map(|d| d.journal.clone()),
            self.pipeline.dedupe.clone(),
            config,
        )
    }

    /// HighLevel's view of this URL so far: the answers to verified deliveries over the success
    /// window ([`WebhookRouter::success_window`](crate::WebhookRouter::success_window)).
    pub fn success_rate(&self) -> SuccessRate {
        self.pipeline.vitals.success_rate()
    }

    /// Requests being answered right now.
    pub fn in_flight(&self) -> usize {
        self.pipeline.vitals.in_flight()
    }

    /// The same service, with every delivery taken as `kind` (for a URL per event kind; needed
    /// for kinds without a `type`, see [`EventKind::needs_route_binding`]).
    pub fn bind(&self, kind: EventKind) -> Self {
        Self {
            pipeline: self.pipeline.clone(),
            binding: Binding::Kind(kind),
        }
    }

    /// The same service, taking the kind from the last path segment when it is an event name
    /// (`POST /webhooks/highlevel/AssociationDelete`); other paths identify by `type`.
    pub fn bind_by_path(&self) -> Self {
        Self {
            pipeline: self.pipeline.clone(),
            binding: Binding::PathSegment,
        }
    }

    /// The workers of a durable service (built with
    /// [`WebhookRouter::durable`](crate::WebhookRouter::durable)), to run beside the server;
    /// `None` for an inline one. [`serve`](crate::serve::serve) runs them itself.
    ///
    /// ```no_run
    /// # async fn run(service: ghl_webhook_router::WebhookService) {
    /// if let Some(workers) = service.workers() {
    ///     tokio::spawn(workers.run(std::future::pending()));
    /// }
    /// # }
    /// ```
    pub fn workers(&self) -> Option<Workers<S>> {
        self.pipeline
            .durable
            .as_ref()
            .map(|_| Workers::new(self.pipeline.clone()))
    }

    /// Handles one request. Never fails; see the status table on [`Outcome`](crate::Outcome).
    pub async fn handle<B>(&self, request: Request<B>) -> Response<ResponseBody>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        self.pipeline.run(self.binding, request).await
    }
}

impl<S, B> tower_service::Service<Request<B>> for WebhookService<S>
where
    S: Send + Sync + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
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

impl<S> hyper::service::Service<Request<hyper::body::Incoming>> for WebhookService<S>
where
    S: Send + Sync + 'static,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn call(&self, request: Request<hyper::body::Incoming>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.handle(request).await) })
    }
}
