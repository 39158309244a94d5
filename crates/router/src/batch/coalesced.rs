//! Coalesced batch verification: the signatures of one key checked as one equation of `n + 2`
//! points.
//!
//! Each signature `(Rᵢ, Sᵢ)` over `Mᵢ` satisfies `Rᵢ = [Sᵢ]B − [kᵢ]A`. With random 128-bit
//! weights `zᵢ`, the batch checks
//!
//! ```text
//! [−Σ zᵢSᵢ]B + [Σ zᵢkᵢ]A + Σ [zᵢ]Rᵢ = 0
//! ```
//!
//! Every signature is by the same key `A`, so its terms add up into one (ed25519-zebra's
//! coalescing): `n + 2` points where ed25519-dalek's `verify_batch` multiplies `2n + 1`, and
//! `B` and `A` come from tables made once per key (`VartimeEdwardsPrecomputation`). The
//! equation is ed25519-dalek's `verify_batch`'s, cofactorless, with the key's terms summed
//! (which needs `A` of prime order: only torsion-free keys are batched against).
//!
//! The weights are derived, as ed25519-dalek's are, from a hash of everything verified: the key,
//! every `H(Rᵢ ‖ A ‖ Mᵢ)` and every `Sᵢ`. A forger who does not know them in advance cannot
//! make wrong terms cancel: any change to a member changes every weight.

use curve25519_dalek::edwards::CompressedEdwardsY;
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::Signature;
use sha2::{Digest, Sha512};

use crate::fixed_key::FixedKey;

/// Domain separation of the weights' hash.
const DOMAIN: &[u8] = b"ghl-webhooks coalesced ed25519 batch v1";

/// Whether every `(message, signature)` verifies with `key`, as one coalesced batch. `false` when
/// any member fails (or has an `S` that is not reduced, or an `R` that is no point): the caller
/// then verifies each alone.
pub(crate) fn verifies<'a>(
    key: &FixedKey,
    members: impl ExactSizeIterator<Item = (&'a [u8], &'a Signature)>,
) -> bool {
    let n = members.len();
    let a_bytes = key.key().as_bytes();
    let mut transcript = Sha512::new()
        .chain_update(DOMAIN)
        .chain_update(a_bytes)
        .chain_update((n as u64).to_le_bytes());
    let mut ks = Vec::with_capacity(n);
    let mut ss = Vec::with_capacity(n);
    let mut rs = Vec::with_capacity(n);
    for (message, signature) in members {
        let r = signature.r_bytes();
        let hram: [u8; 64] = Sha512::new()
            .chain_update(r)
            .chain_update(a_bytes)
            .chain_update(message)
            .finalize()
            .into();
        transcript.update(hram);
        transcript.update(signature.s_bytes());
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(*signature.s_bytes()))
        else {
            return false;
        };
        let Some(point) = CompressedEdwardsY(*r).decompress() else {
            return false;
        };
        ks.push(Scalar::from_bytes_mod_order_wide(&hram));
        ss.push(s);
        rs.push(point);
    }
    let seed: [u8; 64] = transcript.finalize().into();
    let zs = weights(&seed, n);
    let (mut b, mut a) = (Scalar::ZERO, Scalar::ZERO);
    for ((z, s), k) in zs.iter().zip(&ss).zip(&ks) {
        b -= z * s;
        a += z * k;
    }
    key.batch_equation_holds(b, a, &zs, &rs)
}

/// `n` 128-bit weights, four from each SHA-512 of the seed and a counter.
fn weights(seed: &[u8; 64], n: usize) -> Vec<Scalar> {
    let mut zs = Vec::with_capacity(n);
    let mut counter = 0u64;
    while zs.len() < n {
        let block: [u8; 64] = Sha512::new()
            .chain_update(seed)
            .chain_update(counter.to_le_bytes())
            .finalize()
            .into();
        for chunk in block.chunks_exact(16) {
            if zs.len() < n {
                let mut z = [0u8; 16];
                z.copy_from_slice(chunk);
                zs.push(Scalar::from(u128::from_le_bytes(z)));
            }
        }
        counter += 1;
    }
    zs
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn members(count: usize, signing: &SigningKey) -> (Vec<Vec<u8>>, Vec<Signature>) {
        let messages: Vec<Vec<u8>> = (0..count)
            .map(|i| format!("{{\"n\":{i}}}").into())
            .collect();
        let signatures = messages.iter().map(|m| signing.sign(m)).collect();
        (messages, signatures)
    }

    fn check(key: &FixedKey, messages: &[Vec<u8>], signatures: &[Signature]) -> bool {
        verifies(
            key,
            messages.iter().map(Vec::as_slice).zip(signatures.iter()),
        )
    }

    #[test]
    fn a_batch_of_valid_signatures_verifies_and_one_forged_member_fails_it() {
        let signing = SigningKey::from_bytes(&[5; 32]);
        let key = FixedKey::new(signing.verifying_key());
        for n in [1, 2, 3, 17, 64] {
            let (messages, mut signatures) = members(n, &signing);
            assert!(check(&key, &messages, &signatures), "{n}");
            let forged = SigningKey::from_bytes(&[6; 32]).sign(&messages[n / 2]);
            signatures[n / 2] = forged;
            assert!(
                !check(&key, &messages, &signatures),
                "{n} with a forged member"
            );
        }
    }

    #[test]
    fn swapped_messages_and_compensating_errors_fail() {
        let signing = SigningKey::from_bytes(&[5; 32]);
        let key = FixedKey::new(signing.verifying_key());
        let (mut messages, signatures) = members(4, &signing);
        messages.swap(0, 1);
        assert!(!check(&key, &messages, &signatures));
        // Two signatures whose S are off by +1 and −1: their errors cancel unless weighted.
        let (messages, mut signatures) = members(4, &signing);
        let shift = |sig: &Signature, by: Scalar| {
            let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(*sig.s_bytes()))
                .expect("reduced");
            Signature::from_components(*sig.r_bytes(), (s + by).to_bytes())
        };
        signatures[0] = shift(&signatures[0], Scalar::ONE);
        signatures[1] = shift(&signatures[1], -Scalar::ONE);
        assert!(!check(&key, &messages, &signatures));
    }

    #[test]
    fn weights_are_distinct_and_depend_on_the_seed() {
        let zs = weights(&[1; 64], 9);
        let others = weights(&[2; 64], 9);
        assert_eq!(zs.len(), 9);
        for (i, z) in zs.iter().enumerate() {
            assert!(zs[..i].iter().all(|earlier| earlier != z));
            assert_ne!(*z, others[i]);
        }
    }
}
