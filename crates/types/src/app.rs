//! App events: the marketplace app's own lifecycle (installed, uninstalled, updated, paid,
//! plan changed, external auth connected) and agency SaaS plans being created.
//!
//! Their `type` values are not the event names: `INSTALL`, `UNINSTALL`, `UPDATE`,
//! `APP_PAYMENT_STATUS`, `PLAN_CHANGE`, `EXTERNAL_AUTH_CONNECTED` and `SaasPlanCreate`; the
//! catalogue's alias table maps them. The `type` field itself is not modelled.
//!
//! The subject of the app lifecycle events is the app, so `appId` is their required
//! identifier. They are sent for a location (sub-account) or, for agency-level installs, for
//! a company: `locationId`, `companyId` and `userId` are each optional (an agency-level
//! AppInstall has no `locationId`/`userId`, an agency-level AppUninstall carries `companyId`
//! instead of `locationId`, and `userId` may be `null` in AppPaymentStatus).

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::open_enum;

/// The trial of an installation.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trial {
    /// Whether the installation is on a trial.
    pub on_trial: Option<bool>,
    /// Length of the trial, in days. Documented as a JSON `number`, so kept as `f64`.
    pub trial_duration: Option<f64>,
    /// When the trial started (ISO-8601, documented as `"Date"`).
    pub trial_start_date: Option<String>,
}

/// The white-label branding of the agency that installed the app.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhitelabelDetails {
    /// The agency's white-label domain.
    pub domain: Option<String>,
    /// URL of the agency's logo.
    pub logo_url: Option<String>,
}

/// The app was installed on a location or, agency-level, on a company.
/// Identified by `type` `INSTALL`.
///
/// The agency-level variant carries no `locationId` and no `userId`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInstall {
    /// The installed app: the identifier of the subject, required.
    pub app_id: String,
    /// The agency (company) the app was installed under.
    pub company_id: Option<String>,
    /// The location (sub-account); absent on agency-level installs.
    pub location_id: Option<String>,
    /// The user who installed the app; absent on agency-level installs.
    pub user_id: Option<String>,
    /// The app plan chosen at install.
    pub plan_id: Option<String>,
    /// The trial, when the plan has one.
    pub trial: Option<Trial>,
    /// Whether the installing agency is white-labelled.
    pub is_whitelabel_company: Option<bool>,
    /// The agency's white-label branding.
    pub whitelabel_details: Option<WhitelabelDetails>,
    /// The agency's name.
    pub company_name: Option<String>,
}

/// The app was uninstalled from a location or, agency-level, from a company.
/// Identified by `type` `UNINSTALL`.
///
/// The agency-level variant carries `companyId` instead of `locationId`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppUninstall {
    /// The uninstalled app: the identifier of the subject, required.
    pub app_id: String,
    /// The agency (company); set on agency-level uninstalls.
    pub company_id: Option<String>,
    /// The location (sub-account); absent on agency-level uninstalls.
    pub location_id: Option<String>,
}

/// An installed app was updated to a new version. Identified by `type` `UPDATE`.
///
/// The documented body is AppInstall's plus `previousVersionId`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppUpdate {
    /// The updated app: the identifier of the subject, required.
    pub app_id: String,
    /// The agency (company).
    pub company_id: Option<String>,
    /// The location (sub-account); absent on agency-level installs.
    pub location_id: Option<String>,
    /// The user the update applies to.
    pub user_id: Option<String>,
    /// The app plan of the installation.
    pub plan_id: Option<String>,
    /// The version the installation was on before the update.
    pub previous_version_id: Option<String>,
    /// The version the installation is on now. Not in the doc schema: it is the envelope's
    /// `versionId`, which real deliveries carry; kept here because it is the other half of
    /// `previousVersionId`.
    pub version_id: Option<String>,
    /// The trial, when the plan has one.
    pub trial: Option<Trial>,
    /// Whether the agency is white-labelled.
    pub is_whitelabel_company: Option<bool>,
    /// The agency's white-label branding.
    pub whitelabel_details: Option<WhitelabelDetails>,
    /// The agency's name.
    pub company_name: Option<String>,
}

