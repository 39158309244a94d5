//! Relation events: two records were linked or unlinked through an association (e.g. one
//! buyer record and one property record through "Interested Buyer").
//!
//! Neither event carries a `type`: identify them by route binding. Both share [`Relation`].
//! HighLevel does not emit them for the built-in company–contact relation.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::shape::same_shape;

/// The body shared by RelationCreate and RelationDelete.
///
/// `id` identifies the relation and is required; every other field may be absent or `null`.
/// Object keys stay strings: they name any object (`contact`, `custom_objects.<name>`, ...).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Relation {
    /// Unique identifier of the relation.
    pub id: String,
    /// Object key of the first record, e.g. `custom_objects.mad`.
    pub first_object_key: Option<String>,
    /// Id of the first record.
    pub first_record_id: Option<String>,
    /// Object key of the second record, e.g. `contact`.
    pub second_object_key: Option<String>,
    /// Id of the second record.
    pub second_record_id: Option<String>,
    /// The association the relation is an instance of.
    pub association_id: Option<String>,
    /// The location (sub-account).
    pub location_id: Option<String>,
}

same_shape! {
    Relation =>
    /// Two records were linked. Identified by route binding (no `type`).
    RelationCreate,
    /// Two records were unlinked. Identified by route binding (no `type`).
    RelationDelete,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_null_optionals_still_decode() {
        let body = br#"{"id":"rel1","firstObjectKey":null,"firstRecordId":null,
            "associationId":null,"brandNew":{"deep":[1,2]},"secondObjectKey":"contact"}"#;
        let relation: RelationDelete = serde_json::from_slice(body).expect("decodes");
        assert_eq!(relation.id, "rel1");
        assert_eq!(relation.first_object_key, None);
        assert_eq!(relation.second_object_key.as_deref(), Some("contact"));
    }

    #[test]
    fn the_id_is_required() {
        assert!(serde_json::from_slice::<RelationCreate>(br#"{"associationId":"a"}"#).is_err());
    }
}
