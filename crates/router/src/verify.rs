use std::sync::Arc;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use ed25519_dalek::Signature;
use http::{HeaderMap, HeaderValue};

#[cfg(feature = "legacy-rsa")]
use crate::keys::RsaKey;
use crate::keys::{Ed25519Key, KeyError};

/// The header carrying HighLevel's Ed25519 signature.
pub const SIGNATURE_HEADER: &str = "x-ghl-signature";

/// The header carrying HighLevel's legacy RSA signature.
pub const LEGACY_SIGNATURE_HEADER: &str = "x-wh-signature";

/// [`SIGNATURE_HEADER`] as HighLevel's docs write it, for messages.
const SIGNATURE_HEADER_NAME: &str = "X-GHL-Signature";

/// [`LEGACY_SIGNATURE_HEADER`] as HighLevel's docs write it, for messages.
#[cfg(feature = "legacy-rsa")]
const LEGACY_SIGNATURE_HEADER_NAME: &str = "X-WH-Signature";

/// Base64 as Node writes it, padding optional (some proxies strip it).
pub(crate) const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a delivery's signature was rejected. `header` names the header that was checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// No signature header this verifier accepts.
    #[error(
        "the X-GHL-Signature header is missing: HighLevel signs every delivery, so this request did not come from HighLevel (or a proxy dropped the header)"
    )]
    Missing,
    /// The header is the literal `N/A`, HighLevel's "no signature".
    #[error("the {header} header is `N/A`: the delivery is unsigned and cannot be trusted")]
    NotApplicable {
        /// The header checked.
        header: &'static str,
    },
    /// The header is not valid base64.
    #[error("the {header} header is not valid base64")]
    MalformedBase64 {
        /// The header checked.
        header: &'static str,
    },
    /// The header decodes to a length no trusted key's signatures have.
    #[error(
        "the {header} header decodes to {len} bytes; a signature for the trusted key(s) is {expected} bytes"
    )]
    WrongLength {
        /// The header checked.
        header: &'static str,
        /// The decoded length (an estimate for very long values).
        len: usize,
        /// The expected length (64 for Ed25519; the modulus size for RSA).
        expected: usize,
    },
    /// A well-formed signature that no trusted key verifies over these exact bytes.
    #[error(
        "the {header} signature does not verify over the received bytes with any of the {keys} trusted key(s): the body was altered, re-serialized, or signed with another key"
    )]
    Mismatch {
        /// The header checked.
        header: &'static str,
        /// How many keys were tried.
        keys: usize,
    },
}

impl SignatureError {
    /// A short stable code for logs and metrics, e.g. `signature_missing`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "signature_missing",
            Self::NotApplicable { .. } => "signature_not_applicable",
            Self::MalformedBase64 { .. } => "signature_malformed_base64",
            Self::WrongLength { .. } => "signature_wrong_length",
            Self::Mismatch { .. } => "signature_mismatch",
        }
    }
}

/// Which key verified a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifiedBy {
    /// An Ed25519 key (`X-GHL-Signature`), by its label.
    Ed25519(Arc<str>),
    /// An RSA key (legacy `X-WH-Signature`), by its label.
    Rsa(Arc<str>),
    /// Nothing: the router was built with [`Verifier::dangerously_accept_unsigned`].
    Unverified,
}

/// The text form kept in a journal: `ed25519:LABEL`, `rsa:LABEL` or `unverified`.
impl std::fmt::Display for VerifiedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ed25519(label) => write!(f, "ed25519:{label}"),
            Self::Rsa(label) => write!(f, "rsa:{label}"),
            Self::Unverified => f.write_str("unverified"),
        }
    }
}

/// Reads the [`Display`](std::fmt::Display) form back; an error for any other text.
impl std::str::FromStr for VerifiedBy {
    type Err = crate::UnknownName;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "unverified" {
            return Ok(Self::Unverified);
        }
        match text.split_once(':') {
            Some(("ed25519", label)) => Ok(Self::Ed25519(label.into())),
            Some(("rsa", label)) => Ok(Self::Rsa(label.into())),
            _ => Err(crate::UnknownName::new(
                "a verifying key",
                "ed25519:LABEL, rsa:LABEL, unverified",
                text,
            )),
        }
    }
}

