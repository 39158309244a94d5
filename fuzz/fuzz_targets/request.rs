//! A request head and body, as raw HTTP/1.1 bytes, through hyper's parser into the webhook
//! service (a real `WebhookService` trusting the test key): never a panic, every status one
//! of the documented ones, and never a 200 unless the body the service read verifies under
//! the trusted key (so never for an unsigned or forged body).
//! Input: the raw request; `@SIGN@` in it becomes the test key's signature of everything
//! after the first blank line, so that mutations of signed deliveries reach the handlers.
#![no_main]

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use ghl_webhook_router::types::Event;
use ghl_webhook_router::{Delivery, UnknownEvent, Verifier, WebhookRouter, WebhookService};
use ghl_webhook_sim::TestKeys;
use ghl_webhooks_fuzz::{DOCUMENTED_STATUSES, runtime, split_once};
use http_body::{Body, Frame};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PLACEHOLDER: &[u8] = b"@SIGN@";

struct Harness {
    service: WebhookService<()>,
    verifier: Verifier,
    keys: TestKeys,
}

fn harness() -> &'static Harness {
    static HARNESS: std::sync::OnceLock<Harness> = std::sync::OnceLock::new();
    HARNESS.get_or_init(|| {
        let keys = TestKeys::primary();
        let verifier = keys.verifier();
        let service = WebhookRouter::new()
            .verifier(verifier.clone())
            .body_timeout(Duration::from_secs(1))
            .on_any(|_: Event, _: Delivery| async {})
            .on_unknown(|_: UnknownEvent, _: Delivery| async {})
            .into_service();
        Harness {
            service,
            verifier,
            keys,
        }
    })
}

/// The request body as the service reads it, copied aside for the oracle.
struct Tee {
    inner: Incoming,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl Body for Tee {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                self.seen.lock().expect("tee").extend_from_slice(data);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// `data` with `@SIGN@` replaced by the signature of what follows the head.
fn with_signature(data: &[u8], keys: &TestKeys) -> Vec<u8> {
    let Some(at) = data
        .windows(PLACEHOLDER.len())
        .position(|w| w == PLACEHOLDER)
    else {
        return data.to_vec();
    };
    let (_, body) = split_once(data, b"\r\n\r\n");
    let mut signed = data[..at].to_vec();
    signed.extend_from_slice(keys.sign(body).as_bytes());
    signed.extend_from_slice(&data[at + PLACEHOLDER.len()..]);
    signed
}

fuzz_target!(|data: &[u8]| {
    let harness = harness();
    let request = with_signature(data, &harness.keys);
    let answered: Arc<Mutex<Vec<u16>>> = Arc::default();
    let recorded = answered.clone();
    runtime().block_on(async move {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let service = service_fn(move |request: http::Request<Incoming>| {
            let recorded = recorded.clone();
            async move {
                let seen = Arc::new(Mutex::new(Vec::new()));
                let headers = request.headers().clone();
                let tee = request.map(|inner| Tee {
                    inner,
                    seen: seen.clone(),
                });
                let response = harness.service.handle(tee).await;
                let status = response.status().as_u16();
                if status == 200 {
                    let body = Bytes::from(seen.lock().expect("tee").clone());
                    if let Err(err) = harness.verifier.verify(&headers, &body) {
                        panic!("200 for a body that does not verify ({err}): {body:?}");
                    }
                }
                recorded.lock().expect("statuses").push(status);
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        let connection = http1::Builder::new()
            .max_header_size(16 * 1024)
            .max_headers(100)
            .serve_connection(TokioIo::new(server), service);
        let client_side = async {
            let _ = client.write_all(&request).await;
            let _ = client.shutdown().await;
            let mut out = Vec::new();
            let _ = client.read_to_end(&mut out).await;
            out
        };
        let served = async {
            let _ = connection.await;
        };
        let (out, ()) = tokio::time::timeout(Duration::from_secs(10), async {
            tokio::join!(client_side, served)
        })
        .await
        .expect("a connection whose client closed ends within 10 s");
        // hyper's own answers (unparsable heads) appear only on the wire.
        if let Some(status) = out
            .strip_prefix(b"HTTP/1.1 ")
            .and_then(|rest| std::str::from_utf8(rest.get(..3)?).ok())
            .and_then(|code| code.parse::<u16>().ok())
        {
            assert!(
                DOCUMENTED_STATUSES.contains(&status),
                "undocumented status {status} on the wire"
            );
        }
    });
    for status in answered.lock().expect("statuses").iter() {
        assert!(
            DOCUMENTED_STATUSES.contains(status),
            "undocumented status {status} from the service"
        );
    }
});
