//! Strategies for the Note events.

use ghl_webhook_types::note::{Note, NoteCreate, NoteDelete, NoteUpdate};
use proptest::option::of;
use proptest::prelude::*;

use super::common::{free_text, id, timestamp};

/// The shared Note body; `locationId` is absent as often as not, as in real deliveries.
pub fn note() -> impl Strategy<Value = Note> {
    (id(), of(free_text()), of(id()), of(timestamp()), of(id())).prop_map(
        |(id, body, contact_id, date_added, location_id)| Note {
            id,
            body,
            contact_id,
            date_added,
            location_id,
        },
    )
}

/// A NoteCreate.
pub fn note_create() -> impl Strategy<Value = NoteCreate> {
    note().prop_map(NoteCreate)
}

/// A NoteUpdate.
pub fn note_update() -> impl Strategy<Value = NoteUpdate> {
    note().prop_map(NoteUpdate)
}

/// A NoteDelete.
pub fn note_delete() -> impl Strategy<Value = NoteDelete> {
    note().prop_map(NoteDelete)
}

event_strategies! {
    NoteCreate => note_create(),
    NoteUpdate => note_update(),
    NoteDelete => note_delete(),
}