/// The set of trusted public keys, and the check of one delivery's signature against them,
/// over the raw body bytes; it fails closed.
///
/// [`Verifier::highlevel`] (the default of a router) trusts HighLevel's published Ed25519 key;
/// add more keys for rotation. Keys are parsed once, here; Ed25519 verification allocates
/// nothing.
///
/// HighLevel signs the exact bytes of the POST body with Ed25519 and sends the base64 signature
/// in `X-GHL-Signature`. With the `legacy-rsa` feature and an RSA key configured, the legacy
/// `X-WH-Signature` (RSA PKCS#1 v1.5, SHA-256) is accepted **only when `X-GHL-Signature` is
/// absent**: when both are present and the Ed25519 signature fails, the delivery is rejected
/// (no downgrade). The bytes verified are the bytes received, never a re-serialized body.
/// Every way a signature can be wrong is its own [`SignatureError`], all answered 401.
#[derive(Debug, Clone)]
pub struct Verifier {
    ed25519: Vec<Ed25519Key>,
    #[cfg(feature = "legacy-rsa")]
    rsa: Vec<RsaKey>,
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

    /// Trusts HighLevel's published Ed25519 key and its legacy RSA key (`X-WH-Signature`,
    /// accepted only on deliveries without `X-GHL-Signature`).
    #[cfg(feature = "legacy-rsa")]
    pub fn highlevel_with_legacy_rsa() -> Self {
        Self::highlevel().with_rsa_key(RsaKey::highlevel())
    }

