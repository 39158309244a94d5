//! One table of deliveries, sent over real HTTP on loopback to the same webhook service twice:
//! mounted in a real actix-web server through this crate, and served by the router's own hyper
//! server (`ghl_webhook_router::serve`). Each case must get the status the table expects, with
//! the same handler calls and the same connection handling, from both.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use ghl_webhook_router::types::Event;
use ghl_webhook_router::types::association::{Association, AssociationDelete};
use ghl_webhook_router::{Delivery, UnknownEvent, WebhookRouter, WebhookService};
use ghl_webhook_test_support::{MockSender, TestKeys};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The webhook path on both servers.
const PATH: &str = "/webhooks/highlevel";
/// The body limit of the service under test (small, so that an oversized body is cheap).
const BODY_LIMIT: usize = 16 * 1024;
/// The body timeout of the service under test (short, so that the slow body is quick).
const BODY_TIMEOUT: Duration = Duration::from_secs(1);
/// How long any one case may take before the test fails (a guard, never a measurement).
const GUARD: Duration = Duration::from_secs(20);

/// A delivery to send, and what any correct mount answers.
#[derive(Debug, Clone, Copy)]
enum Case {
    /// A signed AssociationDelete on its kind's URL: handled.
    Valid,
    /// The body changed after signing.
    TamperedBody,
    /// Signed with a key the service does not trust.
    OtherKey,
    /// No `X-GHL-Signature` at all.
    MissingSignature,
    /// A declared `Content-Length` over the body limit.
    Oversized,
    /// A chunked body (no `Content-Length`) that grows past the limit: cut while streaming.
    OversizedChunked,
    /// Half the body sent, then nothing past the body timeout.
    SlowBody,
    /// The same `webhookId` twice: both acknowledged, the handler called once.
    Duplicate,
    /// A signed delivery of a kind the SDK does not know: acknowledged, given to `on_unknown`.
    UnknownKind,
    /// A `GET`: not a delivery.
    WrongMethod,
    /// An event without a `type` on the URL of no kind: acknowledged as unknown (on its
    /// kind's URL, as in every other case, it is typed).
    Unbound,
}

const CASES: &[Case] = &[
    Case::Valid,
    Case::TamperedBody,
    Case::OtherKey,
    Case::MissingSignature,
    Case::Oversized,
    Case::OversizedChunked,
    Case::SlowBody,
    Case::Duplicate,
    Case::UnknownKind,
    Case::WrongMethod,
    Case::Unbound,
];

/// What a server did with one case.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    /// The status of the (last) answer.
    status: u16,
    /// Typed handler calls the case caused.
    typed: usize,
    /// `on_unknown` calls the case caused.
    unknown: usize,
    /// Whether the server closed the connection after answering (raw-socket cases only).
    closed: Option<bool>,
}

impl Case {
    /// What every correct mount does.
    fn expected(self) -> Seen {
        let (status, typed, unknown, closed) = match self {
            Case::Valid | Case::Duplicate => (200, 1, 0, None),
            Case::TamperedBody | Case::OtherKey | Case::MissingSignature => (401, 0, 0, None),
            Case::Oversized => (413, 0, 0, None),
            Case::OversizedChunked => (413, 0, 0, Some(true)),
            Case::SlowBody => (408, 0, 0, Some(true)),
            Case::UnknownKind | Case::Unbound => (200, 0, 1, None),
            Case::WrongMethod => (405, 0, 0, None),
        };
        Seen {
            status,
            typed,
            unknown,
            closed,
        }
    }
}

/// Handler calls of one service.
#[derive(Default)]
struct Calls {
    typed: AtomicUsize,
    unknown: AtomicUsize,
}

/// One of the two servers under test, and the handler calls of its service.
struct Target {
    name: &'static str,
    url: String,
    addr: SocketAddr,
    calls: Arc<Calls>,
}

