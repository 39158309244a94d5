//! An existing axum app with the webhook router mounted by `route_service`.
//!
//! Run: `cargo run --example axum_app`. Stops on Ctrl-C.
//! Trusts HighLevel's published key unless `GHL_TEST_KEYS=1` is set.

use ghl_webhook_examples::axum_app;
use ghl_webhook_examples::handlers::{AppState, webhook_service};
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
    println!("axum app on http://{addr}: GET /health, POST /webhooks/highlevel[/<EventName>]");
    let app = axum_app::app(webhook_service(AppState::default(), verifier));
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
