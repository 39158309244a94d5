//! Quick start: a router on an ephemeral loopback port, one signed AssociationDelete sent by
//! MockSender exactly as HighLevel would send it, the handler's view printed, clean shutdown.
//!
//! Run: `cargo run -p ghl-webhook-quickstart`

use std::time::Duration;

use ghl_webhook_router::types::association::AssociationDelete;
use ghl_webhook_router::{Delivery, WebhookRouter};
use ghl_webhook_sim::{MockSender, TestKeys};
use tokio::sync::mpsc;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

/// The example payload of HighLevel's AssociationDelete doc page.
const SEED: &str = r#"{
  "id": "67ade73d1119d2ac7ad0c475",
  "associationType": "USER_DEFINED",
  "firstObjectKey": "custom_objects.real_estate_buyer",
  "firstObjectLabel": "Interested Buyer",
  "firstObjectToSecondObjectCardinality": "MANY_TO_MANY",
  "secondObjectKey": "custom_objects.property",
  "secondObjectLabel": "Property",
  "secondObjectToFirstObjectCardinality": "MANY_TO_MANY",
  "key": "buyer_property_interest",
  "locationId": "eHy2cOSZxMQzQ6Yyvl8P"
}"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Logs of the router (one span per delivery); `RUST_LOG=ghl_webhook_router=debug` for more.
    let filter: Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse().ok())
        .unwrap_or_else(|| Targets::new().with_target("ghl_webhook_router", LevelFilter::INFO));
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer())
        .with(filter)
        .init();
    let (tx, mut rx) = mpsc::unbounded_channel();

    // 1. The router: trust the *test* key (production: the default, HighLevel's key).
    let service = WebhookRouter::new()
        .verifier(TestKeys::primary().verifier())
        .on(move |event: AssociationDelete, delivery: Delivery| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((event, delivery));
            }
        })
        .into_service();

    // 2. Serve it on 127.0.0.1, a free port; `/<EventName>` binds typeless events.
    let server =
        ghl_webhook_router::serve::spawn("127.0.0.1:0".parse()?, service.bind_by_path()).await?;
    println!("router listening on {}", server.url());

    // 3. Play HighLevel: envelope, Ed25519 signature over the exact bytes, POST.
    let event: AssociationDelete = serde_json::from_str(SEED)?;
    let sender = MockSender::new(server.url())?;
    let sent = sender.event(&event).bound().send().await?;
    println!("HighLevel (mock) got: {} {}", sent.status, sent.body_text());

    // 4. What the handler received.
    let (received, delivery) = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await?
        .ok_or("the handler was not called")?;
    println!("handler received AssociationDelete:");
    println!("  id:        {}", received.id);
    println!("  key:       {:?}", received.key);
    println!(
        "  objects:   {:?} -> {:?}",
        received.first_object_key, received.second_object_key
    );
    println!("  webhookId: {:?}", delivery.webhook_id());
    println!("  verified:  {:?}", delivery.verified_by());

    // 5. Graceful shutdown.
    server.shutdown(Duration::from_secs(5)).await?;
    if sent.status != 200 || received != event {
        return Err("the delivery did not arrive intact".into());
    }
    println!("ok: delivered, verified, decoded, handled");
    Ok(())
}
