//! The event-level API: the [`WebhookEvent`] trait, decoding with JSON paths in errors.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Event, EventKind};

/// A typed HighLevel webhook event: one struct per documented event.
///
/// Implemented by the catalogue for every event type; it ties the type to its [`EventKind`], so
/// a router can register a handler from the type alone.
pub trait WebhookEvent:
    DeserializeOwned + Serialize + Clone + Debug + PartialEq + Send + Sync + 'static
{
    /// The kind this type decodes.
    const KIND: EventKind;

    /// Wraps the value in the [`Event`] enum.
    fn into_event(self) -> Event;

    /// Decodes the raw body of a delivery straight into this type.
    ///
    /// Unknown fields are ignored; the error names the JSON path that failed.
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        decode(Self::KIND, body)
    }
}

/// A payload that was identified as a known kind but does not fit that kind's schema.
///
/// Retrying cannot fix this; routers acknowledge it by default and log the path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {kind} payload does not decode at `{path}`: {message}")]
#[non_exhaustive]
pub struct DecodeError {
    /// The kind the payload was decoded as.
    pub kind: EventKind,
    /// The JSON path of the failure, e.g. `dndSettings.SMS.status` (`.` is the root).
    pub path: String,
    /// What serde said at that path.
    pub message: String,
}

/// Decodes `body` as `T`, going straight from bytes to the struct.
///
/// The body must be a JSON object: serde would otherwise read a JSON array positionally into
/// the struct's fields, handing a handler values from a payload of no documented shape. The
/// happy path is then a plain `serde_json::from_slice`; only on failure is the body decoded a
/// second time with path tracking, so a valid delivery pays nothing for good error messages.
pub(crate) fn decode<T: DeserializeOwned>(kind: EventKind, body: &[u8]) -> Result<T, DecodeError> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        first => {
            return Err(DecodeError {
                kind,
                path: ".".to_owned(),
                message: match first {
                    Some(&byte) if byte.is_ascii_graphic() => format!(
                        "expected a JSON object, found a body starting with `{}`",
                        char::from(byte)
                    ),
                    Some(&byte) => format!(
                        "expected a JSON object, found a body starting with byte {byte:#04x}"
                    ),
                    None => "expected a JSON object, found an empty body".to_owned(),
                },
            });
        }
    }
    match serde_json::from_slice(body) {
        Ok(value) => Ok(value),
        Err(plain) => {
            let mut de = serde_json::Deserializer::from_slice(body);
            let (path, message) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(tracked) => (
                    readable(tracked.path().to_string()),
                    tracked.inner().to_string(),
                ),
                // The value itself decoded: the failure is after it (trailing characters).
                Ok(_) => (".".to_owned(), plain.to_string()),
            };
            Err(DecodeError {
                kind,
                path,
                message,
            })
        }
    }
}

/// The path as a reader wants it: `serde_path_to_error` ends the path with `?` when the
/// failure is in reading the next key of an object (a body cut off after a member); the
/// object itself is the useful answer (`.` for the top level).
fn readable(path: String) -> String {
    if path == "?" {
        ".".to_owned()
    } else if let Some(object) = path.strip_suffix(".?") {
        object.to_owned()
    } else {
        path
    }
}
