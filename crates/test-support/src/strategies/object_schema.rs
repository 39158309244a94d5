//! Strategies for the Object Schema events.

use std::collections::BTreeMap;

use ghl_webhook_types::object_schema::{
    ObjectLabels, ObjectSchema, ObjectSchemaCreate, ObjectSchemaUpdate, ObjectType,
};
use proptest::collection::{btree_map, vec};
use proptest::option::of;
use proptest::prelude::*;

use super::common::{envelope, free_text, id, open_value};

/// A custom object key, e.g. `custom_objects.pets`.
fn object_key() -> impl Strategy<Value = String> {
    "custom_objects\\.[a-z_]{1,16}"
}

/// An ISO-8601 UTC date-time with milliseconds.
fn date_time() -> impl Strategy<Value = String> {
    "20[0-9]{2}-(0[1-9]|1[0-2])-[0-2][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\\.[0-9]{3}Z"
}

/// A free-form `createdBy`/`updatedBy` object: string values only, so it round-trips.
fn by() -> impl Strategy<Value = serde_json::Value> {
    btree_map("[a-zA-Z]{1,10}", free_text(), 0..3).prop_map(|m: BTreeMap<String, String>| {
        serde_json::Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect(),
        )
    })
}

/// Singular and plural labels.
pub fn object_labels() -> impl Strategy<Value = ObjectLabels> {
    (of(free_text()), of(free_text()))
        .prop_map(|(singular, plural)| ObjectLabels { singular, plural })
}

/// The body shared by the two Object Schema events.
pub fn object_schema() -> impl Strategy<Value = ObjectSchema> {
    (
        object_key(),
        of(id()),
        of(object_labels()),
        of(free_text()),
        vec("custom_objects\\.[a-z_]{1,12}\\.[a-z_]{1,12}", 0..3),
        of("custom_objects\\.[a-z_]{1,12}\\.[a-z_]{1,12}"),
        of(id()),
        (of(by()), of(by())),
        (of(date_time()), of(date_time()), envelope(date_time())),
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
