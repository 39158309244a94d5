//! The existing hyper app of `hyper_app`, in durable mode: every verified delivery is appended
//! to a journal and answered 200 as soon as it is durable; the app's workers run the same
//! handlers afterwards, retrying failures and keeping what cannot be handled as dead letters.
//!
//! The journal is a SQLite file (`webhooks.db`, or the file `GHL_JOURNAL` names); or with
//! `--redis URL` (or `GHL_REDIS_URL`) a Redis journal that several replicas of the app share
//! (key prefix `GHL_REDIS_PREFIX`, default `ghl-webhooks:journal:`); or with `--postgres URL`
//! (or `GHL_POSTGRES_URL`) a Postgres journal that several replicas share, its tables in the
//! schema `GHL_POSTGRES_SCHEMA` (default `ghl_webhooks`), created at the first start.
//!
//! Run: `GHL_TEST_KEYS=1 cargo run -p ghl-webhook-examples --example durable_app`, then in
//! another terminal
//! `ghl-webhook trigger AssociationDelete --to http://127.0.0.1:3000/webhooks/highlevel/AssociationDelete`
//! and `ghl-webhook journal stats --journal webhooks.db`. Two replicas on one Redis:
//! `ADDR=127.0.0.1:3000 ... --example durable_app -- --redis redis://127.0.0.1:6379/0` and
//! the same with `ADDR=127.0.0.1:3001`; `ghl-webhook journal stats --redis
//! redis://127.0.0.1:6379/0` shows their shared journal. Two replicas on one Postgres
//! database: `ADDR=127.0.0.1:3000 ... --example durable_app -- --postgres
//! postgres://app:PASSWORD@127.0.0.1:5432/app` and the same with `ADDR=127.0.0.1:3001` (the
//! user needs the right to create the schema, or to write it once created); each delivery is
//! journaled once whichever replica HighLevel reached, an append on one replica wakes the
//! idle workers of both, and `ghl-webhook journal stats --postgres
//! postgres://app:PASSWORD@127.0.0.1:5432/app` shows their shared journal (add
//! `--postgres-schema SCHEMA` when `GHL_POSTGRES_SCHEMA` is set). Trusts HighLevel's
//! published key unless `GHL_TEST_KEYS=1` is set. Stops on Ctrl-C (handlers in progress get a
//! grace period, then go back to the journal).
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
use ghl_webhook_router::journal::{
    Journal, PostgresConfig, PostgresJournal, RedisJournal, RedisJournalConfig, SqliteJournal,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_json_logs();
    // Before anything is served, so that no delivery goes unrecorded.
    let metrics = install_prometheus()?;
    spawn_upkeep(metrics.clone());
    let (journal, described) = open_journal(journal_choice()?).await?;
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

/// The journal the app runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum JournalChoice {
    /// A SQLite file (the default): one process.
    Sqlite(String),
    /// A Redis journal at this URL, shared by replicas.
    Redis(String),
    /// A Postgres journal in the database at this URL, shared by replicas.
    Postgres(String),
}

/// `--redis URL` or `--postgres URL` from the command line, else `GHL_REDIS_URL` or
/// `GHL_POSTGRES_URL`, else the SQLite file `GHL_JOURNAL` (default `webhooks.db`).
fn journal_choice() -> Result<JournalChoice, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => journal_from_env(),
        [flag, url] if flag == "--redis" => Ok(JournalChoice::Redis(url.clone())),
        [flag, url] if flag == "--postgres" => Ok(JournalChoice::Postgres(url.clone())),
        [flag] if flag == "--redis" => {
            Err("--redis needs a URL: --redis redis://host:6379/0".to_owned())
        }
        [flag] if flag == "--postgres" => Err(
            "--postgres needs a URL: --postgres postgres://user:password@host:5432/database"
                .to_owned(),
        ),
        _ => Err(format!(
            "unexpected arguments `{}`; expected --redis URL or --postgres URL",
            args.join(" ")
        )),
    }
}

/// The journal the environment names: one of `GHL_REDIS_URL` and `GHL_POSTGRES_URL` (not
/// both: which one the replicas share must not be a guess), else the SQLite file.
fn journal_from_env() -> Result<JournalChoice, String> {
    let set = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    match (set("GHL_REDIS_URL"), set("GHL_POSTGRES_URL")) {
        (Some(_), Some(_)) => Err(
            "both GHL_REDIS_URL and GHL_POSTGRES_URL are set: the replicas must share one journal, set only one"
                .to_owned(),
        ),
        (Some(url), None) => Ok(JournalChoice::Redis(url)),
        (None, Some(url)) => Ok(JournalChoice::Postgres(url)),
        (None, None) => Ok(JournalChoice::Sqlite(
            set("GHL_JOURNAL").unwrap_or_else(|| "webhooks.db".into()),
        )),
    }
}

/// Opens the chosen journal, and says where it is (without a password). A Redis or Postgres
/// journal must answer now: failing at start beats answering 503 to everything.
async fn open_journal(
    choice: JournalChoice,
) -> Result<(Arc<dyn Journal>, String), Box<dyn std::error::Error>> {
    Ok(match choice {
        JournalChoice::Sqlite(path) => (Arc::new(SqliteJournal::open(&path)?), path),
        JournalChoice::Redis(url) => {
            let mut config = RedisJournalConfig::default();
            if let Ok(prefix) = std::env::var("GHL_REDIS_PREFIX") {
                config.key_prefix = prefix;
            }
            let journal = RedisJournal::open(&url, config)?;
            journal.check().await?;
            let described = format!("Redis {}", journal.location());
            (Arc::new(journal), described)
        }
        JournalChoice::Postgres(url) => {
            let mut config = PostgresConfig::default();
            if let Ok(schema) = std::env::var("GHL_POSTGRES_SCHEMA") {
                config = config.schema(schema);
            }
            // Connects, and creates the schema and tables when missing (or upgrades them).
            let journal = PostgresJournal::connect(&url, config).await?;
            let described = format!("Postgres {}", journal.location());
            (Arc::new(journal), described)
        }
    })
}
