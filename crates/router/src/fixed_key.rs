//! Ed25519 verification against a key known up front, with precomputed tables for both points.
//!
//! A delivery's signature `(R, S)` verifies over the body `M` with the key `A` when
//! `[S]B − [k]A` encodes to the bytes of `R`, where `k = SHA-512(R ‖ A ‖ M) mod ℓ` and `B` is
//! the base point. `verify_strict` computes that with `A` as a variable point: a chain of 255
//! doublings shared by both products, plus a table of `A` built for every signature. HighLevel
//! signs every delivery with one key, known when the router is built, so here both `B` and `A`
//! have a table made once (a fixed-base comb, 320 KiB per point): `[S]B − [k]A` then costs
//! about 64 additions and 8 doublings, and `R` is never decompressed (its bytes are compared
//! with the result's).
//!
//! # Same verdicts as `verify_strict`
//!
//! The point computed is `[S]B − [k]A` itself, for the same integers `S` and `k` (the comb
//! splits them into signed digits that sum back to them exactly; the tables hold exact
//! multiples of `B` and `A`, torsion included), so it is `verify_strict`'s point. The checks
//! around it are `verify_strict`'s:
//! - `S` must be reduced (`S < ℓ`);
//! - a key of small order verifies nothing (checked once, here);
//! - an `R` of small order is refused. `verify_strict` decompresses `R` to check; here its bytes
//!   are checked: an `R` whose y-coordinate (sign bit cleared) is one of the small-order
//!   points' is refused, whatever its sign bit. The other encodings of small-order points
//!   (y ≥ p) and the bytes that are no point at all are refused by the comparison itself: the
//!   result's encoding is canonical and decompresses, so it never equals them, and
//!   `verify_strict` refuses them too (a small-order point, a failed decompression, or a
//!   non-canonical `R` that its own comparison of encodings refuses).
//!
//! The differential tests (`tests/properties.rs`, `fixed_key::tests`) compare the verdicts with
//! `verify_strict`'s on valid, forged, mangled, non-canonical and small- or mixed-order inputs.

use std::fmt;
use std::sync::{Arc, LazyLock, OnceLock};

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{EdwardsPoint, VartimeEdwardsPrecomputation};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimePrecomputedMultiscalarMul};
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha512};

use crate::batch::strict;

/// Bits per signed digit of a scalar: each digit is in `[-128, 128)`.
const DIGIT_BITS: u32 = 8;

/// Signed digits of a reduced scalar (`< ℓ < 2²⁵³`): the top one never carries out.
const DIGITS: usize = 32;

/// Passes of the comb: digits `i ≡ r (mod PASSES)` are added in pass `r`, and consecutive passes
/// are `DIGIT_BITS` doublings apart.
const PASSES: usize = 2;

/// Table rows per point: one per digit of a pass.
const ROWS: usize = DIGITS / PASSES;

/// Multiples per row: `1..=128` times the row's point (a digit's magnitude is at most 128).
const MULTIPLES: usize = 1 << (DIGIT_BITS - 1);

/// The comb table of the base point, shared by every key.
static BASEPOINT_COMB: LazyLock<Comb> = LazyLock::new(|| Comb::new(&ED25519_BASEPOINT_POINT));

/// The multiples `m · 2^(PASSES·DIGIT_BITS·row) · P`, `m = 1..=MULTIPLES`, of one point `P`.
struct Comb {
    rows: Vec<[EdwardsPoint; MULTIPLES]>,
}

impl Comb {
    fn new(point: &EdwardsPoint) -> Self {
        let mut rows = Vec::with_capacity(ROWS);
        let mut base = *point;
        for _ in 0..ROWS {
            let mut row = [EdwardsPoint::identity(); MULTIPLES];
            let mut multiple = base;
            for slot in &mut row {
                *slot = multiple;
                multiple += base;
            }
            rows.push(row);
            base = times_two_to(&base, PASSES as u32 * DIGIT_BITS);
        }
        Self { rows }
    }

    /// Adds `[digit] · 2^(PASSES·DIGIT_BITS·row) · P` to `acc` (nothing for a zero digit).
    fn add_digit(&self, acc: &mut EdwardsPoint, row: usize, digit: i16) {
        let Some(multiples) = self.rows.get(row) else {
            return;
        };
        // Digit d adds the multiple |d|, at index |d| − 1; a zero digit adds nothing.
        let Some(index) = usize::from(digit.unsigned_abs()).checked_sub(1) else {
            return;
        };
        if let Some(multiple) = multiples.get(index) {
            if digit > 0 {
                *acc += multiple;
            } else {
                *acc -= multiple;
            }
        }
    }
}

/// `2^bits · point` (bits a multiple of 3 plus at most 2), by the library's cofactor
/// multiplication (three doublings) and additions.
fn times_two_to(point: &EdwardsPoint, bits: u32) -> EdwardsPoint {
    let mut p = *point;
    for _ in 0..bits / 3 {
        p = p.mul_by_cofactor();
    }
    for _ in 0..bits % 3 {
        p = p + p;
    }
    p
}

