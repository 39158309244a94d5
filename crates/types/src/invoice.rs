//! Invoice events: an invoice was created, updated, sent, paid in part or in full, voided or
//! deleted.
//!
//! The seven events carry no `type` and one documented shape (their seven schemas are
//! identical), so they cannot be told apart from the body: identify them by route binding.
//! All seven share [`Invoice`].
//!
//! The invoice is identified by `_id` (Mongo-style), modelled as [`Invoice::id`]. Every amount
//! is a [`Number`]: HighLevel's payments docs show amounts both as JSON numbers and as strings
//! (`"amount": "100"` in their generated examples), so both decode.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::lenient::Number;
use crate::open_enum;
use crate::shape::same_shape;

open_enum! {
    /// The state of an invoice.
    pub enum InvoiceStatus {
        /// Created, not sent yet.
        Draft => "draft",
        /// Sent to the contact, not paid yet.
        Sent => "sent",
        /// A payment is being processed.
        PaymentProcessing => "payment_processing",
        /// Part of the amount was paid.
        PartiallyPaid => "partially_paid",
        /// Fully paid.
        Paid => "paid",
        /// Voided: no longer payable.
        Void => "void",
    }
}

open_enum! {
    /// What kind of owner `altId` names. Shared by the Invoice and Order events.
    pub enum AltType {
        /// A location (sub-account): `altId` is the location id.
        Location => "location",
    }
}

open_enum! {
    /// How an invoice discount is expressed.
    pub enum DiscountType {
        /// `value` is a percentage of the subtotal.
        Percentage => "percentage",
        /// `value` is a fixed amount in the invoice currency.
        Fixed => "fixed",
    }
}

/// The body shared by the seven Invoice events.
///
/// `_id` identifies the subject and is required; every other field may be absent or `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    /// Unique identifier of the invoice (`_id` on the wire).
    #[serde(rename = "_id")]
    pub id: String,
    /// State of the invoice (`draft`, `sent`, `paid`, ...; open set).
    pub status: Option<InvoiceStatus>,
    /// `true` for a live-mode invoice, `false` for a test-mode one.
    pub live_mode: Option<bool>,
    /// Amount paid so far.
    pub amount_paid: Option<Number>,
    /// Identifier of the owner, e.g. the location id.
    pub alt_id: Option<String>,
    /// What kind of owner `altId` names (`location`).
    pub alt_type: Option<AltType>,
    /// Internal name of the invoice.
    pub name: Option<String>,
    /// The issuing business as printed on the invoice.
    pub business_details: Option<BusinessDetails>,
    /// Invoice number as shown to the contact; a string in the docs (`"19"`).
    pub invoice_number: Option<String>,
    /// ISO 4217 currency code, e.g. `USD`.
    pub currency: Option<String>,
    /// The billed contact as printed on the invoice.
    pub contact_details: Option<ContactDetails>,
    /// Issue date as sent (`2023-01-01` in the docs).
    pub issue_date: Option<String>,
    /// Due date as sent.
    pub due_date: Option<String>,
    /// Discount applied to the invoice.
    pub discount: Option<Discount>,
    /// Line items.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub invoice_items: Vec<InvoiceItem>,
    /// Total amount of the invoice.
    pub total: Option<Number>,
    /// Title printed on the invoice, e.g. `INVOICE`.
    pub title: Option<String>,
    /// Amount still due.
    pub amount_due: Option<Number>,
    /// Creation time (ISO-8601).
    pub created_at: Option<String>,
    /// Last update time (ISO-8601).
    pub updated_at: Option<String>,
    /// Subtotal and discount summary.
    pub total_summary: Option<TotalSummary>,
}

/// The issuing business of an invoice.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BusinessDetails {
    /// Business name.
    pub name: Option<String>,
    /// Postal address, one free-text string in the docs.
    pub address: Option<String>,
    /// Phone number.
    pub phone_no: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Logo image URL.
    pub logo_url: Option<String>,
    /// Custom values printed on the invoice. Documented as strings; kept as raw JSON values
    /// because custom values are free-form and may arrive as objects.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub custom_values: Vec<serde_json::Value>,
}

