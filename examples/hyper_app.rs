//! An existing hyper app with the webhook router mounted beside its own routes.
//!
//! Run: `cargo run --example hyper_app` then, in another terminal, send it signed deliveries
//! (e.g. with the test keys: `GHL_TEST_KEYS=1`). Stops on Ctrl-C.
//! Trusts HighLevel's published key unless `GHL_TEST_KEYS=1` is set.

use ghl_webhook_examples::handlers::{
    AppState, listen_addr_from_env, verifier_from_env, webhook_service,
};
use ghl_webhook_examples::hyper_app;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let verifier = verifier_from_env();
    let addr = listen_addr_from_env();
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("hyper app on http://{addr}: GET /health, POST /webhooks/highlevel[/<EventName>]");
    let webhooks = webhook_service(AppState::default(), verifier);
    hyper_app::run(listener, webhooks, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
