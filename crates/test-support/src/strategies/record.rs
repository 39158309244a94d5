//! Strategies for the Record events.

use ghl_webhook_types::record::{
    Record, RecordCreate, RecordDelete, RecordProperty, RecordType, RecordUpdate,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::common::{custom_object_key, envelope, free_text, id, open_value, timestamp};

/// A record type: a documented one, an undocumented one, or a custom object key.
fn record_type() -> impl Strategy<Value = RecordType> {
    prop_oneof![
        open_value::<RecordType>(RecordType::KNOWN),
        custom_object_key().prop_map(RecordType::from),
    ]
}

/// One property value.
pub fn record_property() -> impl Strategy<Value = RecordProperty> {
    (of("[a-z_]{1,16}"), of(free_text()))
        .prop_map(|(key, value_string)| RecordProperty { key, value_string })
}

/// The body shared by the three Record events.
pub fn record() -> impl Strategy<Value = Record> {
    (
        id(),
        of(record_type()),
        of(id()),
        vec(id(), 0..3),
        vec(id(), 0..3),
        vec(record_property(), 0..3),
        envelope(timestamp()),
    )
        .prop_map(
            |(id, record_type, location_id, owners, followers, properties, timestamp)| Record {
                id,
                record_type,
                location_id,
                owners,
                followers,
                properties,
                timestamp,
            },
        )
}

/// A RecordCreate.
pub fn record_create() -> impl Strategy<Value = RecordCreate> {
    record().prop_map(RecordCreate)
}

/// A RecordUpdate.
pub fn record_update() -> impl Strategy<Value = RecordUpdate> {
    record().prop_map(RecordUpdate)
}

/// A RecordDelete.
pub fn record_delete() -> impl Strategy<Value = RecordDelete> {
    record().prop_map(RecordDelete)
}

event_strategies! {
    RecordCreate => record_create(),
    RecordUpdate => record_update(),
    RecordDelete => record_delete(),
}
