//! Strategies for the Conversation events.

use ghl_webhook_types::conversation::{ConversationUnreadWebhook, ConversationUpdate};
use proptest::option::of;
use proptest::prelude::*;

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

event_strategies! {
    ConversationUnreadWebhook => conversation_unread_webhook(),
    ConversationUpdate => conversation_update(),
}
