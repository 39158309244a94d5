//! API Gateway REST (v1), HTTP API (v2) and Function URL events, real-shaped (fixtures/),
//! parsed by `lambda_http`'s own request parsing and answered by the example's service: the
//! exact bytes HighLevel signed must reach verification, whether the event carries the body
//! as text or base64 (`isBase64Encoded`); the same delivery re-encoded (other whitespace, other
//! key order) must not verify.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use ghl_webhook_router::types::EventKind;
use ghl_webhook_test_support::TestKeys;
use lambda_http::IntoResponse as _;
use serde_json::Value;
use tower_service::Service as _;

/// The function itself (`src/main.rs`), its `router` mounted here as `main` mounts it.
#[path = "../src/main.rs"]
#[allow(dead_code)]
mod function;

/// The event fixtures: one per way HighLevel's POST can reach a Lambda function.
const EVENTS: &[(&str, &str)] = &[
    (
        "API Gateway REST API",
        include_str!("fixtures/apigw_rest.json"),
    ),
    (
        "API Gateway HTTP API",
        include_str!("fixtures/apigw_http_v2.json"),
    ),
    ("Function URL", include_str!("fixtures/function_url.json")),
];

/// The delivery's exact bytes, as HighLevel sends and signs them.
const DELIVERY: &[u8] = include_bytes!("fixtures/delivery.json");

/// `fixture` with `body` in it (as text, or base64 with `isBase64Encoded: true`) and the
/// `X-GHL-Signature` header, as API Gateway or the Function URL hand it to the function.
fn event(fixture: &str, body: &[u8], base64: bool, signature: &str) -> String {
    let mut event: Value = serde_json::from_str(fixture).expect("a fixture");
    let object = event.as_object_mut().expect("an object");
    let text = if base64 {
        BASE64.encode(body)
    } else {
        String::from_utf8(body.to_vec()).expect("a text body")
    };
    object.insert("body".into(), text.into());
    object.insert("isBase64Encoded".into(), base64.into());
    let headers = object
        .get_mut("headers")
        .and_then(Value::as_object_mut)
        .expect("headers");
    headers.insert("x-ghl-signature".into(), signature.into());
    if headers.contains_key("content-length") {
        headers.insert("content-length".into(), body.len().to_string().into());
    }
    serde_json::to_string(&event).expect("serialize")
}

/// What the service made of one event: the status, the body text of the Lambda response,
/// and the bytes and kind of the verified delivery (none when it did not verify).
async fn deliver(event: &str) -> (u16, String, Option<(Bytes, Option<EventKind>)>) {
    let verified = Arc::new(Mutex::new(None));
    let seen = verified.clone();
    let mut service = function::router()
        .verifier(TestKeys::primary().verifier())
        .on_answer(move |answer| {
            if let Some(delivery) = answer.delivery() {
                *seen.lock().expect("lock") = Some((delivery.raw().clone(), delivery.kind()));
            }
        })
        .into_service()
        .bind_by_path();
    let request = lambda_http::request::from_str(event).expect("lambda_http parses the event");
    let response = match service.call(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    // As `lambda_http::run` turns it into the function's answer.
    let response = response.into_response().await;
    let status = response.status().as_u16();
    let body = match response.body() {
        lambda_http::Body::Text(text) => text.clone(),
        other => panic!("a text/plain answer comes back as text, not {other:?}"),
    };
    let raw = verified.lock().expect("lock").take();
    (status, body, raw)
}

#[tokio::test]
async fn the_signed_bytes_verify_from_every_event_source_as_text_and_base64() {
    let signature = TestKeys::primary().sign(DELIVERY);
    for (source, fixture) in EVENTS {
        for base64 in [false, true] {
            let (status, body, raw) = deliver(&event(fixture, DELIVERY, base64, &signature)).await;
            assert_eq!(
                status, 200,
                "{source} (base64: {base64}) answered {status}: {body}"
            );
            let (raw, kind) = raw.expect("verified");
            assert_eq!(
                raw, DELIVERY,
                "{source} (base64: {base64}): the exact bytes reach verification"
            );
            assert_eq!(
                kind,
                Some(EventKind::AssociationDelete),
                "{source}: the path reaches the service (the kind is bound by it)"
            );
        }
    }
}

#[tokio::test]
async fn a_re_encoded_body_does_not_verify_from_any_event_source() {
    let signature = TestKeys::primary().sign(DELIVERY);
    // The same delivery as JSON, re-serialized: other whitespace and key order.
    let value: Value = serde_json::from_slice(DELIVERY).expect("JSON");
    let re_encoded = serde_json::to_vec_pretty(&value).expect("serialize");
    assert_ne!(re_encoded, DELIVERY);
    for (source, fixture) in EVENTS {
        for base64 in [false, true] {
            let (status, body, raw) =
                deliver(&event(fixture, &re_encoded, base64, &signature)).await;
            assert_eq!(
                status, 401,
                "{source} (base64: {base64}) answered {status}: {body}"
            );
            assert!(raw.is_none(), "{source}: nothing verified");
        }
    }
}

#[tokio::test]
async fn an_unsigned_event_is_refused() {
    for (source, fixture) in EVENTS {
        let mut event: Value =
            serde_json::from_str(&event(fixture, DELIVERY, false, "")).expect("JSON");
        event["headers"]
            .as_object_mut()
            .expect("headers")
            .remove("x-ghl-signature");
        let (status, body, _) = deliver(&event.to_string()).await;
        assert_eq!(status, 401, "{source} answered {status}: {body}");
    }
}
