//! Support Ticket events: a support ticket raised for an app was created, updated or deleted.
//!
//! The three events carry `"type": "<EventName>"` and share [`SupportTicket`]. The payload only
//! names the ticket (and the app, agency, location and version it concerns): no status,
//! priority or subject is documented, so a handler fetches the ticket for its details.
//! `locationId` and `versionId` may be absent depending on the app and how the ticket was
//! raised.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::shape::same_shape;

/// The body shared by the three Support Ticket events.
///
/// `ticketId` identifies the ticket and is required; every other field may be absent or
/// `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportTicket {
    /// Unique identifier of the ticket.
    pub ticket_id: String,
    /// The app the ticket was raised for.
    pub app_id: Option<String>,
    /// The agency (company) that raised it.
    pub company_id: Option<String>,
    /// The location (sub-account), when the ticket was raised from one. Often absent.
    pub location_id: Option<String>,
    /// The app version, when known. Often absent.
    pub version_id: Option<String>,
}

same_shape! {
    SupportTicket =>
    /// A support ticket was created for an app. Identified by `type` `SupportTicketCreate`.
    SupportTicketCreate,
    /// A support ticket was updated (status change, reply, edit). Identified by `type`
    /// `SupportTicketUpdate`.
    SupportTicketUpdate,
    /// A support ticket was deleted. Identified by `type` `SupportTicketDelete`.
    SupportTicketDelete,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_without_location_and_version_decodes() {
        let body = br#"{"type":"SupportTicketCreate","ticketId":"66a0419a0dffa47fb5f8b22f",
            "appId":"ve9EPM428h8vShlRW1KT","companyId":"otg8dTQqGLh3Q6iQI55w"}"#;
        let ticket: SupportTicketCreate = serde_json::from_slice(body).expect("decodes");
        assert_eq!(ticket.ticket_id, "66a0419a0dffa47fb5f8b22f");
        assert_eq!(ticket.location_id, None);
        assert_eq!(ticket.version_id, None);
        let back = serde_json::to_value(&ticket).expect("encodes");
        assert!(back.get("locationId").is_none() && back.get("versionId").is_none());
    }

    #[test]
    fn unknown_fields_and_null_optionals_still_decode() {
        let body = br#"{"ticketId":"t1","appId":null,"companyId":null,"locationId":null,
            "versionId":null,"status":"open","priority":{"level":2}}"#;
        let ticket: SupportTicketUpdate = serde_json::from_slice(body).expect("decodes");
        assert_eq!(ticket.ticket_id, "t1");
        assert_eq!(ticket.app_id, None);
        assert_eq!(ticket.version_id, None);
    }

    #[test]
    fn the_ticket_id_is_required() {
        assert!(serde_json::from_slice::<SupportTicketDelete>(br#"{"appId":"a"}"#).is_err());
    }
}
