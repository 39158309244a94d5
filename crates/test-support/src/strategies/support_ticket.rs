//! Strategies for the Support Ticket events.

use ghl_webhook_types::support_ticket::{
    SupportTicket, SupportTicketCreate, SupportTicketDelete, SupportTicketUpdate,
};
use proptest::option::of;
use proptest::prelude::*;

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

event_strategies! {
    SupportTicketCreate => support_ticket_create(),
    SupportTicketUpdate => support_ticket_update(),
    SupportTicketDelete => support_ticket_delete(),
}
