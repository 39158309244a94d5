//! Plain requests to an app's other routes (its health probes, its `/metrics`), beside the
//! signed deliveries of [`MockSender`](ghl_webhook_sim::MockSender): one request, no body, no retry.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use ghl_webhook_testkit::fetch;
//! use ghl_webhook_testkit::prometheus::Exposition;
//!
//! let ready = fetch::get("http://127.0.0.1:3000/readyz").await?;
//! assert_eq!(ready.status, 200, "{}", ready.text());
//! let metrics = Exposition::parse(&fetch::get("http://127.0.0.1:3000/metrics").await?.text())?;
//! assert!(metrics.total("ghl_webhook_deliveries_total") > 0.0);
//! # Ok(()) }
//! ```

use bytes::Bytes;
use http::{Method, Request, StatusCode, Uri, header};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use ghl_webhook_sim::SendError;

/// The answer to one request.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Fetched {
    /// The status.
    pub status: StatusCode,
    /// The `Content-Type`, when there was one and it is text.
    pub content_type: Option<String>,
    /// The body.
    pub body: Bytes,
}

impl Fetched {
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// `GET url`.
pub async fn get(url: &str) -> Result<Fetched, SendError> {
    request(Method::GET, url).await
}

/// One request with `method` and no body to `url` (an absolute `http://` URL).
pub async fn request(method: Method, url: &str) -> Result<Fetched, SendError> {
    let uri: Uri = url
        .parse()
        .map_err(|_| SendError::InvalidUrl(url.to_owned()))?;
    if uri.scheme_str() != Some("http") || uri.host().is_none() {
        return Err(SendError::InvalidUrl(url.to_owned()));
    }
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .body(Empty::<Bytes>::new())
        .map_err(|_| SendError::InvalidUrl(url.to_owned()))?;
    let failed = |source: Box<dyn std::error::Error + Send + Sync>| SendError::Http {
        url: url.to_owned(),
        attempts: 1,
        source,
    };
    let client = Client::builder(TokioExecutor::new()).build_http();
    let response = client
        .request(request)
        .await
        .map_err(|err| failed(Box::new(err)))?;
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|err| failed(Box::new(err)))?
        .to_bytes();
    Ok(Fetched {
        status,
        content_type,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn urls_that_are_not_absolute_http_are_refused() {
        for url in [
            "",
            "/readyz",
            "https://127.0.0.1/readyz",
            "http://",
            "not a url",
        ] {
            assert!(
                matches!(get(url).await, Err(SendError::InvalidUrl(_))),
                "{url}"
            );
        }
    }

    #[tokio::test]
    async fn nobody_listening_is_an_http_error_naming_the_url() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let url = format!("http://127.0.0.1:{port}/livez");
        let err = get(&url).await.expect_err("nothing listens");
        assert!(err.to_string().contains(&url), "{err}");
    }
}