open_enum! {
    /// The payment status of an app installation.
    pub enum PaymentStatus {
        /// The payment went through.
        Complete => "COMPLETE",
        /// The payment failed.
        Failed => "FAILED",
        /// The payment is being processed.
        Pending => "PENDING",
    }
}

/// The payment status of an app installation changed. Identified by `type`
/// `APP_PAYMENT_STATUS`.
///
/// `userId` may be `null` in real deliveries.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppPaymentStatus {
    /// The app: the identifier of the subject, required.
    pub app_id: String,
    /// The location (sub-account).
    pub location_id: Option<String>,
    /// The agency (company).
    pub company_id: Option<String>,
    /// The user concerned; may be `null`.
    pub user_id: Option<String>,
    /// The status before the change (`COMPLETE`, `FAILED`, `PENDING`, ...).
    pub previous_status: Option<PaymentStatus>,
    /// The status after the change.
    pub new_status: Option<PaymentStatus>,
}

/// The app plan of an installation changed. Identified by `type` `PLAN_CHANGE`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanChange {
    /// The app: the identifier of the subject, required.
    pub app_id: String,
    /// The location (sub-account).
    pub location_id: Option<String>,
    /// The agency (company).
    pub company_id: Option<String>,
    /// The user who changed the plan.
    pub user_id: Option<String>,
    /// The plan before the change.
    pub current_plan_id: Option<String>,
    /// The plan after the change.
    pub new_plan_id: Option<String>,
}

open_enum! {
    /// How an external (third-party) account was connected to the app.
    pub enum AuthType {
        /// OAuth 2.0.
        OAuth2 => "oauth2",
        /// Basic credentials.
        Basic => "basic",
    }
}

/// An external account was connected to the app through its external authentication.
/// Identified by `type` `EXTERNAL_AUTH_CONNECTED`.
///
/// The doc lists `timestamp` and `webhookId` as required fields of this event; they are the
/// envelope fields every delivery carries, modelled here because the doc names them, but
/// optional like every envelope field.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalAuthConnected {
    /// The app: the identifier of the subject, required.
    pub app_id: String,
    /// The location (sub-account).
    pub location_id: Option<String>,
    /// The agency (company).
    pub company_id: Option<String>,
    /// How the account was connected (`oauth2`, `basic`, ...).
    pub auth_type: Option<AuthType>,
    /// The scopes granted, as one string (documented as a string, not a list).
    pub scopes: Option<String>,
    /// Whether HighLevel refreshes the external token automatically.
    pub is_auto_refresh_token_enabled: Option<bool>,
    /// ISO-8601 send time (envelope field, documented for this event).
    pub timestamp: Option<String>,
    /// The delivery id (envelope field, documented for this event).
    pub webhook_id: Option<String>,
}

open_enum! {
    /// How often a SaaS plan price is billed.
    pub enum BillingInterval {
        /// Every day.
        Day => "day",
        /// Every week.
        Week => "week",
        /// Every month.
        Month => "month",
        /// Every year.
        Year => "year",
    }
}

/// One price of a SaaS plan.
///
/// The doc marks every field required; they are optional here (a price without one still
/// decodes), the price's `id` included, since the plan, not the price, is the subject.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaasPlanPrice {
    /// Unique identifier of the price.
    pub id: Option<String>,
    /// Billing frequency (`month`, `year`, ...).
    pub billing_interval: Option<BillingInterval>,
    /// Whether the price is currently active.
    pub active: Option<bool>,
    /// The amount, in cents. Documented as a JSON `number`, so kept as `f64`.
    pub amount: Option<f64>,
    /// Currency code, e.g. `usd`.
    pub currency: Option<String>,
    /// Currency symbol, e.g. `$`.
    pub symbol: Option<String>,
}

