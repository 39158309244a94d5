//! Micro benchmarks, one group per stage of a delivery; in each group the SDK beside the
//! hand-written code a careful user would write instead, so the ratio reads off one run.
//!
//! `cargo bench -p ghl-webhook-benches` (filter: `cargo bench -p ghl-webhook-benches -- decode`).
//!
//! RSA (`X-WH-Signature`, the `legacy-rsa` feature) is benchmarked beside the `rsa` crate's
//! own PKCS#1 v1.5 verification. With `--features metrics`, the `metrics/` groups measure what
//! recording costs: the same service with no recorder installed beside it with a Prometheus
//! recorder.

use std::cell::Cell;
use std::hint::black_box;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::Signature;
use ghl_webhook_benches::baseline::{self, HandWritten};
use ghl_webhook_benches::payloads::{
    ASSOCIATION_DELETE_FIXTURE, CONTACT_CREATE_FIXTURE, SignedPayload, WEBHOOK_PATH,
    contact_create_deliveries, minify,
};
use ghl_webhook_router::types::association::AssociationDelete;
use ghl_webhook_router::types::contact::ContactCreate;
use ghl_webhook_router::types::{EventKind, Probe, WebhookEvent};
use ghl_webhook_router::{
    Delivery, InMemoryStore, LEGACY_SIGNATURE_HEADER, SIGNATURE_HEADER, Verifier, WebhookRouter,
    WebhookService,
};
use ghl_webhook_sim::TestKeys;
use http::{HeaderMap, HeaderValue, Method, Request, header};
use http_body_util::Full;
use serde::Deserialize;

/// Distinct pre-signed deliveries cycled through by the `handle` benchmarks.
const CYCLE: usize = 4096;
/// The dedupe store of the `handle` benchmarks holds fewer ids than [`CYCLE`]: every id is
/// evicted before it comes round again, so every delivery takes the first-sight path (claim,
/// decode, handler, complete) plus one eviction, the steady state of a full store.
const STORE_CAPACITY: usize = 1024;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}

fn signature_header(p: &SignedPayload) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        SIGNATURE_HEADER,
        HeaderValue::from_str(&p.signature).expect("base64 is a valid header"),
    );
    headers
}

/// A POST of `p` as hyper would hand it over (the header values are shared, not copied).
fn request(p: &Prepared) -> Request<Full<Bytes>> {
    let mut request = Request::new(Full::new(p.body.clone()));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = http::Uri::from_static(WEBHOOK_PATH);
    let headers = request.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONTENT_LENGTH, p.length.clone());
    headers.insert(SIGNATURE_HEADER, p.signature.clone());
    request
}

struct Prepared {
    body: Bytes,
    signature: HeaderValue,
    length: HeaderValue,
}

fn prepared(count: usize) -> Vec<Prepared> {
    contact_create_deliveries(count)
        .into_iter()
        .map(|p| Prepared {
            length: HeaderValue::from(p.body.len()),
            signature: HeaderValue::from_str(&p.signature).expect("header"),
            body: p.body,
        })
        .collect()
}

/// Cycles through `items`.
fn cycler<'a, T>(items: &'a [T]) -> impl FnMut() -> &'a T + 'a {
    let next = Cell::new(0usize);
    move || {
        let i = next.get();
        next.set((i + 1) % items.len());
        &items[i]
    }
}

fn verification(c: &mut Criterion) {
    let p = &contact_create_deliveries(1)[0];
    let keys = TestKeys::primary();
    let key = keys.signing_key().verifying_key();
    let headers = signature_header(p);
    let verifier: Verifier = keys.verifier();
    let hand = HandWritten::new(key);
    let raw_signature = {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&p.signature)
            .expect("base64");
        Signature::from_slice(&bytes).expect("64 bytes")
    };

    let mut group = c.benchmark_group(format!("verify/ContactCreate {} B", p.body.len()));
    group.bench_function("raw verify_strict (signature pre-decoded)", |b| {
        b.iter(|| key.verify_strict(black_box(&p.body), black_box(&raw_signature)))
    });
    group.bench_function("baseline: header base64 + verify_strict", |b| {
        b.iter(|| hand.verify(black_box(headers.get(SIGNATURE_HEADER)), black_box(&p.body)))
    });
    group.bench_function("sdk: Verifier::verify", |b| {
        b.iter(|| verifier.verify(black_box(&headers), black_box(&p.body)))
    });
    group.finish();

    // Legacy RSA-4096 (`X-WH-Signature`).
    use ghl_webhook_sim::rsa_keys;
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier as _;
    let rsa_header = rsa_keys::sign(&p.body);
    let mut rsa_headers = HeaderMap::new();
    rsa_headers.insert(
        LEGACY_SIGNATURE_HEADER,
        HeaderValue::from_str(&rsa_header).expect("header"),
    );
    let rsa_verifier = Verifier::empty().with_rsa_key(rsa_keys::public_key());
    let rsa_key = rsa::pkcs1v15::VerifyingKey::<rsa::sha2::Sha256>::new(
        rsa::RsaPublicKey::from_public_key_pem(rsa_keys::RSA_TEST_PUBLIC_PEM).expect("key"),
    );
    let mut group = c.benchmark_group(format!("verify RSA-4096/ContactCreate {} B", p.body.len()));
    group.bench_function("baseline: header base64 + rsa pkcs1v15 verify", |b| {
        b.iter(|| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(black_box(&rsa_header))
                .expect("base64");
            let signature =
                rsa::pkcs1v15::Signature::try_from(bytes.as_slice()).expect("signature");
            rsa_key.verify(black_box(&p.body), &signature)
        })
    });
    group.bench_function("sdk: Verifier::verify (X-WH-Signature)", |b| {
        b.iter(|| rsa_verifier.verify(black_box(&rsa_headers), black_box(&p.body)))
    });
    group.finish();
}

