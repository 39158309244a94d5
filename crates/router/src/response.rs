//! Answering: the response of an [`Outcome`], and the [`Answer`] that observers see.
//!
//! The status of each outcome is in the table on [`Outcome`](crate::Outcome).

use std::borrow::Cow;

use bytes::Bytes;
use ghl_webhook_types::EventKind;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

use crate::delivery::Delivery;
use crate::outcome::Outcome;

/// The body type of every response of the router.
pub type ResponseBody = Full<Bytes>;

/// The HTTP response of an outcome answered with `status`: `text/plain` with the outcome's
/// message, plus `Allow: POST` on a 405, and `Connection: close` on a 408 (a client too slow
/// to send its body does not keep its connection).
pub(crate) fn respond(status: StatusCode, outcome: &Outcome) -> Response<ResponseBody> {
    let message = match outcome.message() {
        Cow::Borrowed(text) => Bytes::from_static(text.as_bytes()),
        Cow::Owned(text) => Bytes::from(text),
    };
    let mut response = Response::new(Full::new(message));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if status == StatusCode::METHOD_NOT_ALLOWED {
        headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    if status == StatusCode::REQUEST_TIMEOUT {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// What an observer registered with [`WebhookRouter::on_answer`](crate::WebhookRouter::on_answer)
/// learns of each delivery once it is answered: for logs, metrics or a local console.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    pub(crate) outcome: &'a Outcome,
    pub(crate) status: StatusCode,
    pub(crate) delivery: Option<&'a Delivery>,
}

impl<'a> Answer<'a> {
    /// The status answered.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// How the delivery ended.
    pub fn outcome(&self) -> &'a Outcome {
        self.outcome
    }

    /// The verified delivery; `None` when the request was rejected before it was verified and
    /// identified (bad signature, too large, not JSON, ...).
    pub fn delivery(&self) -> Option<&'a Delivery> {
        self.delivery
    }

    /// The response text: the outcome, or why the delivery was rejected.
    pub fn message(&self) -> Cow<'static, str> {
        self.outcome.message()
    }

    /// The identified kind (`None` when unknown or rejected before identification).
    pub fn kind(&self) -> Option<EventKind> {
        self.delivery.and_then(Delivery::kind)
    }

    /// The `webhookId`, when the delivery got as far as identification and had one.
    pub fn webhook_id(&self) -> Option<&'a str> {
        self.delivery.and_then(Delivery::webhook_id)
    }

    /// The verified body bytes; `None` when the delivery was rejected before they were verified.
    pub fn raw(&self) -> Option<&'a Bytes> {
        self.delivery.map(Delivery::raw)
    }
}