/// The billed contact of an invoice.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactDetails {
    /// The contact's id.
    pub id: Option<String>,
    /// Phone number.
    pub phone_no: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Custom fields printed on the invoice. Documented as strings; kept as raw JSON values
    /// because custom field values are free-form.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub custom_fields: Vec<serde_json::Value>,
    /// Contact name.
    pub name: Option<String>,
    /// Billing address.
    pub address: Option<ContactAddress>,
    /// Further e-mail addresses the invoice goes to.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub additional_emails: Vec<AdditionalEmail>,
    /// The contact's company.
    pub company_name: Option<String>,
}

/// A postal address of an invoice contact.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactAddress {
    /// ISO 3166 country code, e.g. `US`.
    pub country_code: Option<String>,
    /// First address line.
    pub address_line1: Option<String>,
    /// Second address line.
    pub address_line2: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or region.
    pub state: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
}

/// A further e-mail address of an invoice contact.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdditionalEmail {
    /// The address.
    pub email: Option<String>,
}

/// The discount of an invoice.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Discount {
    /// How `value` is expressed (`percentage`, `fixed`; open set). `type` on the wire: the
    /// discount type, not an event name.
    #[serde(rename = "type")]
    pub discount_type: Option<DiscountType>,
    /// The discount: a percentage or an amount, depending on the type.
    pub value: Option<Number>,
}

/// A line item of an invoice.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceItem {
    /// Taxes applied to the line. The docs give only `array` without an item shape, so each
    /// tax is kept as raw JSON.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub taxes: Vec<serde_json::Value>,
    /// Identifier of the line (`_id` on the wire).
    #[serde(rename = "_id")]
    pub id: Option<String>,
    /// The product billed.
    pub product_id: Option<String>,
    /// The price of the product billed.
    pub price_id: Option<String>,
    /// ISO 4217 currency code.
    pub currency: Option<String>,
    /// Name of the line.
    pub name: Option<String>,
    /// Quantity; may be fractional (hours, kilograms).
    pub qty: Option<Number>,
    /// Unit amount.
    pub amount: Option<Number>,
}

/// The totals of an invoice.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TotalSummary {
    /// Sum of the lines before discount.
    pub sub_total: Option<Number>,
    /// Discount amount.
    pub discount: Option<Number>,
}

