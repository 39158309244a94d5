//! Record events: a record of a custom object (e.g. one pet) or a company ("business") was
//! created, updated or deleted.
//!
//! The documented examples carry no `type`: identify the three events by route binding. They
//! share [`Record`].
//!
//! The schema lists a `type` field described as "the type of record created", and no example
//! carries it. It is therefore read as the record's object type, not the event name, and
//! modelled as [`Record::record_type`] ([`RecordType`]). Should a delivery carry the event name
//! there instead (`"type": "RecordCreate"`), nothing is lost: it lands in
//! `RecordType::Other("RecordCreate")`, serializes back unchanged, and identification by `type`
//! still honours it as the event name.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::open_enum;
use crate::shape::same_shape;

open_enum! {
    /// What kind of record this is: the object key of its object type.
    ///
    /// HighLevel keys standard objects by a fixed name (`business` for companies) and custom
    /// objects by `custom_objects.<name>`, which cannot be listed: those stay in `Other`, see
    /// [`RecordType::custom_object_key`].
    pub enum RecordType {
        /// A company (HighLevel's `business` object).
        Business => "business",
    }
}

impl RecordType {
    /// The custom object key (`custom_objects.pets`) when this is a custom object record.
    pub fn custom_object_key(&self) -> Option<&str> {
        match self {
            RecordType::Other(key) if key.starts_with("custom_objects.") => Some(key),
            _ => None,
        }
    }
}

/// One property value of a record.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordProperty {
    /// The property key, e.g. `pet_name`.
    pub key: Option<String>,
    /// The value, as a string (the only value field documented).
    pub value_string: Option<String>,
}

/// The body shared by the three Record events.
///
/// `id` identifies the record and is required; every other field may be absent or `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// Unique identifier of the record.
    pub id: String,
    /// The record's object type (see the module docs for why `type` is read this way).
    #[serde(rename = "type")]
    pub record_type: Option<RecordType>,
    /// The location (sub-account) the record belongs to.
    pub location_id: Option<String>,
    /// Ids of the users who own the record.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub owners: Vec<String>,
    /// Ids of the users following the record.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub followers: Vec<String>,
    /// The record's property values.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub properties: Vec<RecordProperty>,
    /// When the change happened, ISO-8601 as sent.
    pub timestamp: Option<String>,
}

same_shape! {
    Record =>
    /// A record (custom object record or company) was created. Identified by route binding
    /// (no `type` naming the event).
    RecordCreate,
    /// A record was updated. Identified by route binding (no `type` naming the event).
    RecordUpdate,
    /// A record was deleted. Identified by route binding (no `type` naming the event).
    RecordDelete,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_doc_example_without_type_decodes() {
        let body = br#"{"id":"679b8f9bde6a0c356a0311b3","locationId":"eHy2cOSZxMQzQ6Yyvl8P",
            "timestamp":"2025-02-10T08:26:05.961Z","owners":["60d5ec49f72b2a001f5f9d91"],
            "followers":["a","b"],"properties":[{"key":"pet_name","valueString":"buddy"}]}"#;
        let record: RecordCreate = serde_json::from_slice(body).expect("decodes");
        assert_eq!(record.record_type, None);
        assert_eq!(record.followers.len(), 2);
        assert_eq!(record.properties[0].value_string.as_deref(), Some("buddy"));
    }

    #[test]
    fn record_types_are_an_open_set() {
        let company: RecordUpdate =
            serde_json::from_slice(br#"{"id":"r","type":"business"}"#).expect("decodes");
        assert_eq!(company.record_type, Some(RecordType::Business));
        assert_eq!(RecordType::Business.custom_object_key(), None);

        let pet: RecordUpdate =
            serde_json::from_slice(br#"{"id":"r","type":"custom_objects.pets"}"#).expect("decodes");
        let kind = pet.record_type.clone().expect("type");
        assert_eq!(kind, RecordType::Other("custom_objects.pets".into()));
        assert_eq!(kind.custom_object_key(), Some("custom_objects.pets"));
        assert_eq!(
            serde_json::to_value(&pet).expect("encodes")["type"],
            "custom_objects.pets"
        );
    }

    #[test]
    fn an_event_name_in_type_is_kept_verbatim() {
        let body = br#"{"id":"r","type":"RecordDelete"}"#;
        let record: RecordDelete = serde_json::from_slice(body).expect("decodes");
        let kind = record.record_type.clone().expect("type");
        assert_eq!(kind, RecordType::Other("RecordDelete".into()));
        assert_eq!(kind.custom_object_key(), None);
        assert_eq!(
            serde_json::to_value(&record).expect("encodes")["type"],
            "RecordDelete"
        );
    }

    #[test]
    fn unknown_fields_and_null_optionals_still_decode() {
        let body = br#"{"id":"r1","type":null,"owners":null,"followers":null,"properties":null,
            "locationId":null,"properties2":[{"k":1}],"objectKey":"custom_objects.pets"}"#;
        let record: RecordDelete = serde_json::from_slice(body).expect("decodes");
        assert_eq!(record.id, "r1");
        assert!(record.owners.is_empty() && record.followers.is_empty());
        assert!(record.properties.is_empty());
        let prop: RecordProperty =
            serde_json::from_slice(br#"{"key":null,"valueString":null,"valueNumber":3}"#)
                .expect("decodes");
        assert_eq!(prop.key, None);
    }

    #[test]
    fn the_id_is_required() {
        assert!(serde_json::from_slice::<RecordCreate>(br#"{"locationId":"l"}"#).is_err());
    }
}
