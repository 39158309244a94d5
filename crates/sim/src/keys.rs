//! Fixed test key pairs. **TEST KEYS ONLY**: the private halves are published in this source
//! file, so anything they sign proves nothing. Never add their public keys to a production
//! verifier.

use base64::Engine as _;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signer, SigningKey};
use ghl_webhook_router::{Ed25519Key, Verifier};

/// The seed of the primary Ed25519 test key (its 32 bytes spell out that it is a test key).
pub const ED25519_TEST_SEED: [u8; 32] = *b"ghl-webhooks TEST KEY do not use";

/// The seed of a second Ed25519 test key, for "signed by another key" cases.
pub const ED25519_OTHER_TEST_SEED: [u8; 32] = *b"ghl-webhooks OTHER TEST KEY: no!";

/// A private key that could not be used for signing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrivateKeyError {
    /// The text is a public key; signing needs the private half.
    #[error(
        "this is a public key (`-----BEGIN PUBLIC KEY-----`); signing needs the private key (`-----BEGIN PRIVATE KEY-----`)"
    )]
    PublicKey,
    /// Not a PKCS#8 PEM holding an Ed25519 private key.
    #[error(
        "not an Ed25519 private key ({0}); expected a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, e.g. from `openssl genpkey -algorithm ed25519`)"
    )]
    NotEd25519(String),
    /// Not a PKCS#8 or PKCS#1 PEM holding an RSA private key.
    #[error(
        "not an RSA private key ({0}); expected a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) or a PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`)"
    )]
    NotRsa(String),
}

/// True when the text is a PEM public key (SPKI or PKCS#1) rather than a private one.
fn is_public_pem(text: &str) -> bool {
    let text = text.trim_start();
    text.starts_with("-----BEGIN PUBLIC KEY") || text.starts_with("-----BEGIN RSA PUBLIC KEY")
}

/// An Ed25519 key pair: the fixed test keys ([`TestKeys::primary`], [`TestKeys::other`]) or
/// one you bring ([`TestKeys::from_signing_key`], [`TestKeys::from_private_key_pem`]).
/// **The fixed ones are test-only**: their private keys are public.
#[derive(Clone, Debug)]
pub struct TestKeys {
    signing: SigningKey,
}

impl Default for TestKeys {
    fn default() -> Self {
        Self::primary()
    }
}

impl TestKeys {
    /// The primary test key pair: what [`MockSender`](crate::MockSender) signs with by default.
    ///
    /// ```
    /// use ghl_webhook_sim::TestKeys;
    /// use http::HeaderMap;
    ///
    /// let body = br#"{"type":"ContactDelete","id":"c-1"}"#;
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-ghl-signature", TestKeys::primary().sign(body).parse()?);
    /// assert!(TestKeys::primary().verifier().verify(&headers, body).is_ok());
    /// assert!(TestKeys::other().verifier().verify(&headers, body).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn primary() -> Self {
        Self {
            signing: SigningKey::from_bytes(&ED25519_TEST_SEED),
        }
    }

    /// A second, unrelated test key pair: signatures by it must be rejected by a verifier that
    /// trusts only [`TestKeys::primary`].
    pub fn other() -> Self {
        Self {
            signing: SigningKey::from_bytes(&ED25519_OTHER_TEST_SEED),
        }
    }

    /// Wraps any Ed25519 signing key, e.g. to sign like a sender whose key you hold.
    pub fn from_signing_key(signing: SigningKey) -> Self {
        Self { signing }
    }

    /// Parses an Ed25519 private key from a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, what
    /// `openssl genpkey -algorithm ed25519` writes). Surrounding whitespace is ignored.
    pub fn from_private_key_pem(pem: &str) -> Result<Self, PrivateKeyError> {
        if is_public_pem(pem) {
            return Err(PrivateKeyError::PublicKey);
        }
        SigningKey::from_pkcs8_pem(pem.trim())
            .map(Self::from_signing_key)
            .map_err(|e| PrivateKeyError::NotEd25519(e.to_string()))
    }

    /// The Ed25519 signing key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    /// The public key, ready for a [`Verifier`].
    pub fn public_key(&self) -> Ed25519Key {
        Ed25519Key::from_verifying_key("ghl-webhooks-test-key", self.signing.verifying_key())
    }

    /// A verifier trusting only this test key.
    pub fn verifier(&self) -> Verifier {
        Verifier::empty().with_key(self.public_key())
    }

    /// A verifier trusting this Ed25519 test key and the RSA test key (legacy scheme).
    #[cfg(feature = "legacy-rsa")]
    pub fn verifier_with_rsa(&self) -> Verifier {
        self.verifier().with_rsa_key(rsa_keys::public_key())
    }

    /// The public key as SPKI PEM.
    pub fn public_key_pem(&self) -> String {
        self.signing
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_else(|e| unreachable!("a valid key encodes: {e}"))
    }

    /// Signs `body` and returns the `X-GHL-Signature` header value (base64).
    pub fn sign(&self, body: &[u8]) -> String {
        sign_with(&self.signing, body)
    }
}

