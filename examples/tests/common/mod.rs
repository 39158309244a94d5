//! What the example tests share: a `GET` over real HTTP (test-support's `fetch`).
#![allow(dead_code)]

use ghl_webhook_test_support::fetch;

/// `GET url`: the status, the `Content-Type` and the body text.
pub async fn get_typed(url: &str) -> (u16, String, String) {
    let fetched = fetch::get(url).await.expect("GET");
    let content_type = fetched.content_type.clone().unwrap_or_default();
    (fetched.status.as_u16(), content_type, fetched.text())
}

/// `GET url`: the status and the body text.
pub async fn get(url: &str) -> (u16, String) {
    let (status, _, body) = get_typed(url).await;
    (status, body)
}
