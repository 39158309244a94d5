//! Strategies for the Price events.

use ghl_webhook_types::lenient::Number;
use ghl_webhook_types::price::{
    MembershipOffer, Price, PriceCreate, PriceDelete, PriceType, PriceUpdate, Recurring,
    RecurringInterval,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::common::{amount, currency, free_text, id, open_value, short_id, timestamp};

/// A whole count (an interval count, a stock level).
fn count() -> impl Strategy<Value = Number> {
    (0i64..100_000).prop_map(|n| Number(n as f64))
}

fn membership_offer() -> impl Strategy<Value = MembershipOffer> {
    (of(free_text()), of(free_text()), of(id())).prop_map(|(label, value, id)| MembershipOffer {
        label,
        value,
        id,
    })
}

fn recurring() -> impl Strategy<Value = Recurring> {
    (
        of(open_value::<RecurringInterval>(RecurringInterval::KNOWN)),
        of(count()),
    )
        .prop_map(|(interval, interval_count)| Recurring {
            interval,
            interval_count,
        })
}

/// The shared Price body. `priceType` and `type` are generated independently (a PriceCreate
/// sends the first, PriceDelete/PriceUpdate the second), so bodies with either, both or
/// neither occur.
pub fn price() -> impl Strategy<Value = Price> {
    (
        (
            id(),
            vec(membership_offer(), 0..3),
            vec(short_id(), 0..3),
            of(id()),
            of(id()),
            of(id()),
            of(free_text()),
        ),
        (
            of(open_value::<PriceType>(PriceType::KNOWN)),
            of(open_value::<PriceType>(PriceType::KNOWN)),
            of(currency()),
            of(amount()),
            of(recurring()),
            of(timestamp()),
            of(timestamp()),
        ),
        (
            of(amount()),
            of(any::<bool>()),
            of(count()),
            of(any::<bool>()),
        ),
    )
        .prop_map(
            |(
                (id, membership_offers, variant_option_ids, location_id, product, user_id, name),
                (price_type, type_field, currency, amount, recurring, created_at, updated_at),
                (
                    compare_at_price,
                    track_inventory,
                    available_quantity,
                    allow_out_of_stock_purchases,
                ),
            )| Price {
                id,
                membership_offers,
                variant_option_ids,
                location_id,
                product,
                user_id,
                name,
                price_type,
                type_field,
                currency,
                amount,
                recurring,
                created_at,
                updated_at,
                compare_at_price,
                track_inventory,
                available_quantity,
                allow_out_of_stock_purchases,
            },
        )
}

/// A PriceCreate.
pub fn price_create() -> impl Strategy<Value = PriceCreate> {
    price().prop_map(PriceCreate)
}

/// A PriceDelete.
pub fn price_delete() -> impl Strategy<Value = PriceDelete> {
    price().prop_map(PriceDelete)
}

/// A PriceUpdate.
pub fn price_update() -> impl Strategy<Value = PriceUpdate> {
    price().prop_map(PriceUpdate)
}

event_strategies! {
    PriceCreate => price_create(),
    PriceDelete => price_delete(),
    PriceUpdate => price_update(),
}
