//! A wiremock matcher that accepts a request only if its `X-GHL-Signature` verifies.
//!
//! For users testing their own forwarders or relays: mount a wiremock server with
//! `Mock::given(signed_by(TestKeys::primary().verifier()))` and anything your code forwards
//! unsigned, re-serialized or altered does not match.

use ghl_webhook_router::Verifier;
use wiremock::{Match, Request};

/// Matches requests whose signature verifies over their exact body with the given keys.
///
/// Needs the `wiremock` feature (on by default).
#[derive(Debug, Clone)]
pub struct SignedBy {
    verifier: Verifier,
}

/// A matcher accepting only requests validly signed for `verifier`.
///
/// Needs the `wiremock` feature (on by default).
pub fn signed_by(verifier: Verifier) -> SignedBy {
    SignedBy { verifier }
}

impl Match for SignedBy {
    fn matches(&self, request: &Request) -> bool {
        self.verifier
            .verify(&request.headers, &request.body)
            .is_ok()
    }
}
