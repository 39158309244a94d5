//! What `verify_strict` rejects and batch verification would not, checked on the bytes before
//! a signature may join a batch.
//!
//! `verify_strict` refuses a signature whose `S` is not reduced (`S ≥ ℓ`), whose `R` is not the
//! canonical encoding of its point, or whose `R` or key `A` is a point of small order.
//! `verify_batch` checks none of the last three. A signature failing these checks is verified
//! alone (and so rejected), never batched; a key failing them is never batched against.

use std::sync::LazyLock;

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::{Signature, VerifyingKey};

/// The y-coordinates (canonical encoding, sign bit cleared) of the eight points of small
/// order. Every point with one of these y-coordinates is of small order, whatever its sign.
static SMALL_ORDER_Y: LazyLock<Vec<[u8; 32]>> = LazyLock::new(|| {
    let mut ys: Vec<[u8; 32]> = EIGHT_TORSION
        .iter()
        .map(|point| {
            let mut y = point.compress().to_bytes();
            y[31] &= 0x7f;
            y
        })
        .collect();
    ys.sort_unstable();
    ys.dedup();
    ys
});

/// Whether `signature` passes every check of `verify_strict` that batch verification lacks:
/// `S` reduced, `R` canonically encoded and not of small order.
pub(crate) fn may_join_a_batch(signature: &Signature) -> bool {
    s_is_reduced(signature.s_bytes()) && r_is_canonical_and_not_small(signature.r_bytes())
}

/// Whether signatures may be batched against `key`: not of small order and torsion-free (the
/// form every key made by Ed25519 key generation has). Checked once per key, at construction.
pub(crate) fn key_may_be_batched(key: &VerifyingKey) -> bool {
    !key.is_weak() && key.to_edwards().is_torsion_free()
}

fn s_is_reduced(s: &[u8; 32]) -> bool {
    bool::from(Scalar::from_canonical_bytes(*s).is_some())
}

fn r_is_canonical_and_not_small(r: &[u8; 32]) -> bool {
    let mut y = *r;
    y[31] &= 0x7f;
    !y_is_unreduced(&y) && !SMALL_ORDER_Y.contains(&y)
}

/// Whether the encoding `r`, sign bit cleared, is the canonical y-coordinate of a point of small
/// order (whatever the sign bit, such an `r` is refused by `verify_strict`).
pub(crate) fn has_small_order_y(r: &[u8; 32]) -> bool {
    let mut y = *r;
    y[31] &= 0x7f;
    SMALL_ORDER_Y.contains(&y)
}

/// Whether the 255-bit little-endian `y` is at least p = 2²⁵⁵ − 19 (an encoding that is not
/// canonical: `verify_strict` compares the recomputed `R`'s canonical bytes, so it rejects it).
fn y_is_unreduced(y: &[u8; 32]) -> bool {
    y[31] == 0x7f && y[1..31].iter().all(|&b| b == 0xff) && y[0] >= 0xed
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::edwards::CompressedEdwardsY;
    use ed25519_dalek::{Signer, SigningKey};

    fn with_r(signature: &Signature, r: [u8; 32]) -> Signature {
        Signature::from_components(r, *signature.s_bytes())
    }

    #[test]
    fn an_honest_signature_may_join_a_batch() {
        let key = SigningKey::from_bytes(&[7; 32]);
        for n in 0..50u8 {
            let signature = key.sign(&[n; 40]);
            assert!(may_join_a_batch(&signature));
        }
        assert!(key_may_be_batched(&key.verifying_key()));
    }

    #[test]
    fn every_encoding_of_a_small_order_r_is_kept_out_of_batches() {
        let honest = SigningKey::from_bytes(&[7; 32]).sign(b"{}");
        let mut encodings = Vec::new();
        for point in EIGHT_TORSION {
            let canonical = point.compress().to_bytes();
            encodings.push(canonical);
            let mut flipped = canonical;
            flipped[31] ^= 0x80;
            encodings.push(flipped);
        }
        // y + p still fits in 255 bits for y < 19: y = 0 and y = 1 have a second encoding.
        for y in [0u8, 1] {
            let mut unreduced = [0xff; 32];
            unreduced[0] = 0xed + y;
            unreduced[31] = 0x7f;
            encodings.push(unreduced);
        }
        for r in encodings {
            let decompressed = CompressedEdwardsY(r).decompress();
            assert!(
                decompressed.is_none_or(|p| p.is_small_order() || p.compress().to_bytes() != r),
                "{r:?} is a small-order or non-canonical R"
            );
            assert!(!may_join_a_batch(&with_r(&honest, r)), "{r:?}");
        }
    }

    #[test]
    fn unreduced_s_and_unreduced_r_are_kept_out_of_batches() {
        let honest = SigningKey::from_bytes(&[7; 32]).sign(b"{}");
        // ℓ itself, little-endian, is the smallest unreduced S.
        let l: [u8; 32] = Scalar::ZERO.to_bytes().map(|_| 0);
        let mut ell = l;
        ell[..16].copy_from_slice(&0x14def9dea2f79cd65812631a5cf5d3edu128.to_le_bytes());
        ell[31] = 0x10;
        let bad_s = Signature::from_components(*honest.r_bytes(), ell);
        assert!(!may_join_a_batch(&bad_s));
        let mut just_below = ell;
        just_below[0] -= 1;
        let ok_s = Signature::from_components(*honest.r_bytes(), just_below);
        assert!(may_join_a_batch(&ok_s), "ℓ − 1 is reduced");

        let mut p = [0xff; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert!(y_is_unreduced(&p));
        let mut below_p = p;
        below_p[0] = 0xec;
        assert!(!y_is_unreduced(&below_p));
    }

    #[test]
    fn small_order_and_mixed_order_keys_are_never_batched_against() {
        for point in EIGHT_TORSION {
            if let Ok(key) = VerifyingKey::from_bytes(&point.compress().to_bytes()) {
                assert!(!key_may_be_batched(&key));
            }
        }
        let honest = SigningKey::from_bytes(&[7; 32])
            .verifying_key()
            .to_edwards();
        let mixed = honest + EIGHT_TORSION[1];
        let key = VerifyingKey::from_bytes(&mixed.compress().to_bytes()).expect("a point");
        assert!(!key.is_weak(), "a mixed-order key is not weak");
        assert!(!key_may_be_batched(&key), "but it is not torsion-free");
    }
}
