#![doc = include_str!("../README.md")]
//!
//! The items: [`route`] (an actix [`Route`] for a resource), [`handle`] (for
//! a handler of your own), and the two halves of the bridge, [`to_http_request`] with
//! [`PayloadBody`] and [`to_actix_response`], failing with a [`BridgeError`].
//!
//! ## What the bridge does
//!
//! actix-web 4 speaks `http` 0.2; the router speaks `http` 1.x and `http-body` 1. Each request
//! is carried over field by field, nothing dropped or re-encoded:
//!
//! | part | from actix (`http` 0.2) | to the service (`http` 1.x) |
//! |---|---|---|
//! | method | `HttpRequest::method` | the same token ([`http::Method::from_bytes`]) |
//! | URI | `HttpRequest::uri` (path and query as received) | parsed again from the same text |
//! | version | HTTP/0.9, 1.0, 1.1, 2, 3 | the same version |
//! | headers | every value of every name, repeated ones in the order received | appended in that order, bytes unchanged |
//! | body | the request's [`web::Payload`](actix_web::web::Payload), raw: no decompression, no buffering | an [`http_body::Body`] of its chunks as they arrive |
//!
//! The body is streamed, not collected first: the service reads it under its own size limit
//! ([`WebhookRouter::body_limit`](ghl_webhook_router::WebhookRouter::body_limit), `413`; a
//! declared `Content-Length` over it is refused before a byte is read) and time limit
//! ([`WebhookRouter::body_timeout`](ghl_webhook_router::WebhookRouter::body_timeout), `408`
//! and the connection closed), exactly as under hyper. actix's own
//! [`PayloadConfig`](actix_web::web::PayloadConfig) limit does not apply to a raw payload.
//!
//! The response goes back the same way: its status, every header (its `Connection: close`
//! becomes actix's [`force_close`](actix_web::HttpResponseBuilder::force_close), since actix
//! manages that header itself) and its body. When the service answered without reading the
//! body to its end (too large, too slow), the connection is closed after the answer, as hyper
//! does, instead of being read on for a next request.
//!
//! A request that cannot be carried over (a method, URI or header `http` 1.x refuses: actix
//! and `http` 1.x accept the same ones, so none is known) never reaches the service and is
//! answered `400`; nothing is verified or dispatched from a request the service did not see
//! whole ([`BridgeError`]).
//!
//! ## What actix bounds itself
//!
//! What happens before the service is called is the host server's job: actix-web's
//! `HttpServer` bounds the request head (`client_request_timeout`, 5 s by default; at most 96
//! headers), keep-alive (`keep_alive`) and connections per worker (`max_connections`,
//! 25,000 by default). Set them on `HttpServer` for a public URL.
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::StatusCode as ActixStatus;
use actix_web::{HttpRequest, HttpResponse, ResponseError, Route, web};
use bytes::Bytes;
use futures_util::Stream;
use ghl_webhook_router::{ResponseBody, WebhookService};
use http_body::Frame;
use http_body_util::BodyExt as _;

/// Why a request or response could not be carried between actix (`http` 0.2) and the
/// service (`http` 1.x).
///
/// As an actix [`ResponseError`]: `400` for a request (it never reached the service), `500`
/// for a response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BridgeError {
    /// The request method is not a valid `http` 1.x method.
    #[error("the request method `{0}` is not a valid HTTP method")]
    Method(String),
    /// The request URI is not a valid `http` 1.x URI.
    #[error("the request URI is not valid: {0}")]
    Uri(#[source] http::uri::InvalidUri),
    /// The request's HTTP version has no `http` 1.x counterpart.
    #[error("the HTTP version {0} is not supported")]
    Version(String),
    /// A request header name or value is not valid in `http` 1.x.
    #[error("the request header `{0}` is not valid")]
    Header(String),
    /// A response header name or value is not valid in actix's `http` 0.2.
    #[error("the response header `{0}` is not valid")]
    ResponseHeader(String),
    /// The service answered a status actix cannot send.
    #[error("the status {0} is not valid")]
    Status(u16),
}

impl ResponseError for BridgeError {
    fn status_code(&self) -> ActixStatus {
        match self {
            BridgeError::Status(_) | BridgeError::ResponseHeader(_) => {
                ActixStatus::INTERNAL_SERVER_ERROR
            }
            _ => ActixStatus::BAD_REQUEST,
        }
    }
}

/// An actix [`Route`] (every method) that answers with `service`:
/// `web::resource("/webhooks/highlevel").route(ghl_webhook_actix::route(service))`.
///
/// Mount [`WebhookService::bind_by_path`] on a resource with the kind as its last segment
/// (`/webhooks/highlevel/{kind}`) for events without a `type`, or
/// [`WebhookService::bind`] on a fixed path. See the [crate docs](crate) for what is carried
/// over and how.
pub fn route<S>(service: WebhookService<S>) -> Route
where
    S: Send + Sync + 'static,
{
    web::route().to(move |request: HttpRequest, payload: web::Payload| {
        let service = service.clone();
        async move { handle(&service, &request, payload).await }
    })
}

