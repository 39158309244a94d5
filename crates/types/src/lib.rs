//! Typed serde models of HighLevel (GoHighLevel / LeadConnector) webhook events.
//!
//! No I/O and no HTTP: this crate turns the bytes of a delivery into a typed event and back.
//! The `ghl-webhook-router` crate re-exports it and does the verifying and dispatching.
//!
//! - [`EventKind`]: every documented event, its `type` value(s) and whether it needs a route
//!   binding (the table is on [`EventKind`]).
//! - [`Event`]: a decoded delivery, one variant per kind plus `Unknown`.
//! - [`WebhookEvent`]: implemented by each event struct; `T::decode(bytes)` decodes straight
//!   from the body into `T`, with the JSON path in the error.
//! - [`Probe`]: the one-pass read of the [`Envelope`] and `type` that identification needs.
//!
//! Decoding is lenient where HighLevel drifts from its docs (absent and `null` are the same,
//! unknown fields are ignored, open string sets fall back to `Other(String)`) and strict where
//! it matters (the identifier of the subject is required).
//!
//! ```
//! use ghl_webhook_types::{EventKind, WebhookEvent, association::AssociationDelete};
//!
//! let body = br#"{"id":"67ade73d1119d2ac7ad0c475","key":"buyer_property_interest","extra":1}"#;
//! let event = AssociationDelete::decode(body)?;
//! assert_eq!(event.id, "67ade73d1119d2ac7ad0c475");
//! assert_eq!(AssociationDelete::KIND, EventKind::AssociationDelete);
//! # Ok::<(), ghl_webhook_types::DecodeError>(())
//! ```
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod catalogue;
mod envelope;
mod event;
pub mod lenient;
mod open_enum;
mod required;
mod shape;

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
