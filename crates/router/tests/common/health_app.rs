//! An app serving a webhook service at `/` and its health service at `/livez` and `/readyz`,
//! on an ephemeral loopback port, as a user mounts them; and a GET over real HTTP.

use std::net::SocketAddr;

use ghl_webhook_router::{HealthService, WebhookService};
use ghl_webhook_testkit::fetch;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::task::JoinHandle;

/// The app; stops serving when dropped.
pub(crate) struct HealthApp {
    pub addr: SocketAddr,
    accept: JoinHandle<()>,
}

impl Drop for HealthApp {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl HealthApp {
    pub(crate) async fn start<S: Send + Sync + 'static>(
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

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `GET path`: the status and the JSON body.
    pub(crate) async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let fetched = fetch::get(&self.url(path)).await.expect("an answer");
        let json = fetched
            .json()
            .unwrap_or_else(|err| panic!("{path} answered no JSON ({err}): {}", fetched.text()));
        (fetched.status.as_u16(), json)
    }
}

/// One request without a body: the status and the body text.
pub(crate) async fn request(url: &str, method: http::Method) -> (u16, String) {
    let fetched = fetch::request(method, url).await.expect("an answer");
    (fetched.status.as_u16(), fetched.text())
}
