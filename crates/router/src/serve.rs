//! A ready-made HTTP/1.1 server for a [`WebhookService`], with graceful shutdown. Needs the
//! `server` cargo feature (on by default).
//!
//! For apps that have no server yet (and for the CLI, examples and tests). Apps that have one
//! mount the service in it instead.
//!
//! Shutdown: when `signal` completes the listener is closed (no new connections), idle
//! keep-alive connections are closed, and requests in flight run to completion, up to `grace`;
//! connections still busy after that are dropped, so their claims are never completed and
//! HighLevel's retry processes the delivery again (nothing is half-answered as a success).
//! A durable service's workers run beside the server and stop after it, each within its own
//! grace ([`DurableConfig::grace`](crate::DurableConfig::grace)).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::WebhookService;

/// Serves `service` on `listener` until `signal` completes, then shuts down gracefully within
/// `grace`. Returns when every connection is closed (or the grace period ran out).
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
    // A durable service's workers run beside the server and stop after it, so that nothing
    // is appended once they stopped.
    let (stop_workers, workers_stop) = tokio::sync::oneshot::channel::<()>();
    let mut workers = tokio::task::JoinSet::new();
    if let Some(durable) = service.workers() {
        workers.spawn(durable.run(async move {
            let _ = workers_stop.await;
        }));
    }
    let graceful = GracefulShutdown::new();
    // Owning the connection tasks lets shutdown drop the ones still busy past the grace
    // period (and dropping this future drops them all).
    let mut connections = tokio::task::JoinSet::new();
    let mut signal = std::pin::pin!(signal);
    loop {
        while connections.try_join_next().is_some() {}
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
                let connection = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service.clone());
                let connection = graceful.watch(connection);
                connections.spawn(async move {
                    if let Err(err) = connection.await {
                        tracing::debug!(%peer, error = %err, "connection ended with an error");
                    }
                });
            }
            () = &mut signal => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            ?grace,
            "grace period over: dropping the connections still busy"
        );
        connections.abort_all();
    }
    while connections.join_next().await.is_some() {}
    drop(stop_workers);
    while workers.join_next().await.is_some() {}
    Ok(())
}

/// Binds `addr` and serves `service` in a background task until the returned handle is
/// dropped or shut down. Binding `127.0.0.1:0` picks a free port: see [`Server::addr`].
pub async fn spawn<S>(addr: SocketAddr, service: WebhookService<S>) -> io::Result<Server>
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
    let task = tokio::spawn(serve(listener, service, signal, Duration::MAX));
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
