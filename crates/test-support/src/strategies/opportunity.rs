//! Strategies for the Opportunity events.

use ghl_webhook_types::opportunity::{
    Opportunity, OpportunityAssignedToUpdate, OpportunityCreate, OpportunityDelete,
    OpportunityMonetaryValueUpdate, OpportunityStageUpdate, OpportunityStatus,
    OpportunityStatusUpdate, OpportunityUpdate,
};
use proptest::option::of;
use proptest::prelude::*;

use super::common::{amount, free_text, id, open_value, timestamp, uuid};

/// The shared Opportunity body (`assignedTo` absent half the time, as in unassigned deals).
pub fn opportunity() -> impl Strategy<Value = Opportunity> {
    (
        id(),
        of(id()),
        of(id()),
        of(id()),
        of(amount()),
        of(free_text()),
        of(id()),
        of(uuid()),
        of(free_text()),
        of(open_value::<OpportunityStatus>(OpportunityStatus::KNOWN)),
        of(timestamp()),
    )
        .prop_map(
            |(
                id,
                location_id,
                assigned_to,
                contact_id,
                monetary_value,
                name,
                pipeline_id,
                pipeline_stage_id,
                source,
                status,
                date_added,
            )| Opportunity {
                id,
                location_id,
                assigned_to,
                contact_id,
                monetary_value,
                name,
                pipeline_id,
                pipeline_stage_id,
                source,
                status,
                date_added,
            },
        )
}

/// An OpportunityAssignedToUpdate.
pub fn opportunity_assigned_to_update() -> impl Strategy<Value = OpportunityAssignedToUpdate> {
    opportunity().prop_map(OpportunityAssignedToUpdate)
}

/// An OpportunityCreate.
pub fn opportunity_create() -> impl Strategy<Value = OpportunityCreate> {
    opportunity().prop_map(OpportunityCreate)
}

/// An OpportunityDelete.
pub fn opportunity_delete() -> impl Strategy<Value = OpportunityDelete> {
    opportunity().prop_map(OpportunityDelete)
}

/// An OpportunityMonetaryValueUpdate.
pub fn opportunity_monetary_value_update() -> impl Strategy<Value = OpportunityMonetaryValueUpdate>
{
    opportunity().prop_map(OpportunityMonetaryValueUpdate)
}

/// An OpportunityStageUpdate.
pub fn opportunity_stage_update() -> impl Strategy<Value = OpportunityStageUpdate> {
    opportunity().prop_map(OpportunityStageUpdate)
}

/// An OpportunityStatusUpdate.
pub fn opportunity_status_update() -> impl Strategy<Value = OpportunityStatusUpdate> {
    opportunity().prop_map(OpportunityStatusUpdate)
}

/// An OpportunityUpdate.
pub fn opportunity_update() -> impl Strategy<Value = OpportunityUpdate> {
    opportunity().prop_map(OpportunityUpdate)
}

event_strategies! {
    OpportunityAssignedToUpdate => opportunity_assigned_to_update(),
    OpportunityCreate => opportunity_create(),
    OpportunityDelete => opportunity_delete(),
    OpportunityMonetaryValueUpdate => opportunity_monetary_value_update(),
    OpportunityStageUpdate => opportunity_stage_update(),
    OpportunityStatusUpdate => opportunity_status_update(),
    OpportunityUpdate => opportunity_update(),
}
