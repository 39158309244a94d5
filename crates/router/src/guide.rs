//! Guides: how to mount the service, deploy it, test it, run it durably and operate it. Each
//! guide is a page of its own; their examples are compiled and run as doctests.

#[doc = include_str!("../guide/mounting.md")]
pub mod mounting {}

#[doc = include_str!("../guide/events.md")]
pub mod events {}

#[doc = include_str!("../guide/testing.md")]
pub mod testing {}

#[doc = include_str!("../guide/deploy.md")]
pub mod deploy {}

#[doc = include_str!("../guide/statuses.md")]
pub mod statuses {}

#[cfg(all(feature = "sqlite", feature = "redis", feature = "postgres"))]
#[cfg_attr(
    docsrs,
    doc(cfg(all(feature = "sqlite", feature = "redis", feature = "postgres")))
)]
#[doc = include_str!("../guide/durable.md")]
pub mod durable {}

#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
#[doc = include_str!("../guide/production.md")]
pub mod production {}

#[doc = include_str!("../guide/stability.md")]
pub mod stability {}
