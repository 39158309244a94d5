//! The simulator as a server: a JSON control API under `/api/` and the dashboard at `/`, on a
//! loopback address, for receivers written in any language.

mod api;
mod respond;

use std::io;
use std::net::SocketAddr;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::simulator::engine::Simulator;

/// Why the control server cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The address does not parse as `IP:PORT`.
    #[error("`{0}` is not an IP:PORT address (e.g. 127.0.0.1:8484; port 0 picks a free port)")]
    BadAddress(String),
    /// Not a loopback address: the control API drives deliveries and shows payloads.
    #[error("`{0}` is not a loopback address: the control API listens on 127.0.0.1 or [::1] only")]
    NotLoopback(SocketAddr),
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: io::Error,
    },
}

/// A running control server. Dropping it stops accepting connections.
#[derive(Debug)]
pub struct ControlServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl ControlServer {
    /// Serves `simulator` on `addr` (a loopback `IP:PORT`; port 0 picks a free one).
    pub async fn start(simulator: Simulator, addr: &str) -> Result<Self, ServeError> {
        let addr: SocketAddr = addr
            .parse()
            .map_err(|_| ServeError::BadAddress(addr.to_owned()))?;
        if !addr.ip().is_loopback() {
            return Err(ServeError::NotLoopback(addr));
        }
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| ServeError::Bind { addr, source })?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, simulator, stopped));
        Ok(Self {
            addr,
            stop,
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and waits for the accept loop to end (open connections
    /// end with their current request).
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn accept_loop(
    listener: TcpListener,
    simulator: Simulator,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: try the next connection.
                Err(_) => continue,
            },
            _ = stopped.changed() => return,
        };
        let simulator = simulator.clone();
        let mut stop = stopped.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let simulator = simulator.clone();
                async move { Ok::<_, std::convert::Infallible>(api::handle(&simulator, request).await) }
            });
            let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stop.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
}
