#![doc = include_str!("../README.md")]
//!
//! # The API at a glance
//!
//! Every item has exactly one public path: the crate root, except batch verification
//! ([`batch`]), the journal engines ([`journal`]), the ready-made server ([`serve`]) and the
//! names of the recorded metrics ([`metrics`]).
//!
//! | step of a delivery | items |
//! |---|---|
//! | build the router, mount the service | [`WebhookRouter`], [`WebhookService`] |
//! | verify `X-GHL-Signature` over the exact bytes | [`Verifier`], [`Ed25519Key`], [`SignatureError`], [`VerifiedBy`]; in batches: [`batch`] |
//! | identify the kind (route binding, then `type`) | [`IdentifiedBy`], [`WebhookRouter::bind_by_path`](WebhookService::bind_by_path) |
//! | deduplicate on `webhookId` | [`IdempotencyStore`], [`InMemoryStore`], `RedisStore` (feature `redis`), [`OnStoreError`] |
//! | run the typed handler | [`Handler`], [`Delivery`], [`UnknownEvent`], [`HandlerResult`] |
//! | answer | [`Outcome`], [`StatusPolicy`], [`Answer`] |
//! | durable mode: journal, workers | [`DurableConfig`], [`Workers`], [`journal`]; on Postgres, [`WebhookRouter::on_in_transaction`] (feature `postgres`) |
//! | run it in production: metrics, health, HighLevel's view | [`metrics`] (feature `metrics`), [`HealthService`], [`HealthConfig`], [`HealthReport`], [`SuccessRate`] |
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

// The way of one delivery, in order: `body` → `verify` → `identify` → `dedupe` → `dispatch`
// → `outcome` → `response`; `pipeline` runs them, `service` is the hyper/tower shell around
// it, `router` the builder. Durable mode: `durable` appends to a `journal`, its workers run
// `dispatch`. Beside the way: `vitals` (in flight, `success_rate`) and `metrics` record it,
// `health` reports it.
pub mod batch;
mod body;
mod dedupe;
mod delivery;
mod dispatch;
mod durable;
mod fixed_key;
// The fuzz targets' way into steps that are not public (feature `fuzzing`, not for users).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod guide;
mod handler;
mod health;
mod identify;
#[cfg(feature = "postgres")]
mod in_transaction;
pub mod journal;
mod keys;
pub mod metrics;
mod names;
mod outcome;
mod pipeline;
#[cfg(feature = "redis")]
mod redis_connection;
mod response;
mod router;
#[cfg(feature = "server")]
pub mod serve;
mod service;
mod success_rate;
mod verify;
mod vitals;

pub use ghl_webhook_types as types;

pub use dedupe::{Claim, IdempotencyStore, InMemoryStore, OnStoreError, StoreError};
#[cfg(feature = "redis")]
pub use dedupe::{RedisStore, RedisStoreConfig};
pub use delivery::Delivery;
pub use durable::{DurableConfig, OrderKey, RetryAt, Workers};
pub use ghl_webhook_types::UnknownEvent;
pub use handler::{Handler, HandlerResult, IntoHandlerResult};
pub use health::{DedupeHealth, HealthConfig, HealthReport, HealthService, JournalHealth};
pub use identify::IdentifiedBy;
#[cfg(feature = "legacy-rsa")]
pub use keys::RsaKey;
pub use keys::{Ed25519Key, HIGHLEVEL_ED25519_PEM, HIGHLEVEL_RSA_PEM, KeyError};
pub use names::UnknownName;
pub use outcome::{Outcome, StatusPolicy};
pub use response::{Answer, ResponseBody};
pub use router::{
    DEFAULT_BODY_LIMIT, DEFAULT_BODY_TIMEOUT, DEFAULT_HANDLER_TIMEOUT, WebhookRouter,
};
pub use service::WebhookService;
pub use success_rate::{
    BREAKER_MIN_DELIVERIES, BREAKER_MIN_RATIO, DEFAULT_SUCCESS_WINDOW, SuccessRate, breaker_flags,
};
pub use verify::{LEGACY_SIGNATURE_HEADER, SIGNATURE_HEADER, SignatureError, VerifiedBy, Verifier};

/// A boxed error, as handlers and bodies may return.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
