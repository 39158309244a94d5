//! Strategies for the Object Schema events.

use ghl_webhook_types::object_schema::{
    ObjectLabels, ObjectSchema, ObjectSchemaCreate, ObjectSchemaUpdate, ObjectType,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::common::{
    custom_object_key, envelope, free_text, id, json_object, open_value, timestamp,
};

/// Singular and plural labels.
pub fn object_labels() -> impl Strategy<Value = ObjectLabels> {
    (of(free_text()), of(free_text()))
        .prop_map(|(singular, plural)| ObjectLabels { singular, plural })
}

/// The body shared by the two Object Schema events.
pub fn object_schema() -> impl Strategy<Value = ObjectSchema> {
    (
        custom_object_key(),
        of(id()),
        of(object_labels()),
        of(free_text()),
        vec("custom_objects\\.[a-z_]{1,12}\\.[a-z_]{1,12}", 0..3),
        of("custom_objects\\.[a-z_]{1,12}\\.[a-z_]{1,12}"),
        of(id()),
        (of(json_object()), of(json_object())),
        (of(timestamp()), of(timestamp()), envelope(timestamp())),
        of(open_value::<ObjectType>(ObjectType::KNOWN)),
    )
        .prop_map(
            |(
                key,
                id,
                labels,
                description,
                searchable_properties,
                primary_display_property,
                location_id,
                (created_by, updated_by),
                (created_at, updated_at, timestamp),
                object_type,
            )| ObjectSchema {
                key,
                id,
                labels,
                description,
                searchable_properties,
                primary_display_property,
                location_id,
                created_by,
                updated_by,
                created_at,
                updated_at,
                timestamp,
                object_type,
            },
        )
}

/// An ObjectSchemaCreate.
pub fn object_schema_create() -> impl Strategy<Value = ObjectSchemaCreate> {
    object_schema().prop_map(ObjectSchemaCreate)
}

/// An ObjectSchemaUpdate.
pub fn object_schema_update() -> impl Strategy<Value = ObjectSchemaUpdate> {
    object_schema().prop_map(ObjectSchemaUpdate)
}

event_strategies! {
    ObjectSchemaCreate => object_schema_create(),
    ObjectSchemaUpdate => object_schema_update(),
}
