//! Raw HTTP/1.1 on a socket, for tests and load generators that write requests byte by byte:
//! signed requests, and responses read without trusting the server (bounded heads and bodies,
//! typed errors).

use std::time::Duration;

use ghl_webhook_sim::TestKeys;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The largest response head accepted from the server.
const MAX_HEAD: usize = 64 * 1024;

/// The largest response body accepted from the server.
const MAX_BODY: usize = 1024 * 1024;

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
/// `Content-Length`). Panics when the connection closes, stalls or answers garbage first.
pub async fn read_response(stream: &mut TcpStream, guard: Duration) -> (String, Vec<u8>) {
    let mut buffered = Vec::new();
    let response = tokio::time::timeout(guard, read(stream, &mut buffered))
        .await
        .expect("a response in time")
        .unwrap_or_else(|err| panic!("{err}: {buffered:?}"));
    (response.head, response.body)
}

/// A response as read from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The head (status line and header fields), lower-cased.
    pub head: String,
    /// Whether the server said it closes the connection (`Connection: close`).
    pub closes: bool,
    /// The body.
    pub body: Vec<u8>,
}

/// Why no response was read.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The server closed the connection (or reset it) before a whole response.
    #[error("the connection closed before a whole response ({read} bytes read)")]
    Closed {
        /// Bytes of the response read before the close.
        read: usize,
    },
    /// The server sent something that is not an HTTP/1.1 response.
    #[error("not an HTTP response: {0}")]
    Malformed(String),
    /// No whole response within the time allowed.
    #[error("no whole response within {0:?}")]
    TimedOut(Duration),
}

/// One keep-alive connection and the bytes read past the last response.
#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    buffered: Vec<u8>,
}

impl Connection {
    /// Connects to `addr`.
    pub async fn open(addr: std::net::SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buffered: Vec::new(),
        })
    }

    /// Writes `bytes` and reads one response within `within`.
    pub async fn exchange(
        &mut self,
        bytes: &[u8],
        within: Duration,
    ) -> Result<Response, WireError> {
        // Read while writing: a server may answer (413) before the whole body is sent and
        // close; the answer counts even though the rest of the body could not be written.
        let (mut reader, mut writer) = self.stream.split();
        let buffered = &mut self.buffered;
        let exchange = async {
            let write = async {
                let _ = writer.write_all(bytes).await;
            };
            let read = read(&mut reader, buffered);
            let (_, read) = tokio::join!(write, read);
            read
        };
        match tokio::time::timeout(within, exchange).await {
            Ok(result) => result,
            Err(_) => Err(WireError::TimedOut(within)),
        }
    }
}

async fn fill(
    reader: &mut (impl AsyncReadExt + Unpin),
    buffered: &mut Vec<u8>,
) -> Result<(), WireError> {
    let mut chunk = [0u8; 16 * 1024];
    match reader.read(&mut chunk).await {
        Ok(0) | Err(_) => Err(WireError::Closed {
            read: buffered.len(),
        }),
        Ok(n) => {
            buffered.extend_from_slice(&chunk[..n]);
            Ok(())
        }
    }
}

/// Reads one response from `reader`, `buffered` holding what was read past the previous one
/// (and keeping what is read past this one).
pub async fn read(
    reader: &mut (impl AsyncReadExt + Unpin),
    buffered: &mut Vec<u8>,
) -> Result<Response, WireError> {
    let head_end = loop {
        if let Some(at) = find(buffered, b"\r\n\r\n") {
            break at + 4;
        }
        if buffered.len() > MAX_HEAD {
            return Err(WireError::Malformed("a head over 64 KiB".to_owned()));
        }
        fill(reader, buffered).await?;
    };
    let head = String::from_utf8_lossy(&buffered[..head_end]).to_ascii_lowercase();
    let status = parse_status(&head)?;
    let header = |name: &str| {
        head.lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .find(|(n, _)| n.trim() == name)
            .map(|(_, v)| v.trim().to_owned())
    };
    let closes = header("connection").is_some_and(|v| v.contains("close"));
    if header("transfer-encoding").is_some() {
        return Err(WireError::Malformed("a chunked response".to_owned()));
    }
    let length: usize = match header("content-length") {
        Some(v) => v
            .parse()
            .map_err(|_| WireError::Malformed(format!("content-length `{v}`")))?,
        None => 0,
    };
    if length > MAX_BODY {
        return Err(WireError::Malformed(format!("a body of {length} bytes")));
    }
    while buffered.len() < head_end + length {
        fill(reader, buffered).await?;
    }
    let body = buffered[head_end..head_end + length].to_vec();
    buffered.drain(..head_end + length);
    Ok(Response {
        status,
        head,
        closes,
        body,
    })
}

fn parse_status(head: &str) -> Result<u16, WireError> {
    let line = head.lines().next().unwrap_or("");
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next().and_then(|s| s.parse().ok())) {
        (Some("http/1.1" | "http/1.0"), Some(status)) => Ok(status),
        _ => Err(WireError::Malformed(format!("status line `{line}`"))),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_parsed_and_garbage_is_refused() {
        assert_eq!(
            parse_status("http/1.1 408 request timeout\r\n").ok(),
            Some(408)
        );
        assert!(parse_status("garbage").is_err());
        assert!(parse_status("http/1.1 abc").is_err());
    }

    #[tokio::test]
    async fn responses_are_read_one_by_one_off_a_kept_alive_stream() {
        let mut wire: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 503 Service Unavailable\r\nConnection: close\r\ncontent-length: 0\r\n\r\n";
        let mut buffered = Vec::new();
        let first = read(&mut wire, &mut buffered).await.expect("first");
        assert_eq!(
            (first.status, first.body.as_slice(), first.closes),
            (200, &b"ok"[..], false)
        );
        let second = read(&mut wire, &mut buffered).await.expect("second");
        assert_eq!((second.status, second.closes), (503, true));
        assert!(matches!(
            read(&mut wire, &mut buffered).await,
            Err(WireError::Closed { read: 0 })
        ));
        let mut chunked: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert!(matches!(
            read(&mut chunked, &mut Vec::new()).await,
            Err(WireError::Malformed(_))
        ));
    }
}
