//! Legacy RSA (`X-WH-Signature`), key sets, and cross-implementation vectors made by `openssl`,
//! each through plain and batch verification.
#![cfg(feature = "legacy-rsa")]

mod common;

use base64::Engine as _;
use bytes::Bytes;
use common::{Recorder, association_router, seed_event};
use ghl_webhook_router::batch::BatchVerifier;
use ghl_webhook_router::serve::spawn;
use ghl_webhook_router::types::EventKind;
use ghl_webhook_router::{SignatureError, VerifiedBy, Verifier, WebhookRouter};
use ghl_webhook_test_support::{MockSender, Scheme, TestKeys, rsa_keys};
use http::{HeaderMap, HeaderValue, StatusCode};

/// Both ways of verifying: one by one, and in batches.
const BATCHING: [bool; 2] = [false, true];

async fn start(
    verifier: Verifier,
    rec: &Recorder,
    batch: bool,
) -> (ghl_webhook_router::serve::Server, MockSender) {
    let service = association_router(rec)
        .verifier(verifier)
        .batch_verification(batch)
        .into_service()
        .bind(EventKind::AssociationDelete);
    let server = spawn("127.0.0.1:0".parse().expect("addr"), service)
        .await
        .expect("bind");
    let sender = MockSender::new(server.url()).expect("url");
    (server, sender)
}

#[tokio::test]
async fn rsa_is_accepted_only_without_an_ed25519_header_and_with_an_rsa_key() {
    for batch in BATCHING {
        rsa_is_accepted_only_without_an_ed25519_header(batch).await;
    }
}

async fn rsa_is_accepted_only_without_an_ed25519_header(batch: bool) {
    let rec = Recorder::default();
    let (_s, sender) = start(TestKeys::primary().verifier_with_rsa(), &rec, batch).await;
    let sent = sender
        .event(&seed_event())
        .scheme(Scheme::Rsa)
        .send()
        .await
        .expect("rsa");
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body_text());
    assert!(matches!(
        rec.events()[0].1.verified_by(),
        VerifiedBy::Rsa(_)
    ));

    let sent = sender
        .event(&seed_event())
        .scheme(Scheme::Both)
        .send()
        .await
        .expect("both");
    assert_eq!(sent.status, StatusCode::OK);
    assert!(
        matches!(rec.events()[1].1.verified_by(), VerifiedBy::Ed25519(_)),
        "Ed25519 is preferred"
    );

    // Both present, Ed25519 bad, RSA good: rejected (no downgrade).
    let sent = sender
        .event(&seed_event())
        .scheme(Scheme::Both)
        .signed_by(&TestKeys::other())
        .send()
        .await
        .expect("downgrade attempt");
    assert_eq!(sent.status, StatusCode::UNAUTHORIZED);
    assert!(
        sent.body_text().contains("X-GHL-Signature"),
        "{}",
        sent.body_text()
    );
    assert_eq!(rec.events().len(), 2);

    // Without an RSA key configured, X-WH-Signature alone is as good as nothing.
    let rec2 = Recorder::default();
    let (_s2, sender2) = start(TestKeys::primary().verifier(), &rec2, batch).await;
    let sent = sender2
        .event(&seed_event())
        .scheme(Scheme::Rsa)
        .send()
        .await
        .expect("rsa");
    assert_eq!(sent.status, StatusCode::UNAUTHORIZED);
    assert!(sent.body_text().contains("missing"));
    assert_eq!(rec2.total(), 0);
}

#[tokio::test]
async fn bad_rsa_signatures_are_each_401_with_their_reason() {
    for batch in BATCHING {
        bad_rsa_signatures_are_401(batch).await;
    }
}

