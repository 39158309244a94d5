//! Public keys: HighLevel's published ones, and parsing of the forms users paste.
//!
//! A malformed key is an error here, at configuration time, never at request time.

use base64::Engine as _;
use ed25519_dalek::VerifyingKey;
use ed25519_dalek::pkcs8::DecodePublicKey;

use crate::fixed_key::FixedKey;

/// HighLevel's published Ed25519 public key (for `X-GHL-Signature`), SPKI PEM.
pub const HIGHLEVEL_ED25519_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=
-----END PUBLIC KEY-----
";

/// HighLevel's published legacy RSA-4096 public key (for `X-WH-Signature`), SPKI PEM.
pub const HIGHLEVEL_RSA_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAokvo/r9tVgcfZ5DysOSC
Frm602qYV0MaAiNnX9O8KxMbiyRKWeL9JpCpVpt4XHIcBOK4u3cLSqJGOLaPuXw6
dO0t6Q/ZVdAV5Phz+ZtzPL16iCGeK9po6D6JHBpbi989mmzMryUnQJezlYJ3DVfB
csedpinheNnyYeFXolrJvcsjDtfAeRx5ByHQmTnSdFUzuAnC9/GepgLT9SM4nCpv
uxmZMxrJt5Rw+VUaQ9B8JSvbMPpez4peKaJPZHBbU3OdeCVx5klVXXZQGNHOs8gF
3kvoV5rTnXV0IknLBXlcKKAQLZcY/Q9rG6Ifi9c+5vqlvHPCUJFT5XUGG5RKgOKU
J062fRtN+rLYZUV+BjafxQauvC8wSWeYja63VSUruvmNj8xkx2zE/Juc+yjLjTXp
IocmaiFeAO6fUtNjDeFVkhf5LNb59vECyrHD2SQIrhgXpO4Q3dVNA5rw576PwTzN
h/AMfHKIjE4xQA1SZuYJmNnmVZLIZBlQAF9Ntd03rfadZ+yDiOXCCs9FkHibELhC
HULgCsnuDJHcrGNd5/Ddm5hxGQ0ASitgHeMZ0kcIOwKDOzOU53lDza6/Y09T7sYJ
PQe7z0cvj7aE4B+Ax1ZoZGPzpJlZtGXCsu9aTEGEnKzmsFqwcSsnw3JB31IGKAyk
T1hhTiaCeIY/OwwwNUY2yvcCAwEAAQ==
-----END PUBLIC KEY-----
";

/// A key that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not a PEM `PUBLIC KEY`, nor 32 raw bytes in base64 or hex.
    #[error(
        "unrecognised Ed25519 key format: expected an SPKI PEM (`-----BEGIN PUBLIC KEY-----`), or the raw 32-byte key as base64 (44 chars) or hex (64 chars)"
    )]
    UnrecognisedFormat,
    /// A PEM block that does not hold an Ed25519 SPKI key (e.g. an RSA key or a private key).
    #[error(
        "the PEM does not hold an Ed25519 public key ({0}); for the legacy RSA key use the `legacy-rsa` feature"
    )]
    NotEd25519Pem(String),
    /// 32 bytes that are not a valid Ed25519 point.
    #[error("the 32 bytes are not a valid Ed25519 public key")]
    InvalidPoint,
    /// An RSA key that could not be parsed.
    #[error(
        "the RSA public key could not be parsed ({0}); expected an SPKI PEM (`-----BEGIN PUBLIC KEY-----`) or PKCS#1 PEM (`-----BEGIN RSA PUBLIC KEY-----`)"
    )]
    InvalidRsa(String),
    /// An RSA key too short to be trusted.
    #[error("the RSA key has {bits} bits; at least 2048 are required (HighLevel's is 4096)")]
    WeakRsa {
        /// The key's size.
        bits: usize,
    },
}

/// An Ed25519 public key trusted for `X-GHL-Signature`, with a label saying which key it is.
///
/// It holds the key's precomputed verification tables (about 340 KiB, made in about a
/// millisecond by the first signature it verifies, shared by its clones): a signature by a key
/// known up front costs about half of `verify_strict`'s work, with `verify_strict`'s verdicts.
#[derive(Clone, Debug)]
pub struct Ed25519Key {
    pub(crate) label: std::sync::Arc<str>,
    pub(crate) fixed: FixedKey,
}

