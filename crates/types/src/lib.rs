#![doc = include_str!("../README.md")]
//!
//! # The API at a glance
//!
//! - [`EventKind`]: every documented event, its `type` value(s) and whether it needs a route
//!   binding (the table is on [`EventKind`]).
//! - [`Event`]: a decoded delivery, one variant per kind plus `Unknown`.
//! - [`WebhookEvent`]: implemented by each event struct; `T::decode(bytes)` decodes straight
//!   from the body into `T`, with the JSON path in the error ([`DecodeError`]).
//! - [`Probe`]: the one-pass read of the [`Envelope`] and `type` that identification needs.
//! - [`fixtures`]: HighLevel's example payloads.
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod catalogue;
mod envelope;
mod event;
pub mod lenient;
mod open_enum;
use open_enum::open_enum;
mod shape;

pub mod fixtures;

// One module per event family; the catalogue (`catalogue.rs`) ties their event types to kinds.
pub mod app;
pub mod appointment;
pub mod association;
pub mod campaign;
pub mod contact;
pub mod conversation;
pub mod email_stats;
pub mod invoice;
pub mod knowledge_base;
pub mod location;
pub mod message;
pub mod note;
pub mod object_schema;
pub mod opportunity;
pub mod order;
pub mod price;
pub mod product;
pub mod record;
pub mod relation;
pub mod support_ticket;
pub mod task;
pub mod user;
pub mod voice_ai;

pub use catalogue::{Event, EventKind, UnknownEventName, VisitEventTypes, visit_event_types};
pub use envelope::{Envelope, Probe, ProbeError};
pub use event::{DecodeError, WebhookEvent};

#[doc(hidden)]
pub mod __private {
    pub use serde;
}
