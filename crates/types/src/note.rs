//! Note events: a note on a contact was created, updated or deleted.
//!
//! All three carry `"type": "<EventName>"` and share one documented shape, [`Note`]. Real
//! deliveries carry only `id`, `body`, `contactId` and `dateAdded` (plus the envelope), so
//! everything but `id` is optional.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::shape::same_shape;

/// The body shared by the three Note events.
///
/// `id` identifies the note and is required; every other field may be absent or `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// The note's id.
    pub id: String,
    /// The note's text.
    pub body: Option<String>,
    /// The contact the note is on.
    pub contact_id: Option<String>,
    /// When the note was created (ISO-8601, as sent).
    pub date_added: Option<String>,
    /// The location (sub-account). Documented, but absent from real deliveries.
    pub location_id: Option<String>,
}

same_shape! {
    Note =>
    /// A note was added to a contact. Identified by `"type": "NoteCreate"`.
    NoteCreate,
    /// A note was edited. Identified by `"type": "NoteUpdate"`.
    NoteUpdate,
    /// A note was deleted. Identified by `"type": "NoteDelete"`.
    NoteDelete,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, EventKind};

    #[test]
    fn real_note_payloads_with_only_four_fields_decode() {
        for kind in [
            EventKind::NoteCreate,
            EventKind::NoteUpdate,
            EventKind::NoteDelete,
        ] {
            let body = format!(
                r#"{{"type":"{kind}","id":"n1","body":"Call back Tuesday","contactId":"c1","dateAdded":"2024-06-01T09:30:00.000Z"}}"#
            );
            let event = Event::decode(kind, body.as_bytes()).expect("decodes");
            let note = match event {
                Event::NoteCreate(e) => e.into_inner(),
                Event::NoteUpdate(e) => e.into_inner(),
                Event::NoteDelete(e) => e.into_inner(),
                other => panic!("wrong variant {other:?}"),
            };
            assert_eq!(
                note,
                Note {
                    id: "n1".into(),
                    body: Some("Call back Tuesday".into()),
                    contact_id: Some("c1".into()),
                    date_added: Some("2024-06-01T09:30:00.000Z".into()),
                    location_id: None,
                }
            );
        }
    }

    #[test]
    fn unknown_fields_and_null_optionals_still_decode() {
        let body = br#"{"id":"n1","body":null,"contactId":null,"locationId":null,
            "userId":"u1","extra":{"deep":[{"x":null}]}}"#;
        let event = Event::decode(EventKind::NoteUpdate, body).expect("decodes");
        let Event::NoteUpdate(note) = event else {
            panic!("wrong variant")
        };
        assert_eq!(note.id, "n1");
        assert_eq!(note.body, None);
        assert!(Event::decode(EventKind::NoteDelete, br#"{"body":"x"}"#).is_err());
    }
}