impl Ed25519Key {
    /// Parses a key in any form HighLevel's own SDK accepts: SPKI PEM, or the raw 32 bytes in
    /// base64 or hex. Surrounding whitespace is ignored.
    ///
    /// ```
    /// use ghl_webhook_router::{Ed25519Key, HIGHLEVEL_ED25519_PEM, KeyError};
    ///
    /// let key = Ed25519Key::parse("highlevel", HIGHLEVEL_ED25519_PEM)?;
    /// assert_eq!(key.label(), "highlevel");
    /// assert!(Ed25519Key::parse("pasted", "not a key").is_err());
    /// # Ok::<(), KeyError>(())
    /// ```
    pub fn parse(label: impl Into<String>, text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let key = if text.starts_with("-----BEGIN") {
            VerifyingKey::from_public_key_pem(text)
                .map_err(|e| KeyError::NotEd25519Pem(e.to_string()))?
        } else {
            let raw = decode_raw_32(text).ok_or(KeyError::UnrecognisedFormat)?;
            VerifyingKey::from_bytes(&raw).map_err(|_| KeyError::InvalidPoint)?
        };
        Ok(Self::from_verifying_key(label, key))
    }

    /// Wraps an already-parsed key.
    pub fn from_verifying_key(label: impl Into<String>, key: VerifyingKey) -> Self {
        Self {
            label: label.into().into(),
            fixed: FixedKey::new(key),
        }
    }

    /// The raw 32-byte key.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.fixed.key().to_bytes()
    }

    /// Whether `signature` verifies over `message` with this key: the verdict of ed25519-dalek's
    /// `verify_strict`, reached through the key's precomputed tables.
    pub(crate) fn verifies(&self, message: &[u8], signature: &ed25519_dalek::Signature) -> bool {
        self.fixed.verifies(message, signature)
    }

    /// The label given at configuration (reported in [`Delivery::verified_by`](crate::Delivery::verified_by)).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// HighLevel's published Ed25519 key.
    pub fn highlevel() -> Self {
        // The constant is checked by the `highlevel_key_parses` test.
        Self::parse("highlevel-ed25519", HIGHLEVEL_ED25519_PEM)
            .unwrap_or_else(|e| unreachable!("the published key is valid: {e}"))
    }
}

/// An RSA public key trusted for the legacy `X-WH-Signature` (PKCS#1 v1.5 with SHA-256).
///
/// Needs the `legacy-rsa` cargo feature.
#[cfg(feature = "legacy-rsa")]
#[derive(Clone, Debug)]
pub struct RsaKey {
    pub(crate) label: std::sync::Arc<str>,
    pub(crate) key: rsa::pkcs1v15::VerifyingKey<rsa::sha2::Sha256>,
    /// The signature length in bytes (the modulus size).
    pub(crate) size: usize,
}

#[cfg(feature = "legacy-rsa")]
impl RsaKey {
    /// Parses an RSA public key: SPKI PEM (`BEGIN PUBLIC KEY`) or PKCS#1 PEM
    /// (`BEGIN RSA PUBLIC KEY`). Keys under 2048 bits are refused.
    pub fn parse(label: impl Into<String>, text: &str) -> Result<Self, KeyError> {
        use rsa::pkcs1::DecodeRsaPublicKey;
        use rsa::pkcs8::DecodePublicKey;
        let text = text.trim();
        let key = if text.starts_with("-----BEGIN RSA PUBLIC KEY") {
            rsa::RsaPublicKey::from_pkcs1_pem(text)
                .map_err(|e| KeyError::InvalidRsa(e.to_string()))?
        } else {
            rsa::RsaPublicKey::from_public_key_pem(text)
                .map_err(|e| KeyError::InvalidRsa(e.to_string()))?
        };
        Self::from_public_key(label, key)
    }

    /// Wraps an already-parsed key (refused under 2048 bits).
    pub fn from_public_key(
        label: impl Into<String>,
        key: rsa::RsaPublicKey,
    ) -> Result<Self, KeyError> {
        use rsa::traits::PublicKeyParts;
        let size = key.size();
        if size * 8 < 2048 {
            return Err(KeyError::WeakRsa { bits: size * 8 });
        }
        Ok(Self {
            label: label.into().into(),
            key: rsa::pkcs1v15::VerifyingKey::new(key),
            size,
        })
    }