async fn bad_rsa_signatures_are_401(batch: bool) {
    let rec = Recorder::default();
    let (_s, sender) = start(TestKeys::primary().verifier_with_rsa(), &rec, batch).await;
    let b64 = |n: usize| base64::engine::general_purpose::STANDARD.encode(vec![1u8; n]);
    let cases = [
        (
            "tampered",
            sender.event(&seed_event()).scheme(Scheme::Rsa).tamper(),
            "does not verify",
        ),
        (
            "N/A",
            sender
                .event(&seed_event())
                .scheme(Scheme::None)
                .legacy_signature_header("N/A"),
            "`N/A`",
        ),
        (
            "bad base64",
            sender
                .event(&seed_event())
                .scheme(Scheme::None)
                .legacy_signature_header("!!"),
            "base64",
        ),
        (
            "short",
            sender
                .event(&seed_event())
                .scheme(Scheme::None)
                .legacy_signature_header(b64(256)),
            "256 bytes",
        ),
        (
            "garbage of the right size",
            sender
                .event(&seed_event())
                .scheme(Scheme::None)
                .legacy_signature_header(b64(512)),
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
    assert_eq!(rec.total(), 0);
}

/// `verifier`'s verdict on one delivery, checked to be the same through batch verification:
/// alone, and waiting together with valid deliveries signed by `TestKeys::primary()` (so in a
/// batch whenever the verifier trusts that key).
fn verdict(
    verifier: &Verifier,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<VerifiedBy, SignatureError> {
    let direct = verifier.verify(headers, body);
    if let Strict::Verdict(strict) = verify_strict_label(verifier, headers, body) {
        let got = match &direct {
            Ok(VerifiedBy::Ed25519(label)) => Some(label.to_string()),
            _ => None,
        };
        assert_eq!(
            got, strict,
            "the fixed-key path gives verify_strict's verdict"
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let batch = BatchVerifier::new(verifier.clone());
    let body = Bytes::copy_from_slice(body);
    assert_eq!(
        runtime.block_on(batch.verify(headers, &body)),
        direct,
        "alone"
    );
    let companions: Vec<(HeaderMap, Bytes)> = (0..5)
        .map(|i| {
            let b = Bytes::from(format!("{{\"companion\":{i}}}"));
            let mut h = HeaderMap::new();
            let sig = TestKeys::primary().sign(&b);
            h.insert(
                "x-ghl-signature",
                HeaderValue::from_str(&sig).expect("header"),
            );
            (h, b)
        })
        .collect();
    let batch = BatchVerifier::new(verifier.clone());
    let verdicts = runtime.block_on(async {
        let mine = std::iter::once(batch.verify(headers, &body));
        let theirs = companions.iter().map(|(h, b)| batch.verify(h, b));
        futures_util::future::join_all(mine.chain(theirs)).await
    });
    assert_eq!(verdicts[0], direct, "beside valid deliveries");
    for ((h, b), v) in companions.iter().zip(&verdicts[1..]) {
        assert_eq!(v, &verifier.verify(h, b), "the companions' own verdicts");
    }
    if !verifier.keys().is_empty() && !verifier.accepts_unsigned() {
        let stats = batch.stats();
        assert!(stats.batches + stats.failed_batches >= 1, "{stats:?}");
    }
    direct
}

/// What ed25519-dalek's `verify_strict` says of a delivery, key by key.
enum Strict {
    /// No `X-GHL-Signature` of 64 bytes: nothing for `verify_strict` to say.
    NoSignature,
    /// The label of the first key that verifies, `None` when none does.
    Verdict(Option<String>),
}

/// `verify_strict`, key by key, on an `X-GHL-Signature` of 64 bytes.
fn verify_strict_label(verifier: &Verifier, headers: &HeaderMap, body: &[u8]) -> Strict {
    let signature = headers
        .get("x-ghl-signature")
        .and_then(|value| {
            base64::engine::general_purpose::STANDARD
                .decode(value.as_bytes().trim_ascii())
                .ok()
        })
        .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok());
    let Some(signature) = signature else {
        return Strict::NoSignature;
    };
    let signature = ed25519_dalek::Signature::from_bytes(&signature);
    Strict::Verdict(verifier.keys().iter().find_map(|key| {
        let strict = ed25519_dalek::VerifyingKey::from_bytes(&key.to_bytes()).ok()?;
        strict
            .verify_strict(body, &signature)
            .ok()
            .map(|()| key.label().to_owned())
    }))
}

#[test]
fn key_sets_rotate_across_schemes_and_labels_say_which_key_verified() {
    let body = b"{}";
    let verifier = Verifier::highlevel()
        .with_key(TestKeys::other().public_key())
        .with_key(TestKeys::primary().public_key())
        .with_rsa_key(ghl_webhook_router::RsaKey::highlevel())
        .with_rsa_key(rsa_keys::public_key());
    let mut h = HeaderMap::new();
    h.insert(
        "x-wh-signature",
        HeaderValue::from_str(&rsa_keys::sign(body)).expect("header"),
    );
    assert_eq!(
        verdict(&verifier, &h, body),
        Ok(VerifiedBy::Rsa("ghl-webhooks-rsa-test-key".into()))
    );
    let mut h = HeaderMap::new();
    h.insert(
        "x-ghl-signature",
        HeaderValue::from_str(&TestKeys::primary().sign(body)).expect("header"),
    );
    assert_eq!(
        verdict(&verifier, &h, body),
        Ok(VerifiedBy::Ed25519("ghl-webhooks-test-key".into()))
    );
}

mod cross_implementation {
    use super::*;

    const BODY: &[u8] = include_bytes!("vectors/body.json");
    const ED25519_SIG: &str = include_str!("vectors/ed25519.sig.b64");
    const RSA_SIG: &str = include_str!("vectors/rsa.sig.b64");

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value.trim()).expect("header"));
        h
    }

    fn tampered() -> Vec<u8> {
        let mut body = BODY.to_vec();
        body[10] ^= 0x01;
        body
    }

    #[test]
    fn openssl_ed25519_vectors_verify_and_their_tampered_copies_do_not() {
        let v = TestKeys::primary().verifier();
        let h = headers("x-ghl-signature", ED25519_SIG);
        assert!(matches!(verdict(&v, &h, BODY), Ok(VerifiedBy::Ed25519(_))));
        assert!(matches!(
            verdict(&v, &h, &tampered()),
            Err(SignatureError::Mismatch { .. })
        ));
        // Re-serializing the body (same JSON value) breaks the signature too.
        let value: serde_json::Value = serde_json::from_slice(BODY).expect("json");
        let reserialized = serde_json::to_vec(&value).expect("json");
        assert!(verdict(&v, &h, &reserialized).is_err());
    }

    #[test]
    fn openssl_rsa_vectors_verify_and_their_tampered_copies_do_not() {
        let v = Verifier::empty().with_rsa_key(rsa_keys::public_key());
        let h = headers("x-wh-signature", RSA_SIG);
        assert!(matches!(verdict(&v, &h, BODY), Ok(VerifiedBy::Rsa(_))));
        assert!(matches!(
            verdict(&v, &h, &tampered()),
            Err(SignatureError::Mismatch { .. })
        ));
    }

    /// Signs fresh bytes with the `openssl` command line right now, when it is installed.
    #[test]
    fn live_openssl_signatures_verify() {
        use std::io::Write;
        use std::process::Command;
        if Command::new("openssl").arg("version").output().is_err() {
            eprintln!(
                "SKIPPED LOUDLY: `openssl` is not on PATH; the committed vectors above still ran"
            );
            return;
        }
        let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/../sim/keys");
        let dir = std::env::temp_dir().join(format!("ghl-openssl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp dir");
        let body_path = dir.join("body.json");
        let body = br#"{"id":"live","n":[1,2,3],"s":"\u00e9"}"#;
        std::fs::File::create(&body_path)
            .and_then(|mut f| f.write_all(body))
            .expect("write");
        let run = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .output()
                .expect("openssl runs");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            base64::engine::general_purpose::STANDARD.encode(out.stdout)
        };
        let body_arg = body_path.to_str().expect("utf-8 path");
        let ed = run(&[
            "pkeyutl",
            "-sign",
            "-inkey",
            &format!("{keys}/ed25519-test-private.pem"),
            "-rawin",
            "-in",
            body_arg,
        ]);
        let rsa = run(&[
            "dgst",
            "-sha256",
            "-sign",
            &format!("{keys}/rsa4096-test-private.pem"),
            body_arg,
        ]);
        let v = TestKeys::primary().verifier_with_rsa();
        assert!(matches!(
            verdict(&v, &headers("x-ghl-signature", &ed), body),
            Ok(VerifiedBy::Ed25519(_))
        ));
        assert!(matches!(
            verdict(&v, &headers("x-wh-signature", &rsa), body),
            Ok(VerifiedBy::Rsa(_))
        ));
        assert!(verdict(&v, &headers("x-wh-signature", &rsa), b"{}").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Many deliveries at once over real HTTP, one in seven forged: every forged one is refused,
/// every valid one handled exactly once, with batch verification on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_over_http_are_batched_and_forged_ones_refused() {
    let rec = Recorder::default();
    let service = association_router(&rec)
        .verifier(TestKeys::primary().verifier())
        .batch_verification(true)
        .into_service();
    let stats = service.clone();
    let server = spawn(
        "127.0.0.1:0".parse().expect("addr"),
        service.bind(EventKind::AssociationDelete),
    )
    .await
    .expect("bind");
    let sender = MockSender::new(server.url()).expect("url");
    let forged = |i: usize| i % 7 == 3;
    let sends = (0..120).map(|i| {
        let sender = &sender;
        async move {
            let delivery = sender
                .event(&seed_event())
                .webhook_id(format!("concurrent-{i}"));
            let delivery = if forged(i) {
                delivery.signed_by(&TestKeys::other())
            } else {
                delivery
            };
            delivery.send().await.expect("sent").status
        }
    });
    let statuses = futures_util::future::join_all(sends).await;
    for (i, status) in statuses.iter().enumerate() {
        let expected = if forged(i) {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::OK
        };
        assert_eq!(*status, expected, "delivery {i}");
    }
    assert_eq!(rec.total(), (0..120).filter(|&i| !forged(i)).count());
    let batch = stats.batch_stats().expect("batch verification is on");
    assert_eq!(batch.signatures, 120, "{batch:?}");
    assert_eq!(batch.rejected, 17, "{batch:?}");
    assert!(
        WebhookRouter::new().into_service().batch_stats().is_some(),
        "on by default"
    );
    assert!(
        WebhookRouter::new()
            .batch_verification(false)
            .into_service()
            .batch_stats()
            .is_none(),
        "and off on request"
    );
}
