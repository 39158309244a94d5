//! Strategies for the Order events.

use ghl_webhook_types::invoice::AltType;
use ghl_webhook_types::order::{
    AmountSummary, ContactSnapshot, FulfillmentStatus, Order, OrderCreate, OrderItem, OrderSource,
    OrderSourceType, OrderStatus, OrderStatusUpdate, TaxCalculation, TaxLine,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::common::{
    amount, country_code, currency, date, email, free_text, id, json_value, open_value, phone,
    postal_code, timestamp, url,
};

fn contact_snapshot() -> impl Strategy<Value = ContactSnapshot> {
    (
        (
            of(id()),
            of(id()),
            of(free_text()),
            of(free_text()),
            of(free_text()),
            of(country_code()),
            of(free_text()),
        ),
        (
            of(timestamp()),
            of(date()),
            of(any::<bool>()),
            of(email()),
            of(free_text()),
            of(free_text()),
            of(free_text()),
        ),
        (
            of(phone()),
            of(postal_code()),
            of(country_code()),
            vec(free_text(), 0..3),
            of(url()),
            vec(json_value(), 0..3),
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
        of(json_value()),
        of(json_value()),
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
        of(json_value()),
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
            of(currency()),
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
