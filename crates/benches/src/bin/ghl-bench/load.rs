//! The closed-loop HTTP/1.1 keep-alive load generator.
//!
//! Each connection sends one request, reads the whole response, records the latency, and sends
//! the next: `connections` requests are in flight at any time. Requests are pre-built bytes
//! (one per signed payload, cycled through by a shared counter, so the requests in flight at
//! once always carry distinct `webhookId`s). A phase stops at its deadline or after
//! `max_requests`, whichever comes first; a request that does not complete within `timeout`
//! ends its connection and counts as an error.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::stats::percentile;

/// One phase of load.
#[derive(Debug, Clone)]
pub(crate) struct Phase {
    /// Where the server listens.
    pub addr: SocketAddr,
    /// Concurrent keep-alive connections.
    pub connections: usize,
    /// How long to send.
    pub duration: Duration,
    /// Bound on the requests sent.
    pub max_requests: u64,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Where in the request cycle to start (so that consecutive phases continue the cycle).
    pub first_index: u64,
}

/// One pre-built request and what it must be answered.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// The raw HTTP/1.1 bytes.
    pub bytes: Vec<u8>,
    /// Its signature is forged: it must be answered 401, and a 200 is an error.
    pub forged: bool,
}

/// What one phase measured.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Requests answered 200 (valid deliveries).
    pub ok: u64,
    /// Forged deliveries answered 401, as they must be.
    pub rejected: u64,
    /// Requests answered otherwise (a forged delivery answered 200 included), or failed.
    pub errors: u64,
    /// The first error seen, for the report.
    pub first_error: Option<String>,
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
}

impl Outcome {
    /// Requests answered 200 per second.
    pub fn rps(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.ok as f64 / secs
        } else {
            0.0
        }
    }

    /// Requests answered as they must be (200, or 401 for forged ones) per second.
    pub fn answered_rps(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            (self.ok + self.rejected) as f64 / secs
        } else {
            0.0
        }
    }
}

/// One POST of `body` with its signature, as raw HTTP/1.1 bytes.
pub(crate) fn request_bytes(addr: SocketAddr, path: &str, signature: &str, body: &str) -> Vec<u8> {
    let mut out = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nX-GHL-Signature: {signature}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// The head of a response: its length in bytes, its status and its body length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    /// Bytes up to and including the blank line.
    pub len: usize,
    /// The status code.
    pub status: u16,
    /// The `Content-Length` (0 when absent).
    pub content_length: usize,
}

/// Parses a response head from the start of `buf`; `Ok(None)` while it is incomplete.
///
/// Only what the benchmark servers send is supported: a `Content-Length` body (chunked
/// responses are an error).
pub(crate) fn parse_head(buf: &[u8]) -> Result<Option<Head>, String> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        if buf.len() > 64 * 1024 {
            return Err("response head over 64 KiB".to_owned());
        }
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| "response head is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| status_line.strip_prefix("HTTP/1.0 "))
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| format!("not an HTTP/1.x status line: `{status_line}`"))?;
    let mut content_length = 0;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("malformed header line `{line}`"));
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("content-length") {
            content_length = value
                .parse()
                .map_err(|_| format!("bad Content-Length `{value}`"))?;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(format!("unsupported Transfer-Encoding `{value}`"));
        }
    }
    Ok(Some(Head {
        len: end + 4,
        status,
        content_length,
    }))
}

/// Reads one whole response from `stream` (bytes past it stay in `buf`); returns its status.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<u16, String> {
    loop {
        if let Some(head) = parse_head(buf)? {
            let total = head.len + head.content_length;
            while buf.len() < total {
                read_more(stream, buf).await?;
            }
            buf.drain(..total);
            return Ok(head.status);
        }
        read_more(stream, buf).await?;
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(), String> {
    buf.reserve(4096);
    match stream.read_buf(buf).await {
        Ok(0) => Err("the server closed the connection".to_owned()),
        Ok(_) => Ok(()),
        Err(e) => Err(format!("read: {e}")),
    }
}

/// What one connection measured.
struct ConnectionResult {
    latencies_ns: Vec<u64>,
    ok: u64,
    rejected: u64,
    errors: u64,
    first_error: Option<String>,
    finished: Instant,
}

/// Runs one phase against `requests` (cycled). Must run inside a tokio runtime.
pub(crate) async fn run(phase: &Phase, requests: Arc<Vec<Request>>) -> Result<Outcome, String> {
    if requests.is_empty() {
        return Err("no requests to send".to_owned());
    }
    let mut streams = Vec::with_capacity(phase.connections);
    for i in 0..phase.connections {
        let stream = tokio::time::timeout(phase.timeout, TcpStream::connect(phase.addr))
            .await
            .map_err(|_| format!("connection {i} to {} timed out", phase.addr))?
            .map_err(|e| format!("connection {i} to {}: {e}", phase.addr))?;
        stream
            .set_nodelay(true)
            .map_err(|e| format!("TCP_NODELAY: {e}"))?;
        streams.push(stream);
    }
    let issued = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + phase.duration;
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|stream| {
            let requests = requests.clone();
            let issued = issued.clone();
            let limits = Limits {
                deadline,
                max_requests: phase.max_requests,
                timeout: phase.timeout,
                first_index: phase.first_index,
            };
            tokio::spawn(connection(stream, requests, issued, limits))
        })
        .collect();

    let mut latencies = Vec::new();
    let mut outcome = Outcome::default();
    let mut finished = start;
    for task in tasks {
        let result = task
            .await
            .map_err(|e| format!("a connection task failed: {e}"))?;
        latencies.extend_from_slice(&result.latencies_ns);
        outcome.ok += result.ok;
        outcome.rejected += result.rejected;
        outcome.errors += result.errors;
        if outcome.first_error.is_none() {
            outcome.first_error = result.first_error;
        }
        finished = finished.max(result.finished);
    }
    latencies.sort_unstable();
    outcome.elapsed = finished - start;
    outcome.p50 = Duration::from_nanos(percentile(&latencies, 50.0).unwrap_or(0));
    outcome.p99 = Duration::from_nanos(percentile(&latencies, 99.0).unwrap_or(0));
    if outcome.ok == 0 {
        return Err(format!(
            "no request succeeded ({} errors; first: {})",
            outcome.errors,
            outcome.first_error.as_deref().unwrap_or("none")
        ));
    }
    Ok(outcome)
}

