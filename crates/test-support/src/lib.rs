//! Test tools for HighLevel webhooks.
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
//! - [`fixtures`]: a realistic payload per event; [`json_set`]: `PATH=VALUE` overrides.
//!
//! # Features
//!
//! All on by default, so a `[dev-dependencies]` line gets everything. A tool that only signs
//! and sends (like the `ghl-webhook` CLI) can take `default-features = false` and the features
//! it uses, and build none of proptest or wiremock.
//!
//! | feature | gives | costs to build |
//! |---|---|---|
//! | `legacy-rsa` | [`rsa_keys`], RSA signing in [`MockSender`] (`X-WH-Signature`), the router's `legacy-rsa` | `rsa` and 14 more crates (`num-bigint-dig`, `rand` 0.8, `pkcs1`, ...); `rsa` and `num-bigint-dig` are optimised even in dev builds |
//! | `strategies` | the [`strategies`] module | `proptest` and 9 more crates (`rand`, `regex-syntax`, ...): small |
//! | `wiremock` | [`signed_by`] and [`SignedBy`] | `wiremock` and 48 more crates (`h2`, `regex`, `url` with its ICU tables, `futures`, `deadpool`): the largest by far |
//! | `simulator` | the [`simulator`] module | hyper's server side and tokio's `net` and `sync`: no new crates |
//!
//! (Crate counts are those this crate adds with the feature, beyond what it needs anyway.)
//! Without a feature its items are absent; on docs.rs each is marked with the feature it
//! needs.
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

pub mod fixtures;
pub mod json_set;
mod keys;
#[cfg(feature = "wiremock")]
mod matcher;
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
