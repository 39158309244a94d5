//! An app serving a webhook service at `/` and its health service at `/livez` and `/readyz`,
//! on an ephemeral loopback port, as a user mounts them; and a GET over real HTTP.

use std::net::SocketAddr;

use bytes::Bytes;
use ghl_webhook_router::{HealthService, WebhookService};
use http_body_util::{BodyExt, Empty};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::task::JoinHandle;

/// The app; stops serving when dropped.
pub struct HealthApp {
    pub addr: SocketAddr,
    accept: JoinHandle<()>,
}

impl Drop for HealthApp {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl HealthApp {
    pub async fn start<S: Send + Sync + 'static>(
        webhooks: WebhookService<S>,
        health: HealthService,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let webhooks = webhooks.clone();
                let health = health.clone();
                tokio::spawn(async move {
                    let service =
                        service_fn(move |request: http::Request<hyper::body::Incoming>| {
                            let webhooks = webhooks.clone();
                            let health = health.clone();
                            async move {
                                let response = match request.uri().path() {
                                    "/livez" => health.liveness().handle(request).await,
                                    "/readyz" => health.readiness().handle(request).await,
                                    _ => webhooks.bind_by_path().handle(request).await,
                                };
                                Ok::<_, std::convert::Infallible>(response)
                            }
                        });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, accept }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `GET path`: the status and the JSON body.
    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let (status, body) = request(&self.url(path), http::Method::GET).await;
        let json = serde_json::from_str(&body)
            .unwrap_or_else(|err| panic!("{path} answered no JSON ({err}): {body}"));
        (status, json)
    }
}

/// One request without a body: the status and the body text.
pub async fn request(url: &str, method: http::Method) -> (u16, String) {
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build_http::<Empty<Bytes>>();
    let request = http::Request::builder()
        .method(method)
        .uri(url)
        .body(Empty::new())
        .expect("request");
    let response = client.request(request).await.expect("an answer");
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}