/// What a hand-written receiver reads to route a delivery: the `type` and the `webhookId`.
#[derive(Deserialize)]
#[allow(dead_code)]
struct HandProbe<'a> {
    #[serde(rename = "type", borrow)]
    type_field: Option<&'a str>,
    #[serde(rename = "webhookId", borrow)]
    webhook_id: Option<&'a str>,
}

fn identification(c: &mut Criterion) {
    let p = &contact_create_deliveries(1)[0];
    let mut group = c.benchmark_group(format!("identify/ContactCreate {} B", p.body.len()));
    group.bench_function("baseline: from_slice::<{type, webhookId}> + match", |b| {
        b.iter(|| {
            let probe: HandProbe<'_> = serde_json::from_slice(black_box(&p.body)).expect("json");
            black_box(probe.webhook_id);
            matches!(probe.type_field, Some("ContactCreate"))
        })
    });
    group.bench_function("sdk: Probe::read + EventKind::from_type_field", |b| {
        b.iter(|| {
            let probe = Probe::read(black_box(&p.body)).expect("json");
            let kind = probe
                .type_field
                .as_deref()
                .and_then(EventKind::from_type_field);
            black_box(probe.envelope);
            kind
        })
    });
    group.finish();
}

fn decoding(c: &mut Criterion) {
    let small = minify(ASSOCIATION_DELETE_FIXTURE).into_bytes();
    let large = minify(CONTACT_CREATE_FIXTURE).into_bytes();

    let mut group = c.benchmark_group(format!("decode/AssociationDelete {} B", small.len()));
    group.bench_function("baseline: serde_json::from_slice", |b| {
        b.iter(|| serde_json::from_slice::<AssociationDelete>(black_box(&small)).expect("decodes"))
    });
    group.bench_function("sdk: WebhookEvent::decode", |b| {
        b.iter(|| AssociationDelete::decode(black_box(&small)).expect("decodes"))
    });
    group.finish();

    let mut group = c.benchmark_group(format!("decode/ContactCreate {} B", large.len()));
    group.bench_function("baseline: serde_json::from_slice", |b| {
        b.iter(|| serde_json::from_slice::<ContactCreate>(black_box(&large)).expect("decodes"))
    });
    group.bench_function("sdk: WebhookEvent::decode", |b| {
        b.iter(|| ContactCreate::decode(black_box(&large)).expect("decodes"))
    });
    group.finish();
}

/// A hand-written no-op handler, called the way an app would: decode, call, await.
async fn no_op(event: ContactCreate) {
    black_box(event);
}

/// Dispatch, in isolation from verification and dedupe: `handle()` with both off (the SDK
/// still reads the body, identifies, decodes, runs the handler under its timeout and panic
/// guard and builds the response) beside decode + a direct call of the handler.
fn dispatch(c: &mut Criterion) {
    let rt = runtime();
    let deliveries = prepared(CYCLE);
    let service: WebhookService = WebhookRouter::new()
        .verifier(Verifier::dangerously_accept_unsigned())
        .without_dedupe()
        .on(|_event: ContactCreate, _delivery: Delivery| async {})
        .into_service();
    let service_no_timeout: WebhookService = WebhookRouter::new()
        .verifier(Verifier::dangerously_accept_unsigned())
        .without_dedupe()
        .handler_timeout(None)
        .on(|_event: ContactCreate, _delivery: Delivery| async {})
        .into_service();

    let mut group = c.benchmark_group("dispatch/ContactCreate to a no-op handler");
    let mut next = cycler(&deliveries);
    group.bench_function("baseline: from_slice + call the handler", |b| {
        b.to_async(&rt).iter(|| {
            let request = request(next());
            async move {
                let body = request.into_body();
                let body = http_body_util::BodyExt::collect(body)
                    .await
                    .expect("full")
                    .to_bytes();
                let event: ContactCreate = serde_json::from_slice(&body).expect("decodes");
                no_op(event).await;
            }
        })
    });
    let mut next = cycler(&deliveries);
    group.bench_function("sdk: handle() unsigned, no dedupe", |b| {
        b.to_async(&rt).iter(|| service.handle(request(next())))
    });
    let mut next = cycler(&deliveries);
    group.bench_function("sdk: handle() unsigned, no dedupe, no timeout", |b| {
        b.to_async(&rt)
            .iter(|| service_no_timeout.handle(request(next())))
    });
    group.finish();
}

