//! The payload HighLevel would send for an event: the built-in fixture of its kind (with a fresh
//! `webhookId` and `timestamp`) or a JSON object of your own, `PATH=VALUE` overrides
//! ([`json_set`](crate::json_set::apply)), then the envelope fields it lacks.
//!
//! ```
//! use ghl_webhook_sim::payload;
//! use ghl_webhook_sim::payload::EventKind;
//!
//! let value = payload::build(EventKind::ContactCreate, None, &["email=jo@example.com".into()])?;
//! assert_eq!(value["type"], "ContactCreate");
//! assert_eq!(value["email"], "jo@example.com");
//! assert!(value["webhookId"].is_string() && value["timestamp"].is_string());
//! # Ok::<(), payload::PayloadError>(())
//! ```

use std::time::SystemTime;

pub use ghl_webhook_types::EventKind;
use serde_json::{Map, Value};

use crate::json_set::{self, SetError, type_name};

/// Why an event's payload cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The payload given is not a JSON object.
    #[error("the payload must be a JSON object (HighLevel sends one flat object), not {0}")]
    NotAnObject(&'static str),
    /// An override that cannot be applied.
    #[error("set `{arg}`: {source}")]
    Set {
        /// The override as given.
        arg: String,
        /// Why.
        source: SetError,
    },
    /// The built-in fixture is missing or broken (a packaging bug).
    #[error("the built-in fixture of {0} is missing or not JSON")]
    NoFixture(EventKind),
}

/// Builds the payload of `kind`: `given`, or the built-in fixture with a fresh `webhookId` and
/// `timestamp`; then each of `sets` (`PATH=VALUE`) in order; then a fresh `webhookId` and the
/// current `timestamp` where the result has none. A `webhookId` set to `null` stays `null`
/// (for a sender that then leaves it out).
pub fn build(
    kind: EventKind,
    given: Option<Value>,
    sets: &[String],
) -> Result<Value, PayloadError> {
    let mut value = match given {
        Some(value) => value,
        None => {
            let mut value = fixture(kind)?;
            if let Value::Object(map) = &mut value {
                map.insert("webhookId".into(), fresh_id().into());
                map.insert("timestamp".into(), now().into());
            }
            value
        }
    };
    if !value.is_object() {
        return Err(PayloadError::NotAnObject(type_name(&value)));
    }
    for arg in sets {
        json_set::apply(&mut value, arg).map_err(|source| PayloadError::Set {
            arg: arg.clone(),
            source,
        })?;
    }
    if let Value::Object(map) = &mut value {
        map.entry("webhookId").or_insert_with(|| fresh_id().into());
        map.entry("timestamp").or_insert_with(|| now().into());
    }
    Ok(value)
}

/// The built-in fixture of `kind`, as the types crate ships it.
pub(crate) fn fixture(kind: EventKind) -> Result<Value, PayloadError> {
    serde_json::from_str(ghl_webhook_types::fixtures::example(kind))
        .map_err(|_| PayloadError::NoFixture(kind))
}

/// Adds the envelope fields HighLevel puts on every delivery that `map` lacks: the current
/// `timestamp`, `appId` and `versionId`.
pub(crate) fn fill_envelope(map: &mut Map<String, Value>, app_id: &str, version_id: &str) {
    map.entry("timestamp").or_insert_with(|| now().into());
    map.entry("appId").or_insert_with(|| app_id.into());
    map.entry("versionId").or_insert_with(|| version_id.into());
}

/// A new `webhookId`, a v4 UUID as HighLevel's.
pub(crate) fn fresh_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Now, as HighLevel writes `timestamp`: RFC 3339 with milliseconds, UTC.
pub(crate) fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_fixture_gets_a_fresh_webhook_id_and_timestamp() {
        let a = build(EventKind::OpportunityUpdate, None, &[]).expect("builds");
        let b = build(EventKind::OpportunityUpdate, None, &[]).expect("builds");
        assert_ne!(a["webhookId"], b["webhookId"]);
        assert_ne!(a["webhookId"], "6f7a8b9c-0d1e-4f2a-b3c4-5d6e7f8a9b16");
        assert!(a["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
        assert_eq!(a["type"], "OpportunityUpdate");
        // INSTALL keeps HighLevel's alias; typeless kinds stay typeless.
        let install = build(EventKind::AppInstall, None, &[]).expect("builds");
        assert_eq!(install["type"], "INSTALL");
        let assoc = build(EventKind::AssociationDelete, None, &[]).expect("builds");
        assert!(assoc.get("type").is_none());
    }

    #[test]
    fn a_given_payload_keeps_what_it_has_gains_what_it_lacks_and_sets_win() {
        let given = json!({"type": "ContactCreate", "webhookId": "mine", "id": "c1"});
        let value = build(EventKind::ContactCreate, Some(given), &["id=c2".into()]).expect("ok");
        assert_eq!(value["webhookId"], "mine");
        assert_eq!(value["id"], "c2");
        assert!(value["timestamp"].is_string());
        let bare = build(EventKind::ContactCreate, Some(json!({})), &[]).expect("ok");
        assert!(bare["webhookId"].is_string());
        let omitted =
            build(EventKind::ContactCreate, None, &["webhookId=null".into()]).expect("ok");
        assert_eq!(omitted["webhookId"], Value::Null);
    }

    #[test]
    fn bad_payloads_and_sets_are_errors_that_say_why() {
        let err = build(EventKind::ContactCreate, Some(json!([1])), &[]).expect_err("array");
        assert_eq!(err, PayloadError::NotAnObject("an array"));
        let err = build(EventKind::ContactCreate, None, &["no-equals".into()]).expect_err("set");
        assert!(
            matches!(err, PayloadError::Set { ref arg, .. } if arg == "no-equals"),
            "{err}"
        );
    }

    #[test]
    fn the_envelope_fills_only_what_is_missing() {
        let mut map = Map::new();
        map.insert("appId".into(), "theirs".into());
        fill_envelope(&mut map, "app", "ver");
        assert_eq!(map["appId"], "theirs");
        assert_eq!(map["versionId"], "ver");
        assert!(map["timestamp"].is_string());
    }
}
