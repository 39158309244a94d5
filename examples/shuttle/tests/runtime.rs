//! The example as Shuttle runs it: the built binary, started with the environment Shuttle's
//! runner gives an app (`SHUTTLE_ENV`, `SHUTTLE_PROJECT_*`, `SHUTTLE_RUNTIME_IP`/`_PORT`,
//! `SHUTTLE_API`), asks a Shuttle API on loopback for its secrets through `shuttle-runtime`'s
//! own client, then serves real HTTP on loopback, where MockSender delivers to it.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ghl_webhook_router::types::association::{Association, AssociationDelete};
use ghl_webhook_test_support::{MockSender, TestKeys};
use ghl_webhook_testkit::child::Guard;
use ghl_webhook_testkit::lines::Lines;

/// The example's binary, as `shuttle run` builds it.
const APP: &str = env!("CARGO_BIN_EXE_ghl-webhook-shuttle");

/// The project the runtime asks the secrets of.
const PROJECT: &str = "proj_ghlwebhookstest";

/// A Shuttle API on loopback: `GET /projects/{PROJECT}/resources/secrets` answers a ready
/// secrets resource whose output is `secrets`; anything else is 404. Counts the secrets
/// requests.
async fn shuttle_api(secrets: serde_json::Value) -> (SocketAddr, Arc<AtomicUsize>) {
    use http_body_util::Full;
    use hyper::{Request, Response, StatusCode};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let asked = Arc::new(AtomicUsize::new(0));
    let body = Bytes::from(
        serde_json::json!({
            "type": "secrets",
            "state": "ready",
            "config": {},
            "output": secrets,
        })
        .to_string(),
    );
    let counter = Arc::clone(&asked);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let body = body.clone();
            let asked = Arc::clone(&counter);
            let service = hyper::service::service_fn(move |request: Request<_>| {
                let found =
                    request.uri().path() == format!("/projects/{PROJECT}/resources/secrets");
                if found {
                    asked.fetch_add(1, Ordering::SeqCst);
                }
                let body = body.clone();
                async move {
                    let mut response = Response::new(Full::new(body));
                    if !found {
                        *response.status_mut() = StatusCode::NOT_FOUND;
                        *response.body_mut() = Full::new(Bytes::new());
                    }
                    response
                        .headers_mut()
                        .insert("content-type", "application/json".parse().expect("a value"));
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service),
            );
        }
    });
    (address, asked)
}

/// A loopback port free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// The app, started as Shuttle's runner starts it, on `port`, asking `api` for its secrets.
fn app(api: SocketAddr, port: u16) -> Child {
    Command::new(APP)
        .env("SHUTTLE_ENV", "local")
        .env("SHUTTLE_PROJECT_ID", PROJECT)
        .env("SHUTTLE_PROJECT_NAME", "ghl-webhooks-test")
        .env("SHUTTLE_RUNTIME_IP", "127.0.0.1")
        .env("SHUTTLE_RUNTIME_PORT", port.to_string())
        .env("SHUTTLE_API", format!("http://{api}"))
        .env_remove("SHUTTLE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the app starts")
}

/// Waits until the app answers `GET /health` on `port` (or fails the test, with its output).
async fn until_serving(app: &mut Guard, port: u16, output: &Lines) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = app.0.try_wait() {
            panic!("the app exited ({status}): {:?}", output.all());
        }
        let health = format!("http://127.0.0.1:{port}/health");
        if let Ok(fetched) = ghl_webhook_testkit::fetch::get(&health).await
            && fetched.status == 200
        {
            assert_eq!(fetched.text(), "ok");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not serving within 60 s: {:?}",
            output.all()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_shuttles_runtime_the_app_verifies_with_its_secret_key_and_deduplicates() {
    let secrets =
        serde_json::json!({ "GHL_EXTRA_PUBLIC_KEY": TestKeys::primary().public_key_pem() });
    let (api, asked) = shuttle_api(secrets).await;
    let port = free_port();
    let mut app = Guard(app(api, port));
    let output = Lines::read(app.0.stdout.take().expect("stdout"));
    until_serving(&mut app, port, &output).await;
    assert_eq!(
        asked.load(Ordering::SeqCst),
        1,
        "the secrets were asked once"
    );

    let sender =
        MockSender::new(format!("http://127.0.0.1:{port}/webhooks/highlevel")).expect("a sender");
    let event = AssociationDelete(Association::new("67ade73d1119d2ac7ad0c475"));
    // (webhookId, signed by: the primary test key, another key, or none; the answer; why).
    let cases: [(&str, Option<TestKeys>, u16, &str); 4] = [
        (
            "shuttle-1",
            Some(TestKeys::primary()),
            200,
            "signed with the secret's key",
        ),
        (
            "shuttle-1",
            Some(TestKeys::primary()),
            200,
            "a duplicate is acknowledged",
        ),
        (
            "shuttle-2",
            Some(TestKeys::other()),
            401,
            "a key the app does not trust",
        ),
        ("shuttle-3", None, 401, "no signature"),
    ];
    for (id, keys, status, why) in cases {
        let outgoing = sender.event(&event).bound().webhook_id(id);
        let outgoing = match &keys {
            Some(keys) => outgoing.signed_by(keys),
            None => outgoing.unsigned(),
        };
        let sent = outgoing.send().await.expect("sent");
        assert_eq!(sent.status, status, "{id}: {why}");
    }

    let handled =
        tokio::task::block_in_place(|| output.after("association ", Duration::from_secs(10)));
    assert!(
        handled
            .as_deref()
            .is_some_and(|line| line.contains("\"shuttle-1\"")),
        "{:?}",
        output.all()
    );
    // Give a second handler run the time to show, then count.
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(app);
    let runs = output
        .all()
        .into_iter()
        .filter(|line| line.starts_with("association "))
        .count();
    assert_eq!(runs, 1, "the handler ran once: {:?}", output.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_that_is_no_key_stops_the_app_with_an_error_naming_it() {
    let secrets = serde_json::json!({ "GHL_EXTRA_PUBLIC_KEY": "not a key" });
    let (api, _) = shuttle_api(secrets).await;
    let port = free_port();
    let mut app = Guard(app(api, port));
    let stderr = Lines::read(app.0.stderr.take().expect("stderr"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = app.0.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!status.success(), "{status}");
    let error = tokio::task::block_in_place(|| stderr.after("ERROR", Duration::from_secs(10)));
    assert!(
        error
            .as_deref()
            .is_some_and(|line| line.contains("GHL_EXTRA_PUBLIC_KEY")),
        "{:?}",
        stderr.all()
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing serves on {port}"
    );
}
