//! One delivery end to end over real HTTP: what reaches the handler and what is answered.

mod common;

use std::time::Duration;

use common::{Recorder, association_router, seed_event, serve, test_router};
use ghl_webhook_router::types::association::AssociationDelete;
use ghl_webhook_router::types::{Event, EventKind};
use ghl_webhook_router::{Delivery, IdentifiedBy, StatusPolicy, VerifiedBy, WebhookRouter};
use ghl_webhook_test_support::{MockSender, TestKeys};
use http::{Method, StatusCode};

#[tokio::test]
async fn a_valid_association_delete_reaches_its_handler_as_an_equal_value() {
    let rec = Recorder::default();
    let (_server, sender) = serve(association_router(&rec).into_service()).await;
    let event = seed_event();
    let sent = sender.event(&event).bound().send().await.expect("sent");
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body_text());
    let got = rec.events();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, Event::AssociationDelete(event));
    let delivery = &got[0].1;
    assert_eq!(delivery.webhook_id(), sent.webhook_id.as_deref());
    assert_eq!(delivery.kind(), Some(EventKind::AssociationDelete));
    assert_eq!(delivery.identified_by(), Some(IdentifiedBy::Route));
    assert_eq!(
        delivery.raw(),
        &sent.payload,
        "the handler sees the exact bytes"
    );
    assert_eq!(delivery.location_id(), Some("eHy2cOSZxMQzQ6Yyvl8P"));
    assert!(
        matches!(delivery.verified_by(), VerifiedBy::Ed25519(label) if &**label == "ghl-webhooks-test-key")
    );
}

#[tokio::test]
async fn identification_by_route_by_type_or_unknown() {
    let rec = Recorder::default();
    let (_server, sender) = serve(association_router(&rec).into_service()).await;
    let event = seed_event();

    // No `type`, on the route bound to AssociationDelete.
    let sent = sender.event(&event).bound().send().await.expect("bound");
    assert_eq!(sent.status, 200);
    // `"type":"AssociationDelete"` on the unbound route.
    let mut typed = serde_json::to_value(&event).expect("json");
    typed["type"] = "AssociationDelete".into();
    let sent = sender.json(typed).send().await.expect("typed");
    assert_eq!(sent.status, 200);
    let got = rec.events();
    assert_eq!(got.len(), 2);
    assert!(
        got.iter()
            .all(|(e, _)| *e == Event::AssociationDelete(event.clone()))
    );
    assert_eq!(got[1].1.identified_by(), Some(IdentifiedBy::TypeField));

    // No `type`, unbound: unknown, acknowledged, raw bytes handed to on_unknown.
    let sent = sender.event(&event).send().await.expect("unbound");
    assert_eq!(sent.status, 200);
    assert_eq!(rec.events().len(), 2, "no typed handler ran");
    let unknown = rec.unknown();
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].0.raw, sent.payload);
    assert_eq!(unknown[0].0.type_field, None);
    assert_eq!(unknown[0].1.kind(), None);
}

#[tokio::test]
async fn a_verified_body_that_is_not_an_object_is_handed_to_on_unknown_even_when_bound() {
    let rec = Recorder::default();
    let (_server, sender) = serve(association_router(&rec).into_service()).await;
    for (bound, body) in [(false, &b"[1,2]"[..]), (true, &b"\"text\""[..])] {
        let request = sender.raw(body.to_vec());
        let request = if bound { request.bound() } else { request };
        let sent = request.send().await.expect("sent");
        assert_eq!(sent.status, 200, "{}", sent.body_text());
        assert_eq!(sent.body_text(), "handled", "by the on_unknown handler");
    }
    assert!(rec.events().is_empty(), "no typed handler ran");
    let unknown = rec.unknown();
    assert_eq!(unknown.len(), 2);
    assert_eq!(unknown[0].0.raw, &b"[1,2]"[..]);
    assert_eq!(unknown[1].1.kind(), None);
}

