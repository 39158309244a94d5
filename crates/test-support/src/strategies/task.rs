//! Strategies for the Task events.

use ghl_webhook_types::task::{Task, TaskComplete, TaskCreate, TaskDelete};
use proptest::option::of;
use proptest::prelude::*;

use super::common::{free_text, id};

fn date() -> impl Strategy<Value = String> {
    "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T[01][0-9]:[0-5][0-9]:[0-5][0-9]\\.[0-9]{3}Z"
}

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
        of(date()),
        of(date()),
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
