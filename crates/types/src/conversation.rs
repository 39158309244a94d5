//! Conversation events: a conversation's unread state changed, or two conversations were
//! merged (live chat).
//!
//! ConversationUnreadWebhook is the doc page's name, but deliveries carry
//! `"type": "ConversationUnreadUpdate"`; the catalogue maps that value to this kind, and
//! [`ConversationUnreadUpdate`] is a Rust alias of the struct.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

/// A conversation's unread count or inbox/starred/deleted flags changed. Identified by
/// `"type": "ConversationUnreadUpdate"` (the event's own name is honoured too).
///
/// `id` (the conversation's id) is required; every other field may be absent or `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationUnreadWebhook {
    /// The conversation's id.
    pub id: String,
    /// The location (sub-account) of the conversation.
    pub location_id: Option<String>,
    /// The contact the conversation is with.
    pub contact_id: Option<String>,
    /// How many messages are unread. Documented as a JSON number; a count, so an integer.
    pub unread_count: Option<u64>,
    /// Whether the conversation is in the inbox.
    pub inbox: Option<bool>,
    /// Whether the conversation is starred.
    pub starred: Option<bool>,
    /// Whether the conversation is deleted.
    pub deleted: Option<bool>,
}

/// The name of [`ConversationUnreadWebhook`] that deliveries carry in their `type`.
pub type ConversationUnreadUpdate = ConversationUnreadWebhook;

/// A conversation was replaced by another one, e.g. when a live-chat visitor is merged into
/// an existing contact. Identified by `"type": "ConversationUpdate"`.
///
/// The payload has no `id`: `newConversationId`, the conversation that now holds the
/// messages, identifies the subject and is required. Every other field may be absent or
/// `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationUpdate {
    /// The conversation that remains.
    pub new_conversation_id: String,
    /// The conversation that was merged away.
    pub old_conversation_id: Option<String>,
    /// The location (sub-account) of the conversation.
    pub location_id: Option<String>,
    /// The agency (company) of the location.
    pub company_id: Option<String>,
    /// The contact the conversation is with.
    pub contact_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventKind, WebhookEvent};

    #[test]
    fn the_unread_update_type_value_names_this_kind() {
        assert_eq!(
            EventKind::from_type_field("ConversationUnreadUpdate"),
            Some(EventKind::ConversationUnreadWebhook)
        );
        assert_eq!(
            EventKind::ConversationUnreadWebhook.sent_type(),
            Some("ConversationUnreadUpdate")
        );
        assert!(!EventKind::ConversationUnreadWebhook.needs_route_binding());
    }

    #[test]
    fn unknown_fields_and_null_optionals_still_decode() {
        let unread = ConversationUnreadUpdate::decode(
            br#"{"type":"ConversationUnreadUpdate","id":"cv1","unreadCount":null,
                 "inbox":true,"starred":null,"lastMessageType":"TYPE_SMS","x":{"y":[]}}"#,
        )
        .expect("decodes");
        assert_eq!(unread.id, "cv1");
        assert_eq!(unread.unread_count, None);
        assert_eq!(unread.inbox, Some(true));

        let update = ConversationUpdate::decode(
            br#"{"type":"ConversationUpdate","newConversationId":"n1","oldConversationId":null,
                 "companyId":null,"somethingNew":1}"#,
        )
        .expect("decodes");
        assert_eq!(update.new_conversation_id, "n1");
        assert_eq!(update.old_conversation_id, None);
    }

    #[test]
    fn the_identifiers_are_required() {
        let err = ConversationUpdate::decode(br#"{"oldConversationId":"o1"}"#).expect_err("no id");
        assert!(err.message.contains("newConversationId"), "{err}");
        let err = ConversationUnreadWebhook::decode(br#"{"unreadCount":2}"#).expect_err("no id");
        assert!(err.message.contains("id"), "{err}");
    }
}
