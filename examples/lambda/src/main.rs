//! The HighLevel webhook service as an AWS Lambda function, behind an API Gateway REST API, an
//! HTTP API or a Function URL: `lambda_http` turns each event into an `http` request (a
//! base64-encoded body decoded back to its exact bytes) and the service verifies and answers.
//! Build it with `cargo lambda build --release -p ghl-webhook-lambda-example`.

use ghl_webhook_router::types::association::AssociationDelete;
use ghl_webhook_router::{Delivery, WebhookRouter};

/// The webhooks: trusts HighLevel's published key. The in-memory dedupe store lives as long
/// as one instance: give the router a Redis store (`dedupe_with`) to share it.
pub(crate) fn router() -> WebhookRouter {
    WebhookRouter::new().on(|event: AssociationDelete, delivery: Delivery| async move {
        let id = delivery.webhook_id();
        println!("association {} deleted (delivery {id:?})", event.id);
        Ok::<_, std::io::Error>(()) // an Err answers 500: HighLevel retries
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    // A tower service of `http` requests with any body that never fails: it mounts as it is.
    // Bound by path: events without a `type` go to `/webhooks/highlevel/<EventName>`.
    lambda_http::run(router().into_service().bind_by_path()).await
}