    /// HighLevel's published legacy RSA-4096 key.
    pub fn highlevel() -> Self {
        // The constant is checked by the `highlevel_rsa_key_parses` test.
        Self::parse("highlevel-rsa", HIGHLEVEL_RSA_PEM)
            .unwrap_or_else(|e| unreachable!("the published key is valid: {e}"))
    }

    /// The label given at configuration.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The key size in bits.
    pub fn bits(&self) -> usize {
        self.size * 8
    }
}

fn decode_raw_32(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode_to_slice(text, &mut out).ok()?;
        return Some(out);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(text))
        .ok()?;
    out.copy_from_slice(bytes.get(..32).filter(|_| bytes.len() == 32)?);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW_HEX: &str = "8b61d1d6cacbe28d7c3bc0516bb815258ec6edbba96cddc7f40c09ac708388e8";

    #[test]
    fn highlevel_key_parses_and_matches_its_documented_raw_form() {
        assert_eq!(hex::encode(Ed25519Key::highlevel().to_bytes()), RAW_HEX);
    }

    #[test]
    fn the_three_accepted_forms_give_the_same_key() {
        let pem = Ed25519Key::parse("a", HIGHLEVEL_ED25519_PEM).expect("pem");
        let hex_form = Ed25519Key::parse("b", RAW_HEX).expect("hex");
        let b64 = base64::engine::general_purpose::STANDARD.encode(pem.to_bytes());
        let b64_form = Ed25519Key::parse("c", &format!("  {b64}\n")).expect("base64");
        assert_eq!(pem.to_bytes(), hex_form.to_bytes());
        assert_eq!(pem.to_bytes(), b64_form.to_bytes());
    }

    #[cfg(feature = "legacy-rsa")]
    #[test]
    fn highlevel_rsa_key_parses_as_4096_bits() {
        assert_eq!(RsaKey::highlevel().bits(), 4096);
    }

    #[cfg(feature = "legacy-rsa")]
    #[test]
    fn malformed_rsa_keys_are_clear_errors() {
        assert!(matches!(
            RsaKey::parse("x", "").unwrap_err(),
            KeyError::InvalidRsa(_)
        ));
        assert!(matches!(
            RsaKey::parse("x", HIGHLEVEL_ED25519_PEM).unwrap_err(),
            KeyError::InvalidRsa(_)
        ));
        assert!(matches!(
            RsaKey::parse("x", &HIGHLEVEL_RSA_PEM[..300]).unwrap_err(),
            KeyError::InvalidRsa(_)
        ));
        let weak = "-----BEGIN PUBLIC KEY-----
MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAN354UpEgBUdUppDbw8a7OzkJ9t7eJtR
sTtVPfVQejhrp3erOQboIKHEHcWomTGriP6U0Dh1OcbtvsXnvDlNjbECAwEAAQ==
-----END PUBLIC KEY-----";
        assert_eq!(
            RsaKey::parse("x", weak).unwrap_err(),
            KeyError::WeakRsa { bits: 512 }
        );
    }

    #[test]
    fn malformed_keys_are_clear_errors() {
        assert_eq!(
            Ed25519Key::parse("x", "").unwrap_err(),
            KeyError::UnrecognisedFormat
        );
        assert_eq!(
            Ed25519Key::parse("x", "not a key").unwrap_err(),
            KeyError::UnrecognisedFormat
        );
        assert_eq!(
            Ed25519Key::parse("x", &RAW_HEX[..62]).unwrap_err(),
            KeyError::UnrecognisedFormat
        );
        assert_eq!(
            Ed25519Key::parse("x", "AAAA").unwrap_err(),
            KeyError::UnrecognisedFormat
        );
        assert!(matches!(
            Ed25519Key::parse("x", HIGHLEVEL_RSA_PEM).unwrap_err(),
            KeyError::NotEd25519Pem(_)
        ));
        let truncated = &HIGHLEVEL_ED25519_PEM[..40];
        assert!(matches!(
            Ed25519Key::parse("x", truncated).unwrap_err(),
            KeyError::NotEd25519Pem(_)
        ));
    }
}