/// The signed radix-256 digits of a reduced scalar: `Σ dᵢ·256ⁱ` is the scalar, `dᵢ ∈ [-128, 128)`.
fn signed_digits(scalar: &Scalar) -> [i16; DIGITS] {
    let mut digits = [0i16; DIGITS];
    let mut carry = 0i16;
    for (digit, byte) in digits.iter_mut().zip(scalar.as_bytes()) {
        let value = i16::from(*byte) + carry;
        carry = i16::from(value >= 128);
        *digit = value - (carry << 8);
    }
    // A reduced scalar's top byte is below 0x20, so the last carry is 0.
    digits
}

/// `[a]P + [b]Q` from the combs of `P` and `Q`.
fn comb_double_mul(p: &Comb, a: &Scalar, q: &Comb, b: &Scalar) -> EdwardsPoint {
    let (da, db) = (signed_digits(a), signed_digits(b));
    let mut acc = EdwardsPoint::identity();
    for pass in (0..PASSES).rev() {
        if pass + 1 < PASSES {
            acc = times_two_to(&acc, DIGIT_BITS);
        }
        for row in 0..ROWS {
            let i = row * PASSES + pass;
            p.add_digit(&mut acc, row, da.get(i).copied().unwrap_or(0));
            q.add_digit(&mut acc, row, db.get(i).copied().unwrap_or(0));
        }
    }
    acc
}

/// `k = SHA-512(R ‖ A ‖ M) mod ℓ`, the challenge of an Ed25519 signature.
pub(crate) fn challenge(r: &[u8; 32], key: &[u8; 32], message: &[u8]) -> Scalar {
    let hash = Sha512::new()
        .chain_update(r)
        .chain_update(key)
        .chain_update(message)
        .finalize();
    Scalar::from_bytes_mod_order_wide(&hash.into())
}

/// One trusted key with its precomputed tables: the comb of `−A` for a lone signature, and the
/// Straus tables of `B` and `A` for coalesced batches (see [`crate::batch`]).
#[derive(Clone)]
pub(crate) struct FixedKey {
    tables: Arc<Tables>,
}

/// The key and its tables, each made when first needed: a key that is configured but never
/// verifies (e.g. the default `Verifier::highlevel()` replaced by the app's) costs no table, and
/// the batch tables are made only when batches are.
struct Tables {
    key: VerifyingKey,
    /// `verify_strict` refuses every signature for a key of small order.
    small_order: bool,
    minus_a: OnceLock<Comb>,
    /// `[B, A]`, for the static part of a coalesced batch.
    batch: OnceLock<VartimeEdwardsPrecomputation>,
}

impl fmt::Debug for FixedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedKey")
            .field("key", &self.tables.key)
            .field("small_order", &self.tables.small_order)
            .finish_non_exhaustive()
    }
}

impl FixedKey {
    /// The key, its tables to be made when first needed (about 2,000 point additions, once).
    pub(crate) fn new(key: VerifyingKey) -> Self {
        let tables = Tables {
            small_order: key.to_edwards().is_small_order(),
            key,
            minus_a: OnceLock::new(),
            batch: OnceLock::new(),
        };
        Self {
            tables: Arc::new(tables),
        }
    }

    fn minus_a(&self) -> &Comb {
        let tables = &*self.tables;
        tables
            .minus_a
            .get_or_init(|| Comb::new(&-tables.key.to_edwards()))
    }

    /// The key.
    pub(crate) fn key(&self) -> &VerifyingKey {
        &self.tables.key
    }

