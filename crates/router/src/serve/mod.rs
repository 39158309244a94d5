//! A ready-made HTTP/1.1 server for a [`WebhookService`], with limits for a public URL and
//! graceful shutdown. Needs the `server` cargo feature (on by default).
//!
//! For apps that have no server yet (and for the CLI, examples and tests). Apps that have one
//! mount the service in it instead, and configure its limits themselves (see README).
//!
//! Limits ([`ServeConfig`], all on by default): a request head must arrive within 10 s, a
//! body within 30 s (the service's own
//! [`body_timeout`](crate::WebhookRouter::body_timeout): `408` and the connection closed), a
//! kept-alive connection idle for 60 s is closed, request heads are at most 16 KiB and 100
//! fields (`431`), and at most 1,024 connections are served at once (more wait in the listen
//! backlog).
//!
//! Shutdown: when `signal` completes the listener is closed (no new connections), idle
//! keep-alive connections are closed, and requests in flight run to completion, up to the
//! grace period; connections still busy after that are dropped, so their claims are never
//! completed and HighLevel's retry processes the delivery again (nothing is half-answered as
//! a success). A durable service's workers run beside the server and stop after it, each
//! within its own grace ([`DurableConfig::grace`](crate::DurableConfig::grace)).

mod activity;
mod config;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use crate::WebhookService;
use activity::{Activity, Expired, Tracked, Watched};
pub use config::{
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_HEADERS, DEFAULT_SHUTDOWN_GRACE, ServeConfig,
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
    let config = Arc::new(config);
    let slots = Arc::new(Semaphore::new(config.max_connections_limit()));
    let (shutdown, shutting_down) = watch::channel(false);
    // Owning the connection tasks lets shutdown drop the ones still busy past the grace
    // period (and dropping this future drops them all).
    let mut connections = tokio::task::JoinSet::new();
    let mut signal = std::pin::pin!(signal);
    loop {
        while connections.try_join_next().is_some() {}
        // At the limit, stop accepting: new connections wait in the listen backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut signal => break,
        };
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        // Per-connection errors (e.g. too many open files) must not stop the server.
                        tracing::warn!(error = %err, "accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let connection = serve_connection(
                    stream,
                    service.clone(),
                    config.clone(),
                    shutting_down.clone(),
                );
                connections.spawn(async move {
                    let _slot = slot;
                    if let Err(err) = connection.await {
                        tracing::debug!(%peer, error = %err, "connection ended with an error");
                    }
                });
            }
            () = &mut signal => break,
        }
    }
    drop(listener);
    let _ = shutdown.send(true);
    let grace = config.shutdown_grace_limit();
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, drained).await.is_err() {
        tracing::warn!(
            ?grace,
            "grace period over: dropping the connections still busy"
        );
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
    drop(stop_workers);
    while workers.join_next().await.is_some() {}
    Ok(())
}

/// Serves one connection until it ends: closed by the client, past its head or idle
/// deadline, or by the server's shutdown (once its request in flight is answered).
async fn serve_connection<S>(
    stream: TcpStream,
    service: WebhookService<S>,
    config: Arc<ServeConfig>,
    mut shutting_down: watch::Receiver<bool>,
) -> Result<(), hyper::Error>
where
    S: Send + Sync + 'static,
{
    let activity = Activity::new();
    let io = TokioIo::new(Watched::new(stream, activity.clone()));
    let connection = http1::Builder::new()
        .max_header_size(config.max_header_bytes_limit())
        .max_headers(config.max_headers_limit())
        .serve_connection(io, Tracked::new(service, activity.clone()));
    let mut connection = std::pin::pin!(connection);
    let mut closing = *shutting_down.borrow();
    if closing {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        let deadline = activity.deadline(
            config.header_read_timeout_limit(),
            config.idle_timeout_limit(),
        );
        let expiry = async {
            match deadline {
                Some((at, expired)) => {
                    tokio::time::sleep_until(at).await;
                    expired
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            ended = connection.as_mut() => return ended,
            expired = expiry => match expired {
                // No head to answer: the connection is dropped.
                Expired::Head => {
                    tracing::debug!("request head not received in time: closing");
                    return Ok(());
                }
                Expired::Idle if !closing => {
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
                // Closing already; hyper closes once its last answer is written.
                Expired::Idle => {
                    return Ok(());
                }
            },
            () = activity.changed() => {}
            changed = shutting_down.changed(), if !closing => {
                let _ = changed;
                connection.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
}

/// Binds `addr` and serves `service` with the default [`ServeConfig`] in a background task
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
    let listener = TcpListener::bind(addr).await?;
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
