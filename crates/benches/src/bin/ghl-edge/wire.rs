//! Raw HTTP/1.1 requests, byte for byte: written exactly as built, so they can be malformed
//! on purpose. Their responses are read by testkit's [`Connection`], which trusts nothing the
//! server sends.

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

pub(crate) use ghl_webhook_testkit::raw_http::{Connection, WireError};

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
}