/// When a connection stops, and where it starts in the cycle.
#[derive(Debug, Clone, Copy)]
struct Limits {
    deadline: Instant,
    max_requests: u64,
    timeout: Duration,
    first_index: u64,
}

async fn connection(
    mut stream: TcpStream,
    requests: Arc<Vec<Request>>,
    issued: Arc<AtomicU64>,
    limits: Limits,
) -> ConnectionResult {
    let Limits {
        deadline,
        max_requests,
        timeout,
        first_index,
    } = limits;
    let mut result = ConnectionResult {
        latencies_ns: Vec::with_capacity(64 * 1024),
        ok: 0,
        rejected: 0,
        errors: 0,
        first_error: None,
        finished: Instant::now(),
    };
    let mut buf = Vec::with_capacity(8192);
    loop {
        if Instant::now() >= deadline {
            break;
        }
        let n = issued.fetch_add(1, Ordering::Relaxed);
        if n >= max_requests {
            break;
        }
        let request = &requests[((first_index + n) % requests.len() as u64) as usize];
        let sent = Instant::now();
        let exchange = async {
            stream
                .write_all(&request.bytes)
                .await
                .map_err(|e| format!("write: {e}"))?;
            read_response(&mut stream, &mut buf).await
        };
        let answer = match tokio::time::timeout(timeout, exchange).await {
            Ok(answer) => answer,
            Err(_) => Err(format!("no answer within {timeout:?}")),
        };
        match answer {
            Ok(401) if request.forged => result.rejected += 1,
            Ok(200) if request.forged => {
                result.errors += 1;
                result
                    .first_error
                    .get_or_insert_with(|| "a forged delivery was answered 200".to_owned());
            }
            Ok(200) => {
                result.ok += 1;
                result
                    .latencies_ns
                    .push(sent.elapsed().as_nanos().min(u64::MAX as u128) as u64);
            }
            Ok(status) => {
                result.errors += 1;
                result
                    .first_error
                    .get_or_insert_with(|| format!("status {status}"));
            }
            Err(error) => {
                // The connection is in an unknown state: stop using it.
                result.errors += 1;
                result.first_error.get_or_insert(error);
                break;
            }
        }
    }
    result.finished = Instant::now();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_parsed_once_complete() {
        let response = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 7\r\ndate: x\r\n\r\nhandled";
        assert_eq!(parse_head(&response[..20]), Ok(None));
        let head = parse_head(response).expect("valid").expect("complete");
        assert_eq!(head.status, 200);
        assert_eq!(head.content_length, 7);
        assert_eq!(&response[head.len..], b"handled");
        let empty = parse_head(b"HTTP/1.1 401 Unauthorized\r\n\r\n")
            .expect("valid")
            .expect("complete");
        assert_eq!((empty.status, empty.content_length), (401, 0));
    }

    #[test]
    fn unsupported_or_malformed_heads_are_errors() {
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n").is_err());
        assert!(parse_head(b"SMTP 220\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nno-colon\r\n\r\n").is_err());
    }

    #[test]
    fn requests_carry_the_signature_and_length() {
        let addr = SocketAddr::from(([127, 0, 0, 1], 8080));
        let bytes = request_bytes(addr, "/h", "c2ln", "{}");
        let text = String::from_utf8(bytes).expect("utf8");
        assert!(text.starts_with("POST /h HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"));
        assert!(text.contains("X-GHL-Signature: c2ln\r\n"));
        assert!(text.ends_with("Content-Length: 2\r\n\r\n{}"));
    }
}
