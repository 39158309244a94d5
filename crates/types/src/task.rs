//! Task events: a task was created, completed or deleted.
//!
//! All three carry `"type": "<EventName>"` and share one documented shape, [`Task`]. Real
//! TaskCreate deliveries omit `contactId` and `body`, so everything but `id` is optional.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::shape::same_shape;

/// The body shared by the three Task events.
///
/// `id` identifies the task and is required; every other field may be absent or `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// The task's id.
    pub id: String,
    /// The location (sub-account).
    pub location_id: Option<String>,
    /// The user the task is assigned to.
    pub assigned_to: Option<String>,
    /// The task's description. Absent from real TaskCreate deliveries.
    pub body: Option<String>,
    /// The contact the task is about. Absent from real TaskCreate deliveries.
    pub contact_id: Option<String>,
    /// The task's title.
    pub title: Option<String>,
    /// When the task was created (ISO-8601, as sent).
    pub date_added: Option<String>,
    /// When the task is due (ISO-8601, as sent).
    pub due_date: Option<String>,
}

same_shape! {
    Task =>
    /// A task was created. Identified by `"type": "TaskCreate"`.
    TaskCreate,
    /// A task was marked complete. Identified by `"type": "TaskComplete"`.
    TaskComplete,
    /// A task was deleted. Identified by `"type": "TaskDelete"`.
    TaskDelete,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, EventKind, WebhookEvent};

    #[test]
    fn real_task_create_without_contact_id_and_body_decodes() {
        let body = br#"{"type":"TaskCreate","locationId":"ve9EPM428h8vShlRW1KT",
            "id":"UlRWGLSXh0ji5qbiGu4i","assignedTo":"63e4qiWDsFJjOYAC8phG",
            "title":"Send the quote","dateAdded":"2021-11-26T12:41:02.193Z",
            "dueDate":"2021-11-29T12:00:00.000Z","webhookId":"w1"}"#;
        let task = TaskCreate::decode(body).expect("decodes");
        assert_eq!(task.id, "UlRWGLSXh0ji5qbiGu4i");
        assert_eq!(task.contact_id, None);
        assert_eq!(task.body, None);
        assert_eq!(task.title.as_deref(), Some("Send the quote"));
        // And it round-trips without inventing the missing fields.
        let json = serde_json::to_value(&task).expect("serializes");
        assert!(json.get("contactId").is_none() && json.get("body").is_none());
    }

    #[test]
    fn unknown_fields_and_null_optionals_still_decode() {
        let body = br#"{"id":"t1","assignedTo":null,"body":null,"dueDate":null,
            "completed":true,"new":{"x":[1]}}"#;
        for kind in [
            EventKind::TaskCreate,
            EventKind::TaskComplete,
            EventKind::TaskDelete,
        ] {
            let event = Event::decode(kind, body).expect("decodes");
            assert_eq!(event.kind(), Some(kind));
        }
        let task = TaskComplete::decode(body).expect("decodes");
        assert_eq!(task.assigned_to, None);
        assert!(TaskDelete::decode(br#"{"title":"x"}"#).is_err());
    }
}