/// An agency created a SaaS plan. Identified by `type` `SaasPlanCreate`.
///
/// The doc page notes that the body may be an array of plans; this models the object form
/// (one plan per delivery), which is what the schema documents. An array body fails to decode
/// as this kind and is reported with its JSON path.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaaSPlanCreate {
    /// Unique identifier of the plan: the identifier of the subject, required.
    pub plan_id: String,
    /// Human-readable name of the plan.
    pub title: Option<String>,
    /// Description of the plan.
    pub description: Option<String>,
    /// The product features included in the plan (documented as a list of strings).
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub saas_products: Vec<String>,
    /// Services or features available as add-ons (documented as a list of strings).
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub add_ons: Vec<String>,
    /// Tier of the plan. Documented as a JSON `number`, so kept as `f64`.
    pub plan_level: Option<f64>,
    /// Length of the trial, in days. Documented as a JSON `number`, so kept as `f64`.
    pub trial_period: Option<f64>,
    /// The prices of the plan, one per billing interval.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub prices: Vec<SaasPlanPrice>,
    /// The plan's category.
    pub category_id: Option<String>,
    /// The snapshot applied to locations on this plan.
    pub snapshot_id: Option<String>,
    /// The associated product.
    pub product_id: Option<String>,
    /// Whether this is a SaaS V2 plan.
    #[serde(rename = "isSaaSV2")]
    pub is_saas_v2: Option<bool>,
    /// When the plan was created (ISO-8601).
    pub created_at: Option<String>,
    /// When the plan was last updated (ISO-8601).
    pub updated_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, EventKind, WebhookEvent};

    #[test]
    fn the_alias_table_maps_the_app_type_values() {
        for (value, kind) in [
            ("INSTALL", EventKind::AppInstall),
            ("UNINSTALL", EventKind::AppUninstall),
            ("UPDATE", EventKind::AppUpdate),
            ("APP_PAYMENT_STATUS", EventKind::AppPaymentStatus),
            ("PLAN_CHANGE", EventKind::PlanChange),
            ("EXTERNAL_AUTH_CONNECTED", EventKind::ExternalAuthConnected),
            ("SaasPlanCreate", EventKind::SaaSPlanCreate),
        ] {
            assert_eq!(EventKind::from_type_field(value), Some(kind), "{value}");
            assert_eq!(kind.sent_type(), Some(value));
            assert_eq!(kind.type_values(), &[kind.as_str(), value]);
            assert!(!kind.needs_route_binding());
        }
    }

    #[test]
    fn app_payment_status_accepts_a_null_user_id() {
        let body = br#"{"type":"APP_PAYMENT_STATUS","appId":"ve9EPM428h8vShlRW1KT",
            "locationId":"otg8dTQqGLh3Q6iQI55w","companyId":"otg8dTQqGLh3Q6iQI55w",
            "userId":null,"previousStatus":"PENDING","newStatus":"COMPLETE"}"#;
        let event = AppPaymentStatus::decode(body).expect("decodes");
        assert_eq!(event.user_id, None);
        assert_eq!(event.previous_status, Some(PaymentStatus::Pending));
        assert_eq!(event.new_status, Some(PaymentStatus::Complete));
        let json = serde_json::to_value(&event).expect("serializes");
        assert!(
            json.get("userId").is_none(),
            "None is not serialized: {json}"
        );
    }

    #[test]
    fn payment_statuses_are_an_open_set() {
        for (wire, expected) in [
            ("COMPLETE", PaymentStatus::Complete),
            ("FAILED", PaymentStatus::Failed),
            ("PENDING", PaymentStatus::Pending),
            ("REFUNDED", PaymentStatus::Other("REFUNDED".into())),
        ] {
            let body = format!(r#"{{"appId":"a","previousStatus":"{wire}","newStatus":"{wire}"}}"#);
            let event = AppPaymentStatus::decode(body.as_bytes()).expect("decodes");
            assert_eq!(event.new_status.as_ref(), Some(&expected));
            assert_eq!(event.previous_status.as_ref(), Some(&expected));
            assert_eq!(expected.as_str(), wire);
            let back = serde_json::to_value(&event).expect("serializes");
            assert_eq!(back["newStatus"], wire);
        }
    }

    #[test]
    fn agency_level_app_install_has_no_location_or_user() {
        let body = br#"{"type":"INSTALL","appId":"ve9EPM428h8vShlRW1KT",
            "companyId":"otg8dTQqGLh3Q6iQI55w","planId":"66a0419a0dffa47fb5f8b22f",
            "isWhitelabelCompany":false,"companyName":"Example Agency"}"#;
        let event = AppInstall::decode(body).expect("decodes");
        assert_eq!(event.app_id, "ve9EPM428h8vShlRW1KT");
        assert_eq!(event.company_id.as_deref(), Some("otg8dTQqGLh3Q6iQI55w"));
        assert_eq!(event.location_id, None);
        assert_eq!(event.user_id, None);
        assert_eq!(event.trial, None);
        assert_eq!(
            EventKind::from_type_field("INSTALL"),
            Some(EventKind::AppInstall)
        );
    }

    #[test]
    fn agency_level_app_uninstall_carries_company_id_instead_of_location_id() {
        let body = br#"{"type":"UNINSTALL","appId":"ve9EPM428h8vShlRW1KT",
            "companyId":"otg8dTQqGLh3Q6iQI55w"}"#;
        let event = AppUninstall::decode(body).expect("decodes");
        assert_eq!(event.company_id.as_deref(), Some("otg8dTQqGLh3Q6iQI55w"));
        assert_eq!(event.location_id, None);
    }

    #[test]
    fn auth_types_are_an_open_set() {
        for (wire, expected) in [
            ("oauth2", AuthType::OAuth2),
            ("basic", AuthType::Basic),
            ("api_key", AuthType::Other("api_key".into())),
        ] {
            let body = format!(
                r#"{{"type":"EXTERNAL_AUTH_CONNECTED","appId":"a","locationId":"l",
                "companyId":"c","authType":"{wire}","timestamp":"2025-01-01T00:00:00Z",
                "webhookId":"w"}}"#
            );
            let event = ExternalAuthConnected::decode(body.as_bytes()).expect("decodes");
            assert_eq!(event.auth_type.as_ref(), Some(&expected));
            let back = serde_json::to_value(&event).expect("serializes");
            assert_eq!(back["authType"], wire);
        }
    }

    #[test]
    fn unknown_nested_fields_and_null_optionals_still_decode() {
        let body = br#"{"appId":"a","locationId":null,"userId":null,"planId":null,
            "trial":{"onTrial":null,"trialDuration":7,"brandNew":[1,2]},
            "whitelabelDetails":{"domain":null,"faviconUrl":"https://x.io/f.ico"},
            "isWhitelabelCompany":null,"newTopLevel":{"x":1}}"#;
        let event = AppInstall::decode(body).expect("decodes");
        assert_eq!(event.location_id, None);
        let trial = event.trial.expect("trial");
        assert_eq!(trial.on_trial, None);
        assert_eq!(trial.trial_duration, Some(7.0));
        assert_eq!(event.whitelabel_details.expect("details").domain, None);

        let body = br#"{"planId":"p","saasProducts":null,"addOns":null,"title":null,
            "prices":[{"id":"price_1","billingInterval":"quarter","amount":null,"extra":true}]}"#;
        let plan = SaaSPlanCreate::decode(body).expect("decodes");
        assert!(plan.saas_products.is_empty() && plan.add_ons.is_empty());
        assert_eq!(plan.title, None);
        assert_eq!(
            plan.prices[0].billing_interval,
            Some(BillingInterval::Other("quarter".into()))
        );
        assert_eq!(plan.prices[0].amount, None);
    }

    #[test]
    fn the_app_id_is_required() {
        let err =
            Event::decode(EventKind::AppUninstall, br#"{"locationId":"l"}"#).expect_err("no appId");
        assert!(err.message.contains("appId"), "{err}");
    }

    #[test]
    fn saas_plan_create_is_the_object_form() {
        let err = Event::decode(EventKind::SaaSPlanCreate, br#"[{"planId":"p"}]"#)
            .expect_err("array body");
        assert_eq!(err.kind, EventKind::SaaSPlanCreate);
        let body = br#"{"planId":"p","isSaaSV2":true}"#;
        let plan = SaaSPlanCreate::decode(body).expect("decodes");
        assert_eq!(plan.is_saas_v2, Some(true));
        let json = serde_json::to_value(&plan).expect("serializes");
        assert_eq!(json["isSaaSV2"], true);
    }
}
