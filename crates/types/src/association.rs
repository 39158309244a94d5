//! Association events: a labelled link type between two objects was created, updated or
//! deleted (e.g. "Interested Buyer" between a buyer and a property custom object).
//!
//! The three events carry no `type`: identify them by route binding. AssociationUpdate and
//! AssociationDelete share one documented shape; AssociationCreate's documented shape is the
//! same minus the two cardinalities. All three share [`Association`], with the cardinalities
//! optional, so a Create that carries them (as later doc versions suggest) loses nothing.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::open_enum;
use crate::shape::same_shape;

open_enum! {
    /// Who defined the association.
    pub enum AssociationType {
        /// Defined by a user of the location.
        UserDefined => "USER_DEFINED",
        /// Built into HighLevel.
        SystemDefined => "SYSTEM_DEFINED",
    }
}

open_enum! {
    /// How many objects of one side may link to one object of the other side.
    pub enum Cardinality {
        /// One to one.
        OneToOne => "ONE_TO_ONE",
        /// One to many.
        OneToMany => "ONE_TO_MANY",
        /// Many to one.
        ManyToOne => "MANY_TO_ONE",
        /// Many to many.
        ManyToMany => "MANY_TO_MANY",
    }
}

/// The body shared by the three Association events.
///
/// `id` identifies the subject and is required; every other field may be absent or `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Association {
    /// Unique identifier of the association.
    pub id: String,
    /// Who defined the association (`USER_DEFINED`, `SYSTEM_DEFINED`, ...).
    pub association_type: Option<AssociationType>,
    /// Key of the first object, e.g. `custom_objects.real_estate_buyer` or `contact`.
    pub first_object_key: Option<String>,
    /// Human-readable label of the first object's side.
    pub first_object_label: Option<String>,
    /// Cardinality from the first object to the second.
    pub first_object_to_second_object_cardinality: Option<Cardinality>,
    /// Key of the second object.
    pub second_object_key: Option<String>,
    /// Human-readable label of the second object's side.
    pub second_object_label: Option<String>,
    /// Cardinality from the second object to the first.
    pub second_object_to_first_object_cardinality: Option<Cardinality>,
    /// Unique key of the association, e.g. `buyer_property_interest`.
    pub key: Option<String>,
    /// The location (sub-account) the association belongs to.
    pub location_id: Option<String>,
}

impl Association {
    /// An association with only its id: the other fields are `None`, to be set as needed
    /// (`Association { key: Some(..), ..Association::new(id) }`).
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            association_type: None,
            first_object_key: None,
            first_object_label: None,
            first_object_to_second_object_cardinality: None,
            second_object_key: None,
            second_object_label: None,
            second_object_to_first_object_cardinality: None,
            key: None,
            location_id: None,
        }
    }
}

same_shape! {
    Association =>
    /// An association was created. Identified by route binding (no `type`).
    AssociationCreate,
    /// An association was updated. Identified by route binding (no `type`).
    AssociationUpdate,
    /// An association was deleted. Identified by route binding (no `type`).
    AssociationDelete,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WebhookEvent;

    #[test]
    fn new_is_the_event_with_only_its_id() {
        let decoded = AssociationDelete::decode(br#"{"id":"a1"}"#).expect("decodes");
        assert_eq!(decoded, AssociationDelete(Association::new("a1")));
    }
}
