//! An existing axum app with the HighLevel webhook router mounted by `route_service`, and the
//! metrics and health routes beside it (see [`crate::observability`]).

use std::future::Future;

use axum::Router;
use axum::routing::get;
use ghl_webhook_router::WebhookService;
use tokio::net::TcpListener;

use crate::handlers::AppState;
use crate::observability::Observability;

/// The app: `GET /health`, the webhook service at `/webhooks/highlevel` (identified by
/// `type`) and `/webhooks/highlevel/{kind}` (bound to the kind named in the path), and
/// `GET /metrics` (Prometheus text), `GET /livez`, `GET /readyz` (JSON).
pub fn app(webhooks: WebhookService<AppState>, observability: Observability) -> Router {
    let metrics = observability.clone();
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/metrics", get(move || async move { metrics.metrics() }))
        .route_service("/livez", observability.liveness())
        .route_service("/readyz", observability.readiness())
        .route_service("/webhooks/highlevel", webhooks.clone())
        .route_service("/webhooks/highlevel/{kind}", webhooks.bind_by_path())
}

/// Serves `app` on `listener` until `shutdown` completes, through the router's
/// [`serve_app`](ghl_webhook_router::serve::serve_app) with the limits of a public URL (the
/// defaults of [`ServeConfig`](ghl_webhook_router::serve::ServeConfig)): `axum::serve` sets
/// none of them (no head timeout, no connection cap). Connections finish their request in
/// flight after `shutdown`, for at most [`SHUTDOWN_GRACE`](crate::hyper_app::SHUTDOWN_GRACE).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    ghl_webhook_router::serve::serve_app(listener, app, shutdown, crate::hyper_app::SHUTDOWN_GRACE)
        .await
}
