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
