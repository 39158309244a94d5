//! Contact events: a contact was created, updated, deleted, had its tags changed, or had its
//! do-not-disturb (DND) settings changed.
//!
//! All five carry `"type": "<EventName>"`. ContactCreate, ContactUpdate, ContactDelete and
//! ContactTagUpdate share one documented shape, [`Contact`] (the newest doc adds `phoneLabel`
//! and drops `attachments`; both are kept, optional). ContactDndUpdate has the same contact
//! fields plus the per-channel DND maps, so it is its own struct, [`ContactDndUpdate`].
//!
//! DND settings are modelled as a map from [`DndChannel`] to [`DndSetting`] rather than one
//! field per channel: HighLevel adds channels without notice (real payloads carry `RCS`, which
//! no doc version lists), and without `#[serde(flatten)]` a struct of fixed fields would drop
//! them. A map keeps every channel, known or not, and serializes back to the same keys. A
//! channel whose value is not an object (`"RCS": null`, `"RCS": "active"`) is skipped rather
//! than failing the event; an object with unknown keys is kept (its known fields read).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::open_enum;
use crate::shape::same_shape;

/// One entry of a contact's `customFields`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomFieldValue {
    /// The custom field's id. Optional so that one malformed entry does not fail the whole
    /// delivery; entries always carry it in the docs.
    pub id: Option<String>,
    /// The value: documented as a string, number, array or object depending on the field's
    /// type, so it is kept as raw JSON.
    pub value: Option<serde_json::Value>,
}

/// The body shared by the five Contact events.
///
/// `id` identifies the contact and is required; every other field may be absent or `null`.
/// ContactDndUpdate documents the contact fields plus `dndSettings`/`inboundDndSettings` (and
/// no `attachments`); the others document `attachments` and no DND settings. One body with all
/// of them optional reads every documented shape, and DND settings that show up on another
/// Contact event are kept rather than dropped.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    /// The contact's id.
    pub id: String,
    /// The location (sub-account) the contact belongs to.
    pub location_id: Option<String>,
    /// Street address, first line.
    pub address1: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or region.
    pub state: Option<String>,
    /// Company name.
    pub company_name: Option<String>,
    /// Country code, e.g. `DE`.
    pub country: Option<String>,
    /// Where the contact came from (free text such as a form name, e.g. `xyz form`).
    pub source: Option<String>,
    /// When the contact was created (ISO-8601, as sent).
    pub date_added: Option<String>,
    /// Date of birth (ISO-8601, as sent).
    pub date_of_birth: Option<String>,
    /// Whether do-not-disturb is on for all channels.
    pub dnd: Option<bool>,
    /// Outbound DND per channel (ContactDndUpdate). A map, so that channels the docs do not
    /// list (`RCS` in real payloads, and any added later) are kept: look one up with
    /// `dnd_settings.get(&DndChannel::Sms)`. A channel whose value is not an object (`null`,
    /// a string, a number, a list) is skipped, not an error: see
    /// [`object_entries`](crate::lenient::object_entries).
    #[serde(default, deserialize_with = "crate::lenient::object_entries")]
    pub dnd_settings: Option<BTreeMap<DndChannel, DndSetting>>,
    /// Inbound DND per channel (ContactDndUpdate); the docs show only the key `all`. Same map
    /// shape as `dnd_settings`, for the same reason, and skips entries that are not objects
    /// the same way.
    #[serde(default, deserialize_with = "crate::lenient::object_entries")]
    pub inbound_dnd_settings: Option<BTreeMap<DndChannel, DndSetting>>,
    /// E-mail address.
    pub email: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Phone number (E.164 in the docs).
    pub phone: Option<String>,
    /// Label of the phone number, e.g. `Mobile`. Added by the newest doc version.
    pub phone_label: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// The contact's tags (for ContactTagUpdate: the tags after the change).
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub tags: Vec<String>,
    /// Website URL.
    pub website: Option<String>,
    /// Attachments. Documented as an untyped array by older doc versions, dropped by the
    /// newest, and never filled in real deliveries: kept as raw JSON values.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub attachments: Vec<serde_json::Value>,
    /// The user the contact is assigned to.
    pub assigned_to: Option<String>,
    /// Custom field values.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub custom_fields: Vec<CustomFieldValue>,
}

