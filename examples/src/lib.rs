//! The apps behind the runnable examples, as a library so that `tests/` can test them the way
//! a user tests their own app: start it on a loopback port and send it signed deliveries with
//! `MockSender`.
//!
//! - [`hyper_app`]: an existing hyper 1.x app with its own routes and the webhook router
//!   mounted at `/webhooks/highlevel`.
//! - [`axum_app`]: the same in axum, with `Router::route_service`.
//! - [`handlers`]: the webhook handlers both apps share.
//! - [`observability`]: `GET /metrics` (Prometheus), `GET /livez`, `GET /readyz`, JSON logs.

pub mod axum_app;
pub mod handlers;
pub mod hyper_app;
pub mod observability;

/// The examples of the repository's README, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
