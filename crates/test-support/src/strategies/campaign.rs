//! Strategies for the Campaign events.

use ghl_webhook_types::campaign::{CampaignStatus, CampaignStatusUpdate};
use ghl_webhook_types::{Event, EventKind};
use proptest::option::of;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

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

/// The strategy of `kind` when it belongs to this family.
pub fn event_of(kind: EventKind) -> Option<BoxedStrategy<Event>> {
    Some(match kind {
        EventKind::CampaignStatusUpdate => campaign_status_update().prop_map(Event::from).boxed(),
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}
