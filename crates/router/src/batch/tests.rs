use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};

use base64::Engine as _;
use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::{Signer, SigningKey};
use http::HeaderValue;
use sha2::{Digest, Sha512};

use super::*;
use crate::keys::Ed25519Key;
use crate::verify::BASE64;

fn signer(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn key(label: &str, signing: &SigningKey) -> Ed25519Key {
    Ed25519Key::from_verifying_key(label, signing.verifying_key())
}

fn headers_for(signature: &Signature) -> HeaderMap {
    let mut h = HeaderMap::new();
    let value = BASE64.encode(signature.to_bytes());
    h.insert(
        SIGNATURE_HEADER,
        HeaderValue::from_str(&value).expect("header"),
    );
    h
}

fn body(n: usize) -> Bytes {
    Bytes::from(format!(
        r#"{{"type":"ContactCreate","webhookId":"id-{n}"}}"#
    ))
}

/// `count` deliveries signed by `signing`; those with `forged(i)` signed by another key.
fn deliveries(
    count: usize,
    signing: &SigningKey,
    forged: impl Fn(usize) -> bool,
) -> Vec<(HeaderMap, Bytes)> {
    let attacker = signer(99);
    (0..count)
        .map(|i| {
            let b = body(i);
            let by = if forged(i) { &attacker } else { signing };
            (headers_for(&by.sign(&b)), b)
        })
        .collect()
}

/// Runs every delivery at once on the current runtime and returns the verdicts in order.
async fn all_at_once(batch: &BatchVerifier, deliveries: &[(HeaderMap, Bytes)]) -> Vec<Verdict> {
    let tasks: Vec<_> = deliveries
        .iter()
        .cloned()
        .map(|(h, b)| {
            let batch = batch.clone();
            tokio::spawn(async move { batch.verify(&h, &b).await })
        })
        .collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.expect("task"));
    }
    out
}

#[tokio::test]
async fn a_lone_delivery_is_verified_alone() {
    let signing = signer(1);
    let batch = BatchVerifier::new(Verifier::empty().with_key(key("k", &signing)));
    let (h, b) = &deliveries(1, &signing, |_| false)[0];
    assert_eq!(
        batch.verify(h, b).await,
        Ok(VerifiedBy::Ed25519("k".into()))
    );
    let stats = batch.stats();
    assert_eq!((stats.signatures, stats.alone, stats.batches), (1, 1, 0));
}

