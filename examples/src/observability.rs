//! What the example apps serve beside their webhooks to be run in production: the router's
//! metrics as Prometheus text (`GET /metrics`), liveness (`GET /livez`) and readiness
//! (`GET /readyz`), and JSON logs.
//!
//! The router records through the `metrics` facade (its `metrics` feature); the app picks the
//! exporter. Here it is `metrics-exporter-prometheus` without its own HTTP listener: the
//! handle renders into the app's own `/metrics` route, so the metrics share the app's port,
//! server limits and shutdown.

use std::time::Duration;

use bytes::Bytes;
use ghl_webhook_router::{HealthConfig, HealthService, WebhookService};
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

/// The content type of the Prometheus text exposition format.
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// How often [`spawn_upkeep`] drains the recorder's histograms.
pub const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Installs the Prometheus recorder as the process's global `metrics` recorder, with
/// `ghl_webhook_router::metrics::SECONDS_BUCKETS` for the `_seconds` histograms (true Prometheus histograms rather than
/// summaries), and describes the router's metrics so that their `# HELP` lines are there from
/// the first scrape.
///
/// Call it once, before serving (a second call fails: there is one global recorder per
/// process). Without an HTTP listener, nothing drains the histograms between scrapes: run
/// [`spawn_upkeep`] beside the server.
pub fn install_prometheus() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Suffix("_seconds".into()),
            ghl_webhook_router::metrics::SECONDS_BUCKETS,
        )?
        .install_recorder()?;
    ghl_webhook_router::metrics::describe();
    Ok(handle)
}

/// Drains the recorder's histograms every [`UPKEEP_INTERVAL`], so that their samples do not
/// pile up in memory while nobody scrapes. Needs a tokio runtime; stops when the runtime does.
pub fn spawn_upkeep(handle: PrometheusHandle) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP_INTERVAL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            handle.run_upkeep();
        }
    })
}

/// The answer of `GET /metrics`: everything recorded so far, as Prometheus text.
pub fn metrics_response(handle: &PrometheusHandle) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(handle.render())));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROMETHEUS_CONTENT_TYPE),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The answer of `/metrics` when the app was started without a recorder.
fn no_metrics() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(
        b"no metrics recorder installed",
    )));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

/// What an app serves beside its webhooks: the health of its webhook service, and the
/// metrics handle when a recorder was installed (`None` in tests that do not look at
/// metrics: `/metrics` then answers 404).
#[derive(Clone, Debug)]
pub struct Observability {
    health: HealthService,
    metrics: Option<PrometheusHandle>,
}

impl Observability {
    /// The health of `webhooks` (readiness with the default [`HealthConfig`]: 503 when the
    /// journal or the shared dedupe store cannot be reached, or the oldest pending entry
    /// waited over 5 minutes), and `metrics`.
    pub fn new<S: Send + Sync + 'static>(
        webhooks: &WebhookService<S>,
        metrics: Option<PrometheusHandle>,
    ) -> Self {
        Self {
            health: webhooks.health(HealthConfig::default()),
            metrics,
        }
    }

    /// `GET /livez`: 200 while the process answers; touches no store.
    pub fn liveness(&self) -> HealthService {
        self.health.liveness()
    }

    /// `GET /readyz`: 200 when the service can take deliveries, 503 when not; JSON either way.
    pub fn readiness(&self) -> HealthService {
        self.health.readiness()
    }

    /// `GET /metrics`: the Prometheus text, or 404 without a recorder.
    pub fn metrics(&self) -> Response<Full<Bytes>> {
        match &self.metrics {
            Some(handle) => metrics_response(handle),
            None => no_metrics(),
        }
    }
}

/// JSON logs on stdout, one object per line, filtered by `RUST_LOG` (`target=level` pairs,
/// e.g. `RUST_LOG=ghl_webhook_router=debug,info`; default: the router at `info`).
///
/// Each delivery is answered in a span named `ghl_webhook` with the fields `kind` (the event
/// name), `webhook_id`, `location_id` (when the payload has them) and `status` (the HTTP
/// status answered). Its one event carries `outcome` (the outcome code, e.g. `handled`,
/// `duplicate`, `invalid_signature`), the message, and, where relevant, `error` (a failed
/// handler, an unreachable store or journal), `path` (where an undecodable payload failed),
/// `reason` (why a signature was refused, e.g. `signature_mismatch`), `panic` (a handler's
/// panic message) or `timeout` (a handler or a body over its limit). The span's fields appear
/// under `span` in every event inside it, and in the line closing it (`"message":"close"`,
/// with `time.busy` and `time.idle`), which is the one that has `status`. In durable mode a
/// worker handles each journaled delivery in a span named `ghl_webhook_worker` with `key`
/// (the journal key: the `webhookId`), `kind` and `attempt`, and its event carries `outcome`
/// as above.
///
/// A delivery's log line, then its span's closing line:
///
/// ```text
/// {"timestamp":"...","level":"INFO","fields":{"message":"accepted: journaled","outcome":"journaled"},"target":"ghl_webhook_router::outcome","span":{"kind":"ContactCreate","location_id":"ve9EPM428h8vShlRW1KT","webhook_id":"wh-demo","name":"ghl_webhook"}}
/// {"timestamp":"...","level":"INFO","fields":{"message":"close","time.busy":"798µs","time.idle":"586µs"},"target":"ghl_webhook_router::pipeline","span":{"kind":"ContactCreate","location_id":"ve9EPM428h8vShlRW1KT","status":200,"webhook_id":"wh-demo","name":"ghl_webhook"}}
/// {"timestamp":"...","level":"WARN","fields":{"message":"invalid signature: ...","outcome":"invalid_signature","reason":"signature_mismatch"},"target":"ghl_webhook_router::outcome","span":{"name":"ghl_webhook"}}
/// ```
///
/// The filter is `tracing_subscriber::filter::Targets`, which reads `RUST_LOG` without the
/// regex crates of `EnvFilter`. A `RUST_LOG` it cannot parse is reported and the default used.
/// Does nothing if a global subscriber is already set.
pub fn init_json_logs() {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::fmt::format::FmtSpan;
    use tracing_subscriber::prelude::*;

    let default = || Targets::new().with_target("ghl_webhook_router", LevelFilter::INFO);
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.is_empty() => {
            directives.parse::<Targets>().unwrap_or_else(|err| {
                eprintln!("RUST_LOG `{directives}` ignored: {err}");
                default()
            })
        }
        _ => default(),
    };
    let logs = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_span_events(FmtSpan::CLOSE);
    let _ = tracing_subscriber::registry()
        .with(logs.with_filter(filter))
        .try_init();
}
