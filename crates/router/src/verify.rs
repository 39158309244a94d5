//! Signature verification over the raw body bytes. Fails closed.
//!
//! HighLevel signs the exact bytes of the POST body with Ed25519 and sends the base64 signature
//! in `X-GHL-Signature`. The bytes verified here are the bytes received, never a re-serialized
//! body. Every way a signature can be wrong is its own [`SignatureError`], all answered 401.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use ed25519_dalek::Signature;
use http::HeaderMap;

use crate::keys::{Ed25519Key, KeyError};

/// The header carrying HighLevel's Ed25519 signature.
pub const SIGNATURE_HEADER: &str = "x-ghl-signature";

/// Base64 as Node writes it, padding optional (some proxies strip it).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a delivery's signature was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-GHL-Signature` header.
    #[error(
        "the X-GHL-Signature header is missing: HighLevel signs every delivery, so this request did not come from HighLevel (or a proxy dropped the header)"
    )]
    Missing,
    /// The header is the literal `N/A`, HighLevel's "no signature".
    #[error("the X-GHL-Signature header is `N/A`: the delivery is unsigned and cannot be trusted")]
    NotApplicable,
    /// The header is not valid base64.
    #[error("the X-GHL-Signature header is not valid base64")]
    MalformedBase64,
    /// The header decodes to something other than 64 bytes.
    #[error("the X-GHL-Signature header decodes to {len} bytes; an Ed25519 signature is 64 bytes")]
    WrongLength {
        /// The decoded length (an estimate for very long values).
        len: usize,
    },
    /// A well-formed signature that no trusted key verifies over these exact bytes.
    #[error(
        "the signature does not verify over the received bytes with any of the {keys} trusted key(s): the body was altered, re-serialized, or signed with another key"
    )]
    Mismatch {
        /// How many keys were tried.
        keys: usize,
    },
}

impl SignatureError {
    /// A short stable code for logs and metrics, e.g. `signature_missing`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "signature_missing",
            Self::NotApplicable => "signature_not_applicable",
            Self::MalformedBase64 => "signature_malformed_base64",
            Self::WrongLength { .. } => "signature_wrong_length",
            Self::Mismatch { .. } => "signature_mismatch",
        }
    }
}

/// Which key verified a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifiedBy {
    /// An Ed25519 key, by its label.
    Ed25519(Arc<str>),
    /// Nothing: the router was built with [`Verifier::dangerously_accept_unsigned`].
    Unverified,
}

/// The set of trusted public keys, and the check of one delivery against them.
///
/// [`Verifier::highlevel`] (the default of a router) trusts HighLevel's published key; add more
/// keys for rotation. Keys are parsed once, here; verification allocates nothing.
#[derive(Debug, Clone)]
pub struct Verifier {
    ed25519: Vec<Ed25519Key>,
    accept_unsigned: bool,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::highlevel()
    }
}

impl Verifier {
    /// Trusts HighLevel's published Ed25519 key.
    pub fn highlevel() -> Self {
        Self::empty().with_key(Ed25519Key::highlevel())
    }

    /// Trusts no key at all: every delivery is rejected until keys are added.
    pub fn empty() -> Self {
        Self {
            ed25519: Vec::new(),
            accept_unsigned: false,
        }
    }

    /// Adds a trusted Ed25519 key.
    pub fn with_key(mut self, key: Ed25519Key) -> Self {
        self.ed25519.push(key);
        self
    }

    /// Parses and adds a trusted Ed25519 key (SPKI PEM, or raw 32 bytes as base64 or hex).
    pub fn with_key_text(self, label: impl Into<String>, text: &str) -> Result<Self, KeyError> {
        Ok(self.with_key(Ed25519Key::parse(label, text)?))
    }

    /// **Disables authentication.** Every delivery is accepted, signed or not, forged or not.
    ///
    /// Only for local experiments behind a trusted boundary; never in production. The name is
    /// long on purpose.
    pub fn dangerously_accept_unsigned() -> Self {
        Self {
            ed25519: Vec::new(),
            accept_unsigned: true,
        }
    }

    /// The trusted Ed25519 keys.
    pub fn keys(&self) -> &[Ed25519Key] {
        &self.ed25519
    }

    /// Whether this verifier accepts anything (see [`Verifier::dangerously_accept_unsigned`]).
    pub fn accepts_unsigned(&self) -> bool {
        self.accept_unsigned
    }

