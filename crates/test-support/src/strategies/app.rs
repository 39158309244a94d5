//! Strategies for the App events.

use ghl_webhook_types::app::{
    AppInstall, AppPaymentStatus, AppUninstall, AppUpdate, AuthType, BillingInterval,
    ExternalAuthConnected, PaymentStatus, PlanChange, SaaSPlanCreate, SaasPlanPrice, Trial,
    WhitelabelDetails,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::common::{
    currency, domain, envelope, file_url, free_text, hundredths, id, open_value, timestamp, uuid,
};

/// The trial of an installation.
pub fn trial() -> impl Strategy<Value = Trial> {
    (
        of(any::<bool>()),
        of(hundredths(0..10_000_000)),
        of(timestamp()),
    )
        .prop_map(|(on_trial, trial_duration, trial_start_date)| Trial {
            on_trial,
            trial_duration,
            trial_start_date,
        })
}

/// White-label branding of an agency.
pub fn whitelabel_details() -> impl Strategy<Value = WhitelabelDetails> {
    (of(domain()), of(file_url()))
        .prop_map(|(domain, logo_url)| WhitelabelDetails { domain, logo_url })
}

/// An AppInstall, location-level or agency-level (no location or user).
pub fn app_install() -> impl Strategy<Value = AppInstall> {
    (
        id(),
        of(id()),
        of(id()),
        of(id()),
        of(id()),
        of(trial()),
        of(any::<bool>()),
        of(whitelabel_details()),
        of(free_text()),
    )
        .prop_map(
            |(
                app_id,
                company_id,
                location_id,
                user_id,
                plan_id,
                trial,
                is_whitelabel_company,
                whitelabel_details,
                company_name,
            )| AppInstall {
                app_id,
                company_id,
                location_id,
                user_id,
                plan_id,
                trial,
                is_whitelabel_company,
                whitelabel_details,
                company_name,
            },
        )
}

/// An AppUninstall, location-level or agency-level (companyId instead of locationId).
pub fn app_uninstall() -> impl Strategy<Value = AppUninstall> {
    (id(), of(id()), of(id())).prop_map(|(app_id, company_id, location_id)| AppUninstall {
        app_id,
        company_id,
        location_id,
    })
}

/// An AppUpdate.
pub fn app_update() -> impl Strategy<Value = AppUpdate> {
    (
        (id(), of(id()), of(id()), of(id()), of(id())),
        (of(id()), envelope(id())),
        of(trial()),
        of(any::<bool>()),
        of(whitelabel_details()),
        of(free_text()),
    )
        .prop_map(
            |(
                (app_id, company_id, location_id, user_id, plan_id),
                (previous_version_id, version_id),
                trial,
                is_whitelabel_company,
                whitelabel_details,
                company_name,
            )| AppUpdate {
                app_id,
                company_id,
                location_id,
                user_id,
                plan_id,
                previous_version_id,
                version_id,
                trial,
                is_whitelabel_company,
                whitelabel_details,
                company_name,
            },
        )
}

/// An AppPaymentStatus, with documented and unknown statuses and `userId` sometimes absent.
pub fn app_payment_status() -> impl Strategy<Value = AppPaymentStatus> {
    (
        id(),
        of(id()),
        of(id()),
        of(id()),
        of(open_value::<PaymentStatus>(PaymentStatus::KNOWN)),
        of(open_value::<PaymentStatus>(PaymentStatus::KNOWN)),
    )
        .prop_map(
            |(app_id, location_id, company_id, user_id, previous_status, new_status)| {
                AppPaymentStatus {
                    app_id,
                    location_id,
                    company_id,
                    user_id,
                    previous_status,
                    new_status,
                }
            },
        )
}

/// A PlanChange.
pub fn plan_change() -> impl Strategy<Value = PlanChange> {
    (id(), of(id()), of(id()), of(id()), of(id()), of(id())).prop_map(
        |(app_id, location_id, company_id, user_id, current_plan_id, new_plan_id)| PlanChange {
            app_id,
            location_id,
            company_id,
            user_id,
            current_plan_id,
            new_plan_id,
        },
    )
}

/// An ExternalAuthConnected, with documented and unknown auth types.
pub fn external_auth_connected() -> impl Strategy<Value = ExternalAuthConnected> {
    (
        id(),
        of(id()),
        of(id()),
        of(open_value::<AuthType>(AuthType::KNOWN)),
        of("[a-z]{1,10}\\.(readonly|write)( [a-z]{1,10}\\.(readonly|write)){0,3}"),
        of(any::<bool>()),
        envelope(timestamp()),
        envelope(uuid()),
    )
        .prop_map(
            |(
                app_id,
                location_id,
                company_id,
                auth_type,
                scopes,
                is_auto_refresh_token_enabled,
                timestamp,
                webhook_id,
            )| ExternalAuthConnected {
                app_id,
                location_id,
                company_id,
                auth_type,
                scopes,
                is_auto_refresh_token_enabled,
                timestamp,
                webhook_id,
            },
        )
}

/// One price of a SaaS plan.
pub fn saas_plan_price() -> impl Strategy<Value = SaasPlanPrice> {
    (
        of("price_[a-zA-Z0-9]{14}"),
        of(open_value::<BillingInterval>(BillingInterval::KNOWN)),
        of(any::<bool>()),
        of(hundredths(0..10_000_000)),
        of(currency().prop_map(|c| c.to_lowercase())),
        of("(\\$|€|£|¥|R\\$)"),
    )
        .prop_map(
            |(id, billing_interval, active, amount, currency, symbol)| SaasPlanPrice {
                id,
                billing_interval,
                active,
                amount,
                currency,
                symbol,
            },
        )
}

/// A SaaSPlanCreate (the object form).
pub fn saas_plan_create() -> impl Strategy<Value = SaaSPlanCreate> {
    (
        (id(), of(free_text()), of(free_text())),
        (vec(free_text(), 0..3), vec(free_text(), 0..3)),
        (of(hundredths(0..10_000_000)), of(hundredths(0..10_000_000))),
        vec(saas_plan_price(), 0..3),
        (of(id()), of(id()), of(id())),
        of(any::<bool>()),
        (of(timestamp()), of(timestamp())),
    )
        .prop_map(
            |(
                (plan_id, title, description),
                (saas_products, add_ons),
                (plan_level, trial_period),
                prices,
                (category_id, snapshot_id, product_id),
                is_saas_v2,
                (created_at, updated_at),
            )| SaaSPlanCreate {
                plan_id,
                title,
                description,
                saas_products,
                add_ons,
                plan_level,
                trial_period,
                prices,
                category_id,
                snapshot_id,
                product_id,
                is_saas_v2,
                created_at,
                updated_at,
            },
        )
}

event_strategies! {
    AppInstall => app_install(),
    AppUninstall => app_uninstall(),
    AppUpdate => app_update(),
    AppPaymentStatus => app_payment_status(),
    PlanChange => plan_change(),
    ExternalAuthConnected => external_auth_connected(),
    SaaSPlanCreate => saas_plan_create(),
}
