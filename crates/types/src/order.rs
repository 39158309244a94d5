//! Order events: an order was placed (OrderCreate) or its status changed (OrderStatusUpdate).
//!
//! Both carry `"type"` naming the event and one documented shape, shared as [`Order`]. The
//! order is identified by `_id`, modelled as [`Order::id`]. Amounts are
//! [`Number`]s: HighLevel's payments docs show amounts both as numbers and as strings.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::invoice::AltType;
use crate::lenient::Number;
use crate::open_enum;
use crate::shape::same_shape;

open_enum! {
    /// The payment state of an order.
    pub enum OrderStatus {
        /// Placed, payment not completed yet.
        Pending => "pending",
        /// Paid.
        Completed => "completed",
        /// The payment failed.
        Failed => "failed",
        /// Refunded in full.
        Refunded => "refunded",
        /// Refunded in part.
        PartiallyRefunded => "partially_refunded",
        /// Cancelled.
        Cancelled => "cancelled",
    }
}

open_enum! {
    /// The shipping state of an order.
    pub enum FulfillmentStatus {
        /// Nothing shipped yet.
        Unfulfilled => "unfulfilled",
        /// Some items shipped.
        PartiallyFulfilled => "partially_fulfilled",
        /// Every item shipped.
        Fulfilled => "fulfilled",
    }
}

open_enum! {
    /// Where an order was placed (HighLevel's documented entity source types).
    pub enum OrderSourceType {
        /// A funnel order form.
        Funnel => "funnel",
        /// A website.
        Website => "website",
        /// An invoice.
        Invoice => "invoice",
        /// A calendar booking.
        Calendar => "calendar",
        /// A text-to-pay link.
        Text2Pay => "text2Pay",
        /// A document or contract.
        DocumentContracts => "document_contracts",
        /// A membership.
        Membership => "membership",
        /// The mobile app.
        MobileApp => "mobile_app",
        /// Communities.
        Communities => "communities",
        /// Point of sale.
        PointOfSale => "point_of_sale",
        /// Entered by hand.
        Manual => "manual",
        /// A form.
        Form => "form",
        /// A survey.
        Survey => "survey",
        /// A payment link.
        PaymentLink => "payment_link",
        /// An external system.
        External => "external",
    }
}

open_enum! {
    /// How a tax amount relates to the price.
    pub enum TaxCalculation {
        /// Added on top of the price.
        Exclusive => "exclusive",
        /// Included in the price.
        Inclusive => "inclusive",
    }
}

/// The body shared by OrderCreate and OrderStatusUpdate.
///
/// `_id` identifies the subject and is required; every other field may be absent or `null`.
/// The `type` field names the event and is not modelled.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// Unique identifier of the order (`_id` on the wire).
    #[serde(rename = "_id")]
    pub id: String,
    /// Identifier of the owner, e.g. the location id.
    pub alt_id: Option<String>,
    /// What kind of owner `altId` names (`location`).
    pub alt_type: Option<AltType>,
    /// The buying contact.
    pub contact_id: Option<String>,
    /// The buying contact as it was when the order was placed.
    pub contact_snapshot: Option<ContactSnapshot>,
    /// Payment state (open set).
    pub status: Option<OrderStatus>,
    /// Shipping state (open set).
    pub fulfillment_status: Option<FulfillmentStatus>,
    /// ISO 4217 currency code.
    pub currency: Option<String>,
    /// Total amount.
    pub amount: Option<Number>,
    /// `true` for a live-mode order, `false` for a test-mode one.
    pub live_mode: Option<bool>,
    /// The items ordered.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub items: Vec<OrderItem>,
    /// Breakdown of the amount.
    pub amount_summary: Option<AmountSummary>,
    /// Taxes applied.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub tax_summary: Vec<TaxLine>,
    /// Where the order was placed.
    pub source: Option<OrderSource>,
    /// Creation time (ISO-8601).
    pub created_at: Option<String>,
    /// Last update time (ISO-8601).
    pub updated_at: Option<String>,
}

