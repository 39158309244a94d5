//! [`WebhookService`]: the thin shell that runs the steps of one delivery in order.

use std::any::Any;
use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use ghl_webhook_types::{EventKind, Probe};
use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body::Body;
use tracing::{Instrument, Span, field};

use crate::BoxError;
use crate::body::{BodyError, content_length, read_body};
use crate::dedupe::{Claim, OnStoreError};
use crate::delivery::Delivery;
use crate::identify::{identify, kind_from_path};
use crate::response::{Answer, Reply, ResponseBody, text};
use crate::router::WebhookRouter;

/// Which kind, if any, the route a service is mounted on is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Binding {
    /// Identify by the `type` field.
    None,
    /// Every delivery on this route is this kind.
    Kind(EventKind),
    /// The last path segment, when it is an event name, is the kind.
    PathSegment,
}

/// The webhook endpoint: verify, identify, deduplicate, decode, dispatch, answer.
///
/// Cheap to clone (an `Arc` inside). Implements [`tower_service::Service`] for any
/// [`http_body::Body`] (so axum's `route_service`) and [`hyper::service::Service`] for hyper's
/// `Incoming`; [`WebhookService::handle`] serves any other framework. It never fails: every
/// outcome is a response, the error type is [`Infallible`].
pub struct WebhookService<S = ()> {
    router: Arc<WebhookRouter<S>>,
    binding: Binding,
}

impl<S> Clone for WebhookService<S> {
    fn clone(&self) -> Self {
        Self {
            router: self.router.clone(),
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
    pub(crate) fn new(router: WebhookRouter<S>) -> Self {
        Self {
            router: Arc::new(router),
            binding: Binding::None,
        }
    }

    /// The same service, with every delivery taken as `kind` (for a URL per event kind; needed
    /// for kinds without a `type`, see [`EventKind::needs_route_binding`]).
    pub fn bind(&self, kind: EventKind) -> Self {
        Self {
            router: self.router.clone(),
            binding: Binding::Kind(kind),
        }
    }

    /// The same service, taking the kind from the last path segment when it is an event name
    /// (`POST /webhooks/highlevel/AssociationDelete`); other paths identify by `type`.
    pub fn bind_by_path(&self) -> Self {
        Self {
            router: self.router.clone(),
            binding: Binding::PathSegment,
        }
    }

    /// Handles one request. Never fails; see the status table in [`crate::response`].
    pub async fn handle<B>(&self, request: Request<B>) -> Response<ResponseBody>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        let span = tracing::info_span!(
            "ghl_webhook",
            kind = field::Empty,
            webhook_id = field::Empty,
            location_id = field::Empty,
            status = field::Empty,
        );
        let mut seen = Seen::default();
        let reply = self
            .process(request, &mut seen)
            .instrument(span.clone())
            .await;
        span.record("status", reply.status.as_u16());
        if let Some(observer) = &self.router.observer {
            observer(&Answer {
                status: reply.status,
                message: &reply.message,
                kind: seen.kind,
                webhook_id: seen.webhook_id.as_deref(),
                raw: seen.raw.as_ref(),
            });
        }
        reply.into_response()
    }

    async fn process<B>(&self, request: Request<B>, seen: &mut Seen) -> Reply
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        let router = &*self.router;
        let (parts, body) = request.into_parts();
        if parts.method != Method::POST {
            return text(StatusCode::METHOD_NOT_ALLOWED, "only POST is accepted");
        }
        if !content_type_is_json(&parts.headers) {
            return text(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the Content-Type must be application/json",
            );
        }
        let bound = match self.binding {
            Binding::None => None,
            Binding::Kind(kind) => Some(kind),
            Binding::PathSegment => kind_from_path(parts.uri.path()),
        };

        let body = match read_body(body, content_length(&parts.headers), router.body_limit).await {
            Ok(body) => body,
            Err(err @ BodyError::TooLarge { .. }) => {
                tracing::warn!(error = %err, "rejected");
                return text(StatusCode::PAYLOAD_TOO_LARGE, err.to_string());
            }
            Err(err @ BodyError::Read(_)) => {
                tracing::debug!(error = %err, "rejected");
                return text(StatusCode::BAD_REQUEST, err.to_string());
            }
        };

        let verified_by = match router.verifier.verify(&parts.headers, &body) {
            Ok(by) => by,
            Err(err) => {
                tracing::warn!(reason = err.code(), "rejected: {err}");
                return text(
                    StatusCode::UNAUTHORIZED,
                    format!("invalid signature: {err}"),
                );
            }
        };

        let probe = match Probe::read(&body) {
            Ok(probe) => probe,
            Err(err) => {
                tracing::warn!(error = %err, "rejected");
                return text(StatusCode::BAD_REQUEST, err.to_string());
            }
        };
        let kind = identify(bound, &probe);
        let span = Span::current();
        if let Some((kind, _)) = kind {
            span.record("kind", kind.as_str());
        }
        if let Some(id) = &probe.envelope.webhook_id {
            span.record("webhook_id", id.as_str());
        }
        if let Some(id) = &probe.envelope.location_id {
            span.record("location_id", id.as_str());
        }
        if self.router.observer.is_some() {
            seen.kind = kind.map(|(kind, _)| kind);
            seen.webhook_id = probe.envelope.webhook_id.clone();
            seen.raw = Some(body.clone());
        }
        let delivery = Delivery {
            envelope: probe.envelope,
            kind,
            type_field: probe.type_field,
            verified_by,
            raw: body,
        };
        self.dispatch_once(delivery).await
    }

