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
//!
//! # Drift: what decoding absorbs, and what is an error
//!
//! HighLevel's payloads drift from its docs: fields appear without notice, values it has not
//! got arrive as `null` or not at all, doc versions disagree on a value's shape. Every event
//! type absorbs, at every depth (top level, nested and settings objects, list entries, map
//! entries):
//!
//! - **unknown keys**, holding any JSON: ignored by the typed structs; kept verbatim inside
//!   the fields that hold raw JSON (`serde_json::Value`: custom field values, attachments,
//!   ...); kept as entries of the maps keyed by an open set (`dndSettings`) when their value is
//!   an object;
//! - **`null` or absent** for every field but the required ones: `None`, or an empty list;
//! - **map entries that are not objects** (`"dndSettings": {"RCS": null}`, `"RCS": "on"`):
//!   skipped, as if the key were absent ([`lenient::object_entries`]);
//! - **unknown values of open string sets** (statuses, channels, ...): `Other(String)`,
//!   verbatim;
//! - the **documented alternatives** of a value: a number or a numeric string
//!   ([`lenient::Number`]), a string or a list of strings ([`lenient::OneOrMany`]); a message's
//!   `from`/`to` sent as an object reads as `None`.
//!
//! A [`DecodeError`], whose `path` is the JSON path that failed (`dndSettings.SMS.status`),
//! comes of:
//!
//! - a **required field** missing or `null`: the identifier of the event's subject, listed per
//!   kind by [`EventKind::required_fields`] (`id` for most kinds, `_id` for invoices, orders,
//!   prices and products, `appId` for app events, `appointment.id` and `webhookPayload.id`
//!   where the subject is nested, ...). A `null` one fails at its own path, a missing one at
//!   its parent's (`.` at the top level) with ``missing field `id` ``;
//! - a known field holding **another type** than documented (a number where a string is
//!   documented, a numeric string that is not a number, a list where a map is): guessing would
//!   hand the handler a wrong value;
//! - a body that is **not JSON**, or has bytes after the value (path `.`).
//!
//! These rules are a property test over all 77 kinds (test-support's `tests/drift`): unknown
//! keys with any JSON inserted into every object of the fixtures and of generated payloads,
//! members nulled and dropped; decoding succeeds, every known field keeps its value, and only
//! the required fields fail, at their paths.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod catalogue;
mod envelope;
mod event;
pub mod lenient;
mod open_enum;
use open_enum::open_enum;
mod required;
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

pub use catalogue::{
    Event, EventKind, UnknownEvent, UnknownEventName, VisitEventTypes, visit_event_types,
};
pub use envelope::{Envelope, Probe, ProbeError};
pub use event::{DecodeError, WebhookEvent};

#[doc(hidden)]
pub mod __private {
    pub use serde;
}
