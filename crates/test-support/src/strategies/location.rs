//! Strategies for the Location events.

use ghl_webhook_types::location::{Location, LocationCreate, LocationUpdate};
use proptest::option::of;
use proptest::prelude::*;

use super::common::{email, free_text, id};

/// The shared Location body.
pub fn location() -> impl Strategy<Value = Location> {
    (
        id(),
        of(free_text()),
        of(email()),
        of("prod_[a-zA-Z0-9]{14}"),
        of(id()),
    )
        .prop_map(
            |(id, name, email, stripe_product_id, company_id)| Location {
                id,
                name,
                email,
                stripe_product_id,
                company_id,
            },
        )
}

/// A LocationCreate.
pub fn location_create() -> impl Strategy<Value = LocationCreate> {
    location().prop_map(LocationCreate)
}

/// A LocationUpdate.
pub fn location_update() -> impl Strategy<Value = LocationUpdate> {
    location().prop_map(LocationUpdate)
}

event_strategies! {
    LocationCreate => location_create(),
    LocationUpdate => location_update(),
}
