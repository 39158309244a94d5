//! An existing axum app with the HighLevel webhook router mounted by `route_service`.

use axum::Router;
use axum::routing::get;
use ghl_webhook_router::WebhookService;

use crate::handlers::AppState;

/// The app: `GET /health`, and the webhook service at `/webhooks/highlevel` (identified by
/// `type`) and `/webhooks/highlevel/{kind}` (bound to the kind named in the path).
pub fn app(webhooks: WebhookService<AppState>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route_service("/webhooks/highlevel", webhooks.clone())
        .route_service("/webhooks/highlevel/{kind}", webhooks.bind_by_path())
}
