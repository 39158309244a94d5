//! HTTP/1.1 responses read off a raw socket, for tests that write requests byte by byte.

use std::time::Duration;

use ghl_webhook_sim::TestKeys;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// A signed AssociationDelete with this `webhookId`, as raw HTTP/1.1 bytes asking the server
/// to close the connection after its answer.
pub fn signed_request(path: &str, webhook_id: &str) -> Vec<u8> {
    signed(path, webhook_id, "Connection: close\r\n")
}

/// The same, on a connection kept alive.
pub fn signed_keep_alive_request(path: &str, webhook_id: &str) -> Vec<u8> {
    signed(path, webhook_id, "")
}

fn signed(path: &str, webhook_id: &str, connection: &str) -> Vec<u8> {
    let body = format!(
        r#"{{"type":"AssociationDelete","id":"67ade73d1119d2ac7ad0c475","associationType":"USER_DEFINED","firstObjectKey":"custom_objects.a","secondObjectKey":"custom_objects.b","key":"k","locationId":"loc1","webhookId":"{webhook_id}"}}"#
    );
    let signature = TestKeys::primary().sign(body.as_bytes());
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nX-GHL-Signature: {signature}\r\n{connection}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The status code at the start of a raw response (`HTTP/1.1 200 OK...`); 0 when there is none.
pub fn status(response: &[u8]) -> u16 {
    response
        .strip_prefix(b"HTTP/1.1 ")
        .and_then(|rest| std::str::from_utf8(rest.get(..3)?).ok())
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// One response read from `stream` within `guard`: its head (lower-cased) and its body (by
/// `Content-Length`). Panics when the connection closes or stalls first.
pub async fn read_response(stream: &mut TcpStream, guard: Duration) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        read_some(stream, &mut buf, guard).await;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().expect("a length"));
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        read_some(stream, &mut body, guard).await;
    }
    (head, body)
}

async fn read_some(stream: &mut TcpStream, buf: &mut Vec<u8>, guard: Duration) {
    let mut chunk = [0u8; 4096];
    let n = tokio::time::timeout(guard, stream.read(&mut chunk))
        .await
        .expect("a response in time")
        .expect("read");
    assert!(n > 0, "connection closed before a whole response: {buf:?}");
    buf.extend_from_slice(&chunk[..n]);
}
