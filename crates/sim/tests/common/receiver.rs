//! A real HTTP receiver on a loopback port whose answers follow a schedule, recording every
//! request it gets (time, path, headers, exact body).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// What the receiver does with request number `n` (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    /// Answer with this status.
    Status(u16),
    /// Never answer (until the client gives up).
    Hang,
}

/// One request received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub at: Instant,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

type Schedule = Arc<dyn Fn(u64) -> Reply + Send + Sync>;

/// The receiver; dropping it stops it.
pub(crate) struct Receiver {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    schedule: Arc<Mutex<Schedule>>,
    count: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    /// A receiver answering per `schedule`.
    pub(crate) async fn start(schedule: impl Fn(u64) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let received = Arc::new(Mutex::new(Vec::new()));
        let schedule: Arc<Mutex<Schedule>> = Arc::new(Mutex::new(Arc::new(schedule)));
        let count = Arc::new(AtomicU64::new(0));
        let (r, s, c) = (received.clone(), schedule.clone(), count.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (r, s, c) = (r.clone(), s.clone(), c.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let (r, s, c) = (r.clone(), s.clone(), c.clone());
                        async move { Ok::<_, Infallible>(answer(request, &r, &s, &c).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            received,
            schedule,
            count,
            task,
        }
    }

    /// A receiver that always answers `status`.
    pub(crate) async fn always(status: u16) -> Self {
        Self::start(move |_| Reply::Status(status)).await
    }

    /// `http://ADDR` + `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Changes the schedule (request numbers keep counting).
    pub(crate) fn set(&self, schedule: impl Fn(u64) -> Reply + Send + Sync + 'static) {
        *self.schedule.lock().expect("lock") = Arc::new(schedule);
    }

    /// Every request so far.
    pub(crate) fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }

    /// How many requests arrived.
    pub(crate) fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }
}

async fn answer(
    request: Request<Incoming>,
    received: &Mutex<Vec<Received>>,
    schedule: &Mutex<Schedule>,
    count: &AtomicU64,
) -> Response<Full<Bytes>> {
    let at = Instant::now();
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let n = count.fetch_add(1, Ordering::SeqCst) + 1;
    received.lock().expect("lock").push(Received {
        at,
        path: parts.uri.path().to_owned(),
        headers: parts.headers,
        body,
    });
    let reply = (schedule.lock().expect("lock").clone())(n);
    match reply {
        Reply::Status(status) => {
            let mut response = Response::new(Full::new(Bytes::from_static(b"{}")));
            *response.status_mut() = http::StatusCode::from_u16(status).expect("status");
            response
        }
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Response::new(Full::new(Bytes::new()))
        }
    }
}
