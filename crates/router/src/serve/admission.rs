//! [`Admission`]: which connections a public URL serves, so that no client can hold it
//! unavailable by opening connections and sending nothing useful.
//!
//! - At the cap a new connection is still admitted: the connections that wait longest for
//!   their request head, or idle longest between requests, are closed to make room (a batch
//!   at a time, so that finding them stays cheap); a connection serving a request is never
//!   closed. Only when every connection serves a request does a new one wait.
//! - The head and idle timeouts tighten as the server fills
//!   ([`ServeConfig::timeouts_at`]): a slow head that is harmless at 10 % of the cap is
//!   closed within 2 s at the cap.
//! - Each connection's head and idle timeouts are drawn between 75 % and 100 % of the limits,
//!   so that connections opened together are not closed together (their reconnections would
//!   arrive at once and overflow the listen backlog, delaying a sender's connection by the
//!   1 s of a SYN retransmission).
//! - Accept errors never end the accept loop: running out of file descriptors (`EMFILE`,
//!   `ENFILE`) or memory closes the least useful connections and backs off (10 ms, doubling to
//!   1 s); anything else (a connection reset before it was accepted) is skipped.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use super::activity::{Activity, Expired, Tracked, Watched};
use super::config::{ServeConfig, pressure_step};
use crate::BoxError;

/// The first pause after an accept error that is not the client's; it doubles up to
/// [`MAX_ACCEPT_BACKOFF`] while the errors go on.
const MIN_ACCEPT_BACKOFF: Duration = Duration::from_millis(10);
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// The share by which a connection's head and idle timeouts may fall short of the limits.
const TIMEOUT_SPREAD: f64 = 0.25;

/// How often a full server whose every connection serves a request looks again for room
/// (a closed connection wakes it sooner).
const FULL_RECHECK: Duration = Duration::from_millis(50);

/// The connection limits of [`serve`](super::serve) for any accept loop: admits connections
/// from a [`TcpListener`] within [`ServeConfig`]'s cap (making room at the cap), then serves
/// each with hyper's HTTP/1.1 under the head, idle and size limits. Cheap to clone; clones
/// share the connections they count.
///
/// - At the cap a new connection is still admitted: the connections waiting longest for their
///   request head, or idle longest between requests, are closed to make room (a batch of
///   1/64 of the cap at a time, so that finding them stays cheap); a connection serving a
///   request is never closed. Only when every connection serves a request does a new one
///   wait in the listen backlog.
/// - The head and idle timeouts tighten as the server fills ([`ServeConfig::timeouts_at`]),
///   and a connection keeps the tightest it saw while waiting; each connection's are drawn
///   between 75 % and 100 % of them, so that connections opened together are not closed
///   together.
/// - Accept errors never end the accept loop: running out of file descriptors (`EMFILE`,
///   `ENFILE`) or memory closes the least useful connections and backs off (10 ms, doubling
///   to 1 s); any other error (a connection reset before it was accepted) skips it.
///
/// ```no_run
/// use ghl_webhook_router::WebhookRouter;
/// use ghl_webhook_router::serve::{Admission, ServeConfig};
///
/// # async fn run() -> std::io::Result<()> {
/// let webhooks = WebhookRouter::new().into_service();
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// let admission = Admission::new(ServeConfig::default());
/// loop {
///     // Never fails: accept errors back off inside, and at the cap room is made.
///     let connection = admission.accept(&listener).await;
///     tokio::spawn(connection.serve(webhooks.clone()));
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Admission {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    config: ServeConfig,
    open: Mutex<Table>,
    /// A connection closed: room, maybe.
    closed: Notify,
    /// The pressure step of the open connections (see [`pressure_step`]); connections read
    /// their timeouts again when it changes.
    pressure: watch::Sender<u32>,
    /// Set by [`Admission::drain`].
    draining: watch::Sender<bool>,
    accept_errors: AtomicU64,
    evicted: AtomicU64,
}

/// The connections admitted and not yet closed or evicted.
#[derive(Debug, Default)]
struct Table {
    next: u64,
    connections: HashMap<u64, Arc<Activity>>,
}