/// The base64 Ed25519 signature of `body` by `key`: the `X-GHL-Signature` value.
pub(crate) fn sign_with(key: &SigningKey, body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(key.sign(body).to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_own_key_only() {
        let body = br#"{"id":"1"}"#;
        let mut headers = http::HeaderMap::new();
        let sig = TestKeys::primary().sign(body);
        headers.insert("x-ghl-signature", sig.parse().expect("header"));
        assert!(
            TestKeys::primary()
                .verifier()
                .verify(&headers, body)
                .is_ok()
        );
        assert!(TestKeys::other().verifier().verify(&headers, body).is_err());
    }

    const PRIVATE_PEM: &str = include_str!("../keys/ed25519-test-private.pem");
    const PUBLIC_PEM: &str = include_str!("../keys/ed25519-test-public.pem");

    #[test]
    fn the_checked_in_private_pem_is_the_primary_test_key() {
        let keys = TestKeys::from_private_key_pem(PRIVATE_PEM).expect("parses");
        assert_eq!(
            keys.signing_key().to_bytes(),
            TestKeys::primary().signing_key().to_bytes()
        );
        assert_eq!(keys.public_key_pem(), PUBLIC_PEM);
    }

    #[test]
    fn any_signing_key_can_be_wrapped() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let keys = TestKeys::from_signing_key(key.clone());
        let body = b"{}";
        let mut headers = http::HeaderMap::new();
        headers.insert("x-ghl-signature", keys.sign(body).parse().expect("header"));
        let verifier =
            Verifier::empty().with_key(Ed25519Key::from_verifying_key("k", key.verifying_key()));
        assert!(verifier.verify(&headers, body).is_ok());
    }

    #[test]
    fn unusable_private_keys_are_clear_errors() {
        assert_eq!(
            TestKeys::from_private_key_pem(PUBLIC_PEM).unwrap_err(),
            PrivateKeyError::PublicKey
        );
        for bad in ["", "not a key", &PRIVATE_PEM[..60]] {
            assert!(matches!(
                TestKeys::from_private_key_pem(bad).unwrap_err(),
                PrivateKeyError::NotEd25519(_)
            ));
        }
        #[cfg(feature = "legacy-rsa")]
        assert!(matches!(
            TestKeys::from_private_key_pem(rsa_keys::RSA_TEST_PRIVATE_PEM).unwrap_err(),
            PrivateKeyError::NotEd25519(_)
        ));
    }

    #[test]
    fn the_pem_round_trips_through_the_router_parser() {
        let pem = TestKeys::primary().public_key_pem();
        let parsed = Ed25519Key::parse("pem", &pem).expect("parses");
        assert_eq!(
            parsed.to_bytes(),
            TestKeys::primary().public_key().to_bytes()
        );
    }
}

