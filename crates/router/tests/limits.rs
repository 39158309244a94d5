//! `serve`'s limits against hostile clients, with raw sockets on loopback: a request line
//! never finished, a body that stops, a connection left idle, oversized heads, and more
//! half-open connections than the server serves at once, while a signed delivery is still
//! answered. The timeouts are short here; their default values are checked in `ServeConfig`'s
//! unit tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ghl_webhook_router::serve::{ServeConfig, Server, spawn_with};
use ghl_webhook_router::types::Event;
use ghl_webhook_router::{Delivery, UnknownEvent, WebhookRouter};
use ghl_webhook_test_support::TestKeys;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long any one step may take before the test fails (a guard, never a measurement).
const GUARD: Duration = Duration::from_secs(20);

/// A server trusting the primary test key, counting the deliveries its handlers ran.
async fn server(config: ServeConfig, body_timeout: Duration) -> (Server, Arc<AtomicUsize>) {
    let handled = Arc::new(AtomicUsize::new(0));
    let router = WebhookRouter::with_state(handled.clone())
        .verifier(TestKeys::primary().verifier())
        .body_timeout(body_timeout)
        .on_any(|_: Event, _: Delivery, n: Arc<AtomicUsize>| async move {
            n.fetch_add(1, Ordering::SeqCst);
        })
        .on_unknown(
            |_: UnknownEvent, _: Delivery, n: Arc<AtomicUsize>| async move {
                n.fetch_add(1, Ordering::SeqCst);
            },
        );
    let server = spawn_with(
        config,
        "127.0.0.1:0".parse().expect("addr"),
        router.into_service(),
    )
    .await
    .expect("bind");
    (server, handled)
}

/// A signed AssociationDelete with this `webhookId`, as raw HTTP/1.1 bytes (kept alive).
fn signed_request(webhook_id: &str) -> Vec<u8> {
    ghl_webhook_testkit::raw_http::signed_keep_alive_request("/webhooks/highlevel", webhook_id)
}

/// One response read from `stream`: its head (lower-cased) and body. Panics at EOF first.
async fn read_response(stream: &mut TcpStream) -> (String, Vec<u8>) {
    ghl_webhook_testkit::raw_http::read_response(stream, GUARD).await
}

