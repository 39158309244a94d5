//! Strategies for the Association events.

use ghl_webhook_types::association::{
    Association, AssociationCreate, AssociationDelete, AssociationType, AssociationUpdate,
    Cardinality,
};
use proptest::option::of;
use proptest::prelude::*;

use super::common::{custom_object_key, free_text, id, open_value};

/// The shared Association body.
pub fn association() -> impl Strategy<Value = Association> {
    let object_key = || prop_oneof![Just("contact".to_owned()), custom_object_key()];
    (
        id(),
        of(open_value::<AssociationType>(AssociationType::KNOWN)),
        (of(object_key()), of(free_text())),
        of(open_value::<Cardinality>(Cardinality::KNOWN)),
        (of(object_key()), of(free_text())),
        of(open_value::<Cardinality>(Cardinality::KNOWN)),
        of("[a-z_]{1,24}"),
        of(id()),
    )
        .prop_map(
            |(
                id,
                association_type,
                (first_key, first_label),
                first_card,
                (second_key, second_label),
                second_card,
                key,
                location_id,
            )| {
                Association {
                    id,
                    association_type,
                    first_object_key: first_key,
                    first_object_label: first_label,
                    first_object_to_second_object_cardinality: first_card,
                    second_object_key: second_key,
                    second_object_label: second_label,
                    second_object_to_first_object_cardinality: second_card,
                    key,
                    location_id,
                }
            },
        )
}

/// An AssociationCreate.
pub fn association_create() -> impl Strategy<Value = AssociationCreate> {
    association().prop_map(AssociationCreate)
}

/// An AssociationUpdate.
pub fn association_update() -> impl Strategy<Value = AssociationUpdate> {
    association().prop_map(AssociationUpdate)
}

/// An AssociationDelete.
pub fn association_delete() -> impl Strategy<Value = AssociationDelete> {
    association().prop_map(AssociationDelete)
}

event_strategies! {
    AssociationCreate => association_create(),
    AssociationUpdate => association_update(),
    AssociationDelete => association_delete(),
}