/// The RSA-4096 test key pair (legacy `X-WH-Signature`). **Test-only**: the private key is in
/// this repository (`crates/sim/keys/`).
#[cfg(feature = "legacy-rsa")]
pub mod rsa_keys {
    use std::sync::{Arc, OnceLock};

    use base64::Engine as _;
    use ghl_webhook_router::{KeyError, RsaKey};
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::sha2::Sha256;
    use rsa::signature::{SignatureEncoding, Signer};
    use rsa::traits::PublicKeyParts;

    use super::PrivateKeyError;

    /// The private test key, PKCS#8 PEM.
    pub const RSA_TEST_PRIVATE_PEM: &str = include_str!("../keys/rsa4096-test-private.pem");
    /// The public test key, SPKI PEM.
    pub const RSA_TEST_PUBLIC_PEM: &str = include_str!("../keys/rsa4096-test-public.pem");
    /// A second, unrelated RSA-2048 private test key (PKCS#8 PEM), for "signed by another
    /// key" cases.
    pub const RSA_OTHER_TEST_PRIVATE_PEM: &str =
        include_str!("../keys/rsa2048-other-test-private.pem");
    /// The public half of [`RSA_OTHER_TEST_PRIVATE_PEM`], SPKI PEM.
    pub const RSA_OTHER_TEST_PUBLIC_PEM: &str =
        include_str!("../keys/rsa2048-other-test-public.pem");

    /// An RSA private key signing the legacy `X-WH-Signature` (PKCS#1 v1.5 with SHA-256): the
    /// fixed test key ([`RsaSigner::test_key`]) or one you bring
    /// ([`RsaSigner::from_private_key_pem`]). Cheap to clone.
    #[derive(Clone, Debug)]
    pub struct RsaSigner {
        key: Arc<rsa::pkcs1v15::SigningKey<Sha256>>,
        public: rsa::RsaPublicKey,
    }

    impl RsaSigner {
        /// The RSA-4096 test key. **Test-only**: its private half is in this repository.
        pub fn test_key() -> Self {
            static KEY: OnceLock<RsaSigner> = OnceLock::new();
            KEY.get_or_init(|| {
                RsaSigner::from_private_key_pem(RSA_TEST_PRIVATE_PEM)
                    .unwrap_or_else(|e| unreachable!("the checked-in test key parses: {e}"))
            })
            .clone()
        }

        /// A second, unrelated RSA-2048 test key: its signatures must be rejected by a
        /// verifier that trusts only the RSA test key. **Test-only.**
        pub fn other_test_key() -> Self {
            static KEY: OnceLock<RsaSigner> = OnceLock::new();
            KEY.get_or_init(|| {
                RsaSigner::from_private_key_pem(RSA_OTHER_TEST_PRIVATE_PEM)
                    .unwrap_or_else(|e| unreachable!("the checked-in test key parses: {e}"))
            })
            .clone()
        }

        /// Parses an RSA private key: PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, what
        /// `openssl genpkey -algorithm RSA` writes) or PKCS#1 PEM (`-----BEGIN RSA PRIVATE
        /// KEY-----`). Surrounding whitespace is ignored.
        pub fn from_private_key_pem(pem: &str) -> Result<Self, PrivateKeyError> {
            if super::is_public_pem(pem) {
                return Err(PrivateKeyError::PublicKey);
            }
            let pem = pem.trim();
            let private = if pem.starts_with("-----BEGIN RSA PRIVATE KEY") {
                rsa::RsaPrivateKey::from_pkcs1_pem(pem)
                    .map_err(|e| PrivateKeyError::NotRsa(e.to_string()))?
            } else {
                rsa::RsaPrivateKey::from_pkcs8_pem(pem)
                    .map_err(|e| PrivateKeyError::NotRsa(e.to_string()))?
            };
            Ok(Self::from_private_key(private))
        }

