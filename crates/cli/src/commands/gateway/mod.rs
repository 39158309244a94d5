//! `gateway`: durable mode whose handler forwards. The edge verifies (fail closed),
//! identifies and journals each HighLevel delivery and answers 200 once it is durable; the
//! router's workers then forward each entry's exact bytes to the app's URL for its kind,
//! signed as Standard Webhooks, retrying with the router's backoff and jitter, honouring
//! `Retry-After`, pausing a target that answers 410, and dead-lettering what keeps failing.
//!
//! - [`config`]: the settings (file and environment) and their checks;
//! - [`signing`]: Standard Webhooks signatures;
//! - [`forward`]: the HTTP client and what the app's answers mean;
//! - [`routes`]: kind → target, and the targets' pauses;
//! - [`ops`]: the readiness figures of the operations server, and the logs.

pub(crate) mod config;
pub(crate) mod forward;
pub(crate) mod ops;
pub(crate) mod routes;
pub(crate) mod signing;
pub(crate) mod tls;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use ghl_webhook_router::journal::entry_key;
use ghl_webhook_router::serve::serve;
use ghl_webhook_router::{
    Delivery, DurableConfig, Ed25519Key, HealthConfig, RetryAt, RsaKey, UnknownEvent, Verifier,
    WebhookRouter,
};
use ghl_webhook_sim::TestKeys;
use tokio::net::TcpListener;

use self::config::{KEYS, Settings};
use self::forward::{Answer, Forwarder, Outgoing};
use self::routes::{Gate, Route, Routes};
use self::signing::Signer;
use crate::cli::{GatewayArgs, GatewayCommand};
use crate::error::CliError;
use crate::journal_at::Target as JournalTarget;
use crate::keyfile::{PublicKey, load_public};
use crate::metrics_server::{self, Ops};

/// The forwards counter, by target and result.
pub(crate) const FORWARDS_TOTAL: &str = "ghl_gateway_forwards_total";
/// The time of one forward (request and answer), by target.
pub(crate) const FORWARD_SECONDS: &str = "ghl_gateway_forward_seconds";
/// Deliveries acknowledged and not forwarded (routed to `drop`), by kind.
pub(crate) const DROPPED_TOTAL: &str = "ghl_gateway_dropped_total";

/// The end of `gateway --help`: the settings (from [`KEYS`]) and the exit codes.
pub(crate) fn help() -> String {
    let mut text = String::from(
        "Settings (TOML key, environment variable; the environment overrides the file):\n",
    );
    for (key, env, what) in KEYS {
        let key = if *key == "routes" { "[[routes]]" } else { key };
        text.push_str(&format!("  {key:<16} {env:<28} {what}\n"));
    }
    text.push_str(
        "  (a route: kinds = [\"ContactCreate\", ..], target = URL or \"drop\")\n\n\
         Exit codes:\n  \
         0  stopped by a signal; check: the settings are usable\n  \
         2  unusable settings (the message names the key and the fix), unreadable key files,\n     \
         a journal that is not one, refused or of a newer schema\n  \
         3  cannot listen, or the journal cannot be reached",
    );
    text
}

/// Runs `gateway` (or `gateway check`).
pub(crate) fn run(args: GatewayArgs) -> Result<ExitCode, CliError> {
    let env: HashMap<String, String> = std::env::vars()
        .filter(|(key, _)| key.starts_with("GHL_GATEWAY_"))
        .collect();
    let path = args
        .config
        .clone()
        .or_else(|| env.get("GHL_GATEWAY_CONFIG").map(Into::into));
    let settings = config::load(path.as_deref(), &env)?;
    let verifier = verifier(&settings.highlevel_keys)?;
    let log_filter = ops::log_filter()?;
    if matches!(args.command, Some(GatewayCommand::Check)) {
        crate::output::line(summary(&settings))?;
        return Ok(ExitCode::SUCCESS);
    }
    ops::init_logs(settings.json_logs, log_filter);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| CliError::Io {
            what: "cannot start the async runtime",
            source,
        })?;
    runtime.block_on(serve_gateway(settings, verifier))
}

