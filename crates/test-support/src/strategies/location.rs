//! Strategies for the Location events.

use ghl_webhook_types::location::{Location, LocationCreate, LocationUpdate};
use ghl_webhook_types::{Event, EventKind};
use proptest::option::of;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::common::{free_text, id};

/// The shared Location body.
pub fn location() -> impl Strategy<Value = Location> {
    (
        id(),
        of(free_text()),
        of("[a-z0-9._+-]{1,16}@[a-z]{1,12}\\.(com|io)"),
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

/// The strategy of `kind` when it belongs to this family.
pub fn event_of(kind: EventKind) -> Option<BoxedStrategy<Event>> {
    Some(match kind {
        EventKind::LocationCreate => location_create().prop_map(Event::from).boxed(),
        EventKind::LocationUpdate => location_update().prop_map(Event::from).boxed(),
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}
