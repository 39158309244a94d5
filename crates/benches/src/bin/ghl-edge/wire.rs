//! Raw HTTP/1.1 on a TCP stream, byte for byte: requests written exactly as built (so they
//! can be malformed on purpose) and responses read without trusting the server.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The largest response head accepted from the server.
const MAX_HEAD: usize = 64 * 1024;

/// The largest response body accepted from the server.
const MAX_BODY: usize = 1024 * 1024;

/// One request, as built before it is encoded.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// `POST`, or another method on purpose.
    pub method: String,
    /// The request target.
    pub path: String,
    /// Header fields in wire order (`Content-Length` / `Transfer-Encoding` come from
    /// `framing`).
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
    /// How the body is framed.
    pub framing: Framing,
}

/// How a request's body is framed on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `Content-Length` of the body.
    Length,
    /// `Content-Length` twice: the same value, or a second, different one.
    DuplicateLength {
        /// The value of the second field.
        second: usize,
    },
    /// `Transfer-Encoding: chunked`, in chunks of these sizes (the last one takes the rest).
    Chunked(Vec<usize>),
}

impl Request {
    /// A `POST` of `body` to `path` with a JSON content type and `signature`.
    pub(crate) fn signed_post(path: &str, body: Vec<u8>, signature: &str) -> Self {
        Self {
            method: "POST".to_owned(),
            path: path.to_owned(),
            headers: vec![
                ("Host".to_owned(), "127.0.0.1".to_owned()),
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("X-GHL-Signature".to_owned(), signature.to_owned()),
            ],
            body,
            framing: Framing::Length,
        }
    }

    /// The bytes on the wire.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 512);
        out.extend_from_slice(format!("{} {} HTTP/1.1\r\n", self.method, self.path).as_bytes());
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        match &self.framing {
            Framing::Length => {
                out.extend_from_slice(
                    format!("Content-Length: {}\r\n\r\n", self.body.len()).as_bytes(),
                );
                out.extend_from_slice(&self.body);
            }
            Framing::DuplicateLength { second } => {
                out.extend_from_slice(
                    format!(
                        "Content-Length: {}\r\nContent-Length: {second}\r\n\r\n",
                        self.body.len()
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(&self.body);
            }
            Framing::Chunked(sizes) => {
                out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
                let mut rest = &self.body[..];
                for &size in sizes {
                    if rest.is_empty() {
                        break;
                    }
                    let (chunk, tail) = rest.split_at(size.clamp(1, rest.len()));
                    out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                    out.extend_from_slice(chunk);
                    out.extend_from_slice(b"\r\n");
                    rest = tail;
                }
                if !rest.is_empty() {
                    out.extend_from_slice(format!("{:x}\r\n", rest.len()).as_bytes());
                    out.extend_from_slice(rest);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"0\r\n\r\n");
            }
        }
        out
    }
}

/// A response as read from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    /// The status code.
    pub status: u16,
    /// Whether the server said it closes the connection (`Connection: close`).
    pub closes: bool,
    /// The body.
    pub body: Vec<u8>,
}

/// Why no response was read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WireError {
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
pub(crate) struct Connection {
    stream: TcpStream,
    buffered: Vec<u8>,
}

impl Connection {
    /// Connects to `addr`.
    pub(crate) async fn open(addr: std::net::SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buffered: Vec::new(),
        })
    }

    /// Writes `bytes` and reads one response within `within`.
    pub(crate) async fn exchange(
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
            let read = read_response(&mut reader, buffered);
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

async fn read_response(
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
    fn chunked_framing_splits_the_body_and_ends_with_a_zero_chunk() {
        let mut request = Request::signed_post("/x", b"abcdefg".to_vec(), "sig");
        request.framing = Framing::Chunked(vec![2, 3]);
        let wire = String::from_utf8(request.encode()).expect("ascii");
        assert!(
            wire.ends_with("\r\n\r\n2\r\nab\r\n3\r\ncde\r\n2\r\nfg\r\n0\r\n\r\n"),
            "{wire}"
        );
        assert!(wire.contains("Transfer-Encoding: chunked"));
        assert!(!wire.contains("Content-Length"));
    }

    #[test]
    fn status_lines_are_parsed_and_garbage_is_refused() {
        assert_eq!(
            parse_status("http/1.1 408 request timeout\r\n").ok(),
            Some(408)
        );
        assert!(parse_status("garbage").is_err());
        assert!(parse_status("http/1.1 abc").is_err());
    }
}
