//! `keys`: HighLevel's published public keys and the TEST-ONLY test public keys, PEM.

use std::process::ExitCode;

use ghl_webhook_router::{HIGHLEVEL_ED25519_PEM, HIGHLEVEL_RSA_PEM};
use ghl_webhook_sim::TestKeys;
use ghl_webhook_sim::rsa_keys::RSA_TEST_PUBLIC_PEM;

use crate::error::CliError;
use crate::output;

/// The keys `keys` prints: a label (comment lines) and the PEM.
pub(crate) fn entries() -> Vec<(&'static str, String)> {
    vec![
        (
            "# HighLevel's published Ed25519 key: X-GHL-Signature (what HighLevel signs with today).\n\
             # `listen` trusts it by default.",
            HIGHLEVEL_ED25519_PEM.to_owned(),
        ),
        (
            "# HighLevel's published legacy RSA-4096 key: X-WH-Signature (deprecated 2026-09-01;\n\
             # old deliveries and resends still carry it). `listen` trusts it by default.",
            HIGHLEVEL_RSA_PEM.to_owned(),
        ),
        (
            "# TEST-ONLY Ed25519 test key: `trigger` and MockSender sign with it by default;\n\
             # `listen --test-keys` trusts it. Its private key is public: NEVER trust it in production.",
            TestKeys::primary().public_key_pem(),
        ),
        (
            "# TEST-ONLY RSA-4096 test key (X-WH-Signature): `trigger --scheme rsa` signs with it by\n\
             # default; `listen --test-keys` trusts it. Its private key is public: NEVER trust it in production.",
            RSA_TEST_PUBLIC_PEM.to_owned(),
        ),
    ]
}

/// Runs `keys`.
pub(crate) fn run() -> Result<ExitCode, CliError> {
    let entries = entries();
    let count = entries.len();
    for (i, (label, pem)) in entries.into_iter().enumerate() {
        output::line(label)?;
        output::line(pem.trim_end())?;
        if i + 1 < count {
            output::line("")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
