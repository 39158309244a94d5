//! Signature headers over arbitrary bodies, Ed25519 (`X-GHL-Signature`) and the legacy RSA
//! (`X-WH-Signature`): never a panic, and the batch verifier's verdict on every delivery is
//! the one-by-one verifier's, alone and inside a batch of three (the fuzzed delivery twice and
//! its validly signed twin, verified at the same moment).
//! Input: a mode byte, the Ed25519 header line, the legacy header line, then the body. Mode
//! bit 0 replaces the Ed25519 header by the test key's signature of the body; bit 1 then flips
//! the signature's bit `mode >> 2` (a forgery one bit away).
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use ghl_webhook_router::batch::BatchVerifier;
use ghl_webhook_router::{LEGACY_SIGNATURE_HEADER, SIGNATURE_HEADER, Verifier};
use ghl_webhook_sim::TestKeys;
use ghl_webhooks_fuzz::{runtime, split_once};
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

struct Harness {
    keys: TestKeys,
    verifier: Verifier,
    batch: BatchVerifier,
}

fn harness() -> &'static Harness {
    static HARNESS: std::sync::OnceLock<Harness> = std::sync::OnceLock::new();
    HARNESS.get_or_init(|| {
        let keys = TestKeys::primary();
        let verifier = keys.verifier_with_rsa();
        let batch = runtime().block_on(async { BatchVerifier::new(verifier.clone()) });
        Harness {
            keys,
            verifier,
            batch,
        }
    })
}

fn headers(ghl: Option<&[u8]>, legacy: Option<&[u8]>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(value) = ghl.and_then(|v| HeaderValue::from_bytes(v).ok()) {
        headers.insert(SIGNATURE_HEADER, value);
    }
    if let Some(value) = legacy.and_then(|v| HeaderValue::from_bytes(v).ok()) {
        headers.insert(LEGACY_SIGNATURE_HEADER, value);
    }
    headers
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let h = harness();
    let (ghl, rest) = split_once(rest, b"\n");
    let (legacy, body) = split_once(rest, b"\n");
    let body = Bytes::copy_from_slice(body);
    let valid = h.keys.sign(&body);
    let ghl: Vec<u8> = if mode & 1 == 1 {
        let mut signature = STANDARD.decode(&valid).expect("our own base64");
        if mode & 2 == 2 {
            let bit = usize::from(mode >> 2) % (signature.len() * 8);
            signature[bit / 8] ^= 1 << (bit % 8);
        }
        STANDARD.encode(signature).into_bytes()
    } else {
        ghl.to_vec()
    };
    let fuzzed = headers(
        (!ghl.is_empty()).then_some(&ghl[..]),
        (!legacy.is_empty()).then_some(legacy),
    );
    let twin = headers(Some(valid.as_bytes()), None);

    let alone = h.verifier.verify(&fuzzed, &body);
    let twin_alone = h.verifier.verify(&twin, &body);
    assert!(
        twin_alone.is_ok(),
        "the test key's own signature: {twin_alone:?}"
    );
    runtime().block_on(async {
        assert_eq!(
            h.batch.verify(&fuzzed, &body).await,
            alone,
            "batch verifier alone"
        );
        let (a, b, c) = tokio::join!(
            h.batch.verify(&fuzzed, &body),
            h.batch.verify(&twin, &body),
            h.batch.verify(&fuzzed, &body),
        );
        assert_eq!(a, alone, "inside a batch");
        assert_eq!(b, twin_alone, "the valid twin inside a batch");
        assert_eq!(c, alone, "inside a batch, again");
    });
});
