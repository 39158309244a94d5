//! Strategies for the Support Ticket events.

use ghl_webhook_types::support_ticket::{
    SupportTicket, SupportTicketCreate, SupportTicketDelete, SupportTicketUpdate,
};
use ghl_webhook_types::{Event, EventKind};
use proptest::option::of;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::common::{envelope, id};

/// The body shared by the three Support Ticket events (`locationId`/`versionId` often absent).
pub fn support_ticket() -> impl Strategy<Value = SupportTicket> {
    (id(), envelope(id()), of(id()), of(id()), envelope(id())).prop_map(
        |(ticket_id, app_id, company_id, location_id, version_id)| SupportTicket {
            ticket_id,
            app_id,
            company_id,
            location_id,
            version_id,
        },
    )
}

/// A SupportTicketCreate.
pub fn support_ticket_create() -> impl Strategy<Value = SupportTicketCreate> {
    support_ticket().prop_map(SupportTicketCreate)
}

/// A SupportTicketUpdate.
pub fn support_ticket_update() -> impl Strategy<Value = SupportTicketUpdate> {
    support_ticket().prop_map(SupportTicketUpdate)
}

/// A SupportTicketDelete.
pub fn support_ticket_delete() -> impl Strategy<Value = SupportTicketDelete> {
    support_ticket().prop_map(SupportTicketDelete)
}

/// The strategy of `kind` when it belongs to this family.
pub fn event_of(kind: EventKind) -> Option<BoxedStrategy<Event>> {
    Some(match kind {
        EventKind::SupportTicketCreate => support_ticket_create().prop_map(Event::from).boxed(),
        EventKind::SupportTicketUpdate => support_ticket_update().prop_map(Event::from).boxed(),
        EventKind::SupportTicketDelete => support_ticket_delete().prop_map(Event::from).boxed(),
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}
