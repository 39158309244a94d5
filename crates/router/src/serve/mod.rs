//! A ready-made HTTP/1.1 server for a [`WebhookService`], with limits for a public URL and
//! graceful shutdown. Needs the `server` cargo feature (on by default).
//!
//! For apps that have no server yet (and for the CLI, examples and tests): [`serve`] and
//! [`serve_with`] serve a [`WebhookService`] and run its durable workers beside it;
//! [`serve_app`] and [`serve_app_with`] serve any tower service (an axum `Router` that mounts
//! the webhook service among other routes, a [`HealthService`](crate::HealthService)) with the
//! same limits. Apps with a server of their own mount the service in it instead, and configure
//! its limits themselves (see the mounting guide).
//!
//! Limits ([`ServeConfig`], all on by default): a request head must arrive within 10 s, a
//! body within 30 s (the service's own
//! [`body_timeout`](crate::WebhookRouter::body_timeout): `408` and the connection closed), a
//! kept-alive connection idle for 60 s is closed, request heads are at most 16 KiB and 100
//! fields (`431`), and the connections served at once are capped by the open-file limit
//! ([`default_max_connections`]). Above half the cap the head and idle timeouts tighten
//! (towards 2 s and 1 s at the cap), and at the cap a new connection is admitted by closing
//! the ones waiting longest for a head or idle longest, never one serving a request: a client
//! holding many slow connections cannot keep a sender out. [`Admission`] does all this for an
//! accept loop of your own.
//!
//! Shutdown: when `signal` completes the listener is closed (no new connections), idle
//! keep-alive connections are closed, and requests in flight run to completion, up to the
//! grace period; connections still busy after that are dropped, so their claims are never
//! completed and HighLevel's retry processes the delivery again (nothing is half-answered as
//! a success). A durable service's workers run beside the server and stop after it, each
//! within its own grace ([`DurableConfig::grace`](crate::DurableConfig::grace)).

mod activity;
mod admission;
mod config;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use hyper::body::Incoming;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::{BoxError, WebhookService};
pub use admission::{Admission, Admitted};
pub use config::{
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_LOADED_HEADER_READ_TIMEOUT,
    DEFAULT_LOADED_IDLE_TIMEOUT, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_HEADERS,
    DEFAULT_SHUTDOWN_GRACE, MAX_CONNECTIONS_CEILING, PRESSURE_SHARE, ServeConfig,
    default_max_connections,
};

/// Serves `service` on `listener` with the default [`ServeConfig`] until `signal` completes,
/// then shuts down gracefully within `grace`. Returns when every connection is closed (or the
/// grace period ran out).
pub async fn serve<S, F>(
    listener: TcpListener,
    service: WebhookService<S>,
    signal: F,
    grace: Duration,
) -> io::Result<()>
where
    S: Send + Sync + 'static,
    F: Future<Output = ()>,
{
    serve_with(
        ServeConfig::default().shutdown_grace(grace),
        listener,
        service,
        signal,
    )
    .await
}

/// Like [`serve`], with the limits of `config` (its grace period included).
pub async fn serve_with<S, F>(
    config: ServeConfig,
    listener: TcpListener,
    service: WebhookService<S>,
    signal: F,
) -> io::Result<()>
where
    S: Send + Sync + 'static,
    F: Future<Output = ()>,
{
    // A durable service's workers run beside the server and stop after it, so that nothing
    // is appended once they stopped.
    let (stop_workers, workers_stop) = tokio::sync::oneshot::channel::<()>();
    let mut workers = tokio::task::JoinSet::new();
    if let Some(durable) = service.workers() {
        workers.spawn(durable.run(async move {
            let _ = workers_stop.await;
        }));
    }
    let served = accept_until(config, listener, service, signal).await;
    drop(stop_workers);
    while workers.join_next().await.is_some() {}
    served
}

/// Serves any tower service with the default [`ServeConfig`] until `signal` completes, then
/// shuts down gracefully within `grace`: an axum `Router` mounting the webhook service among
/// the app's routes, a [`HealthService`](crate::HealthService), a `service_fn`. A durable
/// webhook service inside it has its workers run by the app ([`WebhookService::workers`]):
/// this serves requests only.
///
/// ```no_run
/// use std::time::Duration;
///
/// use axum::Router;
/// use axum::routing::get;
/// use ghl_webhook_router::WebhookRouter;
///
/// # async fn run() -> std::io::Result<()> {
/// let webhooks = WebhookRouter::new().into_service();
/// let app = Router::new()
///     .route("/health", get(|| async { "ok" }))
///     .route_service("/webhooks/highlevel", webhooks);
/// let listener = ghl_webhook_router::serve::bind("0.0.0.0:3000".parse().expect("address"))?;
/// let shutdown = std::future::pending(); // e.g. `tokio::signal::ctrl_c()`
/// ghl_webhook_router::serve::serve_app(listener, app, shutdown, Duration::from_secs(10)).await
/// # }
/// ```
pub async fn serve_app<T, B, F>(
    listener: TcpListener,
    app: T,
    signal: F,
    grace: Duration,
) -> io::Result<()>
where
    T: tower_service::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    T::Future: Send + 'static,
    T::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    F: Future<Output = ()>,
{
    serve_app_with(
        ServeConfig::default().shutdown_grace(grace),
        listener,
        app,
        signal,
    )
    .await
}