    /// Claims the `webhookId`, dispatches, and completes or releases the claim.
    async fn dispatch_once(&self, delivery: Delivery) -> Reply {
        let router = &*self.router;
        let Some(id) = delivery.envelope.webhook_id.clone() else {
            tracing::info!("no webhookId: processed without deduplication");
            return self.dispatch(delivery).await;
        };
        match router.dedupe.claim(&id).await {
            Ok(Claim::Acquired) => {}
            Ok(Claim::Done) => {
                tracing::info!("duplicate of a handled delivery: acknowledged");
                return text(StatusCode::OK, "duplicate: already handled");
            }
            Ok(Claim::InFlight) => {
                tracing::info!("duplicate of a delivery still in flight: retry later");
                return text(router.statuses.busy, "duplicate in flight: retry later");
            }
            Err(err) => match router.on_store_error {
                OnStoreError::Retry => {
                    tracing::error!(error = %err, "idempotency store unavailable: retry later");
                    return text(
                        router.statuses.busy,
                        "idempotency store unavailable: retry later",
                    );
                }
                OnStoreError::ProcessAnyway => {
                    tracing::error!(error = %err, "idempotency store unavailable: processing without deduplication");
                    return self.dispatch(delivery).await;
                }
            },
        }
        let response = self.dispatch(delivery).await;
        let settled = if response.status.is_success() {
            router.dedupe.complete(&id).await
        } else {
            router.dedupe.release(&id).await
        };
        if let Err(err) = settled {
            tracing::error!(error = %err, "could not settle the claim; it will expire");
        }
        response
    }

    /// Finds the handler, decodes, runs it under the timeout and panic guard, maps the outcome.
    async fn dispatch(&self, delivery: Delivery) -> Reply {
        let router = &*self.router;
        let handler = match delivery.kind() {
            Some(kind) => router.handlers[kind.index()]
                .as_ref()
                .or(router.catch_all.as_ref()),
            None => router.unknown.as_ref().or(router.catch_all.as_ref()),
        };
        let Some(handler) = handler else {
            return match delivery.kind() {
                Some(kind) => {
                    tracing::info!("no handler registered for {kind}: acknowledged");
                    text(StatusCode::OK, "acknowledged: no handler for this event")
                }
                None => {
                    tracing::info!(
                        type_field = delivery.type_field(),
                        "unknown event: acknowledged"
                    );
                    text(StatusCode::OK, "acknowledged: unknown event")
                }
            };
        };
        let raw: Bytes = delivery.raw.clone();
        let started = std::panic::catch_unwind(AssertUnwindSafe(|| {
            handler.call(&raw, delivery, &router.state)
        }));
        let future = match started {
            Ok(Ok(future)) => future,
            Ok(Err(err)) => {
                tracing::warn!(path = %err.path, "payload does not decode: {err}");
                return text(
                    router.statuses.decode_failure,
                    format!("undecodable payload: {err}"),
                );
            }
            Err(panic) => return self.panicked(panic),
        };
        match self.run(future).await {
            Ok(Ok(Ok(()))) => text(StatusCode::OK, "handled"),
            Ok(Ok(Err(err))) => {
                tracing::error!(error = %err, "handler failed");
                text(router.statuses.failure, "handler failed")
            }
            Ok(Err(panic)) => self.panicked(panic),
            Err(_elapsed) => {
                tracing::error!(timeout = ?router.handler_timeout, "handler timed out");
                text(router.statuses.failure, "handler timed out")
            }
        }
    }

    async fn run(
        &self,
        future: BoxFuture<'static, crate::HandlerResult>,
    ) -> Result<Result<crate::HandlerResult, Box<dyn Any + Send>>, tokio::time::error::Elapsed>
    {
        let mut guarded = AssertUnwindSafe(future).catch_unwind();
        // Handlers that answer fast (the recommended "enqueue and return") finish on their
        // first poll: no timer is armed for them. Polling again below re-registers the real
        // waker, so a handler that is not ready loses no wake-up.
        if let Some(outcome) = (&mut guarded).now_or_never() {
            return Ok(outcome);
        }
        match self.router.handler_timeout {
            Some(limit) => tokio::time::timeout(limit, guarded).await,
            None => Ok(guarded.await),
        }
    }

    fn panicked(&self, panic: Box<dyn Any + Send>) -> Reply {
        let message = panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("non-string panic payload");
        tracing::error!(panic = message, "handler panicked");
        text(self.router.statuses.failure, "handler panicked")
    }
}

/// What the observer learns about a delivery beyond its reply (filled only with an observer).
#[derive(Default)]
struct Seen {
    kind: Option<EventKind>,
    webhook_id: Option<String>,
    raw: Option<Bytes>,
}

/// True when there is no `Content-Type`, or it is JSON (`application/json`, `*/*+json`).
fn content_type_is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return true;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || (essence.len() > 5
            && essence.is_char_boundary(essence.len() - 5)
            && essence[essence.len() - 5..].eq_ignore_ascii_case("+json"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn with_content_type(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(value).expect("header"),
        );
        h
    }

    #[test]
    fn json_content_types_are_recognised() {
        assert!(content_type_is_json(&HeaderMap::new()));
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
            "application/vnd.ghl+json",
        ] {
            assert!(content_type_is_json(&with_content_type(ok)), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "",
            "json",
            "+json",
            "application/jsonx",
        ] {
            assert!(!content_type_is_json(&with_content_type(bad)), "{bad}");
        }
    }
}
