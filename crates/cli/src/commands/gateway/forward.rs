//! Forwarding one journaled delivery to the app: its exact bytes, signed as Standard Webhooks
//! for the app, over hyper-util's pooled HTTP/1 client (TLS by rustls for `https://`
//! targets); and what the answer means.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, StatusCode, Uri, header};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::signing::Signer;

/// The header naming the event kind (`unknown` when it could not be identified).
pub(crate) const KIND_HEADER: &str = "ghl-event-kind";
/// The header carrying our attempt number (1 for the first).
pub(crate) const ATTEMPT_HEADER: &str = "ghl-attempt";
/// The header naming the HighLevel key that verified the delivery (e.g. `ed25519:highlevel-ed25519`).
pub(crate) const VERIFIED_BY_HEADER: &str = "ghl-verified-by";

/// How much of an error body is kept for the journal's last error.
const ERROR_BODY: usize = 200;

/// One delivery to forward.
#[derive(Debug)]
pub(crate) struct Outgoing<'a> {
    /// The journal key: `webhook-id`.
    pub id: &'a str,
    /// The exact bytes HighLevel sent.
    pub body: &'a Bytes,
    /// The kind's name, or `unknown`.
    pub kind: &'a str,
    /// Our attempt number.
    pub attempt: u32,
    /// Which HighLevel key verified it.
    pub verified_by: &'a str,
}

/// What the app's answer means for the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// 2xx: delivered.
    Delivered(StatusCode),
    /// 410 Gone: the app does not want this route any more; pause it.
    Gone,
    /// 429 (or 503) with `Retry-After`: not before this time.
    RetryAfter {
        /// The status.
        status: StatusCode,
        /// The earliest next attempt.
        at: SystemTime,
    },
    /// Any other failure (a status, a connection error, a timeout): retry with backoff.
    Failed(String),
}

impl Answer {
    /// A short label for metrics.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Self::Delivered(_) => "delivered",
            Self::Gone => "gone",
            Self::RetryAfter { .. } => "retry_after",
            Self::Failed(_) => "failed",
        }
    }
}

/// The forwarder: a pooled client, the signer and the time limit.
#[derive(Debug, Clone)]
pub(crate) struct Forwarder {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    signer: Signer,
    timeout: Duration,
}

impl Forwarder {
    /// A forwarder with its own connection pool, speaking TLS with `tls` to `https://`
    /// targets and plain HTTP to `http://` ones.
    pub(crate) fn new(signer: Signer, timeout: Duration, tls: Arc<rustls::ClientConfig>) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(timeout));
        connector.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(Arc::unwrap_or_clone(tls))
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Self {
            client,
            signer,
            timeout,
        }
    }

    /// Posts `outgoing` to `url` and says what the answer means.
    pub(crate) async fn forward(&self, url: &Uri, outgoing: &Outgoing<'_>) -> Answer {
        let request = match self.request(url, outgoing) {
            Ok(request) => request,
            Err(err) => return Answer::Failed(format!("cannot build the request: {err}")),
        };
        let exchange = async {
            let response = self.client.request(request).await?;
            let (parts, body) = response.into_parts();
            // Read (a bounded part of) the body, so that the connection goes back to the pool.
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            Ok::<_, hyper_util::client::legacy::Error>((parts, body))
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Err(_) => Answer::Failed(format!(
                "no answer from {url} within {}",
                humantime::format_duration(self.timeout)
            )),
            Ok(Err(err)) => Answer::Failed(format!("cannot reach {url}: {}", chain(&err))),
            Ok(Ok((parts, body))) => {
                classify(parts.status, &parts.headers, &body, SystemTime::now())
            }
        }
    }

    fn request(
        &self,
        url: &Uri,
        outgoing: &Outgoing<'_>,
    ) -> Result<Request<Full<Bytes>>, http::Error> {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|since| since.as_secs())
            .unwrap_or_default();
        let signature = self.signer.signature(outgoing.id, timestamp, outgoing.body);
        Request::builder()
            .method(Method::POST)
            .uri(url.clone())
            .header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )
            .header(
                header::USER_AGENT,
                concat!("ghl-webhook-gateway/", env!("CARGO_PKG_VERSION")),
            )
            .header("webhook-id", outgoing.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .header(KIND_HEADER, outgoing.kind)
            .header(ATTEMPT_HEADER, outgoing.attempt.to_string())
            .header(VERIFIED_BY_HEADER, outgoing.verified_by)
            .body(Full::new(outgoing.body.clone()))
    }
}

/// The error and its sources, one line.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(next) = source {
        text.push_str(": ");
        text.push_str(&next.to_string());
        source = next.source();
    }
    text
}

/// What an answer means, at `now`.
pub(crate) fn classify(
    status: StatusCode,
    headers: &http::HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Answer {
    if status.is_success() {
        return Answer::Delivered(status);
    }
    if status == StatusCode::GONE {
        return Answer::Gone;
    }
    if (status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE)
        && let Some(at) = headers
            .get(header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| retry_after(value, now))
    {
        return Answer::RetryAfter { status, at };
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(ERROR_BODY)]);
    let text = text.trim();
    Answer::Failed(if text.is_empty() {
        format!("the app answered {status}")
    } else {
        format!("the app answered {status}: {text}")
    })
}

/// `Retry-After`: seconds, or an HTTP date; `None` when it is neither.
pub(crate) fn retry_after(value: &str, now: SystemTime) -> Option<SystemTime> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(now + Duration::from_secs(seconds));
    }
    httpdate::parse_http_date(value).ok().map(|at| at.max(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_mean_what_the_app_said() {
        let now = SystemTime::now();
        let empty = http::HeaderMap::new();
        assert_eq!(
            classify(StatusCode::NO_CONTENT, &empty, b"", now),
            Answer::Delivered(StatusCode::NO_CONTENT)
        );
        assert_eq!(classify(StatusCode::GONE, &empty, b"", now), Answer::Gone);
        let mut later = http::HeaderMap::new();
        later.insert(header::RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, &later, b"", now),
            Answer::RetryAfter {
                status: StatusCode::TOO_MANY_REQUESTS,
                at: now + Duration::from_secs(7)
            }
        );
        let Answer::Failed(why) =
            classify(StatusCode::TOO_MANY_REQUESTS, &empty, b"slow down", now)
        else {
            panic!("a 429 without Retry-After is a plain failure");
        };
        assert!(why.contains("429") && why.contains("slow down"), "{why}");
    }

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after("120", now),
            Some(now + Duration::from_secs(120))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(60));
        assert_eq!(retry_after(&date, now), Some(now + Duration::from_secs(60)));
        assert_eq!(retry_after("soon", now), None);
    }
}
