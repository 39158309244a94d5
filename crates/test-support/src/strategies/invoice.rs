//! Strategies for the Invoice events.

use ghl_webhook_types::invoice::{
    AdditionalEmail, AltType, BusinessDetails, ContactAddress, ContactDetails, Discount,
    DiscountType, Invoice, InvoiceCreate, InvoiceDelete, InvoiceItem, InvoicePaid,
    InvoicePartiallyPaid, InvoiceSent, InvoiceStatus, InvoiceUpdate, InvoiceVoid, TotalSummary,
};
use ghl_webhook_types::lenient::Number;
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::common::{free_text, id, open_value};

/// An amount with two decimals, as HighLevel shows money (`(i64) / 100.0`, never NaN).
pub fn amount() -> impl Strategy<Value = Number> {
    (-1_000_000_000i64..1_000_000_000).prop_map(|cents| Number(cents as f64 / 100.0))
}

/// A free-form JSON value as custom fields and metadata carry: a string, an integer or an
/// object of strings (never `null`, which would read back as absent).
pub fn simple_value() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        free_text().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        vec(("[a-zA-Z]{1,8}", free_text()), 0..3).prop_map(|pairs| {
            serde_json::Value::Object(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k, serde_json::Value::from(v)))
                    .collect(),
            )
        }),
    ]
}

fn date() -> impl Strategy<Value = String> {
    "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
}

fn timestamp() -> impl Strategy<Value = String> {
    "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T[01][0-9]:[0-5][0-9]:[0-5][0-9]\\.[0-9]{3}Z"
}

fn business_details() -> impl Strategy<Value = BusinessDetails> {
    (
        of(free_text()),
        of(free_text()),
        of("\\+1-[0-9]{3}-[0-9]{3}-[0-9]{4}"),
        of("https://[a-z]{1,12}\\.example\\.com"),
        of("https://[a-z]{1,12}\\.example\\.com/[a-z]{1,8}\\.png"),
        vec(simple_value(), 0..3),
    )
        .prop_map(
            |(name, address, phone_no, website, logo_url, custom_values)| BusinessDetails {
                name,
                address,
                phone_no,
                website,
                logo_url,
                custom_values,
            },
        )
}

fn contact_address() -> impl Strategy<Value = ContactAddress> {
    (
        of("[A-Z]{2}"),
        of(free_text()),
        of(free_text()),
        of(free_text()),
        of("[A-Z]{2}"),
        of("[0-9]{5}"),
    )
        .prop_map(
            |(country_code, address_line1, address_line2, city, state, postal_code)| {
                ContactAddress {
                    country_code,
                    address_line1,
                    address_line2,
                    city,
                    state,
                    postal_code,
                }
            },
        )
}

fn email() -> impl Strategy<Value = String> {
    "[a-z]{1,10}@[a-z]{1,10}\\.(com|io)"
}

fn contact_details() -> impl Strategy<Value = ContactDetails> {
    (
        of(id()),
        of("\\+1[0-9]{10}"),
        of(email()),
        vec(simple_value(), 0..3),
        of(free_text()),
        of(contact_address()),
        vec(
            of(email()).prop_map(|email| AdditionalEmail { email }),
            0..3,
        ),
        of(free_text()),
    )
        .prop_map(
            |(
                id,
                phone_no,
                email,
                custom_fields,
                name,
                address,
                additional_emails,
                company_name,
            )| ContactDetails {
                id,
                phone_no,
                email,
                custom_fields,
                name,
                address,
                additional_emails,
                company_name,
            },
        )
}

fn discount() -> impl Strategy<Value = Discount> {
    (
        of(open_value::<DiscountType>(DiscountType::KNOWN)),
        of(amount()),
    )
        .prop_map(|(discount_type, value)| Discount {
            discount_type,
            value,
        })
}

fn invoice_item() -> impl Strategy<Value = InvoiceItem> {
    (
        vec(simple_value(), 0..3),
        of(id()),
        (of(id()), of(id())),
        of("[A-Z]{3}"),
        of(free_text()),
        of(amount()),
        of(amount()),
    )
        .prop_map(
            |(taxes, id, (product_id, price_id), currency, name, qty, amount)| InvoiceItem {
                taxes,
                id,
                product_id,
                price_id,
                currency,
                name,
                qty,
                amount,
            },
        )
}

/// The shared Invoice body.
pub fn invoice() -> impl Strategy<Value = Invoice> {
    (
        (
            id(),
            of(open_value::<InvoiceStatus>(InvoiceStatus::KNOWN)),
            of(any::<bool>()),
            of(amount()),
            of(id()),
            of(open_value::<AltType>(AltType::KNOWN)),
            of(free_text()),
        ),
        (
            of(business_details()),
            of("[0-9]{1,6}"),
            of("[A-Z]{3}"),
            of(contact_details()),
            of(date()),
            of(date()),
            of(discount()),
        ),
        (
            vec(invoice_item(), 0..3),
            of(amount()),
            of(free_text()),
            of(amount()),
            of(timestamp()),
            of(timestamp()),
            of(
                (of(amount()), of(amount())).prop_map(|(sub_total, discount)| TotalSummary {
                    sub_total,
                    discount,
                }),
            ),
        ),
    )
        .prop_map(
            |(
                (id, status, live_mode, amount_paid, alt_id, alt_type, name),
                (
                    business_details,
                    invoice_number,
                    currency,
                    contact_details,
                    issue_date,
                    due_date,
                    discount,
                ),
                (invoice_items, total, title, amount_due, created_at, updated_at, total_summary),
            )| Invoice {
                id,
                status,
                live_mode,
                amount_paid,
                alt_id,
                alt_type,
                name,
                business_details,
                invoice_number,
                currency,
                contact_details,
                issue_date,
                due_date,
                discount,
                invoice_items,
                total,
                title,
                amount_due,
                created_at,
                updated_at,
                total_summary,
            },
        )
}

/// An InvoiceCreate.
pub fn invoice_create() -> impl Strategy<Value = InvoiceCreate> {
    invoice().prop_map(InvoiceCreate)
}

/// An InvoiceDelete.
pub fn invoice_delete() -> impl Strategy<Value = InvoiceDelete> {
    invoice().prop_map(InvoiceDelete)
}

/// An InvoicePaid.
pub fn invoice_paid() -> impl Strategy<Value = InvoicePaid> {
    invoice().prop_map(InvoicePaid)
}

/// An InvoicePartiallyPaid.
pub fn invoice_partially_paid() -> impl Strategy<Value = InvoicePartiallyPaid> {
    invoice().prop_map(InvoicePartiallyPaid)
}

/// An InvoiceSent.
pub fn invoice_sent() -> impl Strategy<Value = InvoiceSent> {
    invoice().prop_map(InvoiceSent)
}

/// An InvoiceUpdate.
pub fn invoice_update() -> impl Strategy<Value = InvoiceUpdate> {
    invoice().prop_map(InvoiceUpdate)
}

/// An InvoiceVoid.
pub fn invoice_void() -> impl Strategy<Value = InvoiceVoid> {
    invoice().prop_map(InvoiceVoid)
}

event_strategies! {
    InvoiceCreate => invoice_create(),
    InvoiceDelete => invoice_delete(),
    InvoicePaid => invoice_paid(),
    InvoicePartiallyPaid => invoice_partially_paid(),
    InvoiceSent => invoice_sent(),
    InvoiceUpdate => invoice_update(),
    InvoiceVoid => invoice_void(),
}
