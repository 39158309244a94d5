//! The payload of one event: the built-in fixture (with a fresh `webhookId` and `timestamp`)
//! or a given JSON object, `--set`-style overrides, the envelope fields it lacks; and the
//! `OpportunityUpdate` HighLevel fires beside other opportunity changes.

use ghl_webhook_types::EventKind;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::json_set::{self, SetError};
use crate::simulator::log::wall_clock_now;
use ghl_webhook_types::fixtures;

use crate::json_set::type_name;

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

/// An event to send: its name, and the payload (default: the built-in fixture) with overrides.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRequest {
    /// The event name, e.g. `ContactCreate`.
    pub event: String,
    /// The payload; `None`: the built-in fixture of the event.
    #[serde(default)]
    pub payload: Option<Value>,
    /// Overrides, `PATH=VALUE` as `ghl-webhook trigger --set` takes them.
    #[serde(default)]
    pub set: Vec<String>,
}

impl EventRequest {
    /// The built-in fixture of `kind`.
    pub fn fixture(kind: EventKind) -> Self {
        Self {
            event: kind.as_str().to_owned(),
            ..Self::default()
        }
    }

    /// This payload for `kind`.
    pub fn payload(kind: EventKind, payload: Value) -> Self {
        Self {
            event: kind.as_str().to_owned(),
            payload: Some(payload),
            set: Vec::new(),
        }
    }

    /// Adds an override.
    pub fn set(mut self, arg: impl Into<String>) -> Self {
        self.set.push(arg.into());
        self
    }
}

/// The envelope values the simulator fills in.
#[derive(Debug, Clone, Copy)]
pub(super) struct Envelope<'a> {
    /// `appId`.
    pub app_id: &'a str,
    /// `versionId`.
    pub version_id: &'a str,
}

/// Builds the payload of `kind`: a fixture gets a fresh `webhookId` and `timestamp`; a given
/// payload keeps what it has; overrides apply; then missing envelope fields are filled in.
pub(super) fn build(
    kind: EventKind,
    payload: Option<Value>,
    sets: &[String],
    envelope: Envelope<'_>,
) -> Result<Value, PayloadError> {
    let mut value = match payload {
        Some(value) => value,
        None => {
            let mut value = fixture(kind)?;
            if let Value::Object(map) = &mut value {
                map.insert("webhookId".into(), fresh_id().into());
                map.insert("timestamp".into(), wall_clock_now().into());
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
        fill_envelope(map, envelope);
    }
    Ok(value)
}

/// The `OpportunityUpdate` HighLevel also fires for an opportunity change of `kind`, carrying
/// the changed opportunity's fields; `None` for kinds that fire no such pair.
pub(super) fn paired_update(
    kind: EventKind,
    original: &Value,
    envelope: Envelope<'_>,
) -> Result<Option<Value>, PayloadError> {
    use EventKind as K;
    let fires = matches!(
        kind,
        K::OpportunityCreate
            | K::OpportunityDelete
            | K::OpportunityStageUpdate
            | K::OpportunityStatusUpdate
            | K::OpportunityMonetaryValueUpdate
            | K::OpportunityAssignedToUpdate
    );
    if !fires {
        return Ok(None);
    }
    let mut update = fixture(K::OpportunityUpdate)?;
    if let (Value::Object(map), Value::Object(from)) = (&mut update, original) {
        for (key, value) in from {
            if !matches!(key.as_str(), "type" | "webhookId" | "timestamp") {
                map.insert(key.clone(), value.clone());
            }
        }
        map.insert("webhookId".into(), fresh_id().into());
        map.insert("timestamp".into(), wall_clock_now().into());
        fill_envelope(map, envelope);
    }
    Ok(Some(update))
}

fn fixture(kind: EventKind) -> Result<Value, PayloadError> {
    serde_json::from_str(fixtures::example(kind)).map_err(|_| PayloadError::NoFixture(kind))
}

fn fill_envelope(map: &mut Map<String, Value>, envelope: Envelope<'_>) {
    map.entry("webhookId").or_insert_with(|| fresh_id().into());
    map.entry("timestamp")
        .or_insert_with(|| wall_clock_now().into());
    map.entry("appId").or_insert_with(|| envelope.app_id.into());
    map.entry("versionId")
        .or_insert_with(|| envelope.version_id.into());
}

fn fresh_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ENV: Envelope<'static> = Envelope {
        app_id: "app",
        version_id: "ver",
    };

    #[test]
    fn a_fixture_gets_a_fresh_webhook_id_and_the_envelope() {
        let a = build(EventKind::OpportunityUpdate, None, &[], ENV).expect("builds");
        let b = build(EventKind::OpportunityUpdate, None, &[], ENV).expect("builds");
        assert_ne!(a["webhookId"], b["webhookId"]);
        assert_ne!(a["webhookId"], "6f7a8b9c-0d1e-4f2a-b3c4-5d6e7f8a9b16");
        assert_eq!(a["appId"], "app");
        assert_eq!(a["type"], "OpportunityUpdate");
        // INSTALL keeps HighLevel's alias and its own appId.
        let install = build(EventKind::AppInstall, None, &[], ENV).expect("builds");
        assert_eq!(install["type"], "INSTALL");
        assert_eq!(install["appId"], "ve9EPM428h8vShlRW1KT");
        // Typeless kinds stay typeless.
        let assoc = build(EventKind::AssociationDelete, None, &[], ENV).expect("builds");
        assert!(assoc.get("type").is_none());
    }

    #[test]
    fn a_given_payload_keeps_its_fields_and_overrides_apply() {
        let given = json!({"type": "ContactCreate", "webhookId": "mine", "id": "c1"});
        let sets = [
            "email=jo@example.com".to_owned(),
            r#"tags=["vip"]"#.to_owned(),
        ];
        let v = build(EventKind::ContactCreate, Some(given), &sets, ENV).expect("builds");
        assert_eq!(v["webhookId"], "mine");
        assert_eq!(v["email"], "jo@example.com");
        assert_eq!(v["tags"], json!(["vip"]));
        assert!(v.get("timestamp").is_some());
    }

    #[test]
    fn bad_payloads_and_overrides_are_refused() {
        for bad in [json!([1]), json!("x"), json!(null), json!(3)] {
            assert!(matches!(
                build(EventKind::ContactCreate, Some(bad), &[], ENV),
                Err(PayloadError::NotAnObject(_))
            ));
        }
        let err =
            build(EventKind::ContactCreate, None, &["noequals".into()], ENV).expect_err("bad set");
        assert!(err.to_string().contains("PATH=VALUE"), "{err}");
    }

    #[test]
    fn opportunity_changes_fire_an_update_of_the_same_opportunity() {
        let create = build(
            EventKind::OpportunityCreate,
            None,
            &["id=opp-1".into()],
            ENV,
        )
        .expect("builds");
        let update = paired_update(EventKind::OpportunityCreate, &create, ENV)
            .expect("builds")
            .expect("paired");
        assert_eq!(update["type"], "OpportunityUpdate");
        assert_eq!(update["id"], "opp-1");
        assert_ne!(update["webhookId"], create["webhookId"]);
        assert!(
            paired_update(EventKind::OpportunityUpdate, &update, ENV)
                .expect("ok")
                .is_none()
        );
        assert!(
            paired_update(EventKind::ContactCreate, &create, ENV)
                .expect("ok")
                .is_none()
        );
    }
}
