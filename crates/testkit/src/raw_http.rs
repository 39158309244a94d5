//! HTTP/1.1 responses read off a raw socket, for tests that write requests byte by byte.

use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

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