same_shape! {
    Invoice =>
    /// An invoice was created. Identified by route binding (no `type`).
    InvoiceCreate,
    /// An invoice was deleted. Identified by route binding (no `type`).
    InvoiceDelete,
    /// An invoice was paid in full. Identified by route binding (no `type`).
    InvoicePaid,
    /// A payment covered part of an invoice. Identified by route binding (no `type`).
    InvoicePartiallyPaid,
    /// An invoice was sent to its contact. Identified by route binding (no `type`).
    InvoiceSent,
    /// An invoice was updated. Identified by route binding (no `type`).
    InvoiceUpdate,
    /// An invoice was voided. Identified by route binding (no `type`).
    InvoiceVoid,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, EventKind, WebhookEvent};

    const INVOICE_KINDS: [EventKind; 7] = [
        EventKind::InvoiceCreate,
        EventKind::InvoiceDelete,
        EventKind::InvoicePaid,
        EventKind::InvoicePartiallyPaid,
        EventKind::InvoiceSent,
        EventKind::InvoiceUpdate,
        EventKind::InvoiceVoid,
    ];

    #[test]
    fn every_invoice_kind_needs_a_route_binding_and_decodes_the_same_body() {
        let body = br#"{"_id":"inv1","status":"sent","total":10}"#;
        for kind in INVOICE_KINDS {
            assert!(kind.needs_route_binding(), "{kind}");
            assert_eq!(kind.sent_type(), None, "{kind}");
            let event = Event::decode(kind, body).expect("decodes");
            assert_eq!(event.kind(), Some(kind));
        }
    }

    #[test]
    fn amounts_decode_from_numbers_and_from_strings() {
        let numbers = br#"{"_id":"inv1","amountPaid":0,"total":999.5,"amountDue":999.5,
            "discount":{"type":"percentage","value":10},
            "invoiceItems":[{"qty":1,"amount":999.5}],
            "totalSummary":{"subTotal":999.5,"discount":0}}"#;
        let strings = br#"{"_id":"inv1","amountPaid":"0","total":"999.50","amountDue":"999.5",
            "discount":{"type":"percentage","value":"10"},
            "invoiceItems":[{"qty":"1","amount":"999.50"}],
            "totalSummary":{"subTotal":"999.5","discount":"0"}}"#;
        let a = InvoicePaid::decode(numbers).expect("numbers");
        let b = InvoicePaid::decode(strings).expect("strings");
        assert_eq!(a, b);
        assert_eq!(a.total, Some(Number(999.5)));
        assert_eq!(a.invoice_items[0].qty, Some(Number(1.0)));
        // Not a silent zero: a non-numeric amount names its path.
        let err = InvoicePaid::decode(br#"{"_id":"inv1","total":"n/a"}"#).expect_err("bad");
        assert_eq!(err.path, "total");
    }

    #[test]
    fn invoice_status_is_an_open_set() {
        let known = InvoiceVoid::decode(br#"{"_id":"i","status":"void"}"#).expect("decodes");
        assert_eq!(known.status, Some(InvoiceStatus::Void));
        let sent = InvoiceSent::decode(br#"{"_id":"i","status":"sent"}"#).expect("decodes");
        assert_eq!(sent.status, Some(InvoiceStatus::Sent));
        let new = InvoiceUpdate::decode(br#"{"_id":"i","status":"scheduled","altType":"company"}"#)
            .expect("decodes");
        assert_eq!(new.status, Some(InvoiceStatus::Other("scheduled".into())));
        assert_eq!(new.alt_type, Some(AltType::Other("company".into())));
        let json = serde_json::to_value(&new).expect("encodes");
        assert_eq!(json["status"], "scheduled");
        assert_eq!(json["_id"], "i");
    }

    #[test]
    fn unknown_nested_fields_and_null_optionals_still_decode() {
        let body = br#"{"_id":"inv1","status":null,"liveMode":null,"amountPaid":null,
            "businessDetails":{"name":"ABC","logoUrl":null,"customValues":null,"brandNew":{"a":1}},
            "contactDetails":{"id":null,"address":{"city":"Austin","geo":[1,2]},
              "additionalEmails":null,"customFields":[{"id":"cf1","value":"x"}]},
            "discount":null,"invoiceItems":null,"totalSummary":{"tax":3},
            "sentTo":{"email":["a@x.io"]}}"#;
        let event = InvoiceCreate::decode(body).expect("decodes");
        assert_eq!(event.id, "inv1");
        assert_eq!(event.status, None);
        assert!(event.invoice_items.is_empty());
        let business = event.business_details.as_ref().expect("business");
        assert_eq!(business.name.as_deref(), Some("ABC"));
        assert!(business.custom_values.is_empty());
        let contact = event.contact_details.as_ref().expect("contact");
        assert_eq!(
            contact.address.as_ref().and_then(|a| a.city.as_deref()),
            Some("Austin")
        );
        assert_eq!(
            contact.custom_fields.len(),
            1,
            "object custom fields are kept"
        );
        assert_eq!(event.total_summary.as_ref().and_then(|t| t.sub_total), None);
    }

    #[test]
    fn the_invoice_id_is_required() {
        let err = InvoiceCreate::decode(br#"{"status":"draft"}"#).expect_err("no _id");
        assert!(err.message.contains("_id"), "{err}");
    }
}
