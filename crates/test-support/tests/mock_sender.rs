//! MockSender against a wiremock server: what it sends, how it signs, how it retries.

use std::time::Duration;

use ghl_webhook_test_support::{MockSender, RetryPolicy, SendError, TestKeys, signed_by};
use ghl_webhook_types::association::{Association, AssociationDelete};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn delete_event() -> AssociationDelete {
    AssociationDelete(Association {
        first_object_key: Some("custom_objects.real_estate_buyer".into()),
        key: Some("buyer_property_interest".into()),
        location_id: Some("eHy2cOSZxMQzQ6Yyvl8P".into()),
        ..Association::new("67ade73d1119d2ac7ad0c475")
    })
}

/// A server answering 200 only to validly signed requests (404 otherwise: no mock matched).
async fn verifying_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(signed_by(TestKeys::primary().verifier()))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_signed_delivery_verifies_and_carries_the_envelope() {
    let server = verifying_server().await;
    let sender = MockSender::new(server.uri()).expect("url");
    let sent = sender.event(&delete_event()).send().await.expect("sent");
    assert_eq!(sent.status, 200);
    assert_eq!(sent.attempts, 1);

    let requests = server.received_requests().await.expect("recording");
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        request.body,
        sent.payload.to_vec(),
        "the signed bytes are the sent bytes"
    );
    assert_eq!(request.headers["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_slice(&request.body).expect("json");
    let id = body["webhookId"].as_str().expect("webhookId");
    assert_eq!(Some(id), sent.webhook_id.as_deref());
    assert!(uuid_like(id), "{id}");
    assert!(body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!(body["appId"].is_string() && body["versionId"].is_string());
    assert_eq!(body["id"], "67ade73d1119d2ac7ad0c475");
    assert_eq!(body["locationId"], "eHy2cOSZxMQzQ6Yyvl8P");
    assert!(
        body.get("type").is_none(),
        "Association events carry no type"
    );
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn each_delivery_gets_a_fresh_webhook_id_unless_one_is_chosen() {
    let server = verifying_server().await;
    let sender = MockSender::new(server.uri()).expect("url");
    let a = sender.event(&delete_event()).send().await.expect("a");
    let b = sender.event(&delete_event()).send().await.expect("b");
    assert_ne!(a.webhook_id, b.webhook_id);
    let c = sender
        .event(&delete_event())
        .webhook_id("same")
        .send()
        .await
        .expect("c");
    let d = sender
        .event(&delete_event())
        .webhook_id("same")
        .send()
        .await
        .expect("d");
    assert_eq!(c.webhook_id.as_deref(), Some("same"));
    assert_eq!(d.webhook_id.as_deref(), Some("same"));
    let e = sender
        .event(&delete_event())
        .without_webhook_id()
        .send()
        .await
        .expect("e");
    assert_eq!(e.webhook_id, None);
    let body: serde_json::Value = serde_json::from_slice(&e.payload).expect("json");
    assert!(body.get("webhookId").is_none());
}

#[tokio::test]
async fn every_bad_signature_knob_fails_the_matcher() {
    let server = verifying_server().await;
    let sender = MockSender::new(server.uri()).expect("url");
    let cases = [
        ("unsigned", sender.event(&delete_event()).unsigned()),
        ("N/A", sender.event(&delete_event()).not_applicable()),
        ("tampered", sender.event(&delete_event()).tamper()),
        (
            "other key",
            sender.event(&delete_event()).signed_by(&TestKeys::other()),
        ),
        (
            "garbage",
            sender.event(&delete_event()).signature_header("%%%"),
        ),
    ];
    for (name, delivery) in cases {
        let sent = delivery.send().await.expect("sent");
        assert_eq!(sent.status, 404, "{name} must not verify");
    }
    let ok = sender
        .event(&delete_event())
        .signed_by(&TestKeys::primary())
        .send()
        .await
        .expect("ok");
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn raw_bytes_are_sent_and_signed_verbatim() {
    let server = verifying_server().await;
    let sender = MockSender::new(server.uri()).expect("url");
    let raw = b"{ \"id\" : \"x\",\n  \"n\": 1.50 }".to_vec();
    let sent = sender.raw(raw.clone()).send().await.expect("sent");
    assert_eq!(sent.status, 200);
    let requests = server.received_requests().await.expect("recording");
    assert_eq!(requests[0].body, raw);
}

#[tokio::test]
async fn bound_deliveries_post_to_the_event_path() {
    let server = MockServer::start().await;
    Mock::given(path("/hooks/AssociationDelete"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let sender = MockSender::new(format!("{}/hooks/", server.uri())).expect("url");
    let sent = sender
        .event(&delete_event())
        .bound()
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status, 204);
}

#[tokio::test]
async fn the_current_policy_retries_any_failure_twelve_times() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let sender = MockSender::new(server.uri())
        .expect("url")
        .with_retry(RetryPolicy::highlevel().time_scale(0.0));
    let sent = sender.event(&delete_event()).send().await.expect("sent");
    assert_eq!(sent.status, 500);
    assert_eq!(sent.attempts, 13);
    assert_eq!(
        server.received_requests().await.expect("recording").len(),
        13
    );
}

#[tokio::test]
async fn retries_stop_at_the_first_success_and_repeat_the_same_bytes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let sender = MockSender::new(server.uri())
        .expect("url")
        .with_retry(RetryPolicy::highlevel().time_scale(0.0001));
    let sent = sender.event(&delete_event()).send().await.expect("sent");
    assert_eq!((sent.status.as_u16(), sent.attempts), (200, 3));
    let requests = server.received_requests().await.expect("recording");
    assert!(
        requests.iter().all(|r| r.body == requests[0].body),
        "retries resend the same delivery"
    );
}

#[tokio::test]
async fn the_legacy_policy_retries_only_429_six_times() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429))
        .mount(&server)
        .await;
    let legacy = RetryPolicy::legacy().time_scale(0.0);
    let sender = MockSender::new(server.uri())
        .expect("url")
        .with_retry(legacy.clone());
    assert_eq!(
        sender
            .event(&delete_event())
            .send()
            .await
            .expect("sent")
            .attempts,
        7
    );

    let failing = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&failing)
        .await;
    let sender = MockSender::new(failing.uri())
        .expect("url")
        .with_retry(legacy);
    assert_eq!(
        sender
            .event(&delete_event())
            .send()
            .await
            .expect("sent")
            .attempts,
        1
    );
}

