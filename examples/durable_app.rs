//! The existing hyper app of `hyper_app`, in durable mode: every verified delivery is appended
//! to a journal and answered 200 as soon as it is durable; the app's workers run the same
//! handlers afterwards, retrying failures and keeping what cannot be handled as dead letters.
//!
//! The journal is a SQLite file (`webhooks.db`, or the file `GHL_JOURNAL` names), or with
//! `--redis URL` (or `GHL_REDIS_URL`) a Redis journal that several replicas of the app share
//! (key prefix `GHL_REDIS_PREFIX`, default `ghl-webhooks:journal:`).
//!
//! Run: `GHL_TEST_KEYS=1 cargo run -p ghl-webhook-examples --example durable_app`, then in
//! another terminal
//! `ghl-webhook trigger AssociationDelete --to http://127.0.0.1:3000/webhooks/highlevel/AssociationDelete`
//! and `ghl-webhook journal stats --journal webhooks.db`. Two replicas on one Redis:
//! `ADDR=127.0.0.1:3000 ... --example durable_app -- --redis redis://127.0.0.1:6379/0` and
//! the same with `ADDR=127.0.0.1:3001`; `ghl-webhook journal stats --redis
//! redis://127.0.0.1:6379/0` shows their shared journal. Trusts HighLevel's published key
//! unless `GHL_TEST_KEYS=1` is set. Stops on Ctrl-C (handlers in progress get a grace period,
//! then go back to the journal).
//!
//! Beside the webhooks: `GET /metrics` (Prometheus text: deliveries, timings, the journal's
//! entries by state), `GET /livez`, and `GET /readyz` (503 when the journal cannot be read or
//! the workers are not keeping up). Logs are JSON on stdout, one object per line (fields:
//! `ghl_webhook_examples::observability::init_json_logs`; the handlers' own lines stay plain
//! text); `RUST_LOG` filters them.

use std::sync::Arc;

use ghl_webhook_examples::handlers::{
    AppState, durable_webhook_service, listen_addr_from_env, verifier_from_env,
};
use ghl_webhook_examples::hyper_app;
use ghl_webhook_examples::observability::{
    Observability, init_json_logs, install_prometheus, spawn_upkeep,
};
use ghl_webhook_router::journal::{Journal, RedisJournal, RedisJournalConfig, SqliteJournal};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_json_logs();
    // Before anything is served, so that no delivery goes unrecorded.
    let metrics = install_prometheus()?;
    spawn_upkeep(metrics.clone());
    let (journal, described): (Arc<dyn Journal>, String) = match redis_url()? {
        Some(url) => {
            let mut config = RedisJournalConfig::default();
            if let Ok(prefix) = std::env::var("GHL_REDIS_PREFIX") {
                config.key_prefix = prefix;
            }
            let journal = RedisJournal::open(&url, config)?;
            // Fail at start rather than answer 503 to everything.
            journal.check().await.map_err(|err| err.to_string())?;
            let described = format!("Redis {}", journal.location());
            (Arc::new(journal), described)
        }
        None => {
            let path = std::env::var("GHL_JOURNAL").unwrap_or_else(|_| "webhooks.db".into());
            (Arc::new(SqliteJournal::open(&path)?), path)
        }
    };
    let addr = listen_addr_from_env();
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    // The bound address: `ADDR=127.0.0.1:0` picks a free port.
    let addr = listener.local_addr()?;
    println!(
        "durable hyper app on http://{addr}: GET /health, GET /metrics, GET /livez, GET /readyz, POST /webhooks/highlevel[/<EventName>]; journal {described}"
    );
    let webhooks = durable_webhook_service(AppState::default(), verifier_from_env(), journal);
    let observability = Observability::new(&webhooks, Some(metrics));
    hyper_app::run(listener, webhooks, observability, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// `--redis URL` from the command line, else `GHL_REDIS_URL`.
fn redis_url() -> Result<Option<String>, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => Ok(std::env::var("GHL_REDIS_URL")
            .ok()
            .filter(|url| !url.is_empty())),
        [flag, url] if flag == "--redis" => Ok(Some(url.clone())),
        [flag] if flag == "--redis" => {
            Err("--redis needs a URL: --redis redis://host:6379/0".to_owned())
        }
        _ => Err(format!(
            "unexpected arguments `{}`; expected --redis URL",
            args.join(" ")
        )),
    }
}
