//! Reading the request body, bounded.
//!
//! A declared `Content-Length` over the limit is refused before a single byte is read; a body
//! without one (chunked) is read until it crosses the limit and then dropped, so an oversized
//! delivery never costs more than `limit` bytes of memory.

use bytes::Bytes;
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::BoxError;

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body is larger than the configured limit.
    #[error(
        "the body is larger than the limit of {limit} bytes; raise it with `WebhookRouter::body_limit` if HighLevel legitimately sends more"
    )]
    TooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The connection failed while the body was being read.
    #[error("the body could not be read: {0}")]
    Read(#[source] BoxError),
}

/// Reads the whole body, refusing anything over `limit` bytes.
pub(crate) async fn read_body<B>(
    body: B,
    content_length: Option<u64>,
    limit: usize,
) -> Result<Bytes, BodyError>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    if content_length.is_some_and(|len| len > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.is::<LengthLimitError>() => Err(BodyError::TooLarge { limit }),
        Err(err) => Err(BodyError::Read(err)),
    }
}

/// The declared `Content-Length`, when there is a valid one.
pub(crate) fn content_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body::Frame;
    use http_body_util::{Full, StreamBody};

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        futures_util::FutureExt::now_or_never(f).expect("ready without I/O")
    }

    #[test]
    fn a_body_within_the_limit_is_read_whole() {
        let body = Full::new(Bytes::from_static(b"{\"a\":1}"));
        assert_eq!(
            block_on(read_body(body, Some(7), 7)).expect("fits"),
            &b"{\"a\":1}"[..]
        );
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_without_reading() {
        let body = Full::new(Bytes::from_static(b"x"));
        assert!(matches!(
            block_on(read_body(body, Some(11), 10)),
            Err(BodyError::TooLarge { limit: 10 })
        ));
    }

    #[test]
    fn an_undeclared_body_is_cut_at_the_limit() {
        let chunks = (0..100).map(|_| {
            Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from_static(b"0123456789")))
        });
        let body = StreamBody::new(futures_util::stream::iter(chunks));
        assert!(matches!(
            block_on(read_body(body, None, 50)),
            Err(BodyError::TooLarge { limit: 50 })
        ));
    }

    #[test]
    fn a_lying_content_length_does_not_bypass_the_limit() {
        let body = Full::new(Bytes::from(vec![b'x'; 64]));
        assert!(matches!(
            block_on(read_body(body, Some(3), 10)),
            Err(BodyError::TooLarge { .. })
        ));
    }

    #[test]
    fn content_length_ignores_garbage() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(content_length(&headers), None);
        headers.insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from_static("abc"),
        );
        assert_eq!(content_length(&headers), None);
        headers.insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from_static("42"),
        );
        assert_eq!(content_length(&headers), Some(42));
    }
}
