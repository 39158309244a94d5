//! `sign --key PRIVATE_PEM`: the signature header line(s) of the body on stdin.

use std::process::ExitCode;

use crate::cli::SignArgs;
use crate::commands::{read_stdin, resolve_scheme};
use crate::error::CliError;
use crate::keyfile::load_signing_keys;
use crate::output;

/// Runs `sign`: prints `X-GHL-Signature: ...` and/or `X-WH-Signature: ...`.
pub(crate) fn run(args: SignArgs) -> Result<ExitCode, CliError> {
    let keys = load_signing_keys(&args.keys)?;
    let scheme = resolve_scheme(args.scheme, &keys)?;
    let body = read_stdin("sign")?;
    let (ed25519, rsa) = scheme.headers();
    // `resolve_scheme` guarantees a key for each header the scheme signs.
    if ed25519 && let Some(key) = &keys.ed25519 {
        output::line(format!("X-GHL-Signature: {}", key.sign(&body)))?;
    }
    if rsa && let Some(key) = &keys.rsa {
        output::line(format!("X-WH-Signature: {}", key.sign(&body)))?;
    }
    Ok(ExitCode::SUCCESS)
}
