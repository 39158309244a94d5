//! Opportunity events: a deal in a pipeline was created, deleted, or changed (its owner, value,
//! stage, status, or anything: OpportunityUpdate fires alongside most of the others).
//!
//! All seven carry `"type"` naming the event, so they are identified by it. Their documented
//! schemas are the same (two pages list `pipelineStageId` twice), so all seven share
//! [`Opportunity`]; each stays its own type.
//!
//! Drifts absorbed here: a real OpportunityCreate carried `"assignedTo": null` (unassigned
//! deals); `monetaryValue` is a [`Number`], so it decodes from a number or a numeric string.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::lenient::Number;
use crate::open_enum;
use crate::shape::same_shape;

open_enum! {
    /// The state of an opportunity.
    pub enum OpportunityStatus {
        /// Still being worked on.
        Open => "open",
        /// Won.
        Won => "won",
        /// Lost.
        Lost => "lost",
        /// Abandoned.
        Abandoned => "abandoned",
    }
}

/// The body shared by the seven Opportunity events.
///
/// `id` identifies the subject and is required; every other field may be absent or `null`.
/// The `type` field names the event and is not modelled.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Opportunity {
    /// Unique identifier of the opportunity.
    pub id: String,
    /// The location (sub-account) of the opportunity.
    pub location_id: Option<String>,
    /// The user the opportunity is assigned to; `null` when unassigned (seen in real
    /// deliveries although the docs show a value).
    pub assigned_to: Option<String>,
    /// The contact the opportunity is for.
    pub contact_id: Option<String>,
    /// Value of the deal.
    pub monetary_value: Option<Number>,
    /// Name of the opportunity.
    pub name: Option<String>,
    /// The pipeline the opportunity is in.
    pub pipeline_id: Option<String>,
    /// The stage of the pipeline the opportunity is at.
    pub pipeline_stage_id: Option<String>,
    /// Where the opportunity came from (free text in HighLevel, e.g. a form or campaign name).
    pub source: Option<String>,
    /// State of the opportunity (`open`, `won`, `lost`, `abandoned`; open set).
    pub status: Option<OpportunityStatus>,
    /// When the opportunity was added (ISO-8601).
    pub date_added: Option<String>,
}

same_shape! {
    Opportunity =>
    /// The user an opportunity is assigned to changed. Identified by `type`
    /// `OpportunityAssignedToUpdate`.
    OpportunityAssignedToUpdate,
    /// An opportunity was created. Identified by `type` `OpportunityCreate`.
    OpportunityCreate,
    /// An opportunity was deleted. Identified by `type` `OpportunityDelete`.
    OpportunityDelete,
    /// The monetary value of an opportunity changed. Identified by `type`
    /// `OpportunityMonetaryValueUpdate`.
    OpportunityMonetaryValueUpdate,
    /// An opportunity moved to another pipeline stage. Identified by `type`
    /// `OpportunityStageUpdate`.
    OpportunityStageUpdate,
    /// The status of an opportunity changed (open, won, lost, abandoned). Identified by `type`
    /// `OpportunityStatusUpdate`.
    OpportunityStatusUpdate,
    /// An opportunity was updated. Identified by `type` `OpportunityUpdate`; fires alongside
    /// most other Opportunity events.
    OpportunityUpdate,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, EventKind, WebhookEvent};

    const OPPORTUNITY_KINDS: [EventKind; 7] = [
        EventKind::OpportunityAssignedToUpdate,
        EventKind::OpportunityCreate,
        EventKind::OpportunityDelete,
        EventKind::OpportunityMonetaryValueUpdate,
        EventKind::OpportunityStageUpdate,
        EventKind::OpportunityStatusUpdate,
        EventKind::OpportunityUpdate,
    ];

    #[test]
    fn opportunity_kinds_are_identified_by_their_type() {
        for kind in OPPORTUNITY_KINDS {
            assert!(!kind.needs_route_binding(), "{kind}");
            assert_eq!(kind.sent_type(), Some(kind.as_str()));
            assert_eq!(EventKind::from_type_field(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn assigned_to_null_decodes_as_unassigned() {
        // A real OpportunityCreate: `assignedTo` is `null` where the docs show a user id.
        let body = br#"{"type":"OpportunityCreate","locationId":"ve9EPM428h8vShlRW1KT",
            "id":"wWhVuzqpRuOA1ZVWi4FC","assignedTo":null,"contactId":"cJAWDskpkJHbRbhAT7bs",
            "monetaryValue":40,"name":"Deal","pipelineId":"VDm7RPYC2GLUvdpKmBfC",
            "pipelineStageId":"e93ba61a-53b3-45e7-985a-c7732dbcdb69","status":"open",
            "dateAdded":"2021-11-26T12:41:02.193Z"}"#;
        for kind in OPPORTUNITY_KINDS {
            let event = Event::decode(kind, body).expect("decodes");
            assert_eq!(event.kind(), Some(kind));
        }
        let create = OpportunityCreate::decode(body).expect("decodes");
        assert_eq!(create.assigned_to, None);
        assert_eq!(create.id, "wWhVuzqpRuOA1ZVWi4FC");
        assert_eq!(create.status, Some(OpportunityStatus::Open));
        let json = serde_json::to_value(&create).expect("encodes");
        assert!(json.get("assignedTo").is_none(), "None is not written");
        assert!(
            json.get("type").is_none(),
            "the event name is not part of the struct"
        );
    }

    #[test]
    fn status_is_an_open_set() {
        for (wire, status) in [
            ("open", OpportunityStatus::Open),
            ("won", OpportunityStatus::Won),
            ("lost", OpportunityStatus::Lost),
            ("abandoned", OpportunityStatus::Abandoned),
            ("on_hold", OpportunityStatus::Other("on_hold".into())),
        ] {
            let body =
                format!(r#"{{"type":"OpportunityStatusUpdate","id":"o1","status":"{wire}"}}"#);
            let event = OpportunityStatusUpdate::decode(body.as_bytes()).expect("decodes");
            assert_eq!(event.status, Some(status));
            assert_eq!(
                serde_json::to_value(&event).expect("encodes")["status"],
                wire
            );
        }
    }

    #[test]
    fn monetary_value_decodes_from_a_number_or_a_string() {
        let a = OpportunityMonetaryValueUpdate::decode(br#"{"id":"o1","monetaryValue":1250.5}"#)
            .expect("number");
        let b = OpportunityMonetaryValueUpdate::decode(br#"{"id":"o1","monetaryValue":"1250.5"}"#)
            .expect("string");
        assert_eq!(a, b);
        assert_eq!(a.monetary_value, Some(Number(1250.5)));
    }

    #[test]
    fn unknown_fields_and_null_optionals_still_decode() {
        let body = br#"{"type":"OpportunityUpdate","id":"o1","locationId":null,"contactId":null,
            "monetaryValue":null,"status":null,"source":null,"lostReasonId":"lr1",
            "customFields":[{"id":"cf","fieldValue":{"nested":[1]}}],"followers":["u1"]}"#;
        let event = OpportunityUpdate::decode(body).expect("decodes");
        assert_eq!(event.id, "o1");
        assert_eq!(event.monetary_value, None);
        assert_eq!(event.status, None);
    }

    #[test]
    fn the_opportunity_id_is_required() {
        let err = OpportunityDelete::decode(br#"{"type":"OpportunityDelete","assignedTo":"u"}"#)
            .expect_err("no id");
        assert!(err.message.contains("id"), "{err}");
    }
}
