//! Object Schema events: a custom object type (e.g. "Pet") was created or updated.
//!
//! Neither event carries a `type`: identify them by route binding. Both share
//! [`ObjectSchema`]. The doc examples also carry `id`, `createdAt` and `updatedAt`, which the
//! documented schema does not list; they are modelled as optional fields.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::open_enum;
use crate::shape::same_shape;

open_enum! {
    /// Who defines the object type. The docs say only `USER_DEFINED` is supported "currently".
    pub enum ObjectType {
        /// A custom object defined by a user of the location.
        UserDefined => "USER_DEFINED",
    }
}

/// The human-readable names of a custom object type.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectLabels {
    /// Singular name, e.g. `pet`.
    pub singular: Option<String>,
    /// Plural name, e.g. `pets`.
    pub plural: Option<String>,
}

/// The body shared by ObjectSchemaCreate and ObjectSchemaUpdate.
///
/// `key` (e.g. `custom_objects.pets`) is documented as the unique identifier of the custom
/// object type and is required. The schema also marks `labels`, `primaryDisplayProperty` and
/// `locationId` required; they are optional here like every other field, so a delivery that
/// lacks one still decodes.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectSchema {
    /// Unique key of the object type, e.g. `custom_objects.pets`.
    pub key: String,
    /// Database id of the schema. In the doc example, not in the documented schema.
    pub id: Option<String>,
    /// Singular and plural names.
    pub labels: Option<ObjectLabels>,
    /// Description of the object type.
    pub description: Option<String>,
    /// Keys of the properties indexed for search, e.g. `custom_objects.pets.pet_name`.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub searchable_properties: Vec<String>,
    /// Key of the property used to display a record, e.g. `custom_objects.pets.pet_name`.
    pub primary_display_property: Option<String>,
    /// The location (sub-account) the object type belongs to.
    pub location_id: Option<String>,
    /// Who created the object type. Documented only as "object" (metadata about the user),
    /// with no fields, so it is kept as free-form JSON.
    pub created_by: Option<serde_json::Value>,
    /// Who last updated the object type. Free-form JSON, like `created_by`.
    pub updated_by: Option<serde_json::Value>,
    /// When the schema was created, ISO-8601 as sent. In the doc example, not in the schema.
    pub created_at: Option<String>,
    /// When the schema was last updated, ISO-8601 as sent. In the doc example, not in the
    /// schema.
    pub updated_at: Option<String>,
    /// Documented as "the date and time when the object was created", ISO-8601 as sent.
    pub timestamp: Option<String>,
    /// Who defines the object type (`USER_DEFINED`, ...).
    pub object_type: Option<ObjectType>,
}

same_shape! {
    ObjectSchema =>
    /// A custom object type was created. Identified by route binding (no `type`).
    ObjectSchemaCreate,
    /// A custom object type was updated. Identified by route binding (no `type`).
    ObjectSchemaUpdate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_doc_example_with_fields_outside_the_schema_decodes() {
        let body = br#"{"id":"6798a1a18fc746e0eba2ccfe","labels":{"singular":"pet","plural":"pets"},
            "description":"Pet's Description","searchableProperties":["custom_objects.pets.pet_name"],
            "primaryDisplayProperty":"custom_objects.pets.pet_name","key":"custom_objects.pets",
            "locationId":"eHy2cOSZxMQzQ6Yyvl8P","updatedAt":"2025-01-28T09:21:37.311Z",
            "createdAt":"2025-01-28T09:21:37.311Z","objectType":"USER_DEFINED"}"#;
        let schema: ObjectSchemaCreate = serde_json::from_slice(body).expect("decodes");
        assert_eq!(schema.key, "custom_objects.pets");
        assert_eq!(schema.id.as_deref(), Some("6798a1a18fc746e0eba2ccfe"));
        assert_eq!(
            schema.created_at.as_deref(),
            Some("2025-01-28T09:21:37.311Z")
        );
        assert_eq!(
            schema.updated_at.as_deref(),
            Some("2025-01-28T09:21:37.311Z")
        );
        assert_eq!(schema.object_type, Some(ObjectType::UserDefined));
        let labels = schema.labels.as_ref().expect("labels");
        assert_eq!(labels.plural.as_deref(), Some("pets"));
    }

    #[test]
    fn unknown_fields_and_null_optionals_still_decode() {
        let body = br#"{"key":"custom_objects.pets","labels":null,"searchableProperties":null,
            "createdBy":null,"objectType":null,"icon":{"name":"paw"}}"#;
        let schema: ObjectSchemaUpdate = serde_json::from_slice(body).expect("decodes");
        assert_eq!(schema.key, "custom_objects.pets");
        assert_eq!(schema.labels, None);
        assert!(schema.searchable_properties.is_empty());
        assert_eq!(schema.created_by, None);
    }

    #[test]
    fn unknown_object_types_are_kept_in_other() {
        let body = br#"{"key":"business","objectType":"SYSTEM_DEFINED"}"#;
        let schema: ObjectSchemaUpdate = serde_json::from_slice(body).expect("decodes");
        assert_eq!(
            schema.object_type,
            Some(ObjectType::Other("SYSTEM_DEFINED".into()))
        );
        assert_eq!(
            serde_json::to_value(&schema).expect("encodes")["objectType"],
            "SYSTEM_DEFINED"
        );
    }

    #[test]
    fn the_key_is_required() {
        assert!(serde_json::from_slice::<ObjectSchemaCreate>(br#"{"id":"x"}"#).is_err());
    }
}
