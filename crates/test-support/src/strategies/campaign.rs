//! Strategies for the Campaign events.

use ghl_webhook_types::campaign::{CampaignStatus, CampaignStatusUpdate};
use proptest::option::of;
use proptest::prelude::*;

use super::common::{free_text, id, open_value, timestamp};

/// A CampaignStatusUpdate, with documented and unknown statuses.
pub fn campaign_status_update() -> impl Strategy<Value = CampaignStatusUpdate> {
    (
        id(),
        of(id()),
        of(id()),
        of(open_value::<CampaignStatus>(CampaignStatus::KNOWN)),
        of(id()),
        of(free_text()),
        of(timestamp()),
    )
        .prop_map(
            |(id, location_id, contact_id, status, template_id, replied, date_added)| {
                CampaignStatusUpdate {
                    id,
                    location_id,
                    contact_id,
                    status,
                    template_id,
                    replied,
                    date_added,
                }
            },
        )
}

event_strategies! {
    CampaignStatusUpdate => campaign_status_update(),
}
