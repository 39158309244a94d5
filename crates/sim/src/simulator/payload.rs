//! The payload of one event as the simulator sends it ([`crate::payload`] with the simulated
//! app's envelope), and the `OpportunityUpdate` HighLevel fires beside other opportunity
//! changes.

use ghl_webhook_types::EventKind;
use serde::Deserialize;
use serde_json::Value;

pub use crate::payload::PayloadError;
use crate::payload::{fill_envelope, fixture, fresh_id, now};

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

/// Builds the payload of `kind` ([`crate::payload::build`]), then fills in the app's envelope.
pub(super) fn build(
    kind: EventKind,
    payload: Option<Value>,
    sets: &[String],
    envelope: Envelope<'_>,
) -> Result<Value, PayloadError> {
    let mut value = crate::payload::build(kind, payload, sets)?;
    if let Value::Object(map) = &mut value {
        fill_envelope(map, envelope.app_id, envelope.version_id);
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
        map.insert("timestamp".into(), now().into());
        fill_envelope(map, envelope.app_id, envelope.version_id);
    }
    Ok(Some(update))
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
    fn the_app_envelope_fills_what_the_payload_lacks() {
        let update = build(EventKind::OpportunityUpdate, None, &[], ENV).expect("builds");
        assert_eq!(update["appId"], "app");
        assert_eq!(update["versionId"], "ver");
        // INSTALL keeps its own appId.
        let install = build(EventKind::AppInstall, None, &[], ENV).expect("builds");
        assert_eq!(install["appId"], "ve9EPM428h8vShlRW1KT");
        assert!(matches!(
            build(EventKind::ContactCreate, Some(json!(3)), &[], ENV),
            Err(PayloadError::NotAnObject(_))
        ));
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
