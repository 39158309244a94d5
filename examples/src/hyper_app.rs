//! An existing hyper 1.x app: its own routes (`GET /health`, `GET /`), with the HighLevel
//! webhook router mounted at `/webhooks/highlevel` (and `/webhooks/highlevel/<EventName>` for
//! events that need a route binding), and what a production deployment scrapes and probes:
//! `GET /metrics`, `GET /livez`, `GET /readyz` (see [`crate::observability`]).

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use ghl_webhook_router::WebhookService;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
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

/// How long a client may take to send a request head. The webhook service bounds the body
/// itself (`WebhookRouter::body_timeout`, 30 s); the head is the host server's to bound.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest request head accepted (431 past it).
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The accept loop: a task per connection, until `shutdown` completes.
///
/// hyper's `header_read_timeout` needs a timer (without one it panics at the first
/// connection); it also closes a kept-alive connection that waits that long for its next
/// request. A limit on connections at once (a semaphore around `accept`) is the app's to add:
/// `ghl_webhook_router::serve::serve` has one.
async fn accept(
    listener: TcpListener,
    webhooks: WebhookService<AppState>,
    observability: Observability,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => return Ok(()),
        };
        let webhooks = webhooks.clone();
        let observability = observability.clone();
        tokio::spawn(async move {
            let service =
                service_fn(move |request| route(request, webhooks.clone(), observability.clone()));
            if let Err(err) = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .max_header_size(MAX_HEADER_BYTES)
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection error: {err}");
            }
        });
    }
}