/// A contact as it was when an order was placed.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactSnapshot {
    /// The contact's location.
    pub location_id: Option<String>,
    /// The contact's id.
    pub id: Option<String>,
    /// Street address.
    pub address1: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Company name.
    pub company_name: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// How the contact was acquired (free text in HighLevel).
    pub source: Option<String>,
    /// When the contact was added (ISO-8601).
    pub date_added: Option<String>,
    /// Date of birth as sent.
    pub date_of_birth: Option<String>,
    /// Whether the contact is on do-not-disturb.
    pub dnd: Option<bool>,
    /// E-mail address.
    pub email: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// State or region.
    pub state: Option<String>,
    /// Tags of the contact.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub tags: Vec<String>,
    /// Website.
    pub website: Option<String>,
    /// Attachments; the docs give no item shape, so each is kept as raw JSON.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub attachments: Vec<serde_json::Value>,
    /// The user the contact is assigned to.
    pub assigned_to: Option<String>,
}

/// An item of an order.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    /// Name of the item.
    pub name: Option<String>,
    /// Quantity.
    pub qty: Option<Number>,
    /// The product ordered. Documented only as `object`, so kept as raw JSON.
    pub product: Option<serde_json::Value>,
    /// The price ordered. Documented only as `object`, so kept as raw JSON.
    pub price: Option<serde_json::Value>,
}

/// The breakdown of an order's amount.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmountSummary {
    /// Discount amount.
    pub discount: Option<Number>,
    /// Shipping amount.
    pub shipping: Option<Number>,
    /// Sum of the items (`subtotal` on the wire, all lower case).
    pub subtotal: Option<Number>,
    /// Tax amount.
    pub tax: Option<Number>,
}

/// A tax applied to an order.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxLine {
    /// Identifier of the tax (`_id` on the wire).
    #[serde(rename = "_id")]
    pub id: Option<String>,
    /// Tax amount.
    pub amount: Option<Number>,
    /// Whether the tax is added to or included in the price (open set).
    pub calculation: Option<TaxCalculation>,
    /// Name of the tax.
    pub name: Option<String>,
    /// Rate in percent.
    pub rate: Option<Number>,
}

/// Where an order was placed.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderSource {
    /// Identifier of the source (funnel id, invoice id, ...).
    pub id: Option<String>,
    /// Name of the source.
    pub name: Option<String>,
    /// Kind of source (`funnel`, `invoice`, ...; open set). `type` on the wire: the source
    /// type, not an event name.
    #[serde(rename = "type")]
    pub source_type: Option<OrderSourceType>,
    /// Finer kind of source, e.g. `two_step_order_form`, `upsell` (a long, growing list:
    /// kept as a string).
    pub sub_type: Option<String>,
    /// Source-specific metadata (page id, step id, domain, ...): free-form.
    pub meta: Option<serde_json::Value>,
}

