//! Outcomes of a delivery and the status codes that make HighLevel do the right thing.
//!
//! | outcome | default status | why |
//! |---|---|---|
//! | handled | 200 | done |
//! | unknown kind, or no handler for the kind | 200 | acknowledged and logged; a retry cannot help |
//! | duplicate of a handled delivery | 200 | already done |
//! | duplicate while the first is in flight | 503 (`busy`) | retryable: HighLevel comes back when the outcome is known |
//! | idempotency store unavailable | 503 (`busy`) | retryable; nothing processed twice |
//! | known kind that does not decode | 200 (`decode_failure`) | retries cannot fix it, and failures trip HighLevel's circuit breaker |
//! | handler error, panic or timeout | 500 (`failure`) | HighLevel retries |
//! | bad or missing signature | 401 | |
//! | body too large | 413 | |
//! | not `POST` | 405 | |
//! | `Content-Type` present and not JSON | 415 | |
//! | body is not JSON | 400 | |

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

/// The body type of every response of the router.
pub type ResponseBody = Full<Bytes>;

/// The configurable status codes (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusPolicy {
    /// Handler error, panic or timeout. Default 500.
    pub failure: StatusCode,
    /// Duplicate in flight, store unavailable. Default 503.
    pub busy: StatusCode,
    /// Known kind whose payload does not decode. Default 200.
    pub decode_failure: StatusCode,
}

impl Default for StatusPolicy {
    fn default() -> Self {
        Self {
            failure: StatusCode::INTERNAL_SERVER_ERROR,
            busy: StatusCode::SERVICE_UNAVAILABLE,
            decode_failure: StatusCode::OK,
        }
    }
}

impl StatusPolicy {
    /// HighLevel's old retry policy retried only `429`: use it for every retryable outcome.
    pub fn legacy_429() -> Self {
        Self {
            failure: StatusCode::TOO_MANY_REQUESTS,
            busy: StatusCode::TOO_MANY_REQUESTS,
            decode_failure: StatusCode::OK,
        }
    }
}

/// A short plain-text response. Bodies name the outcome (and the reason for rejections) but
/// never echo payload contents.
pub(crate) fn text(status: StatusCode, message: impl Into<Bytes>) -> Response<ResponseBody> {
    let mut response = Response::new(Full::new(message.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
