//! An existing hyper app with the webhook router mounted beside its own routes.
//!
//! Run: `cargo run --example hyper_app` then, in another terminal, send it signed deliveries
//! (e.g. with the test keys: `GHL_TEST_KEYS=1`). Stops on Ctrl-C.
//! Trusts HighLevel's published key unless `GHL_TEST_KEYS=1` is set.

use ghl_webhook_examples::handlers::{AppState, webhook_service};
use ghl_webhook_examples::hyper_app;
use ghl_webhook_router::Verifier;
use ghl_webhook_test_support::TestKeys;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let verifier = if std::env::var_os("GHL_TEST_KEYS").is_some() {
        TestKeys::primary().verifier()
    } else {
        Verifier::highlevel()
    };
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("hyper app on http://{addr}: GET /health, POST /webhooks/highlevel[/<EventName>]");
    let webhooks = webhook_service(AppState::default(), verifier);
    hyper_app::run(listener, webhooks, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
