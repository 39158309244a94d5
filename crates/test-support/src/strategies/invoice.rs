//! Strategies for the Invoice events.

use ghl_webhook_types::invoice::{
    AdditionalEmail, AltType, BusinessDetails, ContactAddress, ContactDetails, Discount,
    DiscountType, Invoice, InvoiceCreate, InvoiceDelete, InvoiceItem, InvoicePaid,
    InvoicePartiallyPaid, InvoiceSent, InvoiceStatus, InvoiceUpdate, InvoiceVoid, TotalSummary,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::common::{
    amount, country_code, currency, date, email, file_url, free_text, id, json_value, open_value,
    phone, postal_code, timestamp, url,
};

fn business_details() -> impl Strategy<Value = BusinessDetails> {
    (
        of(free_text()),
        of(free_text()),
        of(phone()),
        of(url()),
        of(file_url()),
        vec(json_value(), 0..3),
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
        of(country_code()),
        of(free_text()),
        of(free_text()),
        of(free_text()),
        of(country_code()),
        of(postal_code()),
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

fn contact_details() -> impl Strategy<Value = ContactDetails> {
    (
        of(id()),
        of(phone()),
        of(email()),
        vec(json_value(), 0..3),
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
        vec(json_value(), 0..3),
        of(id()),
        (of(id()), of(id())),
        of(currency()),
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
            of(currency()),
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