#[tokio::test]
async fn every_bad_signature_is_401_with_its_reason_and_no_handler_runs() {
    let rec = Recorder::default();
    let (_server, sender) = serve(association_router(&rec).into_service()).await;
    let event = seed_event();

    let (body, _) = sender.event(&event).into_bytes().expect("bytes");
    // A signature over a re-serialized body: same JSON value, different bytes.
    let value: serde_json::Value = serde_json::from_slice(&body).expect("json");
    let reserialized = serde_json::to_vec_pretty(&value).expect("pretty");
    let sig_over_reserialized = TestKeys::primary().sign(&reserialized);
    let short = base64_of(&[7u8; 32]);

    let cases: Vec<(&str, ghl_webhook_test_support::Outgoing<'_>, &str)> = vec![
        (
            "missing",
            sender.event(&event).bound().unsigned(),
            "missing",
        ),
        (
            "N/A",
            sender.event(&event).bound().not_applicable(),
            "`N/A`",
        ),
        (
            "bad base64",
            sender.event(&event).bound().signature_header("not*base64!"),
            "base64",
        ),
        (
            "wrong length",
            sender.event(&event).bound().signature_header(short),
            "32 bytes",
        ),
        (
            "other key",
            sender.event(&event).bound().signed_by(&TestKeys::other()),
            "does not verify",
        ),
        (
            "one byte changed",
            sender.event(&event).bound().tamper(),
            "does not verify",
        ),
        (
            "re-serialized body",
            sender
                .raw(body.clone())
                .path("/AssociationDelete")
                .signature_header(sig_over_reserialized),
            "does not verify",
        ),
    ];
    for (name, delivery, reason) in cases {
        let sent = delivery.send().await.expect("sent");
        assert_eq!(sent.status, StatusCode::UNAUTHORIZED, "{name}");
        assert!(
            sent.body_text().contains(reason),
            "{name}: {}",
            sent.body_text()
        );
    }
    assert_eq!(rec.total(), 0, "no handler may run for a bad signature");
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn transport_errors_get_their_status_codes() {
    let rec = Recorder::default();
    let router = association_router(&rec).body_limit(1024);
    let (_server, sender) = serve(router.into_service()).await;

    let big = format!(r#"{{"id":"x","pad":"{}"}}"#, "a".repeat(2048));
    let sent = sender
        .raw(big)
        .path("/AssociationDelete")
        .send()
        .await
        .expect("big");
    assert_eq!(sent.status, StatusCode::PAYLOAD_TOO_LARGE);

    let sent = sender
        .event(&seed_event())
        .bound()
        .method(Method::GET)
        .send()
        .await
        .expect("get");
    assert_eq!(sent.status, StatusCode::METHOD_NOT_ALLOWED);

    let sent = sender
        .raw(&b"{not json"[..])
        .path("/AssociationDelete")
        .send()
        .await
        .expect("bad json");
    assert_eq!(sent.status, StatusCode::BAD_REQUEST);

    let sent = sender
        .event(&seed_event())
        .bound()
        .content_type(Some("text/plain"))
        .send()
        .await
        .expect("text/plain");
    assert_eq!(sent.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(rec.total(), 0);
}

#[tokio::test]
async fn an_oversized_chunked_body_is_413_without_a_content_length() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rec = Recorder::default();
    let (server, _sender) = serve(association_router(&rec).body_limit(1024).into_service()).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connect");
    let head = "POST /AssociationDelete HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).await.expect("head");
    // Keep sending chunks; the server must answer 413 once it has seen more than the limit.
    let chunk = format!("400\r\n{}\r\n", "a".repeat(1024));
    for _ in 0..4 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let mut response = vec![0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut response))
        .await
        .expect("answered in time")
        .expect("read");
    assert!(String::from_utf8_lossy(&response[..n]).starts_with("HTTP/1.1 413"));
}

#[tokio::test]
async fn unknown_fields_and_null_optionals_still_decode() {
    let rec = Recorder::default();
    let (_server, sender) = serve(association_router(&rec).into_service()).await;
    let body = serde_json::json!({
        "id": "a1", "associationType": null, "firstObjectLabel": null,
        "brandNewField": {"nested": [1, 2, {"deep": true}]}, "key": "k"
    });
    let sent = sender
        .json(body)
        .path("/AssociationDelete")
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status, 200);
    let got = rec.events();
    let Event::AssociationDelete(event) = &got[0].0 else {
        panic!("wrong kind")
    };
    assert_eq!(
        (
            event.id.as_str(),
            event.key.as_deref(),
            event.association_type.as_ref()
        ),
        ("a1", Some("k"), None)
    );
}

