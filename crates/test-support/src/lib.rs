#![doc = include_str!("../README.md")]
//!
//! # The API at a glance
//!
//! - [`MockSender`]: plays HighLevel over real HTTP: adds the envelope, signs exactly the bytes
//!   it sends, POSTs, retries like HighLevel; knobs for every bad delivery.
//! - [`TestKeys`]: fixed Ed25519 test key pairs (**test-only**: the private keys are public),
//!   or a key you bring ([`TestKeys::from_private_key_pem`]); with `legacy-rsa`,
//!   [`rsa_keys::RsaSigner`] likewise for the RSA scheme.
//! - [`strategies`]: proptest strategies of valid payloads, one per event, and `any_event()`.
//! - [`signed_by`]: a wiremock matcher accepting only validly signed requests.
//! - [`simulator`]: a mock HighLevel over time: subscriptions and per-event URLs, HighLevel's
//!   retry policies at a time scale, a delivery log with Resend, the circuit breaker, a JSON
//!   control API with a dashboard, and scenario runs with a verdict.
//! - [`json_set`]: `PATH=VALUE` overrides of a JSON payload.
//! - [`fetch`]: plain requests to an app's other routes (health probes, `/metrics`).
//! - [`prometheus`]: the Prometheus text format read back, to assert on an app's `/metrics`.
//! - [`postgres`]: a throwaway PostgreSQL cluster on loopback, for tests of the Postgres journal.
// The docs above link to every feature's items; without a feature those links have no target
// (the full docs, built with every feature, are checked for broken links).
#![cfg_attr(
    not(all(
        feature = "legacy-rsa",
        feature = "strategies",
        feature = "wiremock",
        feature = "simulator"
    )),
    allow(rustdoc::broken_intra_doc_links)
)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod fetch;
pub mod json_set;
mod keys;
#[cfg(feature = "wiremock")]
mod matcher;
pub mod postgres;
pub mod prometheus;
#[cfg(unix)]
mod read_only;
mod retry;
mod sender;
#[cfg(feature = "simulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "simulator")))]
pub mod simulator;
#[cfg(feature = "strategies")]
#[cfg_attr(docsrs, doc(cfg(feature = "strategies")))]
pub mod strategies;

#[cfg(feature = "legacy-rsa")]
#[cfg_attr(docsrs, doc(cfg(feature = "legacy-rsa")))]
pub use keys::rsa_keys;
pub use keys::{ED25519_OTHER_TEST_SEED, ED25519_TEST_SEED, PrivateKeyError, TestKeys};
#[cfg(feature = "wiremock")]
#[cfg_attr(docsrs, doc(cfg(feature = "wiremock")))]
pub use matcher::{SignedBy, signed_by};
#[cfg(unix)]
pub use read_only::{ReadOnly, make_read_only};
pub use retry::{RetryOn, RetryPolicy};
pub use sender::{
    MockSender, Outgoing, Scheme, SendError, Sent, SignatureHeaders, TEST_APP_ID, TEST_VERSION_ID,
};
