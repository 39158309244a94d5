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

/// Tells the re-executed test binary to be the function.
const FUNCTION_CHILD: &str = "GHL_LAMBDA_FUNCTION_CHILD";

/// The function as `main` runs it (`lambda_http::run`), trusting the test key: the entry point
/// of the child process that [`the_function_answers_through_the_lambda_runtime_api`] starts.
/// Does nothing in a plain test run.
#[test]
fn function_behind_the_runtime_api() {
    if std::env::var_os(FUNCTION_CHILD).is_none() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let service = function::router()
        .verifier(TestKeys::primary().verifier())
        .into_service()
        .bind_by_path();
    if let Err(err) = runtime.block_on(lambda_http::run(service)) {
        panic!("the function stopped: {err}");
    }
}

/// One invocation's answer, as the function posted it to the Runtime API.
struct Answered {
    request_id: String,
    /// `response` or `error`.
    how: String,
    body: Value,
}

/// A Lambda Runtime API on loopback, as AWS's (and `cargo lambda watch`) serve it to a
/// function: `GET .../invocation/next` hands out the next event (and waits when there is
/// none), `POST .../invocation/{id}/response` or `/error` takes its answer.
async fn runtime_api(
    events: Vec<(String, String)>,
) -> (
    std::net::SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<Answered>,
) {
    use http_body_util::{BodyExt as _, Full};
    use hyper::{Request, Response};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let queue = Arc::new(Mutex::new(std::collections::VecDeque::from(events)));
    let (answers, answered) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let queue = Arc::clone(&queue);
            let answers = answers.clone();
            let service =
                hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                    let queue = Arc::clone(&queue);
                    let answers = answers.clone();
                    async move {
                        let path = request.uri().path().to_owned();
                        if path == "/2018-06-01/runtime/invocation/next" {
                            let next = queue.lock().expect("queue").pop_front();
                            let Some((request_id, event)) = next else {
                                // No more invocations: the function waits, as on Lambda.
                                std::future::pending::<()>().await;
                                unreachable!("a pending future never completes");
                            };
                            let deadline = std::time::SystemTime::now()
                                .duration_since(std::time::UNIX_EPOCH)
                                .expect("clock")
                                .as_millis()
                                + 30_000;
                            let response = Response::builder()
                            .header("lambda-runtime-aws-request-id", request_id)
                            .header("lambda-runtime-deadline-ms", deadline.to_string())
                            .header(
                                "lambda-runtime-invoked-function-arn",
                                "arn:aws:lambda:us-east-1:000000000000:function:ghl-webhooks-test",
                            )
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from(event)))
                            .expect("response");
                            return Ok::<_, hyper::Error>(response);
                        }
                        let answer = path
                            .strip_prefix("/2018-06-01/runtime/invocation/")
                            .and_then(|rest| rest.split_once('/'))
                            .map(|(id, how)| (id.to_owned(), how.to_owned()));
                        let body = request.into_body().collect().await?.to_bytes();
                        let Some((request_id, how)) = answer else {
                            let mut not_found = Response::new(Full::new(Bytes::new()));
                            *not_found.status_mut() = hyper::StatusCode::NOT_FOUND;
                            return Ok(not_found);
                        };
                        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        let _ = answers.send(Answered {
                            request_id,
                            how,
                            body,
                        });
                        let mut accepted =
                            Response::new(Full::new(Bytes::from_static(br#"{"status":"OK"}"#)));
                        *accepted.status_mut() = hyper::StatusCode::ACCEPTED;
                        Ok(accepted)
                    }
                });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service),
            );
        }
    });
    (address, answered)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_function_answers_through_the_lambda_runtime_api() {
    let signature = TestKeys::primary().sign(DELIVERY);
    let by_name = |name: &str| {
        EVENTS
            .iter()
            .find(|(source, _)| *source == name)
            .map(|(_, fixture)| *fixture)
            .expect("a fixture")
    };
    let invocations = vec![
        (
            "inv-http-api".to_owned(),
            event(by_name("API Gateway HTTP API"), DELIVERY, false, &signature),
        ),
        // The same delivery again (HighLevel's retry), base64-encoded: verified, a duplicate.
        (
            "inv-rest-base64".to_owned(),
            event(by_name("API Gateway REST API"), DELIVERY, true, &signature),
        ),
        (
            "inv-forged".to_owned(),
            event(
                by_name("Function URL"),
                DELIVERY,
                false,
                &TestKeys::other().sign(DELIVERY),
            ),
        ),
    ];
    let (address, mut answered) = runtime_api(invocations).await;
    let mut function = std::process::Command::new(std::env::current_exe().expect("test binary"));
    function
        .args(["--exact", "function_behind_the_runtime_api", "--nocapture"])
        .env(FUNCTION_CHILD, "1")
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "ghl-webhooks-test")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .stdout(std::process::Stdio::piped());
    let mut function = ghl_webhook_testkit::child::Guard(function.spawn().expect("the function"));
    let output = ghl_webhook_testkit::lines::Lines::read(function.0.stdout.take().expect("stdout"));

    let mut statuses = std::collections::HashMap::new();
    while statuses.len() < 3 {
        let answer = tokio::time::timeout(std::time::Duration::from_secs(60), answered.recv())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no answer within 60 s; the function printed {:?}",
                    output.all()
                )
            })
            .expect("the Runtime API runs");
        assert_eq!(answer.how, "response", "{}", answer.body);
        let status = answer.body["statusCode"].as_u64().expect("a statusCode");
        statuses.insert(answer.request_id, status);
    }
    let first = tokio::task::block_in_place(|| {
        output.after("association ", std::time::Duration::from_secs(10))
    });
    drop(function);
    assert!(
        first.is_some_and(|line| line.contains("deleted")),
        "{:?}",
        output.all()
    );
    assert_eq!(statuses["inv-http-api"], 200);
    assert_eq!(
        statuses["inv-rest-base64"], 200,
        "verified, and a duplicate"
    );
    assert_eq!(statuses["inv-forged"], 401);
    let handled: Vec<String> = output
        .all()
        .into_iter()
        .filter(|line| line.starts_with("association ") && line.contains("deleted"))
        .collect();
    assert_eq!(handled.len(), 1, "the handler ran once: {handled:?}");
}
