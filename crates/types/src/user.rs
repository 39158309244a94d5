//! User events: a user was created, updated or deleted.
//!
//! The doc gives no JSON schema for these events, only a sketch and a UserCreate example; the
//! model follows that example. UserDelete and UserUpdate are documented as having the same
//! shape (the doc gives no example for them), so the three share [`User`]. Location-level
//! users carry `locationId`; agency-level users carry `companyId` and the `locations` they
//! can access.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::open_enum;
use crate::shape::same_shape;

open_enum! {
    /// The user's role.
    pub enum UserRole {
        /// An administrator.
        Admin => "admin",
        /// A regular user.
        User => "user",
    }
}

/// What the user may access. Every flag is optional: the set grows as HighLevel adds
/// features, and flags this version does not know are ignored.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserPermissions {
    /// Access to adwords reporting.
    pub adwords_reporting_enabled: Option<bool>,
    /// Access to affiliate manager.
    pub affiliate_manager_enabled: Option<bool>,
    /// Access to agent reporting.
    pub agent_reporting_enabled: Option<bool>,
    /// Access to appointments.
    pub appointments_enabled: Option<bool>,
    /// Whether the user only sees data assigned to them.
    pub assigned_data_only: Option<bool>,
    /// Access to attributions reporting.
    pub attributions_reporting_enabled: Option<bool>,
    /// Access to blogging.
    pub blogging_enabled: Option<bool>,
    /// Access to the bot service.
    pub bot_service: Option<bool>,
    /// Access to bulk requests.
    pub bulk_requests_enabled: Option<bool>,
    /// Access to campaigns.
    pub campaigns_enabled: Option<bool>,
    /// Read-only access to campaigns.
    pub campaigns_read_only: Option<bool>,
    /// Access to cancel subscription.
    pub cancel_subscription_enabled: Option<bool>,
    /// Access to communities.
    pub communities_enabled: Option<bool>,
    /// Access to contacts.
    pub contacts_enabled: Option<bool>,
    /// Access to content ai.
    pub content_ai_enabled: Option<bool>,
    /// Access to conversations.
    pub conversations_enabled: Option<bool>,
    /// Access to dashboard stats.
    pub dashboard_stats_enabled: Option<bool>,
    /// Access to facebook ads reporting.
    pub facebook_ads_reporting_enabled: Option<bool>,
    /// Access to funnels.
    pub funnels_enabled: Option<bool>,
    /// Access to invoice.
    pub invoice_enabled: Option<bool>,
    /// Access to lead value.
    pub lead_value_enabled: Option<bool>,
    /// Access to marketing.
    pub marketing_enabled: Option<bool>,
    /// Access to membership.
    pub membership_enabled: Option<bool>,
    /// Access to online listings.
    pub online_listings_enabled: Option<bool>,
    /// Access to opportunities.
    pub opportunities_enabled: Option<bool>,
    /// Access to payments.
    pub payments_enabled: Option<bool>,
    /// Access to phone call.
    pub phone_call_enabled: Option<bool>,
    /// Access to record payment.
    pub record_payment_enabled: Option<bool>,
    /// Access to refunds.
    pub refunds_enabled: Option<bool>,
    /// Access to reviews.
    pub reviews_enabled: Option<bool>,
    /// Access to settings.
    pub settings_enabled: Option<bool>,
    /// Access to the social planner.
    pub social_planner: Option<bool>,
    /// Access to tags.
    pub tags_enabled: Option<bool>,
    /// Access to triggers.
    pub triggers_enabled: Option<bool>,
    /// Access to websites.
    pub websites_enabled: Option<bool>,
    /// Access to workflows.
    pub workflows_enabled: Option<bool>,
    /// Read-only access to workflows.
    pub workflows_read_only: Option<bool>,
}

/// The body shared by the three User events.
///
/// `id` identifies the user and is required; every other field may be absent or `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The user's id.
    pub id: String,
    /// The location (sub-account) of a location-level user.
    pub location_id: Option<String>,
    /// The agency (company) of an agency-level user.
    pub company_id: Option<String>,
    /// The locations an agency-level user can access (not in the example; named by the doc's
    /// sketch of the agency variant). Absent or `null` is an empty list.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub locations: Vec<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number, e.g. `+13235559998`.
    pub phone: Option<String>,
    /// Phone extension, as a string (`"111"`).
    pub extension: Option<String>,
    /// The user's role (`admin`, `user`, ...).
    pub role: Option<UserRole>,
    /// What the user may access.
    pub permissions: Option<UserPermissions>,
}

same_shape! {
    User =>
    /// A user was created. Identified by `type` `UserCreate`.
    UserCreate,
    /// A user was deleted. Identified by `type` `UserDelete`.
    UserDelete,
    /// A user was updated. Identified by `type` `UserUpdate`.
    UserUpdate,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WebhookEvent;

    #[test]
    fn unknown_nested_fields_and_null_optionals_still_decode() {
        let body = br#"{"type":"UserUpdate","id":"u1","locationId":null,"firstName":null,
            "role":"owner","locations":null,
            "permissions":{"contactsEnabled":true,"funnelsEnabled":null,"brandNewEnabled":true},
            "scopes":["contacts.readonly"]}"#;
        let event = UserUpdate::decode(body).expect("decodes");
        assert_eq!(event.id, "u1");
        assert_eq!(event.first_name, None);
        assert!(event.locations.is_empty());
        assert_eq!(event.role, Some(UserRole::Other("owner".into())));
        let permissions = event.permissions.clone().expect("permissions");
        assert_eq!(permissions.contacts_enabled, Some(true));
        assert_eq!(permissions.funnels_enabled, None);
    }

    #[test]
    fn agency_level_users_carry_company_id_and_locations() {
        let body = br#"{"type":"UserCreate","id":"u1","companyId":"c1",
            "locations":["l1","l2"],"role":"admin"}"#;
        let event = UserCreate::decode(body).expect("decodes");
        assert_eq!(event.company_id.as_deref(), Some("c1"));
        assert_eq!(event.location_id, None);
        assert_eq!(event.locations, vec!["l1".to_owned(), "l2".to_owned()]);
        assert_eq!(event.role, Some(UserRole::Admin));
    }

    #[test]
    fn a_delete_with_only_the_id_decodes() {
        let event = UserDelete::decode(br#"{"type":"UserDelete","id":"u1"}"#).expect("decodes");
        assert_eq!(event.id, "u1");
        assert_eq!(event.permissions, None);
    }
}