#[tokio::test]
async fn connection_errors_are_retried_then_reported_with_the_attempt_count() {
    // Bind then drop a listener: the port is (almost certainly) closed now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let sender = MockSender::new(format!("http://127.0.0.1:{port}"))
        .expect("url")
        .with_retry(RetryPolicy::highlevel().time_scale(0.0));
    let started = std::time::Instant::now();
    match sender.event(&delete_event()).send().await {
        Err(SendError::Http { attempts, .. }) => assert_eq!(attempts, 13),
        other => panic!("expected a connection error, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[cfg(feature = "legacy-rsa")]
#[tokio::test]
async fn rsa_deliveries_are_signed_by_the_chosen_rsa_key() {
    use ghl_webhook_router::{RsaKey, Verifier};
    use ghl_webhook_test_support::Scheme;
    use ghl_webhook_test_support::rsa_keys::{RSA_OTHER_TEST_PUBLIC_PEM, RsaSigner};

    let other = RsaKey::parse("other", RSA_OTHER_TEST_PUBLIC_PEM).expect("public key");
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(signed_by(Verifier::empty().with_rsa_key(other)))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;

    let default = MockSender::new(server.uri()).expect("url");
    let by_test_key = default.event(&delete_event()).scheme(Scheme::Rsa);
    assert_eq!(by_test_key.send().await.expect("sent").status, 404);
    let by_delivery = default
        .event(&delete_event())
        .scheme(Scheme::Rsa)
        .signed_by_rsa(&RsaSigner::other_test_key());
    assert_eq!(by_delivery.send().await.expect("sent").status, 200);

    let sender = MockSender::new(server.uri())
        .expect("url")
        .with_rsa_key(RsaSigner::other_test_key());
    let (bytes, headers) = sender
        .event(&delete_event())
        .scheme(Scheme::Rsa)
        .into_signed()
        .expect("signed");
    assert_eq!(
        headers,
        vec![("x-wh-signature", RsaSigner::other_test_key().sign(&bytes))]
    );
    let sent = sender
        .event(&delete_event())
        .scheme(Scheme::Rsa)
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status, 200);
}

#[tokio::test]
async fn a_sender_signs_with_a_key_loaded_from_pem() {
    let pem = include_str!("../../sim/keys/ed25519-test-private.pem");
    let keys = TestKeys::from_private_key_pem(pem).expect("pem");
    let server = verifying_server().await;
    let sender = MockSender::new(server.uri()).expect("url").with_keys(keys);
    assert_eq!(
        sender
            .event(&delete_event())
            .send()
            .await
            .expect("sent")
            .status,
        200
    );
    let other = MockSender::new(server.uri())
        .expect("url")
        .with_keys(TestKeys::from_signing_key(
            TestKeys::other().signing_key().clone(),
        ));
    assert_eq!(
        other
            .event(&delete_event())
            .send()
            .await
            .expect("sent")
            .status,
        404
    );
}

#[tokio::test]
async fn the_type_highlevel_sends_is_added_for_typed_kinds_unless_told_not_to() {
    use ghl_webhook_types::contact::ContactCreate;
    let server = verifying_server().await;
    let sender = MockSender::new(server.uri()).expect("url");
    let contact: ContactCreate = serde_json::from_str(ghl_webhook_types::fixtures::example(
        ghl_webhook_types::EventKind::ContactCreate,
    ))
    .expect("fixture");
    assert!(
        serde_json::to_value(&contact)
            .expect("json")
            .get("type")
            .is_none()
    );

    let typed = sender.event(&contact).send().await.expect("sent");
    let body: serde_json::Value = serde_json::from_slice(&typed.payload).expect("json");
    assert_eq!(body["type"], "ContactCreate");

    let untyped = sender
        .event(&contact)
        .without_type()
        .send()
        .await
        .expect("sent");
    let body: serde_json::Value = serde_json::from_slice(&untyped.payload).expect("json");
    assert!(body.get("type").is_none());

    // Aliased kinds get HighLevel's alias, not the event name.
    let install: ghl_webhook_types::app::AppInstall = serde_json::from_str(
        ghl_webhook_types::fixtures::example(ghl_webhook_types::EventKind::AppInstall),
    )
    .expect("fixture");
    let sent = sender.event(&install).send().await.expect("sent");
    let body: serde_json::Value = serde_json::from_slice(&sent.payload).expect("json");
    assert_eq!(body["type"], "INSTALL");
}