#[tokio::test]
async fn an_undecodable_known_kind_is_acknowledged_by_default_and_configurable() {
    let rec = Recorder::default();
    let (_server, sender) = serve(association_router(&rec).into_service()).await;
    let sent = sender
        .json(serde_json::json!({"id": 5}))
        .path("/AssociationDelete")
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status, 200);
    assert!(sent.body_text().contains("`id`"), "{}", sent.body_text());
    assert_eq!(rec.total(), 0);

    let strict = association_router(&rec)
        .statuses(StatusPolicy::default().decode_failure(StatusCode::UNPROCESSABLE_ENTITY));
    let (_server, sender) = serve(strict.into_service()).await;
    let sent = sender
        .json(serde_json::json!({"id": 5}))
        .path("/AssociationDelete")
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn handler_errors_and_panics_are_500_and_the_server_keeps_serving() {
    let rec = Recorder::default();
    let router = test_router(&rec).on(|event: AssociationDelete, _: Delivery| async move {
        match event.key.as_deref() {
            Some("fail") => Err(std::io::Error::other("database down")),
            Some("panic") => panic!("handler bug"),
            _ => Ok(()),
        }
    });
    let (_server, sender) = serve(router.into_service()).await;
    let with_key = |key: &str| {
        let mut e = seed_event();
        e.key = Some(key.into());
        e
    };
    let sent = sender
        .event(&with_key("fail"))
        .bound()
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status, StatusCode::INTERNAL_SERVER_ERROR);
    let sent = sender
        .event(&with_key("panic"))
        .bound()
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(sent.body_text().contains("panicked"));
    let sent = sender
        .event(&with_key("fine"))
        .bound()
        .send()
        .await
        .expect("sent");
    assert_eq!(
        sent.status,
        StatusCode::OK,
        "the next request is still served"
    );
}

#[tokio::test]
async fn a_panic_before_the_future_is_built_is_also_500() {
    let router = WebhookRouter::new()
        .verifier(TestKeys::primary().verifier())
        .on(|_: AssociationDelete, _: Delivery| -> std::future::Ready<()> { panic!("sync panic") });
    let server = ghl_webhook_router::serve::spawn(
        "127.0.0.1:0".parse().expect("addr"),
        router.into_service().bind(EventKind::AssociationDelete),
    )
    .await
    .expect("bind");
    let sender = MockSender::new(server.url()).expect("url");
    let sent = sender.event(&seed_event()).send().await.expect("sent");
    assert_eq!(sent.status, StatusCode::INTERNAL_SERVER_ERROR);
    let again = sender.event(&seed_event()).send().await.expect("sent");
    assert_eq!(
        again.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "still serving"
    );
}

#[tokio::test]
async fn a_bound_service_takes_every_delivery_as_its_kind() {
    let rec = Recorder::default();
    let service = association_router(&rec)
        .into_service()
        .bind(EventKind::AssociationDelete);
    let server = ghl_webhook_router::serve::spawn("127.0.0.1:0".parse().expect("addr"), service)
        .await
        .expect("bind");
    let sender = MockSender::new(format!("{}/any/path", server.url())).expect("url");
    let sent = sender.event(&seed_event()).send().await.expect("sent");
    assert_eq!(sent.status, 200);
    assert_eq!(rec.events()[0].1.kind(), Some(EventKind::AssociationDelete));
}

#[tokio::test]
async fn no_handler_for_a_known_kind_is_acknowledged() {
    let rec = Recorder::default();
    let (_server, sender) = serve(test_router(&rec).into_service()).await;
    let sent = sender
        .event(&seed_event())
        .bound()
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status, 200);
    assert!(sent.body_text().contains("no handler"));
    assert_eq!(rec.total(), 0);
}