/// The service under test: trusts the primary test key, counts every handler call. Mounted
/// by path: `/webhooks/highlevel/<EventName>` binds the kind, `/webhooks/highlevel` does not.
fn service(calls: &Arc<Calls>) -> WebhookService<Arc<Calls>> {
    WebhookRouter::with_state(calls.clone())
        .verifier(TestKeys::primary().verifier())
        .body_limit(BODY_LIMIT)
        .body_timeout(BODY_TIMEOUT)
        .on_any(|_: Event, _: Delivery, calls: Arc<Calls>| async move {
            calls.typed.fetch_add(1, Ordering::SeqCst);
        })
        .on_unknown(
            |_: UnknownEvent, _: Delivery, calls: Arc<Calls>| async move {
                calls.unknown.fetch_add(1, Ordering::SeqCst);
            },
        )
        .into_service()
        .bind_by_path()
}

/// A real actix-web server (one worker) on an ephemeral loopback port, in a thread of its own
/// running actix's system; stopped and joined on drop.
struct ActixServer {
    addr: SocketAddr,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl ActixServer {
    fn start(service: WebhookService<Arc<Calls>>) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .service(
                            web::resource(PATH).route(ghl_webhook_actix::route(service.clone())),
                        )
                        .service(
                            web::resource(format!("{PATH}/{{kind}}"))
                                .route(ghl_webhook_actix::route(service.clone())),
                        )
                })
                .workers(1)
                .disable_signals()
                .listen(listener)?
                .run();
                let _ = tx.send(server.handle());
                server.await
            })
        });
        let handle = rx.recv().expect("the actix server started");
        Self {
            addr,
            handle,
            thread: Some(thread),
        }
    }

    async fn stop(mut self) {
        self.handle.stop(false).await;
        if let Some(thread) = self.thread.take() {
            thread
                .join()
                .expect("the actix thread")
                .expect("the actix server ran");
        }
    }
}

/// A signed AssociationDelete body, as raw bytes, and its signature.
fn signed_body(webhook_id: &str) -> (String, String) {
    let body = format!(
        r#"{{"type":"AssociationDelete","id":"67ade73d1119d2ac7ad0c475","associationType":"USER_DEFINED","firstObjectKey":"custom_objects.a","secondObjectKey":"custom_objects.b","key":"k","locationId":"loc1","webhookId":"{webhook_id}"}}"#
    );
    let signature = TestKeys::primary().sign(body.as_bytes());
    (body, signature)
}

fn event() -> AssociationDelete {
    AssociationDelete(Association {
        key: Some("parity".into()),
        ..Association::new("67ade73d1119d2ac7ad0c475")
    })
}

/// Reads one response from `stream`: its status; then whether the server closed the
/// connection (EOF within a short wait) rather than keeping it open.
async fn read_status_then_close(stream: &mut TcpStream) -> (u16, bool) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = stream.read(&mut chunk).await.expect("read the response");
        assert!(n > 0, "the connection closed before a response");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"));
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut rest = buf.len() - head_end;
    while rest < length {
        let n = stream.read(&mut chunk).await.expect("read the body");
        assert!(n > 0, "the connection closed inside the body");
        rest += n;
    }
    // Closed: EOF (or a reset) soon after the answer; open: nothing within the wait (actix
    // lingers up to its `client_disconnect_timeout`, 1 s, before it closes).
    let closed = match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk)).await {
        Ok(Ok(0) | Err(_)) => true,
        Ok(Ok(_)) => panic!("bytes after the response"),
        Err(_) => false,
    };
    (status, closed)
}

