//! What the example tests share: a `GET` over real HTTP.
#![allow(dead_code)]

use http_body_util::BodyExt;

/// `GET url`: the status, the `Content-Type` and the body text.
pub async fn get_typed(url: &str) -> (u16, String, String) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let response = client.get(url.parse().expect("uri")).await.expect("GET");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// `GET url`: the status and the body text.
pub async fn get(url: &str) -> (u16, String) {
    let (status, _, body) = get_typed(url).await;
    (status, body)
}