#[tokio::test]
async fn the_catch_all_receives_kinds_without_their_own_handler() {
    let rec = Recorder::default();
    let router = test_router(&rec).on_any(
        |event: Event, delivery: Delivery, rec: Recorder| async move {
            rec.events.lock().expect("lock").push((event, delivery));
        },
    );
    let (_server, sender) = serve(router.into_service()).await;
    let sent = sender
        .event(&seed_event())
        .bound()
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status, 200);
    assert_eq!(rec.events()[0].0, Event::AssociationDelete(seed_event()));
}

#[tokio::test]
async fn the_handle_function_serves_other_frameworks() {
    let rec = Recorder::default();
    let service = association_router(&rec)
        .into_service()
        .bind(EventKind::AssociationDelete);
    let sender = MockSender::new("http://127.0.0.1:9").expect("url");
    let (body, _) = sender.event(&seed_event()).into_bytes().expect("bytes");
    let request = http::Request::post("/")
        .header("x-ghl-signature", TestKeys::primary().sign(&body))
        .body(http_body_util::Full::new(body))
        .expect("request");
    let response = service.handle(request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(rec.events().len(), 1);
}

#[test]
fn the_service_is_clone_send_sync_and_infallible() {
    fn assert_service<T>(_: &T)
    where
        T: Clone + Send + Sync + 'static,
        T: tower_service::Service<
                http::Request<http_body_util::Full<bytes::Bytes>>,
                Error = std::convert::Infallible,
            >,
    {
    }
    let service = WebhookRouter::new().into_service();
    assert_service(&service);
}

#[tokio::test]
async fn the_observer_sees_every_answer_with_its_kind_id_and_reason() {
    type Seen = Vec<(u16, Option<EventKind>, Option<String>, String, bool)>;
    let seen: std::sync::Arc<std::sync::Mutex<Seen>> = Default::default();
    let rec = Recorder::default();
    let log = seen.clone();
    let router = association_router(&rec).on_answer(move |a| {
        log.lock().expect("lock").push((
            a.status().as_u16(),
            a.kind(),
            a.webhook_id().map(str::to_owned),
            a.message().into_owned(),
            a.raw().is_some(),
        ));
    });
    let (_server, sender) = serve(router.into_service()).await;
    let ok = sender
        .event(&seed_event())
        .bound()
        .send()
        .await
        .expect("ok");
    let forged = sender
        .event(&seed_event())
        .bound()
        .signed_by(&TestKeys::other())
        .send()
        .await
        .expect("forged");
    assert_eq!((ok.status.as_u16(), forged.status.as_u16()), (200, 401));
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0],
        (
            200,
            Some(EventKind::AssociationDelete),
            ok.webhook_id.clone(),
            "handled".into(),
            true
        )
    );
    assert_eq!(seen[1].0, 401);
    assert_eq!(
        (seen[1].1, seen[1].2.as_deref(), seen[1].4),
        (None, None, false),
        "nothing unverified leaks"
    );
    assert!(seen[1].3.contains("does not verify"));
}

#[tokio::test]
async fn a_405_names_the_allowed_method() {
    let service = WebhookRouter::new().into_service();
    let request = http::Request::get("/")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .expect("request");
    let response = service.handle(request).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()[http::header::ALLOW], "POST");
    assert_eq!(
        response.headers()[http::header::CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
}

#[tokio::test]
async fn a_path_that_names_no_event_falls_back_to_the_type_field() {
    let rec = Recorder::default();
    let (_server, sender) = serve(association_router(&rec).into_service()).await;
    let mut typed = serde_json::to_value(seed_event()).expect("json");
    typed["type"] = "AssociationDelete".into();
    let sent = sender
        .json(typed)
        .path("/NotAnEvent")
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status, 200);
    assert_eq!(rec.events().len(), 1);
    assert_eq!(
        rec.events()[0].1.identified_by(),
        Some(IdentifiedBy::TypeField)
    );

    let sent = sender
        .event(&seed_event())
        .path("/associationdelete")
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status, 200);
    assert_eq!(
        rec.events().len(),
        1,
        "names are case-sensitive: not bound, no type: unknown"
    );
    assert_eq!(rec.unknown().len(), 1);
}
