//! Strategies for the Order events.

use ghl_webhook_types::invoice::AltType;
use ghl_webhook_types::order::{
    AmountSummary, ContactSnapshot, FulfillmentStatus, Order, OrderCreate, OrderItem, OrderSource,
    OrderSourceType, OrderStatus, OrderStatusUpdate, TaxCalculation, TaxLine,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::common::{free_text, id, open_value};
use super::invoice::{amount, simple_value};

fn timestamp() -> impl Strategy<Value = String> {
    "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T[01][0-9]:[0-5][0-9]:[0-5][0-9]\\.[0-9]{3}Z"
}

fn contact_snapshot() -> impl Strategy<Value = ContactSnapshot> {
    (
        (
            of(id()),
            of(id()),
            of(free_text()),
            of(free_text()),
            of(free_text()),
            of("[A-Z]{2}"),
            of(free_text()),
        ),
        (
            of(timestamp()),
            of("(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"),
            of(any::<bool>()),
            of("[a-z]{1,10}@[a-z]{1,10}\\.(com|io)"),
            of(free_text()),
            of(free_text()),
            of(free_text()),
        ),
        (
            of("\\+1[0-9]{10}"),
            of("[0-9]{5}"),
            of("[A-Z]{2}"),
            vec(free_text(), 0..3),
            of("https://[a-z]{1,12}\\.example\\.com"),
            vec(simple_value(), 0..3),
            of(id()),
        ),
    )
        .prop_map(
            |(
                (location_id, id, address1, city, company_name, country, source),
                (date_added, date_of_birth, dnd, email, name, first_name, last_name),
                (phone, postal_code, state, tags, website, attachments, assigned_to),
            )| ContactSnapshot {
                location_id,
                id,
                address1,
                city,
                company_name,
                country,
                source,
                date_added,
                date_of_birth,
                dnd,
                email,
                name,
                first_name,
                last_name,
                phone,
                postal_code,
                state,
                tags,
                website,
                attachments,
                assigned_to,
            },
        )
}

fn order_item() -> impl Strategy<Value = OrderItem> {
    (
        of(free_text()),
        of(amount()),
        of(simple_value()),
        of(simple_value()),
    )
        .prop_map(|(name, qty, product, price)| OrderItem {
            name,
            qty,
            product,
            price,
        })
}

fn amount_summary() -> impl Strategy<Value = AmountSummary> {
    (of(amount()), of(amount()), of(amount()), of(amount())).prop_map(
        |(discount, shipping, subtotal, tax)| AmountSummary {
            discount,
            shipping,
            subtotal,
            tax,
        },
    )
}

fn tax_line() -> impl Strategy<Value = TaxLine> {
    (
        of(id()),
        of(amount()),
        of(open_value::<TaxCalculation>(TaxCalculation::KNOWN)),
        of(free_text()),
        of(amount()),
    )
        .prop_map(|(id, amount, calculation, name, rate)| TaxLine {
            id,
            amount,
            calculation,
            name,
            rate,
        })
}

fn order_source() -> impl Strategy<Value = OrderSource> {
    (
        of(id()),
        of(free_text()),
        of(open_value::<OrderSourceType>(OrderSourceType::KNOWN)),
        of("[a-z_]{1,20}"),
        of(simple_value()),
    )
        .prop_map(|(id, name, source_type, sub_type, meta)| OrderSource {
            id,
            name,
            source_type,
            sub_type,
            meta,
        })
}

/// The shared Order body.
pub fn order() -> impl Strategy<Value = Order> {
    (
        (
            id(),
            of(id()),
            of(open_value::<AltType>(AltType::KNOWN)),
            of(id()),
            of(contact_snapshot()),
            of(open_value::<OrderStatus>(OrderStatus::KNOWN)),
            of(open_value::<FulfillmentStatus>(FulfillmentStatus::KNOWN)),
            of("[A-Z]{3}"),
        ),
        (
            of(amount()),
            of(any::<bool>()),
            vec(order_item(), 0..3),
            of(amount_summary()),
            vec(tax_line(), 0..3),
            of(order_source()),
            of(timestamp()),
            of(timestamp()),
        ),
    )
        .prop_map(
            |(
                (
                    id,
                    alt_id,
                    alt_type,
                    contact_id,
                    contact_snapshot,
                    status,
                    fulfillment_status,
                    currency,
                ),
                (
                    amount,
                    live_mode,
                    items,
                    amount_summary,
                    tax_summary,
                    source,
                    created_at,
                    updated_at,
                ),
            )| Order {
                id,
                alt_id,
                alt_type,
                contact_id,
                contact_snapshot,
                status,
                fulfillment_status,
                currency,
                amount,
                live_mode,
                items,
                amount_summary,
                tax_summary,
                source,
                created_at,
                updated_at,
            },
        )
}

/// An OrderCreate.
pub fn order_create() -> impl Strategy<Value = OrderCreate> {
    order().prop_map(OrderCreate)
}

/// An OrderStatusUpdate.
pub fn order_status_update() -> impl Strategy<Value = OrderStatusUpdate> {
    order().prop_map(OrderStatusUpdate)
}

event_strategies! {
    OrderCreate => order_create(),
    OrderStatusUpdate => order_status_update(),
}
