//! What one connection is doing, so the server can tell a slow or idle client from a busy
//! one: reading a request head, serving requests, or idle between them.
//!
//! hyper knows no idle keep-alive timeout, and its header read timeout also runs while a
//! kept-alive connection waits for its next request. So the server tracks the phase itself:
//! [`Watched`] sees the bytes a connection reads, [`Tracked`] the requests its service
//! serves, and the connection's task asks [`Activity::deadline`] when to act.

use futures_util::future::BoxFuture;
use http::{Request, Response};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// The phase of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a complete request head, since this instant (the accept, or the first byte
    /// of a later request).
    Head { since: Instant },
    /// Serving this many requests.
    Busy { requests: usize },
    /// Kept alive with no request in progress, since this instant.
    Idle { since: Instant },
}

/// What the connection's task must do once a deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expired {
    /// The head did not arrive in time: close without an answer.
    Head,
    /// Idle for too long: close cleanly.
    Idle,
}

/// The phase of one connection, shared by its reads, its service and its task.
#[derive(Debug)]
pub(crate) struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
    /// Chosen to make room for a new connection: the task closes it at once.
    evicted: AtomicBool,
}

impl Activity {
    /// A connection accepted now: waiting for its first request head.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            phase: Mutex::new(Phase::Head {
                since: Instant::now(),
            }),
            changed: Notify::new(),
            evicted: AtomicBool::new(false),
        })
    }

    /// Since when the connection has waited for a head or idled, when it does either: the
    /// connections that may be closed to make room, the oldest first. `None` while a request
    /// is served.
    pub(crate) fn evictable_since(&self) -> Option<Instant> {
        self.waiting().map(|(since, _)| since)
    }

    /// Closes the connection to make room, unless it started serving a request meanwhile
    /// (then `false`, and it stays open).
    pub(crate) fn evict(&self) -> bool {
        let phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        if matches!(*phase, Phase::Busy { .. }) {
            return false;
        }
        self.evicted.store(true, Ordering::Release);
        self.changed.notify_one();
        true
    }

    /// Whether the connection was chosen to make room.
    pub(crate) fn is_evicted(&self) -> bool {
        self.evicted.load(Ordering::Acquire)
    }

    fn update(&self, f: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        let next = f(*phase);
        if next != *phase {
            *phase = next;
            self.changed.notify_one();
        }
    }

    /// Bytes arrived: on an idle connection they open a new request head.
    fn read_some(&self) {
        self.update(|phase| match phase {
            Phase::Idle { .. } => Phase::Head {
                since: Instant::now(),
            },
            other => other,
        });
    }

    /// The service was called: the head is complete.
    fn request_started(&self) {
        // Under the phase's lock, as `evict` checks it: an evicted connection serves nothing.
        self.update(|phase| match phase {
            Phase::Busy { requests } => Phase::Busy {
                requests: requests + 1,
            },
            Phase::Head { .. } | Phase::Idle { .. } => Phase::Busy { requests: 1 },
        });
    }

    /// A response is ready (or its request was dropped): idle once none is left.
    fn request_finished(&self) {
        self.update(|phase| match phase {
            Phase::Busy { requests } if requests > 1 => Phase::Busy {
                requests: requests - 1,
            },
            _ => Phase::Idle {
                since: Instant::now(),
            },
        });
    }

    /// Since when the connection waits for a head or idles, and what happens when that runs
    /// out; `None` while requests are served (their body and handler timeouts bound them).
    pub(crate) fn waiting(&self) -> Option<(Instant, Expired)> {
        match *self.phase.lock().unwrap_or_else(PoisonError::into_inner) {
            Phase::Head { since } => Some((since, Expired::Head)),
            Phase::Idle { since } => Some((since, Expired::Idle)),
            Phase::Busy { .. } => None,
        }
    }

    /// Completes when the phase changes (so a deadline must be read again).
    pub(crate) async fn changed(&self) {
        self.changed.notified().await;
    }
}

/// A connection's IO that reports the bytes it reads to its [`Activity`].
#[derive(Debug)]
pub(crate) struct Watched<T> {
    io: T,
    activity: Arc<Activity>,
}

impl<T> Watched<T> {
    /// Watches `io` for `activity`.
    pub(crate) fn new(io: T, activity: Arc<Activity>) -> Self {
        Self { io, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read_some();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// A connection's service that reports each request it serves to its [`Activity`].
#[derive(Debug)]
pub(crate) struct Tracked<S> {
    service: S,
    activity: Arc<Activity>,
}

impl<S> Tracked<S> {
    /// Tracks the requests `service` serves for `activity`.
    pub(crate) fn new(service: S, activity: Arc<Activity>) -> Self {
        Self { service, activity }
    }
}

/// Marks its request finished when dropped: answered, or dropped unanswered.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

impl<S, B, R, E> hyper::service::Service<Request<B>> for Tracked<S>
where
    S: hyper::service::Service<Request<B>, Response = Response<R>, Error = E>,
    S::Future: Send + 'static,
{
    type Response = Response<R>;
    type Error = E;
    type Future = BoxFuture<'static, Result<Response<R>, E>>;

    fn call(&self, request: Request<B>) -> Self::Future {
        self.activity.request_started();
        let in_flight = InFlight(self.activity.clone());
        let answer = self.service.call(request);
        Box::pin(async move {
            let answered = answer.await;
            drop(in_flight);
            answered
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_new_connection_waits_for_its_head_from_the_accept() {
        let activity = Activity::new();
        let accepted = Instant::now();
        assert_eq!(activity.waiting(), Some((accepted, Expired::Head)));
        // Bytes of the first head do not move its start.
        tokio::time::advance(Duration::from_secs(3)).await;
        activity.read_some();
        assert_eq!(activity.waiting(), Some((accepted, Expired::Head)));
        assert_eq!(activity.evictable_since(), Some(accepted));
    }

    #[tokio::test(start_paused = true)]
    async fn a_served_request_is_not_waiting_and_then_the_connection_idles() {
        let activity = Activity::new();
        activity.request_started();
        assert_eq!(activity.waiting(), None);
        assert_eq!(activity.evictable_since(), None);
        tokio::time::advance(Duration::from_secs(100)).await;
        activity.read_some();
        assert_eq!(activity.waiting(), None, "body bytes");
        activity.request_finished();
        let idle_since = Instant::now();
        assert_eq!(activity.waiting(), Some((idle_since, Expired::Idle)));
        // The first byte of the next request starts its head.
        tokio::time::advance(Duration::from_secs(5)).await;
        activity.read_some();
        assert_eq!(activity.waiting(), Some((Instant::now(), Expired::Head)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_serving_a_request_is_never_evicted() {
        let activity = Activity::new();
        activity.request_started();
        assert!(!activity.evict());
        assert!(!activity.is_evicted());
        activity.request_finished();
        assert!(activity.evict());
        assert!(activity.is_evicted());
    }

    #[tokio::test(start_paused = true)]
    async fn a_phase_change_wakes_the_connections_task() {
        let activity = Activity::new();
        activity.request_started();
        tokio::time::timeout(Duration::from_secs(1), activity.changed())
            .await
            .expect("the change was signalled");
    }
}