/// One whole delivery in process: `handle()` with verification and in-memory dedupe on,
/// beside the hand-written server (b) of `ghl-bench` (verify_strict + from_slice).
fn whole_delivery(c: &mut Criterion) {
    let rt = runtime();
    let deliveries = prepared(CYCLE);
    let keys = TestKeys::primary();
    let hand = HandWritten::new(keys.signing_key().verifying_key());
    let service: WebhookService = WebhookRouter::new()
        .verifier(keys.verifier())
        .dedupe_in_memory(InMemoryStore::new(
            STORE_CAPACITY,
            Duration::from_secs(24 * 60 * 60),
        ))
        .on(|_event: ContactCreate, _delivery: Delivery| async {})
        .into_service();
    let service_no_dedupe: WebhookService = WebhookRouter::new()
        .verifier(keys.verifier())
        .without_dedupe()
        .on(|_event: ContactCreate, _delivery: Delivery| async {})
        .into_service();

    let mut group = c.benchmark_group("handle/ContactCreate, signed");
    let mut next = cycler(&deliveries);
    group.bench_function("baseline: hand-written verify_strict + from_slice", |b| {
        b.to_async(&rt)
            .iter(|| baseline::hand_written::<ContactCreate, _>(&hand, request(next())))
    });
    let mut next = cycler(&deliveries);
    group.bench_function("sdk: handle(), in-memory dedupe", |b| {
        b.to_async(&rt).iter(|| service.handle(request(next())))
    });
    let mut next = cycler(&deliveries);
    group.bench_function("sdk: handle(), no dedupe", |b| {
        b.to_async(&rt)
            .iter(|| service_no_dedupe.handle(request(next())))
    });
    group.finish();
}

/// The router's metrics: `handle()` with a Prometheus recorder installed (everything recorded,
/// rendered by nobody) beside the same service with none (the facade's no-op recorder), for a
/// signed delivery and for an unsigned one (where the rest of the work is smallest).
#[cfg(feature = "metrics")]
fn metrics_cost(c: &mut Criterion) {
    use ghl_webhook_router::WebhookService;

    let rt = runtime();
    let deliveries = prepared(CYCLE);
    let keys = TestKeys::primary();
    let store = || InMemoryStore::new(STORE_CAPACITY, Duration::from_secs(24 * 60 * 60));
    // A fresh service per measurement: a service registers its per-request metrics with the
    // recorder in force at its first request.
    let service = |signed: bool| -> WebhookService {
        let verifier = if signed {
            keys.verifier()
        } else {
            Verifier::dangerously_accept_unsigned()
        };
        WebhookRouter::new()
            .verifier(verifier)
            .dedupe_in_memory(store())
            .on(|_event: ContactCreate, _delivery: Delivery| async {})
            .into_service()
    };
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(ghl_webhook_router::metrics::SECONDS_BUCKETS)
        .expect("buckets")
        .build_recorder();
    // As an app does (the examples every 5 s): histogram samples are drained into their
    // buckets by an upkeep, else they pile up in memory.
    let upkeep = recorder.handle();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    let upkeeper = std::thread::spawn(move || {
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
            upkeep.run_upkeep();
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    for (name, signed) in [("signed", true), ("unsigned", false)] {
        let mut group = c.benchmark_group(format!("metrics/handle() ContactCreate, {name}"));
        let mut next = cycler(&deliveries);
        let plain = service(signed);
        group.bench_function("baseline: no recorder installed", |b| {
            b.to_async(&rt).iter(|| plain.handle(request(next())))
        });
        let mut next = cycler(&deliveries);
        // The runtime is current-thread: the recorder of this thread sees every record.
        let _local = metrics::set_default_local_recorder(&recorder);
        let recorded = service(signed);
        group.bench_function("sdk: Prometheus recorder installed", |b| {
            b.to_async(&rt).iter(|| recorded.handle(request(next())))
        });
        group.finish();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = upkeeper.join();
    black_box(recorder.handle().render().len());
}

#[cfg(not(feature = "metrics"))]
fn metrics_cost(_: &mut Criterion) {}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = stages;
    config = config();
    targets = verification, identification, decoding, dispatch, whole_delivery, metrics_cost
}
criterion_main!(stages);
