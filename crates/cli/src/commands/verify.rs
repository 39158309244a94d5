//! `verify --key PUBLIC_PEM --signature B64`: check a signature over the body on stdin.

use std::path::PathBuf;
use std::process::ExitCode;

use ghl_webhook_router::{SignatureError, VerifiedBy, Verifier};
use http::HeaderValue;

use crate::cli::{VerifyArgs, VerifyScheme};
use crate::commands::read_stdin;
use crate::error::CliError;
use crate::keyfile::{PublicKey, load_public};
use crate::output;

/// Runs `verify`: prints `valid` (exit 0) or `invalid: <reason>` (exit 1).
pub fn run(args: VerifyArgs) -> Result<ExitCode, CliError> {
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
pub fn parse_signature(arg: &str) -> Result<(Option<VerifyScheme>, &str), CliError> {
    let (named, value) = match arg.split_once(':') {
        Some((name, value)) => {
            let scheme = match name.trim().to_ascii_lowercase().as_str() {
                "x-ghl-signature" => VerifyScheme::Ed25519,
                "x-wh-signature" => VerifyScheme::Rsa,
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

fn name(scheme: VerifyScheme) -> &'static str {
    match scheme {
        VerifyScheme::Ed25519 => "ed25519",
        VerifyScheme::Rsa => "rsa",
    }
}

/// The scheme: `--scheme`, else the header named in `--signature`, else the keys' scheme.
fn resolve(
    asked: Option<VerifyScheme>,
    named: Option<VerifyScheme>,
    keys: &[(PathBuf, PublicKey)],
) -> Result<VerifyScheme, CliError> {
    match (asked, named) {
        (Some(asked), Some(named)) if asked != named => Err(CliError::Usage(format!(
            "--scheme {} contradicts the header named in --signature ({})",
            name(asked),
            name(named)
        ))),
        (Some(scheme), _) | (None, Some(scheme)) => Ok(scheme),
        (None, None) => {
            let ed = keys.iter().any(|(_, k)| matches!(k, PublicKey::Ed25519(_)));
            let rsa = keys.iter().any(|(_, k)| matches!(k, PublicKey::Rsa(_)));
            match (ed, rsa) {
                (true, true) => Err(CliError::Usage(
                    "Ed25519 and RSA keys were given: say which signature this is with --scheme ed25519 or --scheme rsa".into(),
                )),
                (false, true) => Ok(VerifyScheme::Rsa),
                _ => Ok(VerifyScheme::Ed25519),
            }
        }
    }
}

/// A verifier trusting the keys, each of which must be of the scheme's kind.
fn verifier(scheme: VerifyScheme, keys: Vec<(PathBuf, PublicKey)>) -> Result<Verifier, CliError> {
    let mut verifier = Verifier::empty();
    for (path, key) in keys {
        verifier = match (scheme, key) {
            (VerifyScheme::Ed25519, PublicKey::Ed25519(key)) => verifier.with_key(key),
            (VerifyScheme::Rsa, PublicKey::Rsa(key)) => verifier.with_rsa_key(key),
            (scheme, key) => {
                let kind = match key {
                    PublicKey::Ed25519(_) => "an Ed25519",
                    PublicKey::Rsa(_) => "an RSA",
                };
                return Err(CliError::Usage(format!(
                    "`{}` is {kind} key, but the signature is {}",
                    path.display(),
                    name(scheme)
                )));
            }
        };
    }
    Ok(verifier)
}

fn check(
    verifier: &Verifier,
    scheme: VerifyScheme,
    signature: &str,
    body: &[u8],
) -> Result<VerifiedBy, SignatureError> {
    let header = match scheme {
        VerifyScheme::Ed25519 => "X-GHL-Signature",
        VerifyScheme::Rsa => "X-WH-Signature",
    };
    // A value that cannot even be a header value is not base64 either.
    let value =
        HeaderValue::from_str(signature).map_err(|_| SignatureError::MalformedBase64 { header })?;
    match scheme {
        VerifyScheme::Ed25519 => verifier.verify_ed25519(&value, body),
        VerifyScheme::Rsa => verifier.verify_rsa(&value, body),
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
            (Some(VerifyScheme::Ed25519), "abc=")
        );
        assert_eq!(
            parse_signature("x-wh-signature:abc").expect("line"),
            (Some(VerifyScheme::Rsa), "abc")
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
            VerifyScheme::Ed25519
        );
        assert_eq!(
            resolve(None, None, std::slice::from_ref(&rsa)).expect("ok"),
            VerifyScheme::Rsa
        );
        assert!(resolve(None, None, &[ed.clone(), rsa.clone()]).is_err());
        assert_eq!(
            resolve(None, Some(VerifyScheme::Rsa), &[ed.clone(), rsa.clone()]).expect("ok"),
            VerifyScheme::Rsa
        );
        assert!(resolve(Some(VerifyScheme::Ed25519), Some(VerifyScheme::Rsa), &[]).is_err());
        assert!(verifier(VerifyScheme::Ed25519, vec![ed, rsa]).is_err());
    }
}
