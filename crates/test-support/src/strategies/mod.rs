//! proptest strategies producing payloads that are valid by HighLevel's docs.
//!
//! One strategy per event (in one module per family, mirroring the types crate), each giving
//! optional fields both present and absent, strings with escapes and non-ASCII text, and open
//! string sets with both documented and unknown values. [`event_of`] gives the strategy of one
//! kind as an [`Event`], [`any_event`] a mix of every kind.

use ghl_webhook_types::{Event, EventKind};
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};

pub mod association;

// Family group A: app, location, user, campaign, email_stats
pub mod app;
pub mod campaign;
pub mod email_stats;
pub mod location;
pub mod user;

// Family group B: contact, conversation, message, note, task
pub mod contact;
pub mod conversation;
pub mod message;
pub mod note;
pub mod task;

// Family group C: invoice, order, product, price, opportunity
pub mod invoice;
pub mod opportunity;
pub mod order;
pub mod price;
pub mod product;

// Family group D: appointment, knowledge_base, object_schema, record, relation, support_ticket, voice_ai
pub mod appointment;
pub mod knowledge_base;
pub mod object_schema;
pub mod record;
pub mod relation;
pub mod support_ticket;
pub mod voice_ai;

mod common;
pub use common::{envelope, free_text, id, open_value};

/// The strategy of one kind, as an [`Event`].
///
/// # Panics
/// If a kind of the catalogue has no strategy: a bug of this crate, caught by its tests.
pub fn event_of(kind: EventKind) -> BoxedStrategy<Event> {
    let found = None
        .or_else(|| association::event_of(kind))
        // Family group A
        .or_else(|| app::event_of(kind))
        .or_else(|| campaign::event_of(kind))
        .or_else(|| email_stats::event_of(kind))
        .or_else(|| location::event_of(kind))
        .or_else(|| user::event_of(kind))
        // Family group B
        .or_else(|| contact::event_of(kind))
        .or_else(|| conversation::event_of(kind))
        .or_else(|| message::event_of(kind))
        .or_else(|| note::event_of(kind))
        .or_else(|| task::event_of(kind))
        // Family group C
        .or_else(|| invoice::event_of(kind))
        .or_else(|| opportunity::event_of(kind))
        .or_else(|| order::event_of(kind))
        .or_else(|| price::event_of(kind))
        .or_else(|| product::event_of(kind))
        // Family group D
        .or_else(|| appointment::event_of(kind))
        .or_else(|| knowledge_base::event_of(kind))
        .or_else(|| object_schema::event_of(kind))
        .or_else(|| record::event_of(kind))
        .or_else(|| relation::event_of(kind))
        .or_else(|| support_ticket::event_of(kind))
        .or_else(|| voice_ai::event_of(kind));
    match found {
        Some(strategy) => strategy,
        None => panic!("no proptest strategy for {kind}: add it to its family module"),
    }
}

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
