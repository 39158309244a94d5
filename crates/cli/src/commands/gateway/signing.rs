//! Standard Webhooks signing: `webhook-id`, `webhook-timestamp` and `webhook-signature`
//! (`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, one per secret, space-separated),
//! with secrets given as `whsec_<base64 key>`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a Standard Webhooks secret.
pub(crate) const SECRET_PREFIX: &str = "whsec_";

/// Why a `whsec_` secret cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SecretError {
    /// The text does not start with `whsec_`.
    #[error("it does not start with `whsec_`")]
    NoPrefix,
    /// The part after `whsec_` is not base64.
    #[error("the part after `whsec_` is not base64 ({0})")]
    NotBase64(String),
    /// The key is shorter than the spec allows.
    #[error("its key is {0} bytes; Standard Webhooks keys are 24 to 64 bytes")]
    Length(usize),
}

/// One signing secret: the key bytes of a `whsec_` secret.
#[derive(Clone)]
pub(crate) struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// Reads `whsec_<base64>`.
    pub(crate) fn parse(text: &str) -> Result<Self, SecretError> {
        let encoded = text
            .trim()
            .strip_prefix(SECRET_PREFIX)
            .ok_or(SecretError::NoPrefix)?;
        let key = STANDARD
            .decode(encoded)
            .map_err(|err| SecretError::NotBase64(err.to_string()))?;
        if !(24..=64).contains(&key.len()) {
            return Err(SecretError::Length(key.len()));
        }
        Ok(Self(key))
    }

    /// `v1,<base64 signature>` of `{id}.{timestamp}.{body}`.
    fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        // Any key length is valid for HMAC.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// Signs with every secret (rotation: the app accepts any one it knows).
#[derive(Debug, Clone)]
pub(crate) struct Signer {
    secrets: Vec<Secret>,
}

impl Signer {
    /// A signer with these secrets (at least one: the configuration requires it).
    pub(crate) fn new(secrets: Vec<Secret>) -> Self {
        Self { secrets }
    }

    /// The `webhook-signature` value: one `v1,` signature per secret, space-separated.
    pub(crate) fn signature(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        self.secrets
            .iter()
            .map(|secret| secret.sign(id, timestamp, body))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector published with the Standard Webhooks specification (and checked by its
    /// reference libraries).
    #[test]
    fn signs_the_specification_test_vector() {
        let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
        let signer = Signer::new(vec![secret]);
        assert_eq!(
            signer.signature(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn several_secrets_give_several_signatures() {
        let one = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
        let two = Secret::parse(&format!("whsec_{}", STANDARD.encode([7u8; 32]))).expect("secret");
        let signature = Signer::new(vec![one, two]).signature("id", 1, b"{}");
        let parts: Vec<&str> = signature.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|part| part.starts_with("v1,")));
        assert_ne!(parts[0], parts[1]);
    }

    #[test]
    fn bad_secrets_say_what_is_wrong() {
        assert_eq!(
            Secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").err(),
            Some(SecretError::NoPrefix)
        );
        assert!(matches!(
            Secret::parse("whsec_!!!"),
            Err(SecretError::NotBase64(_))
        ));
        assert_eq!(
            Secret::parse("whsec_AAAA").err(),
            Some(SecretError::Length(3))
        );
    }
}
