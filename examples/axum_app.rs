//! An existing axum app with the webhook router mounted by `route_service`.
//!
//! Run: `cargo run --example axum_app`. Stops on Ctrl-C.
//! Trusts HighLevel's published key unless `GHL_TEST_KEYS=1` is set.

use ghl_webhook_examples::axum_app;
use ghl_webhook_examples::handlers::{
    AppState, listen_addr_from_env, verifier_from_env, webhook_service,
};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let verifier = verifier_from_env();
    let addr = listen_addr_from_env();
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("axum app on http://{addr}: GET /health, POST /webhooks/highlevel[/<EventName>]");
    let app = axum_app::app(webhook_service(AppState::default(), verifier));
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