same_shape! {
    Contact =>
    /// A contact was created. Identified by `"type": "ContactCreate"`.
    ContactCreate,
    /// A contact was updated. Identified by `"type": "ContactUpdate"`.
    ContactUpdate,
    /// A contact was deleted. Identified by `"type": "ContactDelete"`.
    ContactDelete,
    /// A contact's tags were added or removed. Identified by `"type": "ContactTagUpdate"`.
    ContactTagUpdate,
    /// A contact's DND settings changed. Identified by `"type": "ContactDndUpdate"`.
    ContactDndUpdate,
}

open_enum! {
    /// A messaging channel in a contact's DND settings (the keys of `dndSettings` and
    /// `inboundDndSettings`).
    pub enum DndChannel {
        /// SMS.
        Sms => "SMS",
        /// E-mail.
        Email => "Email",
        /// Google Business messages.
        Gmb => "GMB",
        /// Facebook Messenger.
        Fb => "FB",
        /// WhatsApp.
        WhatsApp => "WhatsApp",
        /// Phone calls.
        Call => "Call",
        /// RCS messaging: in real payloads, in no doc version.
        Rcs => "RCS",
        /// Every channel at once: the key of `inboundDndSettings` in the docs.
        All => "all",
    }
}

/// Ordered by wire string, then known before `Other`, so that it is consistent with `Eq`
/// (`Other("SMS")`, which decoding never produces, is not equal to `Sms`). Needed to key a
/// `BTreeMap`, which keeps snapshots and serialized output in a stable order.
impl Ord for DndChannel {
    fn cmp(&self, other: &Self) -> Ordering {
        let is_other = |c: &DndChannel| matches!(c, DndChannel::Other(_));
        self.as_str()
            .cmp(other.as_str())
            .then_with(|| is_other(self).cmp(&is_other(other)))
    }
}

