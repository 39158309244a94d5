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
use ghl_webhook_types::EventKind;
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

/// The outcome of one delivery before it becomes a response: a status and a short text that
/// names the outcome (and the reason for rejections), never payload contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) message: Bytes,
}

/// A reply with a plain-text message.
pub(crate) fn text(status: StatusCode, message: impl Into<Bytes>) -> Reply {
    Reply {
        status,
        message: message.into(),
    }
}

impl Reply {
    /// The HTTP response: `text/plain`, plus `Allow: POST` on a 405.
    pub(crate) fn into_response(self) -> Response<ResponseBody> {
        let mut response = Response::new(Full::new(self.message));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        response
    }
}

/// What an observer registered with [`WebhookRouter::on_answer`](crate::WebhookRouter::on_answer)
/// learns of each delivery once it is answered: for logs, metrics or a local console.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// The status answered.
    pub status: StatusCode,
    /// The response text: the outcome, or why the delivery was rejected.
    pub message: &'a [u8],
    /// The identified kind (`None` when unknown or rejected before identification).
    pub kind: Option<EventKind>,
    /// The `webhookId`, when the delivery got as far as identification and had one.
    pub webhook_id: Option<&'a str>,
    /// The verified body bytes; `None` when the delivery was rejected before they were verified.
    pub raw: Option<&'a Bytes>,
}

impl Answer<'_> {
    /// The response text, lossily decoded.
    pub fn message_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.message)
    }
}
