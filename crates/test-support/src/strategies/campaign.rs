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

#[cfg(test)]
mod tests {
    use super::*;
    use ghl_webhook_types::WebhookEvent;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn campaign_status_update_round_trips_and_has_a_strategy() {
        let mut runner = TestRunner::deterministic();
        let strategy = campaign_status_update();
        for _ in 0..64 {
            let value = strategy.new_tree(&mut runner).expect("generates").current();
            let bytes = serde_json::to_vec(&value).expect("serializes");
            let decoded = Event::decode(CampaignStatusUpdate::KIND, &bytes)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)));
            assert_eq!(decoded, value.into_event());
        }
        let event = event_of(EventKind::CampaignStatusUpdate)
            .expect("has a strategy")
            .new_tree(&mut runner)
            .expect("generates")
            .current();
        assert_eq!(event.kind(), Some(EventKind::CampaignStatusUpdate));
    }
}
