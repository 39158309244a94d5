//! An existing hyper app with the webhook router mounted beside its own routes, and the
//! router's metrics (`GET /metrics`, Prometheus text) and health (`GET /livez`, `GET /readyz`).
//!
//! Run: `cargo run --example hyper_app` then, in another terminal, send it signed deliveries
//! (e.g. with the test keys: `GHL_TEST_KEYS=1`) and `curl http://127.0.0.1:3000/metrics`.
//! Stops on Ctrl-C. Trusts HighLevel's published key unless `GHL_TEST_KEYS=1` is set.

use ghl_webhook_examples::handlers::{
    AppState, listen_addr_from_env, verifier_from_env, webhook_service,
};
use ghl_webhook_examples::hyper_app;
use ghl_webhook_examples::observability::{Observability, install_prometheus, spawn_upkeep};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Before anything is served, so that no delivery goes unrecorded.
    let metrics = install_prometheus()?;
    spawn_upkeep(metrics.clone());
    let verifier = verifier_from_env();
    let addr = listen_addr_from_env();
    // A listen backlog of 4,096, as `serve` binds (tokio's `bind` asks for 1,024).
    let addr = tokio::net::lookup_host(&addr)
        .await?
        .next()
        .ok_or("ADDR names no address")?;
    let listener = ghl_webhook_router::serve::bind(addr)?;
    // The bound address: `ADDR=127.0.0.1:0` picks a free port.
    let addr = listener.local_addr()?;
    println!(
        "hyper app on http://{addr}: GET /health, GET /metrics, GET /livez, GET /readyz, POST /webhooks/highlevel[/<EventName>]"
    );
    let webhooks = webhook_service(AppState::default(), verifier);
    let observability = Observability::new(&webhooks, Some(metrics));
    hyper_app::run(listener, webhooks, observability, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
