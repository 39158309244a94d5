//! Test tools for HighLevel webhooks.
//!
//! - [`MockSender`]: plays HighLevel over real HTTP: adds the envelope, signs exactly the bytes
//!   it sends, POSTs, retries like HighLevel; knobs for every bad delivery.
//! - [`TestKeys`]: fixed Ed25519 test key pairs (**test-only**: the private keys are public),
//!   or a key you bring ([`TestKeys::from_private_key_pem`]); with `legacy-rsa`,
//!   [`rsa_keys::RsaSigner`] likewise for the RSA scheme.
//! - [`strategies`]: proptest strategies of valid payloads, one per event, and `any_event()`.
//! - [`signed_by`]: a wiremock matcher accepting only validly signed requests.
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod keys;
mod matcher;
mod retry;
mod sender;
pub mod strategies;

#[cfg(feature = "legacy-rsa")]
pub use keys::rsa_keys;
pub use keys::{ED25519_OTHER_TEST_SEED, ED25519_TEST_SEED, PrivateKeyError, TestKeys};
pub use matcher::{SignedBy, signed_by};
pub use retry::{RetryOn, RetryPolicy};
pub use sender::{
    MockSender, Outgoing, Scheme, SendError, Sent, SignatureHeaders, TEST_APP_ID, TEST_VERSION_ID,
};