impl Admission {
    /// Admits connections within `config`'s limits (its shutdown grace is not used here).
    pub fn new(config: ServeConfig) -> Self {
        Self {
            shared: Arc::new(Shared {
                config,
                open: Mutex::new(Table::default()),
                closed: Notify::new(),
                pressure: watch::Sender::new(0),
                draining: watch::Sender::new(false),
                accept_errors: AtomicU64::new(0),
                evicted: AtomicU64::new(0),
            }),
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &ServeConfig {
        &self.shared.config
    }

    /// The next connection from `listener`, within the cap. At the cap, the least useful
    /// connections are closed to make room (see [`Admission`]); when every connection
    /// is serving a request this waits until one is not. Accept errors are logged, counted
    /// ([`accept_errors`](Self::accept_errors)) and retried: this never fails.
    ///
    /// Cancel-safe, as `TcpListener::accept` is, except that a connection already taken from
    /// the backlog while room is being made for it is closed.
    pub async fn accept(&self, listener: &TcpListener) -> Admitted {
        let mut backoff = MIN_ACCEPT_BACKOFF;
        loop {
            // Full, and every connection is serving a request: wait for one to close (or to
            // finish its request) before taking a new one from the backlog.
            while self.is_full() && !self.has_evictable() {
                self.wait_for_room().await;
            }
            match listener.accept().await {
                Ok((stream, peer)) => {
                    self.make_room().await;
                    return self.admit(stream, peer);
                }
                Err(err) => {
                    self.shared.accept_errors.fetch_add(1, Ordering::Relaxed);
                    if is_resource_exhaustion(&err) {
                        tracing::warn!(error = %err, pause = ?backoff, "accept failed: closing the least useful connections and pausing");
                        for (id, victim) in self.choose_victims() {
                            self.evict(id, &victim);
                        }
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(MAX_ACCEPT_BACKOFF);
                    } else {
                        tracing::debug!(error = %err, "accept failed: skipping that connection");
                    }
                }
            }
        }
    }

    /// How many connections are open (admitted, not yet closed nor closed to make room).
    pub fn open(&self) -> usize {
        self.table().connections.len()
    }

    /// How many accept errors [`accept`](Self::accept) met and recovered from.
    pub fn accept_errors(&self) -> u64 {
        self.shared.accept_errors.load(Ordering::Relaxed)
    }

    /// How many connections were closed to make room for new ones.
    pub fn evicted(&self) -> u64 {
        self.shared.evicted.load(Ordering::Relaxed)
    }

    /// The head and idle timeouts a connection gets now (tighter the fuller the server).
    pub fn timeouts(&self) -> (Duration, Duration) {
        self.shared.config.timeouts_at(self.open())
    }

    /// Asks every connection to close once its request in flight is answered: idle ones close
    /// now, busy ones after their response, and connections admitted later after their first.
    /// For graceful shutdown, once the accept loop stopped.
    pub fn drain(&self) {
        self.shared.draining.send_replace(true);
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.shared
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn is_full(&self) -> bool {
        self.open() >= self.shared.config.connection_cap()
    }

    fn has_evictable(&self) -> bool {
        self.table()
            .connections
            .values()
            .any(|activity| activity.evictable_since().is_some())
    }

    /// Until a connection closes, or [`FULL_RECHECK`] passed.
    async fn wait_for_room(&self) {
        let closed = self.shared.closed.notified();
        let _ = tokio::time::timeout(FULL_RECHECK, closed).await;
    }

    /// Below the cap, at once; at it, once the least useful connections were closed (or, if
    /// every one started serving a request meanwhile, once one closed).
    async fn make_room(&self) {
        while self.is_full() {
            let mut evicted = false;
            for (id, victim) in self.choose_victims() {
                evicted |= self.evict(id, &victim);
            }
            if !evicted {
                self.wait_for_room().await;
            }
        }
    }

    /// The least useful connections, a batch of them: waiting longest for a head or idle
    /// longest. A batch (1/64 of the cap, 1 to 64) keeps the search cheap at the cap.
    fn choose_victims(&self) -> Vec<(u64, Arc<Activity>)> {
        let batch = (self.shared.config.connection_cap() / 64).clamp(1, 64);
        let mut candidates: Vec<(Instant, u64, Arc<Activity>)> = self
            .table()
            .connections
            .iter()
            .filter_map(|(id, activity)| Some((activity.evictable_since()?, *id, activity.clone())))
            .collect();
        if candidates.len() > batch {
            candidates.select_nth_unstable_by_key(batch - 1, |(since, id, _)| (*since, *id));
            candidates.truncate(batch);
        }
        candidates
            .into_iter()
            .map(|(_, id, activity)| (id, activity))
            .collect()
    }

    /// Closes `victim` (admitted as `id`) unless it started serving a request meanwhile;
    /// whether it was closed.
    fn evict(&self, id: u64, victim: &Activity) -> bool {
        if !victim.evict() {
            return false;
        }
        let removed = self.table().connections.remove(&id).is_some();
        if removed {
            self.shared.evicted.fetch_add(1, Ordering::Relaxed);
            self.pressure_changed();
        }
        removed
    }

    fn admit(&self, stream: TcpStream, peer: SocketAddr) -> Admitted {
        let activity = Activity::new();
        let id = {
            let mut table = self.table();
            let id = table.next;
            table.next += 1;
            table.connections.insert(id, activity.clone());
            id
        };
        self.pressure_changed();
        Admitted {
            stream,
            peer,
            activity,
            ticket: Ticket {
                admission: self.clone(),
                id,
            },
        }
    }

    fn pressure_changed(&self) {
        let step = pressure_step(self.open(), self.shared.config.connection_cap());
        self.shared.pressure.send_if_modified(|current| {
            let changed = *current != step;
            *current = step;
            changed
        });
    }
}

/// Whether `err` is the server running out of something (descriptors, memory, buffers),
/// not a problem of the one connection being accepted.
fn is_resource_exhaustion(err: &io::Error) -> bool {
    if err.kind() == io::ErrorKind::OutOfMemory {
        return true;
    }
    #[cfg(unix)]
    {
        use rustix::io::Errno;
        let code = err.raw_os_error();
        [Errno::MFILE, Errno::NFILE, Errno::NOBUFS, Errno::NOMEM]
            .iter()
            .any(|errno| code == Some(errno.raw_os_error()))
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Removes its connection from the count when the connection ends.
#[derive(Debug)]
struct Ticket {
    admission: Admission,
    id: u64,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let removed = self
            .admission
            .table()
            .connections
            .remove(&self.id)
            .is_some();
        if removed {
            self.admission.pressure_changed();
        }
        self.admission.shared.closed.notify_one();
    }
}

/// A connection [`Admission::accept`] admitted: counted until it is served to its end or
/// dropped.
#[derive(Debug)]
pub struct Admitted {
    stream: TcpStream,
    peer: SocketAddr,
    activity: Arc<Activity>,
    ticket: Ticket,
}

impl Admitted {
    /// The client's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Serves the connection with hyper's HTTP/1.1 until it ends: closed by the client, past
    /// its head or idle deadline (tightened as the server fills), closed to make room, or
    /// drained ([`Admission::drain`]) once its request in flight is answered. `service` is
    /// any hyper service: a [`WebhookService`](crate::WebhookService), a `service_fn`, or an
    /// axum `Router` through `hyper_util::service::TowerToHyperService`.
    pub async fn serve<S, B>(self, service: S) -> Result<(), hyper::Error>
    where
        S: hyper::service::Service<Request<Incoming>, Response = Response<B>>,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: Body<Data = Bytes> + 'static,
        B::Error: Into<BoxError>,
    {
        let Self {
            stream,
            peer: _,
            activity,
            ticket,
        } = self;
        let shared = ticket.admission.shared.clone();
        let config = &shared.config;
        let mut draining = shared.draining.subscribe();
        let mut pressure = shared.pressure.subscribe();
        let io = TokioIo::new(Watched::new(stream, activity.clone()));
        let connection = http1::Builder::new()
            .max_header_size(config.max_header_bytes.max(1))
            .max_headers(config.max_headers.max(1))
            .serve_connection(io, Tracked::new(service, activity.clone()));
        let mut connection = std::pin::pin!(connection);
        let mut tightest: Option<(Instant, Duration, Duration)> = None;
        // Each connection's timeouts are 75 % to 100 % of the limits, drawn once: connections
        // opened together are not all closed at the same instant, so that their clients'
        // reconnections do not arrive at once and overflow the listen backlog.
        let spread = 1.0 - fastrand::f64() * TIMEOUT_SPREAD;
        let mut closing = *draining.borrow_and_update();
        if closing {
            connection.as_mut().graceful_shutdown();
        }
        loop {
            if activity.is_evicted() {
                if activity.evictable_since().is_some() {
                    tracing::debug!("closed to make room for a new connection");
                    return Ok(());
                }
                // A request started as the connection was chosen: answer it, then close.
                if !closing {
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
            // The tightest timeouts seen since the phase began: a connection that waited
            // through a full server keeps the deadline it had then.
            let (head_now, idle_now) = ticket.admission.timeouts();
            let waiting = activity.waiting();
            tightest = match (tightest, waiting) {
                (Some((since, head, idle)), Some((now_since, _))) if since == now_since => {
                    Some((since, head.min(head_now), idle.min(idle_now)))
                }
                (_, Some((since, _))) => Some((since, head_now, idle_now)),
                (_, None) => None,
            };
            let deadline = tightest
                .zip(waiting)
                .map(|((since, head, idle), (_, expired))| {
                    let timeout = match expired {
                        Expired::Head => head,
                        Expired::Idle => idle,
                    };
                    (since + timeout.mul_f64(spread), expired)
                });
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
                    Expired::Idle => return Ok(()),
                },
                () = activity.changed() => {}
                // The sender lives in `shared`, held here: this never fails.
                _ = pressure.changed() => {}
                changed = draining.changed(), if !closing => {
                    let _ = changed;
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    async fn connect(listener: &TcpListener) -> TcpStream {
        TcpStream::connect(listener.local_addr().expect("addr"))
            .await
            .expect("connect")
    }

    #[tokio::test]
    async fn at_the_cap_the_oldest_waiting_connection_makes_room_and_is_counted() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let admission = Admission::new(ServeConfig::default().max_connections(2));
        let _first_client = connect(&listener).await;
        let first = admission.accept(&listener).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        let _second_client = connect(&listener).await;
        let second = admission.accept(&listener).await;
        assert_eq!((admission.open(), admission.evicted()), (2, 0));
        let mut third_client = connect(&listener).await;
        let third = admission.accept(&listener).await;
        assert_eq!((admission.open(), admission.evicted()), (2, 1));
        assert!(first.activity.is_evicted(), "the one waiting longest");
        assert!(!second.activity.is_evicted());
        assert!(!third.activity.is_evicted());
        // The evicted connection's task ends at once, without an answer.
        let served = tokio::time::timeout(
            Duration::from_secs(5),
            first.serve(hyper::service::service_fn(|_| async {
                Ok::<_, std::convert::Infallible>(Response::new(
                    http_body_util::Empty::<Bytes>::new(),
                ))
            })),
        )
        .await
        .expect("closed at once");
        assert!(served.is_ok());
        drop(second);
        assert_eq!(
            admission.open(),
            1,
            "a connection dropped is no longer counted"
        );
        third_client
            .write_all(b"GET / HTTP/1.1\r\n")
            .await
            .expect("write");
        assert_eq!(admission.accept_errors(), 0);
        assert_eq!(admission.timeouts(), admission.config().timeouts_at(1));
    }

    #[test]
    fn running_out_of_descriptors_or_memory_is_told_from_a_client_error() {
        assert!(is_resource_exhaustion(&io::Error::from_raw_os_error(24)));
        assert!(is_resource_exhaustion(&io::Error::from_raw_os_error(23)));
        assert!(is_resource_exhaustion(&io::Error::from(
            io::ErrorKind::OutOfMemory
        )));
        assert!(!is_resource_exhaustion(&io::Error::from(
            io::ErrorKind::ConnectionAborted
        )));
    }
}
