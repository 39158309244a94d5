//! Fixed test key pairs. **TEST KEYS ONLY**: the private halves are published in this source
//! file, so anything they sign proves nothing. Never add their public keys to a production
//! verifier.

use base64::Engine as _;
use ed25519_dalek::pkcs8::EncodePublicKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::{Signer, SigningKey};
use ghl_webhook_router::{Ed25519Key, Verifier};

/// The seed of the primary Ed25519 test key (its 32 bytes spell out that it is a test key).
pub const ED25519_TEST_SEED: [u8; 32] = *b"ghl-webhooks TEST KEY do not use";

/// The seed of a second Ed25519 test key, for "signed by another key" cases.
pub const ED25519_OTHER_TEST_SEED: [u8; 32] = *b"ghl-webhooks OTHER TEST KEY: no!";

/// A fixed Ed25519 test key pair. **Test-only**: the private key is public.
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
/// this repository (`crates/test-support/keys/`).
#[cfg(feature = "legacy-rsa")]
pub mod rsa_keys {
    use std::sync::OnceLock;

    use base64::Engine as _;
    use ghl_webhook_router::RsaKey;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::sha2::Sha256;
    use rsa::signature::{SignatureEncoding, Signer};

    /// The private test key, PKCS#8 PEM.
    pub const RSA_TEST_PRIVATE_PEM: &str = include_str!("../keys/rsa4096-test-private.pem");
    /// The public test key, SPKI PEM.
    pub const RSA_TEST_PUBLIC_PEM: &str = include_str!("../keys/rsa4096-test-public.pem");

    fn signing_key() -> &'static rsa::pkcs1v15::SigningKey<Sha256> {
        static KEY: OnceLock<rsa::pkcs1v15::SigningKey<Sha256>> = OnceLock::new();
        KEY.get_or_init(|| {
            let private = rsa::RsaPrivateKey::from_pkcs8_pem(RSA_TEST_PRIVATE_PEM)
                .unwrap_or_else(|e| unreachable!("the checked-in test key parses: {e}"));
            rsa::pkcs1v15::SigningKey::new(private)
        })
    }

    /// Signs `body` (PKCS#1 v1.5, SHA-256) and returns the `X-WH-Signature` value (base64).
    pub fn sign(body: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(signing_key().sign(body).to_bytes())
    }

    /// The public test key, ready for a `Verifier`.
    pub fn public_key() -> RsaKey {
        RsaKey::parse("ghl-webhooks-rsa-test-key", RSA_TEST_PUBLIC_PEM)
            .unwrap_or_else(|e| unreachable!("the checked-in test key parses: {e}"))
    }
}
