#![doc = include_str!("../README.md")]
//!
//! # The API at a glance
//!
//! - [`MockSender`]: plays HighLevel over real HTTP: adds the envelope, signs exactly the bytes
//!   it sends, POSTs, retries like HighLevel; knobs for every bad delivery.
//! - [`TestKeys`]: fixed Ed25519 test key pairs (**test-only**: the private keys are public),
//!   or a key you bring ([`TestKeys::from_private_key_pem`]); with `legacy-rsa`,
//!   [`rsa_keys::RsaSigner`] likewise for the RSA scheme.
//! - [`RetryPolicy`]: HighLevel's retry policies (which statuses it retries, how long it waits).
//! - [`simulator`]: a mock HighLevel over time: subscriptions and per-event URLs, HighLevel's
//!   retry policies at a time scale, a delivery log with Resend, the circuit breaker, a JSON
//!   control API with a dashboard, and scenario runs with a verdict.
//! - [`payload`]: the payload HighLevel would send for an event (fixture or your own, overrides,
//!   envelope); [`json_set`]: the `PATH=VALUE` overrides.
// The docs above link to every feature's items; without a feature those links have no target
// (the full docs, built with every feature, are checked for broken links).
#![cfg_attr(
    not(all(feature = "legacy-rsa", feature = "simulator")),
    allow(rustdoc::broken_intra_doc_links)
)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod json_set;
mod keys;
pub mod payload;
mod retry;
mod sender;
#[cfg(feature = "simulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "simulator")))]
pub mod simulator;

#[cfg(feature = "legacy-rsa")]
#[cfg_attr(docsrs, doc(cfg(feature = "legacy-rsa")))]
pub use keys::rsa_keys;
pub use keys::{ED25519_OTHER_TEST_SEED, ED25519_TEST_SEED, PrivateKeyError, TestKeys};
pub use retry::{RetryOn, RetryPolicy};
pub use sender::{
    MockSender, Outgoing, Scheme, SendError, Sent, SignatureHeaders, TEST_APP_ID, TEST_VERSION_ID,
};
