//! Location events: a location (sub-account) was created or updated in an agency.
//!
//! Agency-level events: the subject is the location itself, identified by `id` (there is no
//! `locationId`); `companyId` is the agency. Both events share one documented shape,
//! [`Location`].

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::shape::same_shape;

/// The body shared by LocationCreate and LocationUpdate.
///
/// `id` identifies the location and is required; every other field may be absent or `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// The location (sub-account) id.
    pub id: String,
    /// The location's name.
    pub name: Option<String>,
    /// The location's e-mail address.
    pub email: Option<String>,
    /// The Stripe product the location is billed under (SaaS mode), e.g. `prod_xyz123abc`.
    pub stripe_product_id: Option<String>,
    /// The agency (company) the location belongs to.
    pub company_id: Option<String>,
}

same_shape! {
    Location =>
    /// A location (sub-account) was created. Identified by `type` `LocationCreate`.
    LocationCreate,
    /// A location (sub-account) was updated. Identified by `type` `LocationUpdate`.
    LocationUpdate,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, EventKind, WebhookEvent};

    #[test]
    fn unknown_nested_fields_and_null_optionals_still_decode() {
        let body = br#"{"type":"LocationUpdate","id":"ve9EPM428h8vShlRW1KT","name":null,
            "email":null,"stripeProductId":null,"companyId":"c",
            "settings":{"timezone":"US/Central","nested":{"deep":[1]}}}"#;
        let event = LocationUpdate::decode(body).expect("decodes");
        assert_eq!(event.id, "ve9EPM428h8vShlRW1KT");
        assert_eq!(event.name, None);
        assert_eq!(event.company_id.as_deref(), Some("c"));
    }

    #[test]
    fn the_location_is_identified_by_id_not_location_id() {
        let err =
            Event::decode(EventKind::LocationCreate, br#"{"locationId":"l"}"#).expect_err("no id");
        assert!(err.message.contains("id"), "{err}");
        let create =
            LocationCreate::decode(br#"{"id":"l","locationId":"ignored"}"#).expect("decodes");
        assert_eq!(create.id, "l");
    }
}