same_shape! {
    Order =>
    /// An order was placed. Identified by `type` `OrderCreate`.
    OrderCreate,
    /// The status of an order changed. Identified by `type` `OrderStatusUpdate`.
    OrderStatusUpdate,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventKind, WebhookEvent};

    #[test]
    fn order_kinds_are_identified_by_their_type() {
        for kind in [EventKind::OrderCreate, EventKind::OrderStatusUpdate] {
            assert!(!kind.needs_route_binding());
            assert_eq!(kind.sent_type(), Some(kind.as_str()));
            assert_eq!(EventKind::from_type_field(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn amounts_decode_from_numbers_and_from_strings() {
        let numbers = br#"{"type":"OrderCreate","_id":"o1","amount":49.99,
            "items":[{"name":"Tee","qty":2}],
            "amountSummary":{"discount":0,"shipping":5,"subtotal":44.99,"tax":0},
            "taxSummary":[{"_id":"t1","amount":0,"rate":8.25,"calculation":"exclusive"}]}"#;
        let strings = br#"{"type":"OrderCreate","_id":"o1","amount":"49.99",
            "items":[{"name":"Tee","qty":"2"}],
            "amountSummary":{"discount":"0","shipping":"5.00","subtotal":"44.99","tax":"0"},
            "taxSummary":[{"_id":"t1","amount":"0","rate":"8.25","calculation":"exclusive"}]}"#;
        let a = OrderCreate::decode(numbers).expect("numbers");
        let b = OrderCreate::decode(strings).expect("strings");
        assert_eq!(a, b);
        assert_eq!(a.amount, Some(Number(49.99)));
        assert_eq!(
            a.tax_summary[0].calculation,
            Some(TaxCalculation::Exclusive)
        );
    }

    #[test]
    fn statuses_and_sources_are_open_sets() {
        let body = br#"{"type":"OrderStatusUpdate","_id":"o1","status":"completed",
            "fulfillmentStatus":"fulfilled","source":{"type":"funnel","subType":"upsell"}}"#;
        let known = OrderStatusUpdate::decode(body).expect("decodes");
        assert_eq!(known.status, Some(OrderStatus::Completed));
        assert_eq!(known.fulfillment_status, Some(FulfillmentStatus::Fulfilled));
        assert_eq!(
            known.source.as_ref().and_then(|s| s.source_type.clone()),
            Some(OrderSourceType::Funnel)
        );

        let body = br#"{"_id":"o1","status":"disputed","fulfillmentStatus":"returned",
            "source":{"type":"marketplace"},"taxSummary":[{"calculation":"compound"}]}"#;
        let new = OrderStatusUpdate::decode(body).expect("decodes");
        assert_eq!(new.status, Some(OrderStatus::Other("disputed".into())));
        assert_eq!(
            new.fulfillment_status,
            Some(FulfillmentStatus::Other("returned".into()))
        );
        assert_eq!(
            new.source.as_ref().and_then(|s| s.source_type.clone()),
            Some(OrderSourceType::Other("marketplace".into()))
        );
        assert_eq!(
            new.tax_summary[0].calculation,
            Some(TaxCalculation::Other("compound".into()))
        );
    }

    #[test]
    fn unknown_nested_fields_and_null_optionals_still_decode() {
        let body = br#"{"type":"OrderCreate","_id":"o1","altId":null,"status":null,
            "contactSnapshot":{"id":"c1","tags":null,"attachments":null,"dnd":null,
              "dndSettings":{"SMS":{"status":"active"}}},
            "items":[{"name":"Tee","qty":null,"product":{"_id":"p1","brandNew":true},"price":null,
              "options":[1]}],
            "amountSummary":null,"taxSummary":null,"source":{"id":"f1","meta":null,"extra":[]},
            "couponCode":"SAVE10"}"#;
        let event = OrderCreate::decode(body).expect("decodes");
        assert_eq!(event.id, "o1");
        assert_eq!(event.status, None);
        let snapshot = event.contact_snapshot.as_ref().expect("snapshot");
        assert_eq!(snapshot.id.as_deref(), Some("c1"));
        assert!(snapshot.tags.is_empty() && snapshot.attachments.is_empty());
        assert_eq!(event.items.len(), 1);
        assert_eq!(event.items[0].price, None);
        assert!(event.tax_summary.is_empty());
        assert_eq!(
            event.source.as_ref().and_then(|s| s.id.as_deref()),
            Some("f1")
        );
    }

    #[test]
    fn the_type_field_is_not_part_of_the_struct() {
        let event = OrderCreate::decode(br#"{"type":"OrderCreate","_id":"o1"}"#).expect("ok");
        let json = serde_json::to_value(&event).expect("encodes");
        assert_eq!(
            json,
            serde_json::json!({"_id": "o1", "items": [], "taxSummary": []})
        );
    }
}
