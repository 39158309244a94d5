//! Price events: a price of a product was created, updated or deleted.
//!
//! None of the three carries a `type` naming the event, so identify them by route binding.
//! PriceDelete and PriceUpdate do carry a `type`, but it holds the **price type**
//! (`one_time`, `recurring`): it is modelled as [`Price::type_field`] and is never taken for an
//! event name (`EventKind::from_type_field("one_time")` is `None`). PriceCreate sends the same
//! information as `priceType` ([`Price::price_type`]). The three documented shapes differ only
//! in that field name, so all three share [`Price`] with both fields optional;
//! [`Price::effective_price_type`] reads whichever is present.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::lenient::Number;
use crate::open_enum;
use crate::shape::same_shape;

open_enum! {
    /// How a price is charged.
    pub enum PriceType {
        /// Charged once.
        OneTime => "one_time",
        /// Charged on a schedule (see [`Recurring`]).
        Recurring => "recurring",
    }
}

open_enum! {
    /// The unit of a recurring price's billing period.
    pub enum RecurringInterval {
        /// Daily.
        Day => "day",
        /// Weekly.
        Week => "week",
        /// Monthly.
        Month => "month",
        /// Yearly.
        Year => "year",
    }
}

/// The body shared by the three Price events.
///
/// `_id` identifies the subject and is required; every other field may be absent or `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    /// Unique identifier of the price (`_id` on the wire).
    #[serde(rename = "_id")]
    pub id: String,
    /// Membership offers granted with the price.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub membership_offers: Vec<MembershipOffer>,
    /// The product variant options this price is for (ids of
    /// [`VariantOption`](crate::product::VariantOption)s).
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub variant_option_ids: Vec<String>,
    /// The location (sub-account) the price belongs to.
    pub location_id: Option<String>,
    /// The product the price belongs to (its id).
    pub product: Option<String>,
    /// The user who made the change.
    pub user_id: Option<String>,
    /// Name of the price, e.g. `Red / S`.
    pub name: Option<String>,
    /// The price type as PriceCreate sends it (`priceType`; open set).
    pub price_type: Option<PriceType>,
    /// The price type as PriceDelete and PriceUpdate send it: their `type` field holds
    /// `one_time`/`recurring`, **not** an event name (open set).
    #[serde(rename = "type")]
    pub type_field: Option<PriceType>,
    /// ISO 4217 currency code.
    pub currency: Option<String>,
    /// Amount charged (in the currency's main unit as HighLevel shows it).
    pub amount: Option<Number>,
    /// Billing schedule of a recurring price.
    pub recurring: Option<Recurring>,
    /// Creation time (ISO-8601).
    pub created_at: Option<String>,
    /// Last update time (ISO-8601).
    pub updated_at: Option<String>,
    /// "Compare at" (strike-through) amount.
    pub compare_at_price: Option<Number>,
    /// Whether stock is tracked. The docs type it as `null` and show `null`; HighLevel's
    /// products API makes it a boolean, so it is one here (`null` and absent are `None`).
    pub track_inventory: Option<bool>,
    /// Units in stock.
    pub available_quantity: Option<Number>,
    /// Whether buying is allowed when out of stock.
    pub allow_out_of_stock_purchases: Option<bool>,
}

impl Price {
    /// The price type from whichever field carries it: `priceType` (PriceCreate) or `type`
    /// (PriceDelete, PriceUpdate), `priceType` first.
    pub fn effective_price_type(&self) -> Option<&PriceType> {
        self.price_type.as_ref().or(self.type_field.as_ref())
    }
}

/// A membership offer granted with a price.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipOffer {
    /// Label of the offer.
    pub label: Option<String>,
    /// Value of the offer; a string in the docs (`"50"`).
    pub value: Option<String>,
    /// Identifier of the offer (`_id` on the wire).
    #[serde(rename = "_id")]
    pub id: Option<String>,
}

/// The billing schedule of a recurring price.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recurring {
    /// Unit of the period (`day`, `week`, `month`, `year`; open set).
    pub interval: Option<RecurringInterval>,
    /// Number of units per period.
    pub interval_count: Option<Number>,
}