/// The settings in a few lines, for `check`.
fn summary(settings: &Settings) -> String {
    let mut lines = vec![
        format!("ok: listen {} (ops {})", settings.listen, settings.ops),
        format!("journal: {}", settings.journal.args()),
        format!(
            "default target: {}",
            match &settings.target {
                Some(config::Destination::Forward(url)) => url.to_string(),
                Some(config::Destination::Drop) | None => "drop".into(),
            }
        ),
    ];
    let mut routes: Vec<String> = settings
        .routes
        .iter()
        .map(|(kind, to)| match to {
            config::Destination::Forward(url) => format!("route: {kind} -> {url}"),
            config::Destination::Drop => format!("route: {kind} -> drop"),
        })
        .collect();
    routes.sort();
    lines.extend(routes);
    lines.push(format!(
        "signing with {} secret(s); {} attempts, backoff {} to {}",
        settings.secrets.len(),
        settings.max_attempts,
        humantime::format_duration(settings.backoff),
        humantime::format_duration(settings.max_backoff),
    ));
    lines.join("\n")
}

/// The HighLevel keys to trust: `highlevel` (the published keys, with legacy RSA), `test`
/// (the TEST-ONLY test keys), and Ed25519 or RSA public key files.
fn verifier(keys: &[String]) -> Result<Verifier, CliError> {
    let mut verifier = Verifier::empty();
    for key in keys {
        verifier = match key.trim() {
            "highlevel" => verifier
                .with_key(Ed25519Key::highlevel())
                .with_rsa_key(RsaKey::highlevel()),
            "test" => verifier
                .with_key(TestKeys::primary().public_key())
                .with_rsa_key(ghl_webhook_sim::rsa_keys::public_key()),
            path => match load_public(std::path::Path::new(path))? {
                PublicKey::Ed25519(key) => verifier.with_key(key),
                PublicKey::Rsa(key) => verifier.with_rsa_key(key),
            },
        };
    }
    Ok(verifier)
}

/// Everything a forward needs.
struct Gateway {
    routes: Routes,
    forwarder: Forwarder,
    pause_probe: Duration,
}

impl Gateway {
    /// Forwards one journaled delivery; an error tells the workers when to try again.
    async fn forward(&self, delivery: Delivery) -> Result<(), RetryAt> {
        let kind = delivery.kind().map_or("unknown", |kind| kind.as_str());
        let target = match self.routes.route(delivery.kind()) {
            Route::Drop => {
                metrics::counter!(DROPPED_TOTAL, "kind" => kind).increment(1);
                return Ok(());
            }
            Route::Forward(target) => Arc::clone(target),
        };
        let now = SystemTime::now();
        let probe = match target.gate(now, self.pause_probe) {
            Gate::Held(until) => {
                metrics::counter!(FORWARDS_TOTAL, "target" => target.label.clone(), "result" => "held").increment(1);
                return Err(RetryAt::hold(
                    until,
                    format!("{} is paused (it answered 410 Gone)", target.label),
                ));
            }
            Gate::Probe => true,
            Gate::Open => false,
        };
        let id = entry_key(delivery.webhook_id(), delivery.raw());
        let verified_by = delivery.verified_by().to_string();
        let outgoing = Outgoing {
            id: &id,
            body: delivery.raw(),
            kind,
            attempt: delivery.attempt(),
            verified_by: &verified_by,
        };
        let started = Instant::now();
        let answer = self.forwarder.forward(&target.url, &outgoing).await;
        metrics::histogram!(FORWARD_SECONDS, "target" => target.label.clone())
            .record(started.elapsed().as_secs_f64());
        metrics::counter!(FORWARDS_TOTAL, "target" => target.label.clone(), "result" => answer.label()).increment(1);
        match answer {
            Answer::Delivered(status) => {
                if target.resume() {
                    tracing::info!(target_url = %target.label, "target answered {status}: resumed");
                }
                tracing::debug!(webhook_id = %id, kind, target_url = %target.label, attempt = outgoing.attempt, "delivered");
                Ok(())
            }
            Answer::Gone => {
                let until = target.pause(SystemTime::now(), self.pause_probe);
                if !probe {
                    tracing::warn!(target_url = %target.label, "target answered 410 Gone: paused; its entries stay in the journal");
                }
                Err(RetryAt::hold(
                    until,
                    format!("{} answered 410 Gone: paused", target.label),
                ))
            }
            // A paused target resumes on a 2xx only: a probe that fails otherwise (the app
            // still restarting, refusing connections) keeps it paused and its entries held.
            Answer::RetryAfter { .. } | Answer::Failed(_) if probe => {
                let until = target.pause(SystemTime::now(), self.pause_probe);
                let why = match &answer {
                    Answer::Failed(why) => why.clone(),
                    _ => format!("{} answered with Retry-After", target.label),
                };
                Err(RetryAt::hold(
                    until,
                    format!("still paused (the probe failed: {why})"),
                ))
            }
            // The workers log the failure (error level, with the entry's key, kind and
            // attempt); the reason is the journal's last error.
            Answer::RetryAfter { status, at } => Err(RetryAt::at(
                at,
                format!("{} answered {status} with Retry-After", target.label),
            )),
            Answer::Failed(why) => Err(RetryAt::at(SystemTime::now(), why)),
        }
    }
}

