//! Reading the request: a `POST` whose `Content-Type`, if any, is JSON, and its body, bounded
//! in size and in time.
//!
//! The whole body must arrive within the body timeout, whatever the host server does, so that
//! a client trickling bytes cannot hold a task forever. A declared `Content-Length` over the limit is refused before a single byte is read; a body
//! without one (chunked) is read until it crosses the limit and then dropped, so an oversized
//! delivery never costs more than `limit` bytes of memory.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, header};
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::BoxError;
use crate::outcome::Outcome;

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    /// The body is larger than the configured limit.
    #[error(
        "the body is larger than the limit of {limit} bytes; raise it with `WebhookRouter::body_limit` if HighLevel legitimately sends more"
    )]
    TooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The whole body did not arrive within the body timeout.
    #[error(
        "the body did not arrive within {}s; send it at once, or raise `WebhookRouter::body_timeout`",
        .timeout.as_secs_f64()
    )]
    TimedOut {
        /// The timeout in force.
        timeout: Duration,
    },
    /// The connection failed while the body was being read.
    #[error("the body could not be read: {0}")]
    Read(#[source] BoxError),
}

/// Accepts only a `POST` with no `Content-Type` or a JSON one (405, 415).
pub(crate) fn check_request(parts: &http::request::Parts) -> Result<(), Outcome> {
    if parts.method != Method::POST {
        return Err(Outcome::MethodNotAllowed);
    }
    if !content_type_is_json(&parts.headers) {
        return Err(Outcome::UnsupportedMediaType);
    }
    Ok(())
}

/// Reads the whole body within `timeout` (408 past it), refusing anything over `limit` bytes
/// (413 before reading a byte when the `Content-Length` in `headers` already says so).
pub(crate) async fn read_body<B>(
    body: B,
    headers: &HeaderMap,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, BodyError>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    tokio::time::timeout(timeout, read_limited(body, content_length(headers), limit))
        .await
        .unwrap_or(Err(BodyError::TimedOut { timeout }))
}

async fn read_limited<B>(
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
fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// True when there is no `Content-Type`, or it is JSON (`application/json`, `*/*+json`).
fn content_type_is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return true;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || (essence.len() > 5
            && essence.is_char_boundary(essence.len() - 5)
            && essence[essence.len() - 5..].eq_ignore_ascii_case("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt as _;
    use http_body::Frame;
    use http_body_util::{Full, StreamBody};

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        futures_util::FutureExt::now_or_never(f).expect("ready without I/O")
    }

    #[test]
    fn a_body_within_the_limit_is_read_whole() {
        let body = Full::new(Bytes::from_static(b"{\"a\":1}"));
        assert_eq!(
            block_on(read_limited(body, Some(7), 7)).expect("fits"),
            &b"{\"a\":1}"[..]
        );
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_without_reading() {
        let body = Full::new(Bytes::from_static(b"x"));
        assert!(matches!(
            block_on(read_limited(body, Some(11), 10)),
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
            block_on(read_limited(body, None, 50)),
            Err(BodyError::TooLarge { limit: 50 })
        ));
    }

    #[test]
    fn a_lying_content_length_does_not_bypass_the_limit() {
        let body = Full::new(Bytes::from(vec![b'x'; 64]));
        assert!(matches!(
            block_on(read_limited(body, Some(3), 10)),
            Err(BodyError::TooLarge { .. })
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stops_arriving_times_out() {
        let first = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(Frame::data(
            Bytes::from_static(b"{\"type\":"),
        ))]);
        let body = StreamBody::new(first.chain(futures_util::stream::pending()));
        let timeout = Duration::from_millis(50);
        assert!(matches!(
            read_body(body, &HeaderMap::new(), 1024, timeout).await,
            Err(BodyError::TimedOut { timeout: t }) if t == timeout
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_arrives_in_time_is_read() {
        let body = Full::new(Bytes::from_static(b"{}"));
        let read = read_body(body, &HeaderMap::new(), 1024, Duration::from_millis(50)).await;
        assert_eq!(read.expect("in time"), &b"{}"[..]);
    }

    #[test]
    fn the_timeout_message_says_what_to_do() {
        let message = BodyError::TimedOut {
            timeout: Duration::from_millis(1500),
        }
        .to_string();
        assert!(message.contains("1.5s"), "{message}");
        assert!(message.contains("WebhookRouter::body_timeout"), "{message}");
    }

    fn with_content_type(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_str(value).expect("header"),
        );
        h
    }

    #[test]
    fn json_content_types_are_recognised() {
        assert!(content_type_is_json(&HeaderMap::new()));
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
            "application/vnd.ghl+json",
        ] {
            assert!(content_type_is_json(&with_content_type(ok)), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "",
            "json",
            "+json",
            "application/jsonx",
        ] {
            assert!(!content_type_is_json(&with_content_type(bad)), "{bad}");
        }
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
