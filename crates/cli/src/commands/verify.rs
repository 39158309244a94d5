//! `verify --key PUBLIC_PEM --signature B64`: check a signature over the body on stdin.

use std::path::PathBuf;
use std::process::ExitCode;

use ghl_webhook_router::{
    LEGACY_SIGNATURE_HEADER, SIGNATURE_HEADER, SignatureError, VerifiedBy, Verifier,
};
use http::HeaderValue;

use crate::cli::{Scheme, VerifyArgs};
use crate::commands::read_stdin;
use crate::error::CliError;
use crate::keyfile::{PublicKey, load_public};
use crate::output;

/// Runs `verify`: prints `valid` (exit 0) or `invalid: <reason>` (exit 1).
pub(crate) fn run(args: VerifyArgs) -> Result<ExitCode, CliError> {
    let (named, signature) = parse_signature(&args.signature)?;
    let keys = args
        .keys
        .iter()
        .map(|path| load_public(path).map(|key| (path.clone(), key)))
        .collect::<Result<Vec<_>, _>>()?;
    let scheme = resolve(args.scheme, named, &keys)?;
    let verifier = verifier(scheme, keys)?;
    let body = read_stdin("verify")?;
    match check(&verifier, scheme, signature, &body) {
        Ok(by) => {
            output::line("valid")?;
            if let VerifiedBy::Ed25519(label) | VerifiedBy::Rsa(label) = by {
                output::note(format!("verified by {label}"));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(reason) => {
            output::line(format!("invalid: {reason}"))?;
            Ok(ExitCode::from(1))
        }
    }
}

/// Splits `--signature`: a bare base64 value, or a header line `X-GHL-Signature: value`
/// (base64 has no `:`), whose header names the scheme.
pub(crate) fn parse_signature(arg: &str) -> Result<(Option<Scheme>, &str), CliError> {
    let (named, value) = match arg.split_once(':') {
        Some((name, value)) => {
            let scheme = match name.trim().to_ascii_lowercase().as_str() {
                SIGNATURE_HEADER => Scheme::Ed25519,
                LEGACY_SIGNATURE_HEADER => Scheme::Rsa,
                other => {
                    return Err(CliError::Usage(format!(
                        "--signature: `{other}` is not a signature header (X-GHL-Signature or X-WH-Signature)"
                    )));
                }
            };
            (Some(scheme), value.trim())
        }
        None => (None, arg.trim()),
    };
    if value.is_empty() {
        return Err(CliError::Usage("--signature is empty".into()));
    }
    Ok((named, value))
}

/// The scheme: `--scheme`, else the header named in `--signature`, else the keys' scheme.
/// Always one of [`Scheme::VERIFY`] (clap already refuses any other `--scheme`).
fn resolve(
    asked: Option<Scheme>,
    named: Option<Scheme>,
    keys: &[(PathBuf, PublicKey)],
) -> Result<Scheme, CliError> {
    match (asked, named) {
        (Some(asked), _) if !Scheme::VERIFY.contains(&asked) => Err(CliError::Usage(format!(
            "--scheme {asked}: verify checks one signature, ed25519 or rsa"
        ))),
        (Some(asked), Some(named)) if asked != named => Err(CliError::Usage(format!(
            "--scheme {asked} contradicts the header named in --signature ({named})"
        ))),
        (Some(scheme), _) | (None, Some(scheme)) => Ok(scheme),
        (None, None) => {
            let ed = keys.iter().any(|(_, k)| matches!(k, PublicKey::Ed25519(_)));
            let rsa = keys.iter().any(|(_, k)| matches!(k, PublicKey::Rsa(_)));
            match (ed, rsa) {
                (true, true) => Err(CliError::Usage(
                    "Ed25519 and RSA keys were given: say which signature this is with --scheme ed25519 or --scheme rsa".into(),
                )),
                (false, true) => Ok(Scheme::Rsa),
                _ => Ok(Scheme::Ed25519),
            }
        }
    }
}

/// A verifier trusting the keys, each of which must be of the scheme's kind.
fn verifier(scheme: Scheme, keys: Vec<(PathBuf, PublicKey)>) -> Result<Verifier, CliError> {
    let mut verifier = Verifier::empty();
    for (path, key) in keys {
        verifier = match (scheme, key) {
            (Scheme::Ed25519, PublicKey::Ed25519(key)) => verifier.with_key(key),
            (Scheme::Rsa, PublicKey::Rsa(key)) => verifier.with_rsa_key(key),
            (scheme, key) => {
                let kind = match key {
                    PublicKey::Ed25519(_) => "an Ed25519",
                    PublicKey::Rsa(_) => "an RSA",
                };
                return Err(CliError::Usage(format!(
                    "`{}` is {kind} key, but the signature is {scheme}",
                    path.display(),
                )));
            }
        };
    }
    Ok(verifier)
}

/// Checks `signature` as the header of `scheme`: RSA for [`Scheme::Rsa`], else Ed25519
/// ([`resolve`] returns no other scheme).
fn check(
    verifier: &Verifier,
    scheme: Scheme,
    signature: &str,
    body: &[u8],
) -> Result<VerifiedBy, SignatureError> {
    let rsa = scheme == Scheme::Rsa;
    // The header as the router names it in its errors.
    let header = if rsa {
        "X-WH-Signature"
    } else {
        "X-GHL-Signature"
    };
    // A value that cannot even be a header value is not base64 either.
    let value =
        HeaderValue::from_str(signature).map_err(|_| SignatureError::MalformedBase64 { header })?;
    if rsa {
        verifier.verify_rsa(&value, body)
    } else {
        verifier.verify_ed25519(&value, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_taken_bare_or_as_header_lines() {
        assert_eq!(parse_signature(" abc= ").expect("bare"), (None, "abc="));
        assert_eq!(
            parse_signature("X-GHL-Signature: abc=").expect("line"),
            (Some(Scheme::Ed25519), "abc=")
        );
        assert_eq!(
            parse_signature("x-wh-signature:abc").expect("line"),
            (Some(Scheme::Rsa), "abc")
        );
        assert!(parse_signature("").is_err());
        assert!(parse_signature("X-GHL-Signature: ").is_err());
        assert!(parse_signature("Authorization: abc").is_err());
    }

    #[test]
    fn the_scheme_comes_from_the_flag_the_header_or_the_keys() {
        let ed = (
            PathBuf::from("e"),
            PublicKey::Ed25519(ghl_webhook_router::Ed25519Key::highlevel()),
        );
        let rsa = (
            PathBuf::from("r"),
            PublicKey::Rsa(ghl_webhook_router::RsaKey::highlevel()),
        );
        assert_eq!(
            resolve(None, None, std::slice::from_ref(&ed)).expect("ok"),
            Scheme::Ed25519
        );
        assert_eq!(
            resolve(None, None, std::slice::from_ref(&rsa)).expect("ok"),
            Scheme::Rsa
        );
        assert!(resolve(None, None, &[ed.clone(), rsa.clone()]).is_err());
        assert_eq!(
            resolve(None, Some(Scheme::Rsa), &[ed.clone(), rsa.clone()]).expect("ok"),
            Scheme::Rsa
        );
        assert!(resolve(Some(Scheme::Ed25519), Some(Scheme::Rsa), &[]).is_err());
        assert!(verifier(Scheme::Ed25519, vec![ed, rsa]).is_err());
    }

    #[test]
    fn schemes_of_two_headers_or_none_are_not_verified() {
        for scheme in [Scheme::Both, Scheme::None] {
            assert!(resolve(Some(scheme), None, &[]).is_err(), "{scheme}");
        }
    }
}
