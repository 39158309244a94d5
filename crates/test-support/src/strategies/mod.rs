//! proptest strategies producing payloads that are valid by HighLevel's docs.
//!
//! One strategy per event (in one module per family, mirroring the types crate), each giving
//! optional fields both present and absent, strings with escapes and non-ASCII text, and open
//! string sets with both documented and unknown values. Each event type implements
//! [`EventStrategy`] (`ContactCreate::strategy()`); [`event_of`] gives the strategy of one
//! kind as an [`Event`], [`any_event`] a mix of every kind. The value strategies the families
//! share (identifiers, timestamps, amounts, ...) are at the top level of this module.
//!
//! Needs the `strategies` feature (on by default).
//!
//! `event_of` is expanded from the catalogue of the types crate, so an event type without an
//! `EventStrategy` impl is a compile error of this crate, not a panic in someone's test.
//!
//! ```
//! use ghl_webhook_test_support::strategies::{EventStrategy, any_event, event_of};
//! use ghl_webhook_types::{EventKind, association::AssociationDelete};
//! use proptest::prelude::*;
//!
//! proptest!(|(event in AssociationDelete::strategy())| {
//!     prop_assert!(!event.id.is_empty());
//! });
//! proptest!(|(event in event_of(EventKind::ContactCreate))| {
//!     prop_assert_eq!(event.kind(), Some(EventKind::ContactCreate));
//! });
//! proptest!(|(event in any_event())| {
//!     prop_assert!(event.kind().is_some());
//! });
//! ```

use ghl_webhook_types::{Event, EventKind, UnknownEvent, WebhookEvent};
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};

/// The proptest strategy of an event type: payloads valid by HighLevel's docs.
///
/// Implemented for every event type of the catalogue, in the module of its family.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no proptest strategy",
    note = "every event type of the catalogue needs `impl EventStrategy for {Self}` in its family module of `crates/test-support/src/strategies`"
)]
pub trait EventStrategy: WebhookEvent {
    /// Values of this event type, optional fields both present and absent.
    fn strategy() -> BoxedStrategy<Self>;
}

/// Implements [`EventStrategy`] for event types, each from the expression building its
/// strategy: `event_strategies! { NoteCreate => note_create(), ... }`.
macro_rules! event_strategies {
    ($( $ty:ty => $strategy:expr ),+ $(,)?) => {
        $(
            impl $crate::strategies::EventStrategy for $ty {
                fn strategy() -> ::proptest::strategy::BoxedStrategy<Self> {
                    ::proptest::strategy::Strategy::boxed($strategy)
                }
            }
        )+
    };
}

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

mod common;
pub use common::{
    amount, country_code, currency, custom_object_key, date, domain, email, envelope, file_url,
    free_text, hundredths, id, ip_address, json_object, json_value, open_value, phone, postal_code,
    short_id, timestamp, timestamp_with_offset, url, uuid,
};

/// Defines [`event_of`] from the catalogue's lines: one arm per kind, each the
/// [`EventStrategy`] of the kind's type.
macro_rules! strategy_table {
    ($types:tt; $( $kind:ident => $module:ident :: $ty:ident, [$($alias:literal),*], $by:ident; )+) => {
        /// The strategy of one kind, as an [`Event`].
        pub fn event_of(kind: EventKind) -> BoxedStrategy<Event> {
            match kind {
                $(
                    EventKind::$kind => <$types::$module::$ty as EventStrategy>::strategy()
                        .prop_map(Event::$kind)
                        .boxed(),
                )+
                // `EventKind` is non-exhaustive; this crate pins the exact version of the
                // types crate, whose catalogue lists every kind above. Should a kind ever
                // arrive without a strategy, it is an unknown event of that name.
                _ => Just(Event::Unknown(UnknownEvent::new(
                    Some(kind.as_str().to_owned()),
                    format!("{{\"type\":\"{kind}\"}}"),
                )))
                .boxed(),
            }
        }
    };
}
ghl_webhook_types::with_catalogue!(strategy_table);

/// Any event of any kind, every kind equally likely.
pub fn any_event() -> impl Strategy<Value = Event> {
    Union::new(EventKind::ALL.iter().map(|&kind| event_of(kind)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::test_runner::TestRunner;

    /// 64 generated values per kind survive serialize (the flat struct, as HighLevel sends
    /// it) → decode unchanged: what MockSender and the router rely on.
    #[test]
    fn every_kind_round_trips_through_its_flat_json() {
        let mut runner = TestRunner::deterministic();
        for &kind in EventKind::ALL {
            let strategy = event_of(kind);
            for _ in 0..64 {
                let value = strategy.new_tree(&mut runner).expect("generates").current();
                let tagged = serde_json::to_value(&value).expect("serializes");
                let body = serde_json::to_vec(&tagged["event"]).expect("serializes");
                let decoded = Event::decode(kind, &body).unwrap_or_else(|e| {
                    panic!(
                        "{kind} does not decode: {e}\n{}",
                        String::from_utf8_lossy(&body)
                    )
                });
                assert_eq!(decoded, value, "{kind} changed in a round trip");
            }
        }
    }

    #[test]
    fn every_kind_has_a_strategy_that_produces_that_kind() {
        let mut runner = TestRunner::deterministic();
        for &kind in EventKind::ALL {
            let value = event_of(kind)
                .new_tree(&mut runner)
                .expect("strategy generates")
                .current();
            assert_eq!(value.kind(), Some(kind));
        }
    }
}
