//! Receive HighLevel (GoHighLevel / LeadConnector) webhooks: verified, deduplicated, typed.
//!
//! Register a typed async handler per event on a [`WebhookRouter`], turn it into a
//! [`WebhookService`] and mount that in the hyper or axum app you already have. Every delivery
//! then goes through the same steps, each in its own module:
//!
//! ## The way of one delivery
//!
//! | step | module | ends the delivery with |
//! |---|---|---|
//! | check the request is a JSON `POST`, read the body, bounded in size and time | [`body`] | 405, 415, 413, 408, 400 |
//! | verify `X-GHL-Signature` (Ed25519) over the exact bytes, failing closed | [`verify`] | 401 |
//! | probe the envelope and `type`, identify the kind (route binding, then `type`) | [`identify`] | 400 (not JSON) |
//! | claim the `webhookId` | [`dedupe`] | 200 duplicate, 503 in flight / store down |
//! | find the handler, decode the event, run it under a timeout and a panic guard | `dispatch` | 200, 500 |
//! | settle the claim by the outcome (complete, or release for HighLevel's retry) | [`dedupe`] | |
//! | answer the status of the [`Outcome`] under the [`StatusPolicy`] | [`outcome`], [`response`] | |
//!
//! `pipeline` runs the steps in that order; [`WebhookService`] is the hyper and tower shell
//! around it and [`WebhookRouter`] the builder that configures it. Dispatch knows no HTTP.
//!
//! In [durable mode](durable) ([`WebhookRouter::durable`]) the edge stops after identification:
//! the delivery is appended to a [`journal`] and answered 200 once durable; the service's
//! [`Workers`](durable::Workers) then lease entries and run the same dispatch step, settling
//! each entry (done, retried with backoff, or dead letter) by its [`Outcome`].
//!
//! ```no_run
//! use ghl_webhook_router::{Delivery, WebhookRouter};
//! use ghl_webhook_router::types::association::AssociationDelete;
//!
//! # async fn run() {
//! let service = WebhookRouter::new() // trusts HighLevel's published key
//!     .on(|event: AssociationDelete, delivery: Delivery| async move {
//!         println!("{} deleted (delivery {:?})", event.id, delivery.webhook_id());
//!     })
//!     .into_service();
//! // hyper: `http1::Builder::new().serve_connection(io, service.clone())`
//! // axum:  `Router::new().route_service("/webhooks/highlevel", service)`
//! # }
//! ```
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod body;
pub mod dedupe;
mod delivery;
mod dispatch;
pub mod durable;
pub mod handler;
pub mod identify;
pub mod journal;
pub mod keys;
pub mod outcome;
mod pipeline;
pub mod response;
mod router;
#[cfg(feature = "server")]
pub mod serve;
mod service;
pub mod verify;

pub use ghl_webhook_types as types;

pub use dedupe::{Claim, IdempotencyStore, InMemoryStore, OnStoreError, StoreError};
#[cfg(feature = "redis")]
pub use dedupe::{RedisStore, RedisStoreConfig};
pub use delivery::{Delivery, UnknownEvent};
pub use durable::DurableConfig;
pub use handler::{Handler, HandlerResult, IntoHandlerResult};
pub use identify::IdentifiedBy;
#[cfg(feature = "legacy-rsa")]
pub use keys::RsaKey;
pub use keys::{Ed25519Key, KeyError};
pub use outcome::{Outcome, StatusPolicy};
pub use response::{Answer, ResponseBody};
pub use router::{
    DEFAULT_BODY_LIMIT, DEFAULT_BODY_TIMEOUT, DEFAULT_HANDLER_TIMEOUT, WebhookRouter,
};
pub use service::WebhookService;
pub use verify::{LEGACY_SIGNATURE_HEADER, SIGNATURE_HEADER, SignatureError, VerifiedBy, Verifier};

/// A boxed error, as handlers and bodies may return.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The examples of the repository's README, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