/// Like [`serve_app`], with the limits of `config` (its grace period included).
pub async fn serve_app_with<T, B, F>(
    config: ServeConfig,
    listener: TcpListener,
    app: T,
    signal: F,
) -> io::Result<()>
where
    T: tower_service::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    T::Future: Send + 'static,
    T::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    F: Future<Output = ()>,
{
    accept_until(config, listener, TowerToHyperService::new(app), signal).await
}

/// The accept loop of every `serve` function: admits connections under `config`'s limits
/// until `signal`, then drains them within its grace period.
async fn accept_until<S, B, F>(
    config: ServeConfig,
    listener: TcpListener,
    service: S,
    signal: F,
) -> io::Result<()>
where
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    F: Future<Output = ()>,
{
    let grace = config.shutdown_grace;
    let admission = Admission::new(config);
    // Owning the connection tasks lets shutdown drop the ones still busy past the grace
    // period (and dropping this future drops them all).
    let mut connections = tokio::task::JoinSet::new();
    let mut signal = std::pin::pin!(signal);
    loop {
        while connections.try_join_next().is_some() {}
        let admitted = tokio::select! {
            admitted = admission.accept(&listener) => admitted,
            () = &mut signal => break,
        };
        let peer = admitted.peer();
        let service = service.clone();
        connections.spawn(async move {
            if let Err(err) = admitted.serve(service).await {
                tracing::debug!(%peer, error = %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    admission.drain();
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, drained).await.is_err() {
        tracing::warn!(
            ?grace,
            "grace period over: dropping the connections still busy"
        );
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
    Ok(())
}

/// The listen backlog [`bind`] asks for: connections the kernel completes before the accept
/// loop takes them. The kernel caps it at `net.core.somaxconn` (4,096 on Linux since 5.4).
pub const LISTEN_BACKLOG: u32 = 4096;

/// Binds a listener on `addr` with a backlog of [`LISTEN_BACKLOG`] (tokio's
/// `TcpListener::bind` asks for 1,024): under a flood of reconnections, a full backlog
/// drops a sender's connection attempt, which it retries only a second later.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let listener = ghl_webhook_router::serve::bind("127.0.0.1:0".parse().unwrap())?;
/// assert!(listener.local_addr()?.port() > 0);
/// # Ok(())
/// # }
/// ```
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Binds `addr` (see [`bind`]) and serves `service` with the default [`ServeConfig`] in a background task
/// until the returned handle is dropped or shut down. Binding `127.0.0.1:0` picks a free
/// port: see [`Server::addr`].
pub async fn spawn<S>(addr: SocketAddr, service: WebhookService<S>) -> io::Result<Server>
where
    S: Send + Sync + 'static,
{
    spawn_with(ServeConfig::default(), addr, service).await
}

/// Like [`spawn`], with the limits of `config`. [`Server::shutdown`]'s own grace period
/// bounds the shutdown, not `config`'s.
pub async fn spawn_with<S>(
    config: ServeConfig,
    addr: SocketAddr,
    service: WebhookService<S>,
) -> io::Result<Server>
where
    S: Send + Sync + 'static,
{
    let listener = bind(addr)?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // `Server::shutdown` bounds the wait with its own grace period (and aborts past it).
    let signal = async move {
        let _ = stopped.await;
    };
    let config = config.shutdown_grace(Duration::MAX);
    let task = tokio::spawn(serve_with(config, listener, service, signal));
    Ok(Server {
        addr,
        stop: Some(stop),
        task: Some(task),
    })
}
/// A server started by [`spawn`]. Dropping it stops the server without waiting.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<io::Result<()>>>,
}

impl Server {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, for clients.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting and waits up to `grace` for requests in flight to finish.
    pub async fn shutdown(mut self, grace: Duration) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(mut task) = self.task.take() else {
            return Ok(());
        };
        match tokio::time::timeout(grace, &mut task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(io::Error::other(join)),
            Err(_) => {
                tracing::warn!(
                    ?grace,
                    "grace period over: dropping the connections still busy"
                );
                task.abort();
                Ok(())
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