/// Answers one actix request with `service`: the request carried over to `http` 1.x (its body
/// streamed), the service's response carried back. Never fails: a request that cannot be
/// carried over is answered `400` without reaching the service.
pub async fn handle<S>(
    service: &WebhookService<S>,
    request: &HttpRequest,
    payload: web::Payload,
) -> HttpResponse
where
    S: Send + Sync + 'static,
{
    let body = PayloadBody::new(payload);
    let unread = body.unread.clone();
    let request = match to_http_request(request, body) {
        Ok(request) => request,
        Err(err) => return close_after(err.error_response(), unread.take()),
    };
    let response = service.handle(request).await;
    let response = match to_actix_response(response).await {
        Ok(response) => response,
        Err(err) => err.error_response(),
    };
    close_after(response, unread.take())
}

/// `response`, and when the service left the request body unread (refused as too large, cut
/// by the body timeout), the connection closed after it: the rest of the body is never read.
///
/// actix reads on an unread chunked body to its end when the handler dropped it, for as long
/// as the client sends; while the payload is alive it closes the connection instead. So the
/// response body holds the unread payload until actix has written it.
fn close_after(response: HttpResponse, unread: Option<actix_web::dev::Payload>) -> HttpResponse {
    let Some(payload) = unread else {
        return response;
    };
    let mut response = response.map_body(|_, body| HoldingPayload {
        body,
        _payload: payload,
    });
    response
        .head_mut()
        .set_connection_type(actix_web::http::ConnectionType::Close);
    response.map_into_boxed_body()
}

/// A response body that keeps the request's unread payload alive while it is written.
struct HoldingPayload<B> {
    body: B,
    _payload: actix_web::dev::Payload,
}

impl<B: MessageBody + Unpin> MessageBody for HoldingPayload<B> {
    type Error = B::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.body).poll_next(cx)
    }
}

/// The head of an actix request with `body`, as an `http` 1.x request: method, URI, version
/// and every header value, in order.
pub fn to_http_request<B>(request: &HttpRequest, body: B) -> Result<http::Request<B>, BridgeError> {
    let method = http::Method::from_bytes(request.method().as_str().as_bytes())
        .map_err(|_| BridgeError::Method(request.method().as_str().to_owned()))?;
    let uri = http::Uri::try_from(request.uri().to_string()).map_err(BridgeError::Uri)?;
    let version = match request.version() {
        actix_web::http::Version::HTTP_09 => http::Version::HTTP_09,
        actix_web::http::Version::HTTP_10 => http::Version::HTTP_10,
        actix_web::http::Version::HTTP_11 => http::Version::HTTP_11,
        actix_web::http::Version::HTTP_2 => http::Version::HTTP_2,
        actix_web::http::Version::HTTP_3 => http::Version::HTTP_3,
        other => return Err(BridgeError::Version(format!("{other:?}"))),
    };
    let mut headers = http::HeaderMap::with_capacity(request.headers().len());
    for (name, value) in request.headers().iter() {
        let invalid = || BridgeError::Header(name.as_str().to_owned());
        let name = http::HeaderName::from_bytes(name.as_str().as_bytes()).map_err(|_| invalid())?;
        let value = http::HeaderValue::from_bytes(value.as_bytes()).map_err(|_| invalid())?;
        headers.append(name, value);
    }
    let mut carried = http::Request::new(body);
    *carried.method_mut() = method;
    *carried.uri_mut() = uri;
    *carried.version_mut() = version;
    *carried.headers_mut() = headers;
    Ok(carried)
}

/// The service's `http` 1.x response as an actix response: status, headers (in order) and
/// body. `Connection: close` becomes [`force_close`](actix_web::HttpResponseBuilder::force_close).
pub async fn to_actix_response(
    response: http::Response<ResponseBody>,
) -> Result<HttpResponse, BridgeError> {
    let (parts, body) = response.into_parts();
    let status = ActixStatus::from_u16(parts.status.as_u16())
        .map_err(|_| BridgeError::Status(parts.status.as_u16()))?;
    let mut builder = HttpResponse::build(status);
    for (name, value) in &parts.headers {
        if name == http::header::CONNECTION {
            if value
                .to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")))
            {
                builder.force_close();
            }
            continue;
        }
        let invalid = || BridgeError::ResponseHeader(name.as_str().to_owned());
        let name = actix_web::http::header::HeaderName::from_bytes(name.as_str().as_bytes())
            .map_err(|_| invalid())?;
        let value = actix_web::http::header::HeaderValue::from_bytes(value.as_bytes())
            .map_err(|_| invalid())?;
        builder.append_header((name, value));
    }
    // The router's bodies are whole in memory (one frame): collecting is immediate.
    let body: Bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    Ok(builder.body(body))
}