        /// Wraps an already-parsed private key.
        pub fn from_private_key(private: rsa::RsaPrivateKey) -> Self {
            let public = private.to_public_key();
            Self {
                key: Arc::new(rsa::pkcs1v15::SigningKey::new(private)),
                public,
            }
        }

        /// Signs `body` and returns the `X-WH-Signature` value (base64).
        pub fn sign(&self, body: &[u8]) -> String {
            base64::engine::general_purpose::STANDARD.encode(self.key.sign(body).to_bytes())
        }

        /// The key size in bits.
        pub fn bits(&self) -> usize {
            self.public.size() * 8
        }

        /// The public half, ready for a `Verifier` (refused there under 2048 bits).
        pub fn public_key(&self, label: impl Into<String>) -> Result<RsaKey, KeyError> {
            RsaKey::from_public_key(label, self.public.clone())
        }
    }

    /// Signs `body` with the RSA test key (PKCS#1 v1.5, SHA-256) and returns the
    /// `X-WH-Signature` value (base64).
    pub fn sign(body: &[u8]) -> String {
        RsaSigner::test_key().sign(body)
    }

    /// The public test key, ready for a `Verifier`.
    pub fn public_key() -> RsaKey {
        RsaKey::parse("ghl-webhooks-rsa-test-key", RSA_TEST_PUBLIC_PEM)
            .unwrap_or_else(|e| unreachable!("the checked-in test key parses: {e}"))
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use ghl_webhook_router::Verifier;
        use http::{HeaderMap, HeaderValue};

        fn verifies(key: RsaKey, signature: &str, body: &[u8]) -> bool {
            let mut headers = HeaderMap::new();
            headers.insert(
                ghl_webhook_router::LEGACY_SIGNATURE_HEADER,
                HeaderValue::from_str(signature).expect("header"),
            );
            Verifier::empty()
                .with_rsa_key(key)
                .verify(&headers, body)
                .is_ok()
        }

        #[test]
        fn the_test_signer_matches_the_checked_in_public_key() {
            let signer = RsaSigner::test_key();
            assert_eq!(signer.bits(), 4096);
            let body = br#"{"id":"1"}"#;
            assert!(verifies(public_key(), &signer.sign(body), body));
            assert!(verifies(
                signer.public_key("derived").expect("4096 bits"),
                &sign(body),
                body
            ));
            assert!(!verifies(public_key(), &signer.sign(body), b"{}"));
        }

        #[test]
        fn the_other_test_key_is_another_key() {
            let other = RsaSigner::other_test_key();
            assert_eq!(other.bits(), 2048);
            let body = b"{}";
            let own = RsaKey::parse("other", RSA_OTHER_TEST_PUBLIC_PEM).expect("public");
            assert!(verifies(own, &other.sign(body), body));
            assert!(!verifies(public_key(), &other.sign(body), body));
        }

        #[test]
        fn pkcs1_and_pkcs8_pems_give_the_same_key() {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            let private = rsa::RsaPrivateKey::from_pkcs8_pem(RSA_TEST_PRIVATE_PEM).expect("pkcs8");
            let pkcs1 = private
                .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
                .expect("pkcs1");
            let signer = RsaSigner::from_private_key_pem(&pkcs1).expect("parses");
            let body = b"{}";
            // PKCS#1 v1.5 signatures are deterministic: same key, same signature.
            assert_eq!(signer.sign(body), sign(body));
        }

        #[test]
        fn unusable_rsa_private_keys_are_clear_errors() {
            assert_eq!(
                RsaSigner::from_private_key_pem(RSA_TEST_PUBLIC_PEM).unwrap_err(),
                PrivateKeyError::PublicKey
            );
            let ed25519 = include_str!("../keys/ed25519-test-private.pem");
            for bad in ["", "junk", ed25519, &RSA_TEST_PRIVATE_PEM[..200]] {
                assert!(matches!(
                    RsaSigner::from_private_key_pem(bad).unwrap_err(),
                    PrivateKeyError::NotRsa(_)
                ));
            }
        }
    }
}
