//! Strategies for the Relation events.

use ghl_webhook_types::relation::{Relation, RelationCreate, RelationDelete};
use ghl_webhook_types::{Event, EventKind};
use proptest::option::of;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::common::id;

/// The body shared by RelationCreate and RelationDelete.
pub fn relation() -> impl Strategy<Value = Relation> {
    let object_key = "(contact|business|custom_objects\\.[a-z_]{1,16})";
    (
        id(),
        (of(object_key), of(id())),
        (of(object_key), of(id())),
        of(id()),
        of(id()),
    )
        .prop_map(
            |(
                id,
                (first_object_key, first_record_id),
                (second_object_key, second_record_id),
                association_id,
                location_id,
            )| Relation {
                id,
                first_object_key,
                first_record_id,
                second_object_key,
                second_record_id,
                association_id,
                location_id,
            },
        )
}

/// A RelationCreate.
pub fn relation_create() -> impl Strategy<Value = RelationCreate> {
    relation().prop_map(RelationCreate)
}

/// A RelationDelete.
pub fn relation_delete() -> impl Strategy<Value = RelationDelete> {
    relation().prop_map(RelationDelete)
}

/// The strategy of `kind` when it belongs to this family.
pub fn event_of(kind: EventKind) -> Option<BoxedStrategy<Event>> {
    Some(match kind {
        EventKind::RelationCreate => relation_create().prop_map(Event::from).boxed(),
        EventKind::RelationDelete => relation_delete().prop_map(Event::from).boxed(),
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn every_kind_round_trips_through_its_json() {
        let mut runner = TestRunner::deterministic();
        for kind in [EventKind::RelationCreate, EventKind::RelationDelete] {
            let strategy = event_of(kind).expect("a kind of this family");
            for _ in 0..64 {
                let value = strategy.new_tree(&mut runner).expect("generates").current();
                let tagged = serde_json::to_value(&value).expect("serializes");
                let body = serde_json::to_vec(&tagged["event"]).expect("serializes");
                let decoded = Event::decode(kind, &body).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(decoded, value, "{kind}");
            }
        }
    }
}
