//! Strategies for the Task events.

use ghl_webhook_types::task::{Task, TaskComplete, TaskCreate, TaskDelete};
use proptest::option::of;
use proptest::prelude::*;

use super::common::{free_text, id, timestamp};

/// The shared Task body; `contactId` and `body` are absent as often as not, as in real
/// TaskCreate deliveries.
pub fn task() -> impl Strategy<Value = Task> {
    (
        id(),
        of(id()),
        of(id()),
        of(free_text()),
        of(id()),
        of(free_text()),
        of(timestamp()),
        of(timestamp()),
    )
        .prop_map(
            |(id, location_id, assigned_to, body, contact_id, title, date_added, due_date)| Task {
                id,
                location_id,
                assigned_to,
                body,
                contact_id,
                title,
                date_added,
                due_date,
            },
        )
}

/// A TaskCreate.
pub fn task_create() -> impl Strategy<Value = TaskCreate> {
    task().prop_map(TaskCreate)
}

/// A TaskComplete.
pub fn task_complete() -> impl Strategy<Value = TaskComplete> {
    task().prop_map(TaskComplete)
}

/// A TaskDelete.
pub fn task_delete() -> impl Strategy<Value = TaskDelete> {
    task().prop_map(TaskDelete)
}

event_strategies! {
    TaskCreate => task_create(),
    TaskComplete => task_complete(),
    TaskDelete => task_delete(),
}
