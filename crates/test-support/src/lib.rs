#![doc = include_str!("../README.md")]
//!
//! # The API at a glance
//!
//! - [`MockSender`], [`TestKeys`], [`RetryPolicy`], [`simulator`]: HighLevel's sending side,
//!   from [`ghl_webhook_sim`] (re-exported whole).
//! - [`strategies`]: proptest strategies of valid payloads, one per event, and `any_event()`.
//! - [`signed_by`]: a wiremock matcher accepting only validly signed requests.
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
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

#[cfg(feature = "wiremock")]
mod matcher;
#[cfg(feature = "strategies")]
#[cfg_attr(docsrs, doc(cfg(feature = "strategies")))]
pub mod strategies;

#[doc(no_inline)]
pub use ghl_webhook_sim::*;
#[cfg(feature = "wiremock")]
#[cfg_attr(docsrs, doc(cfg(feature = "wiremock")))]
pub use matcher::{SignedBy, signed_by};
