//! Strategies for the Relation events.

use ghl_webhook_types::relation::{Relation, RelationCreate, RelationDelete};
use proptest::option::of;
use proptest::prelude::*;

use super::common::{custom_object_key, id};

/// The body shared by RelationCreate and RelationDelete.
pub fn relation() -> impl Strategy<Value = Relation> {
    let object_key = || {
        prop_oneof![
            Just("contact".to_owned()),
            Just("business".to_owned()),
            custom_object_key(),
        ]
    };
    (
        id(),
        (of(object_key()), of(id())),
        (of(object_key()), of(id())),
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

event_strategies! {
    RelationCreate => relation_create(),
    RelationDelete => relation_delete(),
}
