//! Reading key files: private keys for `trigger`/`sign`, public keys for `verify`/`listen`.
//!
//! The kind of key (Ed25519 or RSA) is recognised from the file, and every way a file can be
//! unusable is a [`CliError`] naming the file and saying what to pass instead.

use std::fs;
use std::path::{Path, PathBuf};

use ghl_webhook_router::{Ed25519Key, KeyError, RsaKey};
use ghl_webhook_sim::rsa_keys::RsaSigner;
use ghl_webhook_sim::{PrivateKeyError, TestKeys};

use crate::error::CliError;

/// A private key read from a file.
#[derive(Debug, Clone)]
pub(crate) enum PrivateKey {
    /// An Ed25519 key: signs `X-GHL-Signature`.
    Ed25519(TestKeys),
    /// An RSA key: signs `X-WH-Signature`.
    Rsa(RsaSigner),
}

/// A public key read from a file.
#[derive(Debug, Clone)]
pub(crate) enum PublicKey {
    /// An Ed25519 key: checks `X-GHL-Signature`.
    Ed25519(Ed25519Key),
    /// An RSA key: checks `X-WH-Signature`.
    Rsa(RsaKey),
}

/// At most one private key of each scheme, as `trigger` and `sign` use them.
#[derive(Debug, Clone, Default)]
pub(crate) struct SigningKeys {
    /// The Ed25519 key, if one was given.
    pub ed25519: Option<TestKeys>,
    /// The RSA key, if one was given.
    pub rsa: Option<RsaSigner>,
}

/// Reads a key file as text.
pub(crate) fn read_text(path: &Path) -> Result<String, CliError> {
    let bytes = fs::read(path).map_err(|source| CliError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|_| key_error(path, "not a text file (expected a PEM key)"))
}

