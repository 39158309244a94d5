//! The webhook service of the Lambda function (`src/main.rs`), built here so that the tests
//! run the same one.

use ghl_webhook_router::types::association::AssociationDelete;
use ghl_webhook_router::{Delivery, WebhookRouter, WebhookService};

/// The service: trusts HighLevel's published key. A Lambda instance serves one request at a
/// time and is frozen between them, so the in-memory dedupe store only sees the deliveries of
/// its own instance: use Redis (`WebhookRouter::dedupe`) in production.
pub fn webhooks() -> WebhookService {
    router().into_service()
}

/// The router of [`webhooks`], to change its verifier in tests.
pub fn router() -> WebhookRouter {
    WebhookRouter::new().on(|event: AssociationDelete, delivery: Delivery| async move {
        println!(
            "association {} deleted (delivery {:?})",
            event.id,
            delivery.webhook_id()
        );
    })
}