async fn run(case: Case, target: &Target) -> Seen {
    let sender = MockSender::new(&target.url).expect("url");
    let typed = target.calls.typed.load(Ordering::SeqCst);
    let unknown = target.calls.unknown.load(Ordering::SeqCst);
    let mut closed = None;
    let status = match case {
        Case::Valid => {
            sender
                .event(&event())
                .bound()
                .send()
                .await
                .expect("sent")
                .status
        }
        Case::TamperedBody => {
            sender
                .event(&event())
                .tamper()
                .send()
                .await
                .expect("sent")
                .status
        }
        Case::OtherKey => {
            sender
                .event(&event())
                .signed_by(&TestKeys::other())
                .send()
                .await
                .expect("sent")
                .status
        }
        Case::MissingSignature => {
            sender
                .event(&event())
                .unsigned()
                .send()
                .await
                .expect("sent")
                .status
        }
        Case::Oversized => {
            let mut body = br#"{"type":"AssociationDelete","pad":""#.to_vec();
            body.resize(BODY_LIMIT + 1, b'x');
            sender.raw(body).send().await.expect("sent").status
        }
        Case::OversizedChunked => {
            let mut stream = TcpStream::connect(target.addr).await.expect("connect");
            let head = format!(
                "POST {PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nX-GHL-Signature: {}\r\n\r\n",
                TestKeys::primary().sign(b"{}")
            );
            stream.write_all(head.as_bytes()).await.expect("head");
            // Chunks of 1 KiB until one crosses the limit, and no terminating chunk: nothing
            // is left unread past the crossing (so the server's close is a FIN, not a reset
            // that could discard the answer), and the body never ends by itself.
            let chunk = format!("400\r\n{}\r\n", "x".repeat(1024));
            for _ in 0..=BODY_LIMIT / 1024 {
                if stream.write_all(chunk.as_bytes()).await.is_err() {
                    break;
                }
            }
            let (status, was_closed) = read_status_then_close(&mut stream).await;
            closed = Some(was_closed);
            http::StatusCode::from_u16(status).expect("a status")
        }
        Case::SlowBody => {
            let mut stream = TcpStream::connect(target.addr).await.expect("connect");
            let (body, signature) = signed_body(&format!("slow-{}", target.name));
            let head = format!(
                "POST {PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nX-GHL-Signature: {signature}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await.expect("head");
            stream
                .write_all(&body.as_bytes()[..body.len() / 2])
                .await
                .expect("half the body");
            // Then nothing: the service's body timeout answers.
            let (status, was_closed) = read_status_then_close(&mut stream).await;
            closed = Some(was_closed);
            http::StatusCode::from_u16(status).expect("a status")
        }
        Case::Duplicate => {
            let id = format!("duplicate-{}", target.name);
            let first = sender
                .event(&event())
                .webhook_id(&id)
                .bound()
                .send()
                .await
                .expect("sent");
            assert_eq!(first.status, 200, "{}: the first copy", target.name);
            sender
                .event(&event())
                .webhook_id(&id)
                .bound()
                .send()
                .await
                .expect("sent")
                .status
        }
        Case::UnknownKind => {
            sender
                .json(serde_json::json!({"type": "SomethingNew", "locationId": "loc1"}))
                .send()
                .await
                .expect("sent")
                .status
        }
        Case::Unbound => sender.event(&event()).send().await.expect("sent").status,
        Case::WrongMethod => {
            sender
                .event(&event())
                .method(http::Method::GET)
                .send()
                .await
                .expect("sent")
                .status
        }
    };
    // Handlers run before the answer; nothing is left to wait for.
    Seen {
        status: status.as_u16(),
        typed: target.calls.typed.load(Ordering::SeqCst) - typed,
        unknown: target.calls.unknown.load(Ordering::SeqCst) - unknown,
        closed,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_and_hyper_answer_every_case_alike() {
    let hyper_calls = Arc::new(Calls::default());
    let hyper = ghl_webhook_router::serve::spawn(
        "127.0.0.1:0".parse().expect("addr"),
        service(&hyper_calls),
    )
    .await
    .expect("bind loopback");
    let actix_calls = Arc::new(Calls::default());
    let actix = ActixServer::start(service(&actix_calls));

    let targets = [
        Target {
            name: "hyper",
            url: format!("{}{PATH}", hyper.url()),
            addr: hyper.addr(),
            calls: hyper_calls,
        },
        Target {
            name: "actix",
            url: format!("http://{}{PATH}", actix.addr),
            addr: actix.addr,
            calls: actix_calls,
        },
    ];
    let mut failures = Vec::new();
    for &case in CASES {
        let expected = case.expected();
        for target in &targets {
            let seen = tokio::time::timeout(GUARD, run(case, target))
                .await
                .unwrap_or_else(|_| {
                    panic!("{case:?} on {}: no answer within {GUARD:?}", target.name)
                });
            if seen != expected {
                failures.push(format!(
                    "{case:?} on {}: {seen:?}, expected {expected:?}",
                    target.name
                ));
            }
        }
    }
    actix.stop().await;
    hyper
        .shutdown(Duration::from_secs(5))
        .await
        .expect("hyper stopped");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