fn key_error(path: &Path, reason: impl Into<String>) -> CliError {
    CliError::Key {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// The PEM label of the first block (`PRIVATE KEY`, `PUBLIC KEY`, ...), if the text is PEM.
fn pem_label(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix("-----BEGIN ")?;
    rest.split_once("-----").map(|(label, _)| label)
}

/// Parses a private key file: Ed25519 (PKCS#8) or RSA (PKCS#8 or PKCS#1).
pub(crate) fn parse_private(path: &Path, text: &str) -> Result<PrivateKey, CliError> {
    match pem_label(text) {
        None if text.trim().is_empty() => Err(key_error(path, "the file is empty")),
        None => Err(key_error(
            path,
            "not a PEM private key (expected `-----BEGIN PRIVATE KEY-----`)",
        )),
        Some("PUBLIC KEY" | "RSA PUBLIC KEY") => Err(key_error(
            path,
            "this is a public key; signing needs the private key (`-----BEGIN PRIVATE KEY-----`)",
        )),
        Some("ENCRYPTED PRIVATE KEY") => Err(key_error(
            path,
            "encrypted private keys are not supported; decrypt it first: `openssl pkey -in KEY -out PLAIN.pem`",
        )),
        Some("RSA PRIVATE KEY") => RsaSigner::from_private_key_pem(text)
            .map(PrivateKey::Rsa)
            .map_err(|e| key_error(path, e.to_string())),
        Some(_) => match TestKeys::from_private_key_pem(text) {
            Ok(keys) => Ok(PrivateKey::Ed25519(keys)),
            Err(ed) => RsaSigner::from_private_key_pem(text)
                .map(PrivateKey::Rsa)
                .map_err(|rsa| {
                    key_error(
                        path,
                        format!(
                            "neither an Ed25519 nor an RSA private key (Ed25519: {}; RSA: {})",
                            inner(&ed),
                            inner(&rsa)
                        ),
                    )
                }),
        },
    }
}

fn inner(error: &PrivateKeyError) -> String {
    match error {
        PrivateKeyError::NotEd25519(e) | PrivateKeyError::NotRsa(e) => e.clone(),
        other => other.to_string(),
    }
}

/// Reads private key files into at most one key per scheme.
pub(crate) fn load_signing_keys(paths: &[PathBuf]) -> Result<SigningKeys, CliError> {
    let mut keys = SigningKeys::default();
    for path in paths {
        match parse_private(path, &read_text(path)?)? {
            PrivateKey::Ed25519(key) => {
                if keys.ed25519.replace(key).is_some() {
                    return Err(CliError::Usage(format!(
                        "`{}`: a second Ed25519 private key; give at most one Ed25519 and one RSA key",
                        path.display()
                    )));
                }
            }
            PrivateKey::Rsa(key) => {
                if keys.rsa.replace(key).is_some() {
                    return Err(CliError::Usage(format!(
                        "`{}`: a second RSA private key; give at most one Ed25519 and one RSA key",
                        path.display()
                    )));
                }
            }
        }
    }
    Ok(keys)
}

/// Parses a public key file: Ed25519 (SPKI PEM, or raw 32 bytes as base64 or hex) or RSA
/// (SPKI or PKCS#1 PEM). The key is labelled with the file name.
pub(crate) fn parse_public(path: &Path, text: &str) -> Result<PublicKey, CliError> {
    let label = path.display().to_string();
    match pem_label(text) {
        None if text.trim().is_empty() => Err(key_error(path, "the file is empty")),
        Some(pem) if pem.contains("PRIVATE KEY") => Err(key_error(
            path,
            "this is a private key; pass the public key (`openssl pkey -in KEY -pubout`)",
        )),
        Some("RSA PUBLIC KEY") => RsaKey::parse(label, text)
            .map(PublicKey::Rsa)
            .map_err(|e| key_error(path, e.to_string())),
        Some(_) => match Ed25519Key::parse(label.clone(), text) {
            Ok(key) => Ok(PublicKey::Ed25519(key)),
            Err(ed) => RsaKey::parse(label, text)
                .map(PublicKey::Rsa)
                .map_err(|rsa| {
                    let ed = match ed {
                        KeyError::NotEd25519Pem(e) => e,
                        other => other.to_string(),
                    };
                    let rsa = match rsa {
                        KeyError::InvalidRsa(e) => e,
                        // A weak key is recognised as RSA: say so plainly.
                        weak => return key_error(path, weak.to_string()),
                    };
                    key_error(
                        path,
                        format!(
                            "neither an Ed25519 nor an RSA public key (Ed25519: {ed}; RSA: {rsa})"
                        ),
                    )
                }),
        },
        None => Ed25519Key::parse(label, text)
            .map(PublicKey::Ed25519)
            .map_err(|e| key_error(path, e.to_string())),
    }
}

/// Reads a public key file.
pub(crate) fn load_public(path: &Path) -> Result<PublicKey, CliError> {
    parse_public(path, &read_text(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ghl_webhook_router::{HIGHLEVEL_ED25519_PEM, HIGHLEVEL_RSA_PEM};
    use ghl_webhook_sim::rsa_keys::{RSA_TEST_PRIVATE_PEM, RSA_TEST_PUBLIC_PEM};

    const ED_PRIVATE: &str = include_str!("../../sim/keys/ed25519-test-private.pem");

    fn p() -> &'static Path {
        Path::new("k.pem")
    }

    fn reason(err: CliError) -> String {
        match err {
            CliError::Key { reason, .. } => reason,
            other => panic!("not a key error: {other}"),
        }
    }

    #[test]
    fn private_keys_are_recognised_by_scheme() {
        assert!(matches!(
            parse_private(p(), ED_PRIVATE),
            Ok(PrivateKey::Ed25519(_))
        ));
        assert!(matches!(
            parse_private(p(), RSA_TEST_PRIVATE_PEM),
            Ok(PrivateKey::Rsa(_))
        ));
    }

    #[test]
    fn unusable_private_keys_say_why() {
        assert!(reason(parse_private(p(), "").unwrap_err()).contains("empty"));
        assert!(reason(parse_private(p(), "hello").unwrap_err()).contains("not a PEM"));
        assert!(
            reason(parse_private(p(), RSA_TEST_PUBLIC_PEM).unwrap_err()).contains("public key")
        );
        let encrypted =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert!(reason(parse_private(p(), encrypted).unwrap_err()).contains("encrypted"));
        let truncated = &ED_PRIVATE[..50];
        assert!(reason(parse_private(p(), truncated).unwrap_err()).contains("neither"));
    }

    #[test]
    fn public_keys_are_recognised_in_every_accepted_form() {
        assert!(matches!(
            parse_public(p(), HIGHLEVEL_ED25519_PEM),
            Ok(PublicKey::Ed25519(_))
        ));
        assert!(matches!(
            parse_public(p(), HIGHLEVEL_RSA_PEM),
            Ok(PublicKey::Rsa(_))
        ));
        let hex = "8b61d1d6cacbe28d7c3bc0516bb815258ec6edbba96cddc7f40c09ac708388e8\n";
        assert!(matches!(parse_public(p(), hex), Ok(PublicKey::Ed25519(_))));
    }

    #[test]
    fn unusable_public_keys_say_why() {
        assert!(reason(parse_public(p(), " \n").unwrap_err()).contains("empty"));
        assert!(reason(parse_public(p(), ED_PRIVATE).unwrap_err()).contains("private key"));
        assert!(reason(parse_public(p(), "nope").unwrap_err()).contains("unrecognised"));
        let truncated = &HIGHLEVEL_RSA_PEM[..200];
        assert!(reason(parse_public(p(), truncated).unwrap_err()).contains("neither"));
    }
}
