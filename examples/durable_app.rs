//! The existing hyper app of `hyper_app`, in durable mode: every verified delivery is appended
//! to a SQLite journal and answered 200 as soon as it is on disk; the app's workers run the
//! same handlers afterwards, retrying failures and keeping what cannot be handled as dead
//! letters.
//!
//! Run: `GHL_TEST_KEYS=1 cargo run -p ghl-webhook-examples --example durable_app`, then in
//! another terminal
//! `ghl-webhook trigger AssociationDelete --to http://127.0.0.1:3000/webhooks/highlevel/AssociationDelete`
//! and `ghl-webhook journal stats --journal webhooks.db`. The journal is `webhooks.db`, or the
//! file `GHL_JOURNAL` names. Trusts HighLevel's published key unless `GHL_TEST_KEYS=1` is set.
//! Stops on Ctrl-C (handlers in progress get a grace period, then go back to the journal).

use ghl_webhook_examples::handlers::{
    AppState, durable_webhook_service, listen_addr_from_env, verifier_from_env,
};
use ghl_webhook_examples::hyper_app;
use ghl_webhook_router::journal::SqliteJournal;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::var("GHL_JOURNAL").unwrap_or_else(|_| "webhooks.db".into());
    let journal = SqliteJournal::open(&path)?;
    let addr = listen_addr_from_env();
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "durable hyper app on http://{addr}: GET /health, POST /webhooks/highlevel[/<EventName>]; journal {path}"
    );
    let webhooks = durable_webhook_service(AppState::default(), verifier_from_env(), journal);
    hyper_app::run(listener, webhooks, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
