//! An existing hyper 1.x app: its own routes (`GET /health`, `GET /`), with the HighLevel
//! webhook router mounted at `/webhooks/highlevel` (and `/webhooks/highlevel/<EventName>` for
//! events that need a route binding), and what a production deployment scrapes and probes:
//! `GET /metrics`, `GET /livez`, `GET /readyz` (see [`crate::observability`]).

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use ghl_webhook_router::WebhookService;
use ghl_webhook_router::serve::{Admission, ServeConfig};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use tokio::net::TcpListener;

use crate::handlers::AppState;
use crate::observability::Observability;

/// Where the webhook router is mounted.
pub const WEBHOOK_PREFIX: &str = "/webhooks/highlevel";

/// The app's router: its own routes, the webhook service under [`WEBHOOK_PREFIX`], and the
/// metrics and health routes.
pub async fn route(
    request: Request<Incoming>,
    webhooks: WebhookService<AppState>,
    observability: Observability,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path();
    if path == WEBHOOK_PREFIX || path.starts_with(&format!("{WEBHOOK_PREFIX}/")) {
        // `bind_by_path`: `/webhooks/highlevel/AssociationDelete` binds the kind.
        return Ok(webhooks.bind_by_path().handle(request).await);
    }
    // The health service answers GET and HEAD itself (405 otherwise).
    match path {
        "/livez" => return Ok(observability.liveness().handle(request).await),
        "/readyz" => return Ok(observability.readiness().handle(request).await),
        _ => {}
    }
    let response = match (request.method(), path) {
        (&Method::GET, "/metrics") => observability.metrics(),
        (&Method::GET, "/health") => Response::new(Full::new(Bytes::from_static(b"ok"))),
        (&Method::GET, "/") => Response::new(Full::new(Bytes::from_static(b"my existing app"))),
        _ => {
            let mut r = Response::new(Full::new(Bytes::from_static(b"not found")));
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
    };
    Ok(response)
}

/// Serves the app on `listener` until `shutdown` completes. A durable webhook service's
/// workers run beside it, and stop after it.
pub async fn run(
    listener: TcpListener,
    webhooks: WebhookService<AppState>,
    observability: Observability,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let (stop_workers, workers_stop) = tokio::sync::oneshot::channel::<()>();
    let workers = webhooks.workers().map(|workers| {
        tokio::spawn(workers.run(async move {
            let _ = workers_stop.await;
        }))
    });
    let served = accept(listener, webhooks, observability, shutdown).await;
    drop(stop_workers);
    if let Some(workers) = workers {
        let _ = workers.await;
    }
    served
}

/// The accept loop: a task per connection, until `shutdown` completes; then the connections
/// finish their request in flight (at most [`SHUTDOWN_GRACE`]).
///
/// A public URL needs what `axum::serve` and a bare `http1::Builder` loop lack: a cap on
/// connections that a flood of slow clients cannot exhaust, head and idle timeouts that
/// tighten as the server fills, accept errors that do not end the loop. [`Admission`] has them
/// (the limits of `ghl_webhook_router::serve`, [`ServeConfig`]'s defaults).
async fn accept(
    listener: TcpListener,
    webhooks: WebhookService<AppState>,
    observability: Observability,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let service = move || {
        let webhooks = webhooks.clone();
        let observability = observability.clone();
        service_fn(move |request| route(request, webhooks.clone(), observability.clone()))
    };
    accept_until(listener, service, shutdown).await
}

/// Serves each accepted connection with a service from `service`, on a task of its own,
/// through [`Admission`]'s limits, until `shutdown` completes; then lets the connections
/// finish their request in flight (at most [`SHUTDOWN_GRACE`]). The hyper app's and the axum
/// app's accept loop.
async fn accept_until<S, B>(
    listener: TcpListener,
    service: impl Fn() -> S,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()>
where
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<ghl_webhook_router::BoxError>,
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<ghl_webhook_router::BoxError>,
{
    let admission = Admission::new(ServeConfig::default());
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let connection = tokio::select! {
            connection = admission.accept(&listener) => connection,
            () = &mut shutdown => break,
        };
        let service = service();
        connections.spawn(async move {
            if let Err(err) = connection.serve(service).await {
                eprintln!("connection error: {err}");
            }
        });
    }
    drop(listener);
    admission.drain();
    let drained = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, drained).await;
    Ok(())
}

/// How long requests in flight may finish once shutdown is asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