/// Reads until the server closes the connection; what it sent before. Fails past [`GUARD`].
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let read = tokio::time::timeout(GUARD, async {
        loop {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => all.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server kept the connection open");
    all
}

fn status_of(head: &str) -> u16 {
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line")
}

async fn connect(server: &Server) -> TcpStream {
    TcpStream::connect(server.addr()).await.expect("connect")
}

#[tokio::test]
async fn half_a_request_line_is_closed_after_the_header_timeout_without_an_answer() {
    let config = ServeConfig::default().header_read_timeout(Duration::from_millis(300));
    let (server, handled) = server(config, Duration::from_secs(30)).await;
    let mut stream = connect(&server).await;
    stream
        .write_all(b"POST /webhooks/high")
        .await
        .expect("write");
    let answered = read_until_closed(&mut stream).await;
    assert!(
        answered.is_empty(),
        "no request was read, so nothing is answered"
    );
    assert_eq!(handled.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_connection_that_never_sends_a_byte_is_closed_after_the_header_timeout() {
    let config = ServeConfig::default().header_read_timeout(Duration::from_millis(300));
    let (server, _) = server(config, Duration::from_secs(30)).await;
    let mut stream = connect(&server).await;
    assert!(read_until_closed(&mut stream).await.is_empty());
}

#[tokio::test]
async fn headers_and_a_few_body_bytes_then_silence_are_answered_408_and_closed() {
    let (server, handled) = server(ServeConfig::default(), Duration::from_millis(300)).await;
    let mut stream = connect(&server).await;
    let request = signed_request("slow-body");
    let head_end = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    stream
        .write_all(&request[..head_end + 10])
        .await
        .expect("write");
    let (head, body) = read_response(&mut stream).await;
    assert_eq!(status_of(&head), 408, "{head}");
    assert!(head.contains("connection: close"), "{head}");
    assert!(
        String::from_utf8_lossy(&body).contains("the body did not arrive within"),
        "{body:?}"
    );
    assert!(
        read_until_closed(&mut stream).await.is_empty(),
        "then closed"
    );
    assert_eq!(handled.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_connection_left_idle_after_a_response_is_closed_after_the_idle_timeout() {
    let config = ServeConfig::default()
        .idle_timeout(Duration::from_millis(400))
        .header_read_timeout(Duration::from_secs(60));
    let (server, handled) = server(config, Duration::from_secs(30)).await;
    let mut stream = connect(&server).await;
    stream
        .write_all(&signed_request("idle-after"))
        .await
        .expect("write");
    let (head, _) = read_response(&mut stream).await;
    assert_eq!(status_of(&head), 200, "{head}");
    assert!(!head.contains("connection: close"), "kept alive: {head}");
    assert!(read_until_closed(&mut stream).await.is_empty());
    assert_eq!(handled.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_kept_alive_connection_in_use_is_not_closed_as_idle() {
    let config = ServeConfig::default()
        .idle_timeout(Duration::from_millis(1500))
        .header_read_timeout(Duration::from_secs(60));
    let (server, handled) = server(config, Duration::from_secs(30)).await;
    let mut stream = connect(&server).await;
    // Four requests 600 ms apart: 1.8 s in all, longer than the idle timeout, never idle
    // for that long at once.
    for i in 0..4 {
        stream
            .write_all(&signed_request(&format!("busy-{i}")))
            .await
            .expect("write");
        let (head, _) = read_response(&mut stream).await;
        assert_eq!(status_of(&head), 200, "request {i}: {head}");
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    assert_eq!(handled.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn the_idle_timeout_of_a_kept_alive_connection_is_not_its_header_timeout() {
    // The header timeout counts from the first byte of a request, not from the end of the
    // last one: an idle connection outlives it.
    let config = ServeConfig::default()
        .idle_timeout(Duration::from_secs(60))
        .header_read_timeout(Duration::from_millis(200));
    let (server, _) = server(config, Duration::from_secs(30)).await;
    let mut stream = connect(&server).await;
    stream
        .write_all(&signed_request("first"))
        .await
        .expect("write");
    assert_eq!(status_of(&read_response(&mut stream).await.0), 200);
    tokio::time::sleep(Duration::from_millis(700)).await;
    stream
        .write_all(&signed_request("second"))
        .await
        .expect("write");
    assert_eq!(status_of(&read_response(&mut stream).await.0), 200);
}

#[tokio::test]
async fn a_request_head_over_the_size_limit_is_answered_431() {
    let config = ServeConfig::default().max_header_bytes(8 * 1024);
    let (server, handled) = server(config, Duration::from_secs(30)).await;
    let mut stream = connect(&server).await;
    let padding = "x".repeat(10 * 1024);
    let mut request =
        format!("POST /webhooks/highlevel HTTP/1.1\r\nHost: l\r\nX-Pad: {padding}\r\n")
            .into_bytes();
    request.extend_from_slice(b"Content-Length: 2\r\n\r\n{}");
    stream.write_all(&request).await.expect("write");
    let (head, _) = read_response(&mut stream).await;
    assert_eq!(status_of(&head), 431, "{head}");
    assert_eq!(handled.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn too_many_header_fields_are_answered_431() {
    let config = ServeConfig::default().max_headers(10);
    let (server, _) = server(config, Duration::from_secs(30)).await;
    let mut stream = connect(&server).await;
    let mut request = String::from("POST /webhooks/highlevel HTTP/1.1\r\nHost: l\r\n");
    for i in 0..20 {
        request.push_str(&format!("X-Field-{i}: {i}\r\n"));
    }
    request.push_str("Content-Length: 2\r\n\r\n{}");
    stream.write_all(request.as_bytes()).await.expect("write");
    assert_eq!(status_of(&read_response(&mut stream).await.0), 431);
}

#[tokio::test]
async fn at_the_connection_limit_a_new_connection_closes_the_longest_idle_one() {
    let config = ServeConfig::default().max_connections(2);
    let (server, handled) = server(config, Duration::from_secs(30)).await;
    let mut first = connect(&server).await;
    let mut second = connect(&server).await;
    for (i, stream) in [&mut first, &mut second].into_iter().enumerate() {
        stream
            .write_all(&signed_request(&format!("held-{i}")))
            .await
            .expect("write");
        assert_eq!(status_of(&read_response(stream).await.0), 200);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Both idle now, `first` the longest: the newcomer is served at once in its place.
    let started = std::time::Instant::now();
    let mut third = connect(&server).await;
    third
        .write_all(&signed_request("newcomer"))
        .await
        .expect("write");
    let (head, _) = read_response(&mut third).await;
    assert_eq!(status_of(&head), 200, "{head}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "answered in {:?}",
        started.elapsed()
    );
    assert!(
        read_until_closed(&mut first).await.is_empty(),
        "the longest idle connection was closed, unanswered"
    );
    // The other one is still served.
    second
        .write_all(&signed_request("held-again"))
        .await
        .expect("write");
    assert_eq!(status_of(&read_response(&mut second).await.0), 200);
    assert_eq!(handled.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn when_every_connection_is_serving_a_request_a_new_one_waits_and_none_is_closed() {
    let config = ServeConfig::default().max_connections(1);
    let (server, handled) = server(config, Duration::from_secs(30)).await;
    // A request whose body is still arriving is being served: never closed to make room.
    let request = signed_request("slow-body");
    let split = request.len() - 5;
    let mut busy = connect(&server).await;
    busy.write_all(&request[..split]).await.expect("write");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut waiting = connect(&server).await;
    waiting
        .write_all(&signed_request("waiting"))
        .await
        .expect("write");
    let mut byte = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(500), waiting.read(&mut byte)).await;
    assert!(
        early.is_err(),
        "the newcomer is not served while the slot is busy"
    );
    // The busy request completes and is answered; then the newcomer takes its place.
    busy.write_all(&request[split..]).await.expect("write");
    assert_eq!(status_of(&read_response(&mut busy).await.0), 200);
    let (head, _) = read_response(&mut waiting).await;
    assert_eq!(status_of(&head), 200, "{head}");
    assert_eq!(handled.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn heads_time_out_sooner_as_the_server_fills() {
    // 60 s head timeout when quiet, 300 ms at the cap: ten half heads at a cap of ten are
    // closed within about a second.
    let config = ServeConfig::default()
        .max_connections(10)
        .header_read_timeout(Duration::from_secs(60))
        .loaded_header_read_timeout(Duration::from_millis(300));
    let (server, handled) = server(config, Duration::from_secs(30)).await;
    let started = std::time::Instant::now();
    let mut half_heads = Vec::new();
    for _ in 0..10 {
        let mut stream = connect(&server).await;
        stream
            .write_all(b"POST /webhooks/highlevel HTTP/1.1\r\nHost: l\r\n")
            .await
            .expect("write");
        half_heads.push(stream);
    }
    for stream in &mut half_heads {
        assert!(read_until_closed(stream).await.is_empty());
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "closed after {:?}",
        started.elapsed()
    );
    assert_eq!(handled.load(Ordering::SeqCst), 0);
}

/// The soft limit on open files of this process, from `/proc/self/limits`.
fn open_files_soft_limit() -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").expect("/proc/self/limits");
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .expect("a `Max open files` line")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_1100_half_open_connections_a_new_signed_delivery_is_answered_200_at_once() {
    // 1,100 client sockets plus up to 1,024 served ones, in this one process.
    let needed = 2 * 1100 + 100;
    let limit = open_files_soft_limit();
    assert!(
        limit >= needed,
        "this test needs {needed} open files and the soft limit is {limit}: run `ulimit -n 4096` first"
    );
    // The cap the server had before it followed the open-file limit, and the default 10 s
    // head timeout: the flood fills the cap, and a newcomer is still answered at once.
    let config = ServeConfig::default().max_connections(1024);
    let (server, handled) = server(config, Duration::from_secs(30)).await;
    let mut half_open = Vec::with_capacity(1100);
    for _ in 0..1100 {
        let mut stream = connect(&server).await;
        stream
            .write_all(b"POST /webhooks/highlevel HTTP/1.1\r\nHost: l\r\nX-GHL-Sig")
            .await
            .expect("write");
        half_open.push(stream);
    }
    // A new sender is answered at once: the half heads waiting longest are closed to make
    // room (before, it waited for the head timeout to free a slot).
    let started = std::time::Instant::now();
    let mut newcomer = connect(&server).await;
    newcomer
        .write_all(&signed_request("newcomer"))
        .await
        .expect("write");
    let (head, _) = read_response(&mut newcomer).await;
    assert_eq!(status_of(&head), 200, "{head}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "answered in {:?}",
        started.elapsed()
    );
    assert_eq!(handled.load(Ordering::SeqCst), 1);
    // Every half-open connection was closed by the server, none answered.
    for stream in &mut half_open {
        assert!(read_until_closed(stream).await.is_empty());
    }
}

#[tokio::test]
async fn inside_any_host_server_a_body_that_stops_arriving_is_answered_408() {
    use futures_util::StreamExt as _;
    use http_body_util::StreamBody;

    let service = WebhookRouter::new()
        .verifier(TestKeys::primary().verifier())
        .body_timeout(Duration::from_millis(200))
        .into_service();
    let first = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(
        http_body::Frame::data(bytes::Bytes::from_static(b"{\"type\":")),
    )]);
    let body = StreamBody::new(first.chain(futures_util::stream::pending()));
    let request = http::Request::post("/webhooks/highlevel")
        .header("content-type", "application/json")
        .body(body)
        .expect("request");
    let response = tokio::time::timeout(GUARD, service.handle(request))
        .await
        .expect("answered");
    assert_eq!(response.status(), 408);
    assert_eq!(
        response.headers().get("connection").map(|v| v.as_bytes()),
        Some(&b"close"[..])
    );
}