    /// Verifies the signature headers of one delivery over its exact body bytes.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<VerifiedBy, SignatureError> {
        if self.accept_unsigned {
            return Ok(VerifiedBy::Unverified);
        }
        let header = headers
            .get(SIGNATURE_HEADER)
            .ok_or(SignatureError::Missing)?;
        let signature = parse_signature(header.as_bytes())?;
        self.ed25519
            .iter()
            .find(|k| k.key.verify_strict(body, &signature).is_ok())
            .map(|k| VerifiedBy::Ed25519(k.label.clone()))
            .ok_or(SignatureError::Mismatch {
                keys: self.ed25519.len(),
            })
    }
}

/// Decodes a header value into a signature, on the stack.
fn parse_signature(value: &[u8]) -> Result<Signature, SignatureError> {
    let value = value.trim_ascii();
    if value == b"N/A" {
        return Err(SignatureError::NotApplicable);
    }
    // 64 bytes are 86 base64 characters (88 padded); anything much longer is not a signature.
    if value.len() > 128 {
        return Err(SignatureError::WrongLength {
            len: value.len() * 3 / 4,
        });
    }
    let mut buf = [0u8; 96];
    let len = BASE64
        .decode_slice(value, &mut buf)
        .map_err(|_| SignatureError::MalformedBase64)?;
    let bytes: [u8; 64] = buf[..len]
        .try_into()
        .map_err(|_| SignatureError::WrongLength { len })?;
    Ok(Signature::from_bytes(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn signer(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn verifier_for(key: &SigningKey) -> Verifier {
        Verifier::empty().with_key(Ed25519Key::from_verifying_key("test", key.verifying_key()))
    }

    fn headers(value: &[u8]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            SIGNATURE_HEADER,
            http::HeaderValue::from_bytes(value).expect("header"),
        );
        h
    }

    fn sign(key: &SigningKey, body: &[u8]) -> String {
        BASE64.encode(key.sign(body).to_bytes())
    }

    #[test]
    fn a_valid_signature_verifies_and_names_its_key() {
        let key = signer(1);
        let body = br#"{"id":"1"}"#;
        let got = verifier_for(&key).verify(&headers(sign(&key, body).as_bytes()), body);
        assert_eq!(got, Ok(VerifiedBy::Ed25519("test".into())));
    }

    #[test]
    fn unpadded_base64_is_accepted() {
        let key = signer(1);
        let body = b"{}";
        let sig = sign(&key, body);
        let unpadded = sig.trim_end_matches('=');
        assert!(
            verifier_for(&key)
                .verify(&headers(unpadded.as_bytes()), body)
                .is_ok()
        );
    }

    #[test]
    fn any_of_several_keys_verifies() {
        let (old, new) = (signer(1), signer(2));
        let v =
            verifier_for(&old).with_key(Ed25519Key::from_verifying_key("new", new.verifying_key()));
        let body = b"{}";
        assert_eq!(
            v.verify(&headers(sign(&new, body).as_bytes()), body),
            Ok(VerifiedBy::Ed25519("new".into()))
        );
    }

    #[test]
    fn each_kind_of_bad_signature_is_its_own_error() {
        let key = signer(1);
        let v = verifier_for(&key);
        let body = br#"{"id":"1"}"#;
        assert_eq!(
            v.verify(&HeaderMap::new(), body),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            v.verify(&headers(b"N/A"), body),
            Err(SignatureError::NotApplicable)
        );
        assert_eq!(
            v.verify(&headers(b"***"), body),
            Err(SignatureError::MalformedBase64)
        );
        assert_eq!(
            v.verify(&headers(BASE64.encode([0u8; 63]).as_bytes()), body),
            Err(SignatureError::WrongLength { len: 63 })
        );
        assert_eq!(
            v.verify(&headers(BASE64.encode([0u8; 200]).as_bytes()), body),
            Err(SignatureError::WrongLength { len: 201 })
        );
        assert_eq!(
            v.verify(&headers(sign(&signer(9), body).as_bytes()), body),
            Err(SignatureError::Mismatch { keys: 1 })
        );
        let mut tampered = body.to_vec();
        tampered[2] ^= 1;
        assert_eq!(
            v.verify(&headers(sign(&key, body).as_bytes()), &tampered),
            Err(SignatureError::Mismatch { keys: 1 })
        );
    }

    #[test]
    fn an_empty_verifier_rejects_everything() {
        let key = signer(1);
        let body = b"{}";
        assert_eq!(
            Verifier::empty().verify(&headers(sign(&key, body).as_bytes()), body),
            Err(SignatureError::Mismatch { keys: 0 })
        );
    }

    #[test]
    fn the_unsigned_opt_out_accepts_anything() {
        let v = Verifier::dangerously_accept_unsigned();
        assert!(v.accepts_unsigned());
        assert_eq!(
            v.verify(&HeaderMap::new(), b"x"),
            Ok(VerifiedBy::Unverified)
        );
    }
}