same_shape! {
    Price =>
    /// A price was created. Identified by route binding (no `type`; the price type is in
    /// `priceType`).
    PriceCreate,
    /// A price was deleted. Identified by route binding: its `type` is the price type
    /// (`one_time`), not the event.
    PriceDelete,
    /// A price was updated. Identified by route binding: its `type` is the price type
    /// (`one_time`), not the event.
    PriceUpdate,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventKind, Probe, WebhookEvent};

    #[test]
    fn price_kinds_need_a_route_binding() {
        for kind in [
            EventKind::PriceCreate,
            EventKind::PriceDelete,
            EventKind::PriceUpdate,
        ] {
            assert!(kind.needs_route_binding(), "{kind}");
            assert_eq!(kind.sent_type(), None);
        }
    }

    #[test]
    fn a_price_type_in_type_is_not_an_event_kind_and_is_kept() {
        let body = br#"{"_id":"pr1","type":"one_time","amount":199999}"#;
        let probe = Probe::read(body).expect("probes");
        assert_eq!(probe.type_field.as_deref(), Some("one_time"));
        assert_eq!(EventKind::from_type_field("one_time"), None);
        assert_eq!(EventKind::from_type_field("recurring"), None);

        let event = PriceDelete::decode(body).expect("decodes");
        assert_eq!(event.type_field, Some(PriceType::OneTime));
        assert_eq!(event.price_type, None);
        assert_eq!(event.effective_price_type(), Some(&PriceType::OneTime));
        let json = serde_json::to_value(&event).expect("encodes");
        assert_eq!(
            json["type"], "one_time",
            "the price type survives serialization"
        );

        let update = PriceUpdate::decode(br#"{"_id":"pr1","type":"recurring"}"#).expect("ok");
        assert_eq!(update.effective_price_type(), Some(&PriceType::Recurring));
    }

    #[test]
    fn price_create_carries_the_price_type_in_price_type() {
        let event =
            PriceCreate::decode(br#"{"_id":"pr1","priceType":"recurring","recurring":{"interval":"month","intervalCount":3}}"#)
                .expect("decodes");
        assert_eq!(event.price_type, Some(PriceType::Recurring));
        assert_eq!(event.type_field, None);
        assert_eq!(event.effective_price_type(), Some(&PriceType::Recurring));
        let recurring = event.recurring.as_ref().expect("recurring");
        assert_eq!(recurring.interval, Some(RecurringInterval::Month));
        assert_eq!(recurring.interval_count, Some(Number(3.0)));
    }

    #[test]
    fn price_types_and_intervals_are_open_sets() {
        let body = br#"{"_id":"pr1","type":"usage_based","recurring":{"interval":"quarter"}}"#;
        let event = PriceUpdate::decode(body).expect("decodes");
        assert_eq!(
            event.type_field,
            Some(PriceType::Other("usage_based".into()))
        );
        assert_eq!(
            event.recurring.as_ref().and_then(|r| r.interval.clone()),
            Some(RecurringInterval::Other("quarter".into()))
        );
        assert_eq!(EventKind::from_type_field("usage_based"), None);
    }

    #[test]
    fn amounts_decode_from_numbers_and_from_strings() {
        let numbers = br#"{"_id":"pr1","amount":1999.99,"compareAtPrice":2000000,
            "availableQuantity":5,"recurring":{"intervalCount":1}}"#;
        let strings = br#"{"_id":"pr1","amount":"1999.99","compareAtPrice":"2000000",
            "availableQuantity":"5","recurring":{"intervalCount":"1"}}"#;
        let a = PriceCreate::decode(numbers).expect("numbers");
        let b = PriceCreate::decode(strings).expect("strings");
        assert_eq!(a, b);
        assert_eq!(a.amount, Some(Number(1999.99)));
    }

    #[test]
    fn unknown_nested_fields_and_null_optionals_still_decode() {
        let body = br#"{"_id":"pr1","membershipOffers":[{"label":"top","value":null,"tier":3}],
            "variantOptionIds":null,"priceType":null,"type":null,"amount":null,
            "recurring":{"interval":null,"trialPeriod":7},"trackInventory":null,
            "availableQuantity":null,"shippingOptions":{"weight":{"value":1}}}"#;
        let event = PriceUpdate::decode(body).expect("decodes");
        assert_eq!(event.id, "pr1");
        assert_eq!(event.membership_offers[0].label.as_deref(), Some("top"));
        assert_eq!(event.membership_offers[0].value, None);
        assert!(event.variant_option_ids.is_empty());
        assert_eq!(event.effective_price_type(), None);
        assert_eq!(event.track_inventory, None);
        assert_eq!(
            event.recurring.as_ref().and_then(|r| r.interval.clone()),
            None
        );
    }
}
