//! Properties over real HTTP: generated events arrive equal; arbitrary input never panics and
//! never reaches a handler unless validly signed.

mod common;

use common::{Recorder, association_router, runtime, serve};
use ghl_webhook_router::types::{Event, EventKind};
use ghl_webhook_test_support::TestKeys;
use ghl_webhook_test_support::strategies::event_of;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[test]
fn any_generated_association_event_reaches_its_handler_equal() {
    let rt = runtime();
    let rec = Recorder::default();
    let (server, sender) = rt.block_on(serve(association_router(&rec).into_service()));
    let strategy = prop_oneof![
        event_of(EventKind::AssociationCreate),
        event_of(EventKind::AssociationUpdate),
        event_of(EventKind::AssociationDelete),
    ];
    let mut runner = TestRunner::new(Config::with_cases(256));
    runner
        .run(&strategy, |event: Event| {
            rec.clear();
            let sent = rt
                .block_on(sender.any_event(&event).bound().send())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(sent.status.as_u16(), 200, "{}", sent.body_text());
            let got = rec.events();
            prop_assert_eq!(got.len(), 1);
            prop_assert_eq!(&got[0].0, &event);
            prop_assert_eq!(got[0].1.raw(), &sent.payload);
            Ok(())
        })
        .expect("property holds");
    drop(server);
}

/// Header values a forger might try, valid and invalid.
fn signature_header() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        Just(None),
        Just(Some(b"N/A".to_vec())),
        proptest::collection::vec(any::<u8>(), 0..120).prop_map(Some),
        "[A-Za-z0-9+/=]{0,120}".prop_map(|s| Some(s.into_bytes())),
        // A real signature, but over other bytes.
        proptest::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| Some(TestKeys::primary().sign(&b).into_bytes())),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        "\\PC{0,200}".prop_map(String::into_bytes),
        Just(br#"{"id":"x","type":"AssociationDelete"}"#.to_vec()),
        Just(b"{}".to_vec()),
    ]
}

#[test]
fn arbitrary_bytes_and_headers_never_panic_and_never_reach_a_handler_unsigned() {
    let rt = runtime();
    let rec = Recorder::default();
    let (server, _sender) = rt.block_on(serve(association_router(&rec).into_service()));
    let url = server.url();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let content_type = prop_oneof![
        Just(None),
        Just(Some("application/json".to_owned())),
        "[ -~]{0,40}".prop_map(Some),
    ];
    let path = prop_oneof![
        Just("/".to_owned()),
        Just("/AssociationDelete".to_owned()),
        "/[A-Za-z]{0,20}"
    ];
    let mut runner = TestRunner::new(Config::with_cases(256));
    runner
        .run(
            &(body(), signature_header(), content_type, path),
            |(body, sig, ct, path)| {
                rec.clear();
                let mut request = http::Request::post(format!("{url}{path}"));
                if let Some(sig) = &sig {
                    match http::HeaderValue::from_bytes(sig) {
                        Ok(v) => request = request.header("x-ghl-signature", v),
                        Err(_) => return Ok(()), // not representable on the wire
                    }
                }
                if let Some(ct) = &ct {
                    match http::HeaderValue::from_str(ct) {
                        Ok(v) => request = request.header("content-type", v),
                        Err(_) => return Ok(()),
                    }
                }
                let request = request
                    .body(http_body_util::Full::new(bytes::Bytes::from(body)))
                    .map_err(|e| TestCaseError::reject(e.to_string()))?;
                let response = rt.block_on(client.request(request)).map_err(|e| {
                    TestCaseError::fail(format!("the server must always answer: {e}"))
                })?;
                let status = response.status().as_u16();
                prop_assert!(
                    [401, 415].contains(&status),
                    "unsigned input must be rejected before parsing, got {}",
                    status
                );
                prop_assert_eq!(rec.total(), 0);
                Ok(())
            },
        )
        .expect("property holds");
}

/// One delivery for the batch property: a body and the `X-GHL-Signature` value sent with it.
fn signed_or_forged() -> impl Strategy<Value = (Vec<u8>, Option<Vec<u8>>)> {
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    prop_oneof![
        // Valid: signed by the trusted key over this body.
        3 => body().prop_map(|b| {
            let sig = TestKeys::primary().sign(&b).into_bytes();
            (b, Some(sig))
        }),
        // 64 arbitrary bytes: random R and S, canonical or not, on the curve or not.
        1 => (body(), proptest::collection::vec(any::<u8>(), 64))
            .prop_map(move |(b, sig)| (b, Some(b64(&sig).into_bytes()))),
        // A valid signature with one bit flipped (in R or in S).
        1 => (body(), 0..512usize).prop_map(move |(b, bit)| {
            let mut sig = ed25519_dalek::Signer::sign(TestKeys::primary().signing_key(), &b)
                .to_bytes();
            sig[bit / 8] ^= 1 << (bit % 8);
            (b, Some(b64(&sig).into_bytes()))
        }),
        // Signed by another key.
        1 => body().prop_map(|b| {
            let sig = TestKeys::other().sign(&b).into_bytes();
            (b, Some(sig))
        }),
        1 => (body(), signature_header()),
    ]
}

/// Batch verification gives exactly `verify_strict`'s verdict on any mix of deliveries that
/// wait together: valid ones, forged ones, random and mangled signatures.
#[test]
fn batch_verification_gives_the_verdicts_of_one_by_one_on_any_mix() {
    use ghl_webhook_router::Verifier;
    use ghl_webhook_router::batch::BatchVerifier;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let verifier = Verifier::empty()
        .with_key(TestKeys::other().public_key())
        .with_key(TestKeys::primary().public_key());
    let mut runner = TestRunner::new(Config::with_cases(128));
    runner
        .run(
            &proptest::collection::vec(signed_or_forged(), 1..24),
            |set| {
                let deliveries: Vec<(http::HeaderMap, bytes::Bytes)> = set
                    .into_iter()
                    .filter_map(|(body, sig)| {
                        let mut headers = http::HeaderMap::new();
                        if let Some(sig) = sig {
                            headers.insert(
                                "x-ghl-signature",
                                http::HeaderValue::from_bytes(&sig).ok()?,
                            );
                        }
                        Some((headers, bytes::Bytes::from(body)))
                    })
                    .collect();
                let batch = BatchVerifier::new(verifier.clone());
                let verdicts = rt.block_on(futures_util::future::join_all(
                    deliveries.iter().map(|(h, b)| batch.verify(h, b)),
                ));
                for ((h, b), verdict) in deliveries.iter().zip(&verdicts) {
                    prop_assert_eq!(verdict, &verifier.verify(h, b));
                }
                Ok(())
            },
        )
        .expect("property holds");
}
