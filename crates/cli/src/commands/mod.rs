//! One module per subcommand, plus what several of them share.

pub(crate) mod gateway;
pub(crate) mod journal;
pub(crate) mod keys;
pub(crate) mod list;
pub(crate) mod listen;
pub(crate) mod sign;
pub(crate) mod simulate;
pub(crate) mod trigger;
pub(crate) mod verify;

use std::io::Read as _;

use ghl_webhook_types::EventKind;

use crate::cli::Scheme;
use crate::error::CliError;
use crate::keyfile::SigningKeys;

/// A single-threaded tokio runtime: one delivery or one local server at a time is plenty.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| CliError::Io {
            what: "cannot start the async runtime",
            source,
        })
}

/// Reads all of stdin, exactly; empty input is an error (it is almost always a missing pipe).
pub(crate) fn read_stdin(command: &'static str) -> Result<Vec<u8>, CliError> {
    let mut body = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut body)
        .map_err(CliError::Stdin)?;
    if body.is_empty() {
        return Err(CliError::EmptyStdin(command));
    }
    Ok(body)
}

/// The kind named `name`, or an error that suggests the right name.
pub(crate) fn parse_event(name: &str) -> Result<EventKind, CliError> {
    EventKind::from_name(name).ok_or_else(|| {
        let hint = EventKind::ALL
            .iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(name))
            .map(|k| format!(" (did you mean `{k}`?)"))
            .or_else(|| {
                EventKind::from_type_field(name)
                    .map(|k| format!(" (`{name}` is the `type` value of `{k}`: use `{k}`)"))
            })
            .unwrap_or_default();
        CliError::UnknownEvent {
            name: name.to_owned(),
            hint,
        }
    })
}

/// The scheme to sign with: the one asked for, else the one of the keys given (ed25519 when
/// none). When keys were given they must be exactly the ones the scheme signs with; when none
/// were, the test keys sign.
pub(crate) fn resolve_scheme(
    asked: Option<Scheme>,
    keys: &SigningKeys,
) -> Result<Scheme, CliError> {
    let (ed, rsa) = (keys.ed25519.is_some(), keys.rsa.is_some());
    let scheme = asked.unwrap_or(match (ed, rsa) {
        (false, true) => Scheme::Rsa,
        (true, true) => Scheme::Both,
        _ => Scheme::Ed25519,
    });
    if !ed && !rsa {
        return Ok(scheme);
    }
    let (need_ed, need_rsa) = scheme.headers();
    let problem = if need_ed && !ed {
        Some(format!(
            "--scheme {scheme} signs X-GHL-Signature: add an Ed25519 private key with --key"
        ))
    } else if need_rsa && !rsa {
        Some(format!(
            "--scheme {scheme} signs X-WH-Signature: add an RSA private key with --key"
        ))
    } else if ed && !need_ed {
        Some(format!(
            "an Ed25519 --key was given, but --scheme {scheme} sends no X-GHL-Signature"
        ))
    } else if rsa && !need_rsa {
        Some(format!(
            "an RSA --key was given, but --scheme {scheme} sends no X-WH-Signature"
        ))
    } else {
        None
    };
    match problem {
        Some(problem) => Err(CliError::Usage(problem)),
        None => Ok(scheme),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ghl_webhook_sim::TestKeys;
    use ghl_webhook_sim::rsa_keys::RsaSigner;

    fn keys(ed: bool, rsa: bool) -> SigningKeys {
        SigningKeys {
            ed25519: ed.then(TestKeys::primary),
            rsa: rsa.then(RsaSigner::test_key),
        }
    }

    #[test]
    fn the_scheme_defaults_to_the_keys_given() {
        let resolve = |ed, rsa| resolve_scheme(None, &keys(ed, rsa)).expect("resolves");
        assert_eq!(resolve(false, false), Scheme::Ed25519);
        assert_eq!(resolve(true, false), Scheme::Ed25519);
        assert_eq!(resolve(false, true), Scheme::Rsa);
        assert_eq!(resolve(true, true), Scheme::Both);
    }

    #[test]
    fn without_keys_any_scheme_uses_the_test_keys() {
        for scheme in [Scheme::Ed25519, Scheme::Rsa, Scheme::Both, Scheme::None] {
            assert_eq!(
                resolve_scheme(Some(scheme), &keys(false, false)).expect("ok"),
                scheme
            );
        }
    }

    #[test]
    fn given_keys_must_match_the_scheme() {
        let err = |scheme, ed, rsa| {
            resolve_scheme(Some(scheme), &keys(ed, rsa))
                .expect_err("mismatch")
                .to_string()
        };
        assert!(err(Scheme::Both, true, false).contains("RSA private key"));
        assert!(err(Scheme::Rsa, true, false).contains("RSA private key"));
        assert!(err(Scheme::Ed25519, false, true).contains("Ed25519 private key"));
        assert!(err(Scheme::None, true, false).contains("sends no X-GHL-Signature"));
        assert!(err(Scheme::Ed25519, true, true).contains("sends no X-WH-Signature"));
    }

    #[test]
    fn unknown_event_names_suggest_the_right_one() {
        assert_eq!(
            parse_event("ContactCreate").expect("known"),
            EventKind::ContactCreate
        );
        let hint = |name| parse_event(name).expect_err("unknown").to_string();
        assert!(hint("contactcreate").contains("did you mean `ContactCreate`"));
        assert!(hint("INSTALL").contains("`type` value of `AppInstall`"));
        assert!(hint("Nope").contains("`ghl-webhook list`"));
        assert!(hint("").contains("is not a HighLevel event name"));
    }
}