#[tokio::test(flavor = "current_thread")]
async fn lone_deliveries_skip_the_yield_and_a_probe_finds_company_again() {
    let signing = signer(1);
    let batch = BatchVerifier::new(Verifier::empty().with_key(key("k", &signing)));
    let lone = deliveries(64, &signing, |_| false);
    for (h, b) in &lone {
        assert!(batch.verify(h, b).await.is_ok());
    }
    let stats = batch.stats();
    assert_eq!(stats.alone, 64);
    // Leaders 0, 16, 32 and 48 yield: the first because company is assumed, then the probes.
    assert_eq!(stats.yields, 64 / u64::from(PROBE_EVERY), "{stats:?}");
    let wave = deliveries(60, &signing, |_| false);
    assert!(all_at_once(&batch, &wave).await.iter().all(Result::is_ok));
    let after = batch.stats();
    assert!(after.batched >= 40, "{after:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn deliveries_waiting_together_on_one_thread_are_verified_as_one_batch() {
    let signing = signer(1);
    let verifier = Verifier::empty().with_key(key("k", &signing));
    let batch = BatchVerifier::new(verifier.clone());
    let set = deliveries(40, &signing, |_| false);
    let verdicts = all_at_once(&batch, &set).await;
    for ((h, b), verdict) in set.iter().zip(&verdicts) {
        assert_eq!(verdict, &verifier.verify(h, b));
        assert!(verdict.is_ok());
    }
    let stats = batch.stats();
    assert_eq!(stats.batched, 40, "{stats:?}");
    assert_eq!(stats.largest, 40, "{stats:?}");
    assert_eq!(stats.failed_batches, 0);
}

#[tokio::test(flavor = "current_thread")]
async fn batches_never_exceed_the_maximum_size() {
    let signing = signer(1);
    let batch = BatchVerifier::new(Verifier::empty().with_key(key("k", &signing)));
    let set = deliveries(MAX_BATCH * 2 + 5, &signing, |_| false);
    assert!(all_at_once(&batch, &set).await.iter().all(Result::is_ok));
    let stats = batch.stats();
    assert_eq!(stats.largest, MAX_BATCH as u64, "{stats:?}");
    assert_eq!(stats.batches, 3, "64 + 64 + the 5 left over: {stats:?}");
    assert_eq!(stats.alone, 0, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_multi_thread_runtime_gives_every_delivery_its_own_verdict() {
    let signing = signer(1);
    let verifier = Verifier::empty().with_key(key("k", &signing));
    let batch = BatchVerifier::new(verifier.clone());
    let set = deliveries(300, &signing, |i| i % 17 == 3);
    let verdicts = all_at_once(&batch, &set).await;
    for ((h, b), verdict) in set.iter().zip(&verdicts) {
        assert_eq!(verdict, &verifier.verify(h, b));
    }
    assert_eq!(verdicts.iter().filter(|v| v.is_err()).count(), 18);
}

#[tokio::test(flavor = "current_thread")]
async fn a_forged_member_is_rejected_and_the_valid_ones_beside_it_accepted() {
    let signing = signer(1);
    let batch = BatchVerifier::new(Verifier::empty().with_key(key("k", &signing)));
    let set = deliveries(12, &signing, |i| i == 5);
    let verdicts = all_at_once(&batch, &set).await;
    for (i, verdict) in verdicts.iter().enumerate() {
        if i == 5 {
            assert_eq!(
                verdict,
                &Err(SignatureError::Mismatch {
                    header: "X-GHL-Signature",
                    keys: 1
                })
            );
        } else {
            assert_eq!(verdict, &Ok(VerifiedBy::Ed25519("k".into())), "{i}");
        }
    }
    let stats = batch.stats();
    assert_eq!(stats.failed_batches, 1, "{stats:?}");
    assert_eq!(stats.rejected, 1);
}

#[tokio::test(flavor = "current_thread")]
async fn frequent_forgeries_stop_batching_and_it_resumes_when_they_stop() {
    let signing = signer(1);
    let batch = BatchVerifier::new(Verifier::empty().with_key(key("k", &signing)));
    let attack = deliveries(50, &signing, |i| i % 2 == 0);
    for _ in 0..10 {
        let verdicts = all_at_once(&batch, &attack).await;
        for (i, verdict) in verdicts.iter().enumerate() {
            assert_eq!(verdict.is_ok(), i % 2 == 1, "{i}");
        }
    }
    let under_attack = batch.stats();
    assert_eq!(under_attack.batch_size, 1, "{under_attack:?}");
    assert!(under_attack.forged_fraction > 0.4, "{under_attack:?}");
    // Once batching stopped, deliveries go straight to verify_strict: no more failed batches.
    let failed = under_attack.failed_batches;
    all_at_once(&batch, &attack).await;
    assert_eq!(batch.stats().failed_batches, failed);
    assert!(
        failed <= 5,
        "the estimate caught up within the first wave: {under_attack:?}"
    );

    let quiet = deliveries(50, &signing, |_| false);
    for _ in 0..20 {
        all_at_once(&batch, &quiet).await;
    }
    let after = batch.stats();
    assert!(after.batch_size > 16, "{after:?}");
    assert!(after.batches > under_attack.batches, "{after:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn followers_of_an_abandoned_leader_verify_alone() {
    let signing = signer(1);
    let verifier = Verifier::empty().with_key(key("k", &signing));
    let batch = BatchVerifier::new(verifier);
    let set = deliveries(3, &signing, |i| i == 2);
    let mut cx = Context::from_waker(Waker::noop());
    let mut leader = Box::pin(batch.verify(&set[0].0, &set[0].1));
    assert!(
        leader.as_mut().poll(&mut cx).is_pending(),
        "the leader yields"
    );
    let mut first = pin!(batch.verify(&set[1].0, &set[1].1));
    let mut second = pin!(batch.verify(&set[2].0, &set[2].1));
    assert!(first.as_mut().poll(&mut cx).is_pending());
    assert!(second.as_mut().poll(&mut cx).is_pending());
    drop(leader);
    assert_eq!(
        first.await,
        Ok(VerifiedBy::Ed25519("k".into())),
        "verified alone"
    );
    assert!(second.await.is_err());
    // The queue is free again: the next delivery leads its own batch.
    assert!(batch.verify(&set[0].0, &set[0].1).await.is_ok());
}

#[tokio::test(flavor = "current_thread")]
async fn with_several_keys_batches_follow_the_key_in_use_and_labels_match() {
    let (old, new) = (signer(1), signer(2));
    let verifier = Verifier::empty()
        .with_key(key("old", &old))
        .with_key(key("new", &new));
    let batch = BatchVerifier::new(verifier.clone());
    // After a rotation to the second key: the first batch (against the first key) fails, the
    // next ones are verified against the key that verified last.
    let rotated = deliveries(20, &new, |_| false);
    for _ in 0..3 {
        let verdicts = all_at_once(&batch, &rotated).await;
        assert!(
            verdicts
                .iter()
                .all(|v| v == &Ok(VerifiedBy::Ed25519("new".into())))
        );
    }
    let stats = batch.stats();
    assert_eq!((stats.failed_batches, stats.batches), (1, 2), "{stats:?}");
    // Both keys at once: every verdict still names the key that verified it.
    let mut mixed = deliveries(10, &new, |_| false);
    mixed.extend(deliveries(5, &old, |i| i == 4));
    let verdicts = all_at_once(&batch, &mixed).await;
    for ((h, b), verdict) in mixed.iter().zip(&verdicts) {
        assert_eq!(verdict, &verifier.verify(h, b));
    }
    assert_eq!(verdicts.iter().filter(|v| v.is_err()).count(), 1);
}

#[tokio::test]
async fn signatures_verify_strict_refuses_never_enter_a_batch() {
    let signing = signer(1);
    let verifier = Verifier::empty().with_key(key("k", &signing));
    let batch = BatchVerifier::new(verifier.clone());
    let b = body(0);
    let honest = signing.sign(&b);
    let mut unreduced_s = *honest.s_bytes();
    unreduced_s[31] |= 0x10;
    let cases = [
        Signature::from_components(EIGHT_TORSION[0].compress().to_bytes(), *honest.s_bytes()),
        Signature::from_components(EIGHT_TORSION[3].compress().to_bytes(), [0; 32]),
        Signature::from_components(*honest.r_bytes(), unreduced_s),
    ];
    for signature in cases {
        let h = headers_for(&signature);
        assert_eq!(batch.verify(&h, &b).await, verifier.verify(&h, &b));
        assert!(batch.verify(&h, &b).await.is_err());
    }
    assert_eq!(batch.stats().direct, 6, "{:?}", batch.stats());
    assert_eq!(
        batch.stats().forged_fraction,
        0.0,
        "they do not slow batching down"
    );
}

/// A signature made with the private key whose `R` carries a small-order component: the one
/// input where a batch and `verify_strict` may disagree (see the module documentation).
fn mixed_order_r_signature(signing: &SigningKey, message: &[u8], nonce: u8) -> Signature {
    let a = signing.to_scalar();
    let public = signing.verifying_key();
    let r = Scalar::from_bytes_mod_order([nonce; 32]);
    let big_r = (r * ED25519_BASEPOINT_POINT + EIGHT_TORSION[1]).compress();
    let k = Scalar::from_bytes_mod_order_wide(
        &Sha512::new()
            .chain_update(big_r.as_bytes())
            .chain_update(public.as_bytes())
            .chain_update(message)
            .finalize()
            .into(),
    );
    Signature::from_components(big_r.to_bytes(), (r + k * a).to_bytes())
}

#[tokio::test(flavor = "current_thread")]
async fn a_key_holders_mixed_order_r_is_rejected_alone_and_may_pass_a_batch() {
    let signing = signer(1);
    let public = signing.verifying_key();
    let verifier = Verifier::empty().with_key(key("k", &signing));
    let mut passed_a_batch = 0;
    for nonce in 1..=40u8 {
        let message = body(usize::from(nonce));
        let odd = mixed_order_r_signature(&signing, &message, nonce);
        assert!(public.verify_strict(&message, &odd).is_err());
        let alone = BatchVerifier::new(verifier.clone());
        assert!(alone.verify(&headers_for(&odd), &message).await.is_err());
        let honest = body(1000);
        let signatures = [signing.sign(&honest), odd];
        let pair = [honest.as_ref(), message.as_ref()];
        let members = pair.into_iter().zip(signatures.iter());
        if coalesced::verifies(&key("k", &signing).fixed, members) {
            passed_a_batch += 1;
        }
    }
    // The batch's weights cancel an order-8 component one time in 8.
    assert!((1..=15).contains(&passed_a_batch), "{passed_a_batch} of 40");
}
