//! Strategies for the User events.

use ghl_webhook_types::user::{
    User, UserCreate, UserDelete, UserPermissions, UserRole, UserUpdate,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::common::{email, free_text, id, open_value, phone};

/// Number of permission flags of [`UserPermissions`].
const PERMISSION_FLAGS: usize = 37;

/// A user's permissions, every flag independently true, false or absent.
pub fn user_permissions() -> impl Strategy<Value = UserPermissions> {
    vec(of(any::<bool>()), PERMISSION_FLAGS).prop_map(|flags| {
        let mut flags = flags.into_iter();
        let mut next = || flags.next().flatten();
        UserPermissions {
            adwords_reporting_enabled: next(),
            affiliate_manager_enabled: next(),
            agent_reporting_enabled: next(),
            appointments_enabled: next(),
            assigned_data_only: next(),
            attributions_reporting_enabled: next(),
            blogging_enabled: next(),
            bot_service: next(),
            bulk_requests_enabled: next(),
            campaigns_enabled: next(),
            campaigns_read_only: next(),
            cancel_subscription_enabled: next(),
            communities_enabled: next(),
            contacts_enabled: next(),
            content_ai_enabled: next(),
            conversations_enabled: next(),
            dashboard_stats_enabled: next(),
            facebook_ads_reporting_enabled: next(),
            funnels_enabled: next(),
            invoice_enabled: next(),
            lead_value_enabled: next(),
            marketing_enabled: next(),
            membership_enabled: next(),
            online_listings_enabled: next(),
            opportunities_enabled: next(),
            payments_enabled: next(),
            phone_call_enabled: next(),
            record_payment_enabled: next(),
            refunds_enabled: next(),
            reviews_enabled: next(),
            settings_enabled: next(),
            social_planner: next(),
            tags_enabled: next(),
            triggers_enabled: next(),
            websites_enabled: next(),
            workflows_enabled: next(),
            workflows_read_only: next(),
        }
    })
}

/// The shared User body: location-level (`locationId`) or agency-level (`companyId`,
/// `locations`) users, or any mix of the two.
pub fn user() -> impl Strategy<Value = User> {
    (
        (id(), of(id()), of(id()), vec(id(), 0..3)),
        (of(free_text()), of(free_text())),
        of(email()),
        of(phone()),
        of("[0-9]{1,5}"),
        of(open_value::<UserRole>(UserRole::KNOWN)),
        of(user_permissions()),
    )
        .prop_map(
            |(
                (id, location_id, company_id, locations),
                (first_name, last_name),
                email,
                phone,
                extension,
                role,
                permissions,
            )| User {
                id,
                location_id,
                company_id,
                locations,
                first_name,
                last_name,
                email,
                phone,
                extension,
                role,
                permissions,
            },
        )
}

/// A UserCreate.
pub fn user_create() -> impl Strategy<Value = UserCreate> {
    user().prop_map(UserCreate)
}

/// A UserUpdate.
pub fn user_update() -> impl Strategy<Value = UserUpdate> {
    user().prop_map(UserUpdate)
}

/// A UserDelete.
pub fn user_delete() -> impl Strategy<Value = UserDelete> {
    user().prop_map(UserDelete)
}

event_strategies! {
    UserCreate => user_create(),
    UserUpdate => user_update(),
    UserDelete => user_delete(),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_flags_cover_every_field() {
        let all_set = serde_json::to_value(UserPermissions {
            adwords_reporting_enabled: Some(true),
            affiliate_manager_enabled: Some(true),
            agent_reporting_enabled: Some(true),
            appointments_enabled: Some(true),
            assigned_data_only: Some(true),
            attributions_reporting_enabled: Some(true),
            blogging_enabled: Some(true),
            bot_service: Some(true),
            bulk_requests_enabled: Some(true),
            campaigns_enabled: Some(true),
            campaigns_read_only: Some(true),
            cancel_subscription_enabled: Some(true),
            communities_enabled: Some(true),
            contacts_enabled: Some(true),
            content_ai_enabled: Some(true),
            conversations_enabled: Some(true),
            dashboard_stats_enabled: Some(true),
            facebook_ads_reporting_enabled: Some(true),
            funnels_enabled: Some(true),
            invoice_enabled: Some(true),
            lead_value_enabled: Some(true),
            marketing_enabled: Some(true),
            membership_enabled: Some(true),
            online_listings_enabled: Some(true),
            opportunities_enabled: Some(true),
            payments_enabled: Some(true),
            phone_call_enabled: Some(true),
            record_payment_enabled: Some(true),
            refunds_enabled: Some(true),
            reviews_enabled: Some(true),
            settings_enabled: Some(true),
            social_planner: Some(true),
            tags_enabled: Some(true),
            triggers_enabled: Some(true),
            websites_enabled: Some(true),
            workflows_enabled: Some(true),
            workflows_read_only: Some(true),
        })
        .expect("serializes");
        assert_eq!(all_set.as_object().map(|o| o.len()), Some(PERMISSION_FLAGS));
    }
}
