//! The HighLevel webhook service in an axum app on Shuttle: `shuttle run` locally, `shuttle
//! deploy` to Shuttle. Trusts HighLevel's published key, and also the Ed25519 public key in the
//! secret `GHL_EXTRA_PUBLIC_KEY` when it is set (for `ghl-webhook trigger` or MockSender with
//! the test keys).

use axum::Router;
use axum::routing::get;
use ghl_webhook_router::types::association::AssociationDelete;
use ghl_webhook_router::{Delivery, Verifier, WebhookRouter, WebhookService};
use shuttle_runtime::SecretStore;

/// The app's routes, the webhooks among them (as in the axum section).
fn app(webhooks: WebhookService) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route_service("/webhooks/highlevel", webhooks.clone())
        .route_service("/webhooks/highlevel/{kind}", webhooks.bind_by_path())
}

/// HighLevel's key, and the secret `GHL_EXTRA_PUBLIC_KEY` (PEM, base64 or hex) when set.
fn verifier(secrets: &SecretStore) -> Result<Verifier, shuttle_runtime::Error> {
    let Some(text) = secrets.get("GHL_EXTRA_PUBLIC_KEY") else {
        return Ok(Verifier::highlevel());
    };
    Verifier::highlevel()
        .with_key_text("GHL_EXTRA_PUBLIC_KEY", &text)
        .map_err(|err| {
            let message = format!("the secret GHL_EXTRA_PUBLIC_KEY is no Ed25519 key: {err}");
            shuttle_runtime::CustomError::msg(message).into()
        })
}

#[shuttle_runtime::main]
async fn main(#[shuttle_runtime::Secrets] secrets: SecretStore) -> shuttle_axum::ShuttleAxum {
    // The in-memory dedupe store lives as long as this instance: during a rolling deploy the
    // old and the new one run side by side, so give the router a Redis store (`dedupe_with`)
    // to share it.
    let webhooks = WebhookRouter::new()
        .verifier(verifier(&secrets)?)
        .on(|event: AssociationDelete, delivery: Delivery| async move {
            let id = delivery.webhook_id();
            println!("association {} deleted (delivery {id:?})", event.id);
            Ok::<_, std::io::Error>(()) // an Err answers 500: HighLevel retries
        })
        .into_service();
    Ok(app(webhooks).into())
}