/// Opens the journal, binds both addresses, and serves until a stop signal.
async fn serve_gateway(settings: Settings, verifier: Verifier) -> Result<ExitCode, CliError> {
    let journal = settings.journal.open_for_receiver().await?;
    let stop = ops::stop_signal().map_err(|source| CliError::Io {
        what: "cannot install the Ctrl-C / SIGTERM handlers",
        source,
    })?;
    let listener = TcpListener::bind(settings.listen.as_str())
        .await
        .map_err(|source| CliError::Listen {
            addr: settings.listen.clone(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| CliError::Listen {
        addr: settings.listen.clone(),
        source,
    })?;
    let handle = metrics_server::install()?;
    let (ops_listener, ops_addr) = metrics_server::bind(&settings.ops).await?;
    let gateway = Arc::new(Gateway {
        routes: Routes::new(&settings),
        forwarder: Forwarder::new(
            Signer::new(settings.secrets.clone()),
            settings.timeout,
            Arc::clone(&settings.tls),
        ),
        pause_probe: settings.pause_probe,
    });
    let mut durable = DurableConfig::default()
        .concurrency(settings.concurrency)
        .max_attempts(settings.max_attempts)
        .backoff(settings.backoff, settings.max_backoff)
        .grace(settings.grace);
    if let Some(field) = settings.order_by.clone() {
        durable = durable.order_by(move |delivery| ops::top_level_field(delivery.raw(), &field));
    }
    let forwarding = Arc::clone(&gateway);
    let service = WebhookRouter::new()
        .verifier(verifier)
        // The forward's own timeout ends it first; this only guards against a stuck forward.
        .handler_timeout(Some(settings.timeout + Duration::from_secs(5)))
        .on_any_raw(move |_: UnknownEvent, delivery: Delivery| {
            let gateway = Arc::clone(&forwarding);
            async move { gateway.forward(delivery).await }
        })
        .durable(journal.into_shared(), durable)
        .into_service()
        .bind_by_path();
    let health =
        service.health(HealthConfig::default().max_pending_age(Some(settings.max_pending_age)));
    let paused = Arc::clone(&gateway);
    let ops = Ops {
        handle,
        health,
        extra: Some(Arc::new(move || {
            ("gateway", ops::readiness(paused.routes.targets()))
        })),
    };
    tracing::info!("listening on http://{addr}");
    tracing::info!("ops on http://{ops_addr} (GET /metrics, /livez, /readyz)");
    announce_routes(&settings);
    if matches!(settings.journal, JournalTarget::Sqlite(_)) {
        tracing::info!("journal: {}", settings.journal.args());
    }
    metrics_server::beside_ops(
        Some((ops_listener, ops)),
        serve(listener, service, stop, settings.grace),
    )
    .await
    .map_err(|source| CliError::Io {
        what: "the server failed",
        source,
    })?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

fn announce_routes(settings: &Settings) {
    match &settings.target {
        Some(config::Destination::Forward(url)) => tracing::info!("forwarding to {url}"),
        _ => {
            tracing::warn!("no default target: kinds without a route are acknowledged and dropped")
        }
    }
    for (kind, to) in &settings.routes {
        match to {
            config::Destination::Forward(url) => tracing::info!("route {kind} -> {url}"),
            config::Destination::Drop => tracing::info!("route {kind} -> drop"),
        }
    }
}