impl PartialOrd for DndChannel {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

open_enum! {
    /// Whether DND is on for a channel.
    pub enum DndStatus {
        /// DND is on: nothing is sent on this channel.
        Active => "active",
        /// DND is off.
        Inactive => "inactive",
        /// Permanent DND (a value of the Contacts API, not shown in the webhook docs).
        Permanent => "permanent",
    }
}

/// The DND setting of one channel.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DndSetting {
    /// `active`, `inactive`, ... (open set).
    pub status: Option<DndStatus>,
    /// Why the setting was changed (free text).
    pub message: Option<String>,
    /// A code for the change, sent as a string (e.g. `"101"`); absent from inbound settings.
    pub code: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, EventKind, WebhookEvent};

    #[test]
    fn rcs_and_unknown_channels_inside_dnd_settings_are_kept() {
        let body = br#"{
            "type": "ContactDndUpdate",
            "id": "c1",
            "dndSettings": {
                "SMS": {"status": "active", "message": "opted out", "code": "101"},
                "RCS": {"status": "inactive", "message": "", "code": "102"},
                "Carrier Pigeon": {"status": "paused"}
            },
            "inboundDndSettings": {"all": {"status": "active", "message": "stop"}}
        }"#;
        let event = ContactDndUpdate::decode(body).expect("decodes");
        let dnd = event.dnd_settings.as_ref().expect("dndSettings");
        assert_eq!(dnd.len(), 3);
        assert_eq!(
            dnd[&DndChannel::Rcs].status,
            Some(DndStatus::Inactive),
            "RCS is a known channel"
        );
        assert_eq!(dnd[&DndChannel::Rcs].code.as_deref(), Some("102"));
        assert_eq!(dnd[&DndChannel::Sms].status, Some(DndStatus::Active));
        let pigeon = &dnd[&DndChannel::Other("Carrier Pigeon".into())];
        assert_eq!(pigeon.status, Some(DndStatus::Other("paused".into())));
        let inbound = event.inbound_dnd_settings.as_ref().expect("inbound");
        assert_eq!(inbound[&DndChannel::All].message.as_deref(), Some("stop"));

        // Every channel survives a round trip, under its own key.
        let json = serde_json::to_value(&event).expect("serializes");
        assert_eq!(json["dndSettings"]["RCS"]["code"], "102");
        assert_eq!(json["dndSettings"]["Carrier Pigeon"]["status"], "paused");
        let again: ContactDndUpdate = serde_json::from_value(json).expect("re-decodes");
        assert_eq!(again, event);
    }

    #[test]
    fn dnd_channels_whose_value_is_not_an_object_are_skipped() {
        let body = br#"{
            "id": "c1",
            "dndSettings": {
                "SMS": {"status": "active", "since": {"at": 1}},
                "RCS": null, "Fax": "inactive", "Pager": 3, "Mail": [{"status": "active"}]
            },
            "inboundDndSettings": {"all": true, "SMS": {}}
        }"#;
        let event = ContactDndUpdate::decode(body).expect("decodes");
        let dnd = event.dnd_settings.as_ref().expect("dndSettings");
        assert_eq!(dnd.keys().collect::<Vec<_>>(), [&DndChannel::Sms]);
        assert_eq!(dnd[&DndChannel::Sms].status, Some(DndStatus::Active));
        let inbound = event.inbound_dnd_settings.as_ref().expect("inbound");
        assert_eq!(inbound.keys().collect::<Vec<_>>(), [&DndChannel::Sms]);

        // A known field of the wrong type inside an entry is still an error, at its path.
        let err = ContactDndUpdate::decode(br#"{"id":"c1","dndSettings":{"SMS":{"status":5}}}"#)
            .expect_err("status is a number");
        assert_eq!(err.path, "dndSettings.SMS.status");
    }

    #[test]
    fn dnd_channel_order_is_consistent_with_equality() {
        let known = DndChannel::Sms;
        let lookalike = DndChannel::Other("SMS".into());
        assert_ne!(known, lookalike);
        assert_ne!(known.cmp(&lookalike), Ordering::Equal);
        assert_eq!(known.cmp(&DndChannel::from("SMS")), Ordering::Equal);
    }

    #[test]
    fn phone_label_and_attachments_are_both_optional() {
        // Newest doc: phoneLabel, no attachments.
        let new = ContactUpdate::decode(
            br#"{"type":"ContactUpdate","id":"c1","phoneLabel":"Mobile","tags":["a"]}"#,
        )
        .expect("newest shape");
        assert_eq!(new.phone_label.as_deref(), Some("Mobile"));
        assert!(new.attachments.is_empty());
        // Older doc: attachments, no phoneLabel.
        let old = ContactUpdate::decode(
            br#"{"type":"ContactUpdate","id":"c1","attachments":[],"dnd":false}"#,
        )
        .expect("older shape");
        assert_eq!(old.phone_label, None);
        assert_eq!(old.dnd, Some(false));
    }

    #[test]
    fn unknown_fields_and_null_optionals_still_decode() {
        let body = br#"{
            "type": "ContactCreate", "id": "c1", "email": null, "tags": null,
            "attachments": null, "customFields": [{"id": "f1", "value": null}, {"value": 3}],
            "dnd": null, "brandNew": {"nested": [1, 2]}, "webhookId": "w1"
        }"#;
        for kind in [
            EventKind::ContactCreate,
            EventKind::ContactUpdate,
            EventKind::ContactDelete,
            EventKind::ContactTagUpdate,
            EventKind::ContactDndUpdate,
        ] {
            let event = Event::decode(kind, body).expect("decodes");
            assert_eq!(event.kind(), Some(kind));
        }
        let contact = ContactCreate::decode(body).expect("decodes");
        assert_eq!(contact.id, "c1");
        assert_eq!(contact.email, None);
        assert!(contact.tags.is_empty() && contact.attachments.is_empty());
        assert_eq!(contact.custom_fields.len(), 2);
        assert_eq!(contact.custom_fields[1].id, None);
        assert_eq!(contact.custom_fields[1].value, Some(serde_json::json!(3)));

        let dnd = ContactDndUpdate::decode(
            br#"{"id":"c1","dndSettings":null,"inboundDndSettings":null,"extra":true}"#,
        )
        .expect("decodes");
        assert_eq!(dnd.dnd_settings, None);
    }

    #[test]
    fn a_contact_without_id_names_the_field() {
        let err = ContactCreate::decode(br#"{"type":"ContactCreate","email":"a@b.c"}"#)
            .expect_err("no id");
        assert!(err.message.contains("id"), "{err}");
    }
}
