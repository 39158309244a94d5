//! Strategies for the Conversation events.

use ghl_webhook_types::conversation::{ConversationUnreadWebhook, ConversationUpdate};
use ghl_webhook_types::{Event, EventKind};
use proptest::option::of;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::common::id;

/// A ConversationUnreadWebhook (`type` ConversationUnreadUpdate).
pub fn conversation_unread_webhook() -> impl Strategy<Value = ConversationUnreadWebhook> {
    (
        id(),
        of(id()),
        of(id()),
        of(0u64..10_000),
        of(any::<bool>()),
        of(any::<bool>()),
        of(any::<bool>()),
    )
        .prop_map(
            |(id, location_id, contact_id, unread_count, inbox, starred, deleted)| {
                ConversationUnreadWebhook {
                    id,
                    location_id,
                    contact_id,
                    unread_count,
                    inbox,
                    starred,
                    deleted,
                }
            },
        )
}

/// A ConversationUpdate (live-chat merge).
pub fn conversation_update() -> impl Strategy<Value = ConversationUpdate> {
    (id(), of(id()), of(id()), of(id()), of(id())).prop_map(
        |(new_conversation_id, old_conversation_id, location_id, company_id, contact_id)| {
            ConversationUpdate {
                new_conversation_id,
                old_conversation_id,
                location_id,
                company_id,
                contact_id,
            }
        },
    )
}

/// The strategy of `kind` when it belongs to this family.
pub fn event_of(kind: EventKind) -> Option<BoxedStrategy<Event>> {
    Some(match kind {
        EventKind::ConversationUnreadWebhook => {
            conversation_unread_webhook().prop_map(Event::from).boxed()
        }
        EventKind::ConversationUpdate => conversation_update().prop_map(Event::from).boxed(),
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}