    /// Whether `signature` verifies over `message`: `verify_strict`'s verdict.
    pub(crate) fn verifies(&self, message: &[u8], signature: &Signature) -> bool {
        let tables = &*self.tables;
        if tables.small_order {
            return false;
        }
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(*signature.s_bytes()))
        else {
            return false;
        };
        let r = signature.r_bytes();
        if strict::has_small_order_y(r) {
            return false;
        }
        let k = challenge(r, tables.key.as_bytes(), message);
        let point = comb_double_mul(&BASEPOINT_COMB, &s, self.minus_a(), &k);
        point.compress().as_bytes() == r
    }

    /// Whether `[b]B + [a]A + Σ zᵢRᵢ` is the identity (the equation of a coalesced batch).
    pub(crate) fn batch_equation_holds(
        &self,
        b: Scalar,
        a: Scalar,
        zs: &[Scalar],
        rs: &[EdwardsPoint],
    ) -> bool {
        use curve25519_dalek::traits::IsIdentity as _;
        let tables = &*self.tables;
        tables
            .batch
            .get_or_init(|| {
                VartimeEdwardsPrecomputation::new([
                    ED25519_BASEPOINT_POINT,
                    tables.key.to_edwards(),
                ])
            })
            .vartime_mixed_multiscalar_mul([b, a], zs, rs)
            .is_identity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::EIGHT_TORSION;
    use ed25519_dalek::{Signer, SigningKey};

    fn fixed(signing: &SigningKey) -> FixedKey {
        FixedKey::new(signing.verifying_key())
    }

    #[test]
    fn signed_digits_sum_back_to_the_scalar() {
        let mut bytes = [0u8; 64];
        for seed in 0..64u8 {
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = seed
                    .wrapping_mul(37)
                    .wrapping_add(i as u8)
                    .wrapping_mul(101);
            }
            let scalar = Scalar::from_bytes_mod_order_wide(&bytes);
            let mut sum = Scalar::ZERO;
            let mut weight = Scalar::ONE;
            for digit in signed_digits(&scalar) {
                assert!((-128..128).contains(&digit));
                let magnitude = Scalar::from(u64::from(digit.unsigned_abs()));
                sum += if digit < 0 { -magnitude } else { magnitude } * weight;
                weight *= Scalar::from(256u64);
            }
            assert_eq!(sum, scalar);
        }
        let minus_one = -Scalar::ONE;
        assert!(
            signed_digits(&minus_one)
                .iter()
                .all(|d| (-128..128).contains(d))
        );
    }

    #[test]
    fn the_comb_computes_the_same_point_as_the_library() {
        let a = SigningKey::from_bytes(&[3; 32])
            .verifying_key()
            .to_edwards();
        let mixed = a + EIGHT_TORSION[3];
        let comb_b = &*BASEPOINT_COMB;
        for point in [a, mixed] {
            let comb = Comb::new(&point);
            for seed in 0..16u8 {
                let s = Scalar::from_bytes_mod_order_wide(&[seed; 64]);
                let k = Scalar::from_bytes_mod_order_wide(&[seed ^ 0x5a; 64]);
                let expected = EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &point, &s);
                assert_eq!(comb_double_mul(comb_b, &s, &comb, &k), expected);
            }
        }
    }

    #[test]
    fn verdicts_are_verify_stricts_on_valid_forged_and_mangled_signatures() {
        let signing = SigningKey::from_bytes(&[7; 32]);
        let key = fixed(&signing);
        let other = SigningKey::from_bytes(&[8; 32]);
        for n in 0..40u8 {
            let message = vec![n; usize::from(n) * 7];
            let good = signing.sign(&message);
            let mut cases = vec![good, other.sign(&message)];
            for bit in [0, 77, 255, 256, 300, 511] {
                let mut bytes = good.to_bytes();
                bytes[bit / 8] ^= 1 << (bit % 8);
                cases.push(Signature::from_bytes(&bytes));
            }
            for signature in cases {
                assert_eq!(
                    key.verifies(&message, &signature),
                    signing
                        .verifying_key()
                        .verify_strict(&message, &signature)
                        .is_ok(),
                    "{n} {signature:?}"
                );
            }
            assert!(key.verifies(&message, &good));
        }
    }

    #[test]
    fn a_small_order_key_verifies_nothing_and_a_mixed_order_key_as_verify_strict_says() {
        for point in EIGHT_TORSION {
            if let Ok(weak) = VerifyingKey::from_bytes(&point.compress().to_bytes()) {
                let key = FixedKey::new(weak);
                let signature = Signature::from_components([0; 32], [0; 32]);
                assert!(!key.verifies(b"{}", &signature));
            }
        }
        // A mixed-order key `A = aB + T`: `verify_strict` checks `R = [S]B − [k]A` with the
        // torsion of `A` in it; a signature made with `a` passes when `[k]T` vanishes.
        let signing = SigningKey::from_bytes(&[9; 32]);
        let mixed = signing.verifying_key().to_edwards() + EIGHT_TORSION[4];
        let mixed_key = VerifyingKey::from_bytes(&mixed.compress().to_bytes()).expect("a point");
        let key = FixedKey::new(mixed_key);
        let (mut accepted, mut rejected) = (0, 0);
        for n in 0..32u8 {
            let message = [n; 20];
            let signature = sign_for_mixed_key(&signing, &mixed_key, &message);
            let strict = mixed_key.verify_strict(&message, &signature).is_ok();
            assert_eq!(key.verifies(&message, &signature), strict, "{n}");
            if strict { accepted += 1 } else { rejected += 1 }
        }
        assert!(accepted > 0 && rejected > 0, "{accepted} {rejected}");
    }

    /// A signature by the holder of `a` for the mixed-order key `aB + T`: `R = rB`,
    /// `S = r + k·a` with `k` hashed over the mixed key's bytes.
    fn sign_for_mixed_key(signing: &SigningKey, key: &VerifyingKey, message: &[u8]) -> Signature {
        let hashed: [u8; 64] = Sha512::digest(signing.to_bytes()).into();
        let mut lower = [0u8; 32];
        lower.copy_from_slice(&hashed[..32]);
        let a = Scalar::from_bytes_mod_order(clamp(lower));
        let r = Scalar::from_bytes_mod_order_wide(&Sha512::digest(message).into());
        let big_r = EdwardsPoint::mul_base(&r).compress();
        let k = challenge(big_r.as_bytes(), key.as_bytes(), message);
        Signature::from_components(big_r.to_bytes(), (r + k * a).to_bytes())
    }

    fn clamp(mut bytes: [u8; 32]) -> [u8; 32] {
        bytes[0] &= 248;
        bytes[31] &= 127;
        bytes[31] |= 64;
        bytes
    }
}