/// An actix request payload as an [`http_body::Body`]: each chunk a data frame, as it arrives.
///
/// Not `Send` (actix serves each connection on one thread), which the service's
/// [`handle`](WebhookService::handle) does not need.
pub struct PayloadBody {
    payload: actix_web::dev::Payload,
    /// Whether the payload was read to its end (or had none).
    ended: bool,
    /// Where the payload goes when this body is dropped before its end.
    unread: Rc<Cell<Option<actix_web::dev::Payload>>>,
}

impl PayloadBody {
    /// The body of `payload`.
    pub fn new(payload: web::Payload) -> Self {
        let payload = payload.into_inner();
        Self {
            ended: matches!(payload, actix_web::dev::Payload::None),
            payload,
            unread: Rc::default(),
        }
    }
}

impl Drop for PayloadBody {
    fn drop(&mut self) {
        if !self.ended {
            self.unread.set(Some(self.payload.take()));
        }
    }
}

impl std::fmt::Debug for PayloadBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayloadBody")
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl http_body::Body for PayloadBody {
    type Data = Bytes;
    type Error = actix_web::error::PayloadError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let polled = Pin::new(&mut self.payload).poll_next(cx);
        if let Poll::Ready(None) = polled {
            self.ended = true;
        }
        polled.map(|chunk| chunk.map(|chunk| chunk.map(Frame::data)))
    }

    fn is_end_stream(&self) -> bool {
        self.ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use futures_util::FutureExt as _;
    use http_body_util::{Empty, Full};

    #[test]
    fn a_request_head_is_carried_over_whole() {
        let request = TestRequest::default()
            .method(actix_web::http::Method::from_bytes(b"PURGE").expect("a method"))
            .uri("/webhooks/highlevel/AssociationDelete?source=ghl&x=%20y")
            .version(actix_web::http::Version::HTTP_10)
            .insert_header(("x-ghl-signature", "c2lnbmF0dXJl"))
            .append_header(("x-forwarded-for", "10.0.0.1"))
            .append_header(("x-forwarded-for", "10.0.0.2"))
            .append_header(("x-opaque", &b"caf\xe9"[..]))
            .to_http_request();
        let carried = to_http_request(&request, Empty::<Bytes>::new()).expect("carried over");
        assert_eq!(carried.method().as_str(), "PURGE");
        assert_eq!(
            carried.uri(),
            "/webhooks/highlevel/AssociationDelete?source=ghl&x=%20y"
        );
        assert_eq!(carried.version(), http::Version::HTTP_10);
        assert_eq!(carried.headers()["x-ghl-signature"], "c2lnbmF0dXJl");
        let forwarded: Vec<_> = carried
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        assert_eq!(forwarded, [&b"10.0.0.1"[..], &b"10.0.0.2"[..]]);
        assert_eq!(carried.headers()["x-opaque"].as_bytes(), b"caf\xe9");
        assert_eq!(carried.headers().len(), 4);
    }

    #[test]
    fn a_response_is_carried_back_whole() {
        let response = http::Response::builder()
            .status(http::StatusCode::REQUEST_TIMEOUT)
            .header("content-type", "text/plain; charset=utf-8")
            .header("x-note", "one")
            .header("x-note", "two")
            .header("connection", "close")
            .body(Full::new(Bytes::from_static(b"too slow")))
            .expect("a response");
        let carried = to_actix_response(response)
            .now_or_never()
            .expect("no I/O")
            .expect("carried back");
        assert_eq!(carried.status().as_u16(), 408);
        let notes: Vec<_> = carried.headers().get_all("x-note").collect();
        assert_eq!(notes, ["one", "two"]);
        assert!(carried.headers().get("connection").is_none());
        assert_eq!(
            carried.head().connection_type(),
            actix_web::http::ConnectionType::Close
        );
        let body = actix_web::body::to_bytes(carried.into_body())
            .now_or_never()
            .expect("no I/O")
            .expect("a body");
        assert_eq!(&body[..], b"too slow");
    }

    #[test]
    fn a_bridge_error_answers_400_for_a_request_and_500_for_a_response() {
        assert_eq!(
            BridgeError::Header("x".into()).status_code(),
            ActixStatus::BAD_REQUEST
        );
        assert_eq!(
            BridgeError::ResponseHeader("x".into()).status_code(),
            ActixStatus::INTERNAL_SERVER_ERROR
        );
    }
}