    /// Trusts no key at all: every delivery is rejected until keys are added.
    pub fn empty() -> Self {
        Self {
            ed25519: Vec::new(),
            #[cfg(feature = "legacy-rsa")]
            rsa: Vec::new(),
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

    /// Adds a trusted RSA key for the legacy `X-WH-Signature`.
    #[cfg(feature = "legacy-rsa")]
    pub fn with_rsa_key(mut self, key: RsaKey) -> Self {
        self.rsa.push(key);
        self
    }

    /// Parses and adds a trusted RSA key (SPKI or PKCS#1 PEM).
    #[cfg(feature = "legacy-rsa")]
    pub fn with_rsa_key_text(self, label: impl Into<String>, pem: &str) -> Result<Self, KeyError> {
        Ok(self.with_rsa_key(RsaKey::parse(label, pem)?))
    }

    /// **Disables authentication.** Every delivery is accepted, signed or not, forged or not.
    ///
    /// Only for local experiments behind a trusted boundary; never in production. The name is
    /// long on purpose.
    pub fn dangerously_accept_unsigned() -> Self {
        Self {
            accept_unsigned: true,
            ..Self::empty()
        }
    }

    /// The trusted Ed25519 keys.
    pub fn keys(&self) -> &[Ed25519Key] {
        &self.ed25519
    }

    /// The trusted RSA keys.
    #[cfg(feature = "legacy-rsa")]
    pub fn rsa_keys(&self) -> &[RsaKey] {
        &self.rsa
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
        if let Some(header) = headers.get(SIGNATURE_HEADER) {
            // Present: Ed25519 decides alone, whatever X-WH-Signature says (no downgrade).
            return self.verify_ed25519(header, body);
        }
        #[cfg(feature = "legacy-rsa")]
        if !self.rsa.is_empty()
            && let Some(header) = headers.get(LEGACY_SIGNATURE_HEADER)
        {
            return self.verify_rsa(header, body);
        }
        Err(SignatureError::Missing)
    }

    /// Verifies an `X-GHL-Signature` value over `body`.
    pub fn verify_ed25519(
        &self,
        header: &HeaderValue,
        body: &[u8],
    ) -> Result<VerifiedBy, SignatureError> {
        let signature = parse_ed25519(header.as_bytes())?;
        self.verify_ed25519_signature(&signature, body)
    }

    /// Verifies a decoded Ed25519 signature over `body`, key by key (`verify_strict`'s verdict).
    pub(crate) fn verify_ed25519_signature(
        &self,
        signature: &Signature,
        body: &[u8],
    ) -> Result<VerifiedBy, SignatureError> {
        self.ed25519_key_index(signature, body)
            .map(|i| self.verified_by_key(i))
            .ok_or_else(|| self.mismatch())
    }

    /// The first trusted Ed25519 key (its index) that verifies `signature` over `body`, with
    /// `verify_strict`'s verdict (see [`crate::fixed_key`]).
    pub(crate) fn ed25519_key_index(&self, signature: &Signature, body: &[u8]) -> Option<usize> {
        self.ed25519
            .iter()
            .position(|k| k.verifies(body, signature))
    }

    /// The verdict of a delivery verified by the Ed25519 key at `index`.
    pub(crate) fn verified_by_key(&self, index: usize) -> VerifiedBy {
        VerifiedBy::Ed25519(
            self.ed25519
                .get(index)
                .map_or_else(|| "".into(), |k| k.label.clone()),
        )
    }

    /// The error of an Ed25519 signature no trusted key verifies.
    pub(crate) fn mismatch(&self) -> SignatureError {
        SignatureError::Mismatch {
            header: SIGNATURE_HEADER_NAME,
            keys: self.ed25519.len(),
        }
    }

    /// Verifies an `X-WH-Signature` value over `body`.
    #[cfg(feature = "legacy-rsa")]
    pub fn verify_rsa(
        &self,
        header: &HeaderValue,
        body: &[u8],
    ) -> Result<VerifiedBy, SignatureError> {
        use rsa::signature::Verifier as _;
        const NAME: &str = LEGACY_SIGNATURE_HEADER_NAME;
        let value = header.as_bytes().trim_ascii();
        if value == b"N/A" {
            return Err(SignatureError::NotApplicable { header: NAME });
        }
        let expected = self.rsa.iter().map(|k| k.size).max().unwrap_or(512);
        if value.len() > expected * 2 + 8 {
            return Err(SignatureError::WrongLength {
                header: NAME,
                len: value.len() * 3 / 4,
                expected,
            });
        }
        let bytes = BASE64
            .decode(value)
            .map_err(|_| SignatureError::MalformedBase64 { header: NAME })?;
        let candidates = self.rsa.iter().filter(|k| k.size == bytes.len());
        let signature = rsa::pkcs1v15::Signature::try_from(bytes.as_slice())
            .map_err(|_| SignatureError::MalformedBase64 { header: NAME })?;
        let mut tried = 0;
        for key in candidates {
            tried += 1;
            if key.key.verify(body, &signature).is_ok() {
                return Ok(VerifiedBy::Rsa(key.label.clone()));
            }
        }
        if tried == 0 {
            return Err(SignatureError::WrongLength {
                header: NAME,
                len: bytes.len(),
                expected,
            });
        }
        Err(SignatureError::Mismatch {
            header: NAME,
            keys: self.rsa.len(),
        })
    }
}

/// Decodes an `X-GHL-Signature` value into a signature, on the stack.
pub(crate) fn parse_ed25519(value: &[u8]) -> Result<Signature, SignatureError> {
    const NAME: &str = SIGNATURE_HEADER_NAME;
    let value = value.trim_ascii();
    if value == b"N/A" {
        return Err(SignatureError::NotApplicable { header: NAME });
    }
    // 64 bytes are 86 base64 characters (88 padded); anything much longer is not a signature.
    if value.len() > 128 {
        return Err(SignatureError::WrongLength {
            header: NAME,
            len: value.len() * 3 / 4,
            expected: 64,
        });
    }
    let mut buf = [0u8; 96];
    let len = BASE64
        .decode_slice(value, &mut buf)
        .map_err(|_| SignatureError::MalformedBase64 { header: NAME })?;
    let bytes: [u8; 64] = buf[..len]
        .try_into()
        .map_err(|_| SignatureError::WrongLength {
            header: NAME,
            len,
            expected: 64,
        })?;
    Ok(Signature::from_bytes(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    const GHL: &str = "X-GHL-Signature";

    #[test]
    fn verified_by_round_trips_through_its_text_form() {
        for by in [
            VerifiedBy::Ed25519("key:with:colons".into()),
            VerifiedBy::Rsa("legacy".into()),
            VerifiedBy::Unverified,
        ] {
            assert_eq!(by.to_string().parse(), Ok(by));
        }
        for bad in ["", "ed25519", "dsa:x", "Unverified"] {
            assert!(bad.parse::<VerifiedBy>().is_err(), "{bad}");
        }
    }

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
            HeaderValue::from_bytes(value).expect("header"),
        );
        h
    }

    /// `v`'s verdict on one delivery, checked to be the same through batch verification:
    /// alone, and in a batch of four copies of it waiting together.
    fn verdict(v: &Verifier, h: &HeaderMap, body: &[u8]) -> Result<VerifiedBy, SignatureError> {
        let direct = v.verify(h, body);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let batch = crate::batch::BatchVerifier::new(v.clone());
        let body = bytes::Bytes::copy_from_slice(body);
        let alone = runtime.block_on(batch.verify(h, &body));
        assert_eq!(alone, direct, "alone through the batch verifier");
        let batch = crate::batch::BatchVerifier::new(v.clone());
        let together = runtime.block_on(async {
            let four = (0..4).map(|_| batch.verify(h, &body));
            futures_util::future::join_all(four).await
        });
        for v in together {
            assert_eq!(v, direct, "in a batch");
        }
        if direct.is_ok() && h.contains_key(SIGNATURE_HEADER) && !v.accepts_unsigned() {
            let stats = batch.stats();
            assert_eq!(
                stats.batches + stats.failed_batches,
                1,
                "the four copies were one batch"
            );
        }
        direct
    }

    fn sign(key: &SigningKey, body: &[u8]) -> String {
        BASE64.encode(key.sign(body).to_bytes())
    }

    #[test]
    fn a_valid_signature_verifies_and_names_its_key() {
        let key = signer(1);
        let body = br#"{"id":"1"}"#;
        let got = verdict(
            &verifier_for(&key),
            &headers(sign(&key, body).as_bytes()),
            body,
        );
        assert_eq!(got, Ok(VerifiedBy::Ed25519("test".into())));
    }

    #[test]
    fn unpadded_base64_is_accepted() {
        let key = signer(1);
        let body = b"{}";
        let sig = sign(&key, body);
        let unpadded = sig.trim_end_matches('=');
        assert!(verdict(&verifier_for(&key), &headers(unpadded.as_bytes()), body).is_ok());
    }

    #[test]
    fn any_of_several_keys_verifies() {
        let (old, new) = (signer(1), signer(2));
        let v =
            verifier_for(&old).with_key(Ed25519Key::from_verifying_key("new", new.verifying_key()));
        let body = b"{}";
        assert_eq!(
            verdict(&v, &headers(sign(&new, body).as_bytes()), body),
            Ok(VerifiedBy::Ed25519("new".into()))
        );
    }

    #[test]
    fn each_kind_of_bad_signature_is_its_own_error() {
        let key = signer(1);
        let v = verifier_for(&key);
        let body = br#"{"id":"1"}"#;
        assert_eq!(
            verdict(&v, &HeaderMap::new(), body),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verdict(&v, &headers(b"N/A"), body),
            Err(SignatureError::NotApplicable { header: GHL })
        );
        assert_eq!(
            verdict(&v, &headers(b"***"), body),
            Err(SignatureError::MalformedBase64 { header: GHL })
        );
        assert_eq!(
            verdict(&v, &headers(BASE64.encode([0u8; 63]).as_bytes()), body),
            Err(SignatureError::WrongLength {
                header: GHL,
                len: 63,
                expected: 64
            })
        );
        assert_eq!(
            verdict(&v, &headers(BASE64.encode([0u8; 200]).as_bytes()), body),
            Err(SignatureError::WrongLength {
                header: GHL,
                len: 201,
                expected: 64
            })
        );
        assert_eq!(
            verdict(&v, &headers(sign(&signer(9), body).as_bytes()), body),
            Err(SignatureError::Mismatch {
                header: GHL,
                keys: 1
            })
        );
        let mut tampered = body.to_vec();
        tampered[2] ^= 1;
        assert_eq!(
            verdict(&v, &headers(sign(&key, body).as_bytes()), &tampered),
            Err(SignatureError::Mismatch {
                header: GHL,
                keys: 1
            })
        );
    }

    #[test]
    fn an_empty_verifier_rejects_everything() {
        let key = signer(1);
        let body = b"{}";
        assert_eq!(
            verdict(
                &Verifier::empty(),
                &headers(sign(&key, body).as_bytes()),
                body
            ),
            Err(SignatureError::Mismatch {
                header: GHL,
                keys: 0
            })
        );
    }

    #[test]
    fn the_legacy_header_alone_is_missing_without_an_rsa_key() {
        let mut h = HeaderMap::new();
        h.insert(LEGACY_SIGNATURE_HEADER, HeaderValue::from_static("AAAA"));
        assert_eq!(
            verdict(&verifier_for(&signer(1)), &h, b"{}"),
            Err(SignatureError::Missing)
        );
    }

    #[cfg(feature = "legacy-rsa")]
    #[test]
    fn highlevel_with_legacy_rsa_trusts_both_published_keys() {
        let v = Verifier::highlevel_with_legacy_rsa();
        assert_eq!(v.keys().len(), 1);
        assert_eq!(v.keys()[0].to_bytes(), Ed25519Key::highlevel().to_bytes());
        assert_eq!(v.rsa_keys().len(), 1);
        assert_eq!(
            (v.rsa_keys()[0].label(), v.rsa_keys()[0].bits()),
            ("highlevel-rsa", 4096)
        );
    }

    #[test]
    fn the_unsigned_opt_out_accepts_anything() {
        let v = Verifier::dangerously_accept_unsigned();
        assert!(v.accepts_unsigned());
        assert_eq!(
            verdict(&v, &HeaderMap::new(), b"x"),
            Ok(VerifiedBy::Unverified)
        );
    }
}
