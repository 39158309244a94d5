//! `listen --metrics HOST:PORT`: the receiver's metrics and health on an address of their own,
//! so that a scraper or a probe never shares the port HighLevel posts to.
//!
//! - `GET /metrics`: everything the router recorded, as Prometheus text (the names and labels
//!   are `ghl_webhook_router::metrics`'s; no webhookId, location id or payload value is ever a
//!   label);
//! - `GET /livez`: 200 while the process answers;
//! - `GET /readyz`: 200 when the receiver can take deliveries, 503 when its journal cannot be
//!   read or its workers are not keeping up; JSON either way.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use ghl_webhook_router::{HealthService, ResponseBody};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use crate::error::CliError;

/// The content type of the Prometheus text exposition format.
const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// How often the histograms are drained when nobody scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Installs the Prometheus recorder as the process's global `metrics` recorder (histograms
/// for the `_seconds` metrics) and describes the router's metrics.
pub(crate) fn install() -> Result<PrometheusHandle, CliError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Suffix("_seconds".into()),
            ghl_webhook_router::metrics::SECONDS_BUCKETS,
        )
        .and_then(PrometheusBuilder::install_recorder)
        .map_err(|err| CliError::Io {
            what: "cannot install the metrics recorder",
            source: std::io::Error::other(err),
        })?;
    ghl_webhook_router::metrics::describe();
    Ok(handle)
}

/// Binds `addr` for the metrics routes, and says which address it got (port 0 picks one). A
/// taken or unusable address is named as `--metrics`'s.
pub(crate) async fn bind(addr: &str) -> Result<(TcpListener, SocketAddr), CliError> {
    let failed = |source| CliError::Listen {
        addr: format!("{addr} (--metrics)"),
        source,
    };
    let listener = TcpListener::bind(addr).await.map_err(failed)?;
    let bound = listener.local_addr().map_err(failed)?;
    Ok((listener, bound))
}

/// More figures for `GET /readyz`, beside the router's report (e.g. the gateway's paused
/// targets), as a JSON object merged into it under its own key.
pub(crate) type ReadinessExtra = Arc<dyn Fn() -> (&'static str, serde_json::Value) + Send + Sync>;

/// What the metrics server serves: the recorder's handle, the service's health, and any
/// readiness figures of the command's own.
#[derive(Clone)]
pub(crate) struct Ops {
    /// The Prometheus recorder.
    pub handle: PrometheusHandle,
    /// The webhook service's health.
    pub health: HealthService,
    /// More readiness figures.
    pub extra: Option<ReadinessExtra>,
}

/// Serves the three routes on `listener` until the future is dropped (the receiver stops it
/// when it stops): dropping it closes the listener and every connection. `/readyz` carries
/// the command's own readiness figures, when it has any. The router's
/// [`serve_app`](ghl_webhook_router::serve::serve_app), with the limits of a public address.
pub(crate) async fn serve_ops(listener: TcpListener, ops: Ops) {
    let handle = ops.handle.clone();
    let upkeep = async {
        let mut upkeep = tokio::time::interval(UPKEEP_INTERVAL);
        upkeep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            upkeep.tick().await;
            handle.run_upkeep();
        }
    };
    let served =
        ghl_webhook_router::serve::serve_app(listener, ops, std::future::pending(), Duration::ZERO);
    tokio::select! {
        () = upkeep => {}
        _ = served => {}
    }
}

/// The three routes, as a tower service.
impl tower_service::Service<Request<Incoming>> for Ops {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        let ops = self.clone();
        Box::pin(
            async move { Ok(route(request, &ops.handle, &ops.health, ops.extra.as_ref()).await) },
        )
    }
}

/// Runs [`serve_ops`] beside `main`, without figures of its own, and stops it when `main`
/// completes.
pub(crate) async fn beside<T>(
    metrics: Option<(TcpListener, PrometheusHandle, HealthService)>,
    main: impl Future<Output = T>,
) -> T {
    let ops = metrics.map(|(listener, handle, health)| {
        (
            listener,
            Ops {
                handle,
                health,
                extra: None,
            },
        )
    });
    beside_ops(ops, main).await
}

/// Runs [`serve_ops`] beside `main` and stops it when `main` completes.
pub(crate) async fn beside_ops<T>(
    ops: Option<(TcpListener, Ops)>,
    main: impl Future<Output = T>,
) -> T {
    let Some((listener, ops)) = ops else {
        return main.await;
    };
    let server = serve_ops(listener, ops);
    let mut server = std::pin::pin!(server);
    let mut main = std::pin::pin!(main);
    tokio::select! {
        done = &mut main => done,
        () = &mut server => main.await,
    }
}

async fn route(
    request: Request<Incoming>,
    handle: &PrometheusHandle,
    health: &HealthService,
    extra: Option<&ReadinessExtra>,
) -> Response<ResponseBody> {
    match request.uri().path() {
        "/livez" => health.liveness().handle(request).await,
        "/readyz" if request.method() == Method::GET && extra.is_some() => {
            let report = health.check().await;
            let mut body: serde_json::Value =
                serde_json::from_str(&report.to_json()).unwrap_or_default();
            if let (Some(extra), Some(object)) = (extra, body.as_object_mut()) {
                let (key, value) = extra();
                object.insert(key.to_owned(), value);
            }
            let status = if report.ready {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            text(status, "application/json", body.to_string())
        }
        "/readyz" => health.readiness().handle(request).await,
        "/metrics" if request.method() == Method::GET => {
            text(StatusCode::OK, PROMETHEUS_CONTENT_TYPE, handle.render())
        }
        "/metrics" => {
            let mut response = text(
                StatusCode::METHOD_NOT_ALLOWED,
                "text/plain",
                "only GET is answered".into(),
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET"));
            response
        }
        _ => text(
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found: GET /metrics, /livez or /readyz".into(),
        ),
    }
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<ResponseBody> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
