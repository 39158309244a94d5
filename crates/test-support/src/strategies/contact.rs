//! Strategies for the Contact events.

use std::collections::BTreeMap;

use ghl_webhook_types::contact::{
    Contact, ContactCreate, ContactDelete, ContactDndUpdate, ContactTagUpdate, ContactUpdate,
    CustomFieldValue, DndChannel, DndSetting, DndStatus,
};
use proptest::collection::{btree_map, vec};
use proptest::option::of;
use proptest::prelude::*;

use super::common::{
    country_code, email, file_url, free_text, id, json_value, open_value, phone, postal_code,
    timestamp, url,
};

/// One `customFields` entry.
pub fn custom_field() -> impl Strategy<Value = CustomFieldValue> {
    (of(id()), of(json_value())).prop_map(|(id, value)| CustomFieldValue { id, value })
}

/// The shared Contact body (ContactCreate, ContactUpdate, ContactDelete, ContactTagUpdate).
pub fn contact() -> impl Strategy<Value = Contact> {
    (
        (id(), of(id())),
        (
            of(free_text()),
            of(free_text()),
            of(free_text()),
            of(free_text()),
            of(country_code()),
            of(free_text()),
        ),
        (of(timestamp()), of(timestamp()), of(any::<bool>())),
        (
            of(email()),
            of(free_text()),
            of(free_text()),
            of(free_text()),
            of(phone()),
            of(free_text()),
            of(postal_code()),
        ),
        vec(free_text(), 0..3),
        of(url()),
        vec(file_url().prop_map(serde_json::Value::String), 0..3),
        of(id()),
        vec(custom_field(), 0..3),
    )
        .prop_map(
            |(
                (id, location_id),
                (address1, city, state, company_name, country, source),
                (date_added, date_of_birth, dnd),
                (email, name, first_name, last_name, phone, phone_label, postal_code),
                tags,
                website,
                attachments,
                assigned_to,
                custom_fields,
            )| Contact {
                id,
                location_id,
                address1,
                city,
                state,
                company_name,
                country,
                source,
                date_added,
                date_of_birth,
                dnd,
                dnd_settings: None,
                inbound_dnd_settings: None,
                email,
                name,
                first_name,
                last_name,
                phone,
                phone_label,
                postal_code,
                tags,
                website,
                attachments,
                assigned_to,
                custom_fields,
            },
        )
}

/// A ContactCreate.
pub fn contact_create() -> impl Strategy<Value = ContactCreate> {
    contact().prop_map(ContactCreate)
}

/// A ContactUpdate.
pub fn contact_update() -> impl Strategy<Value = ContactUpdate> {
    contact().prop_map(ContactUpdate)
}

/// A ContactDelete.
pub fn contact_delete() -> impl Strategy<Value = ContactDelete> {
    contact().prop_map(ContactDelete)
}

/// A ContactTagUpdate.
pub fn contact_tag_update() -> impl Strategy<Value = ContactTagUpdate> {
    contact().prop_map(ContactTagUpdate)
}

/// The DND setting of one channel.
pub fn dnd_setting() -> impl Strategy<Value = DndSetting> {
    (
        of(open_value::<DndStatus>(DndStatus::KNOWN)),
        of(free_text()),
        of("[0-9]{3}"),
    )
        .prop_map(|(status, message, code)| DndSetting {
            status,
            message,
            code,
        })
}

/// A DND map: documented channels (RCS and `all` included) and unknown ones.
pub fn dnd_map() -> impl Strategy<Value = BTreeMap<DndChannel, DndSetting>> {
    btree_map(
        open_value::<DndChannel>(DndChannel::KNOWN),
        dnd_setting(),
        0..4,
    )
}

/// A ContactDndUpdate: the contact fields (without `attachments`, as documented) plus the
/// DND maps.
pub fn contact_dnd_update() -> impl Strategy<Value = ContactDndUpdate> {
    (contact(), of(dnd_map()), of(dnd_map())).prop_map(|(mut c, dnd_settings, inbound)| {
        c.attachments.clear();
        c.dnd_settings = dnd_settings;
        c.inbound_dnd_settings = inbound;
        ContactDndUpdate(c)
    })
}

event_strategies! {
    ContactCreate => contact_create(),
    ContactUpdate => contact_update(),
    ContactDelete => contact_delete(),
    ContactTagUpdate => contact_tag_update(),
    ContactDndUpdate => contact_dnd_update(),
}
