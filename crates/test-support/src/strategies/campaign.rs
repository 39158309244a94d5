//! Strategies for the Campaign events.

use ghl_webhook_types::campaign::{CampaignStatus, CampaignStatusUpdate};
use proptest::option::of;
use proptest::prelude::*;

use super::common::{free_text, id, open_value};

/// A CampaignStatusUpdate, with documented and unknown statuses.
pub fn campaign_status_update() -> impl Strategy<Value = CampaignStatusUpdate> {
    (
        id(),
        of(id()),
        of(id()),
        of(open_value::<CampaignStatus>(CampaignStatus::KNOWN)),
        of(id()),
        of(free_text()),
        of("20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9])T[01][0-9]:[0-5][0-9]:[0-5][0-9]\\.[0-9]{3}Z"),
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
