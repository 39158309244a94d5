//! The envelope: the fields HighLevel adds to every delivery, whatever the event.
//!
//! [`Probe::read`] makes the single identification pass over a body: it reads the envelope and
//! the `type` field, skips everything else without building it, and never fails on a field of an
//! unexpected type (a `webhookId` that is a number is treated as absent, as PROTOCOL.md says to
//! expect any envelope field to be absent or `null`).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// Delivery metadata HighLevel adds to each event body. Every field may be absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Envelope {
    /// Unique per delivery, repeated on retries and resends: the deduplication key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<String>,
    /// ISO-8601 send time of the original delivery (retries keep it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The marketplace app the delivery is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The app version the delivery is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The sub-account (location) of the event; absent on agency-level events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    /// The agency (company) of the event; set on agency-level events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<String>,
    /// HighLevel's trace of the delivery, when it sends one: "useful for debugging and logging
    /// purposes" (quote it to HighLevel's support about a delivery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

/// What one identification pass learns from a body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Probe {
    /// The envelope fields.
    pub envelope: Envelope,
    /// The `type` field when it is a string. Not necessarily an event name: see
    /// [`EventKind::from_type_field`](crate::EventKind::from_type_field).
    pub type_field: Option<String>,
    /// Whether the body is a JSON object (HighLevel always sends one).
    pub is_object: bool,
}

/// The body is not JSON at all.
#[derive(Debug, thiserror::Error)]
#[error("the body is not valid JSON ({0}); HighLevel always sends a JSON object")]
#[non_exhaustive]
pub struct ProbeError(#[from] serde_json::Error);

impl Probe {
    /// Reads the envelope and `type` of a body in one pass.
    ///
    /// Valid JSON that is not an object yields an empty probe with `is_object == false`;
    /// invalid JSON (including trailing garbage) is an error.
    ///
    /// ```
    /// use ghl_webhook_types::Probe;
    ///
    /// let probe = Probe::read(br#"{"type":"ContactCreate","webhookId":"w-1","id":"c"}"#)?;
    /// assert_eq!(probe.type_field.as_deref(), Some("ContactCreate"));
    /// assert_eq!(probe.envelope.webhook_id.as_deref(), Some("w-1"));
    /// assert_eq!(probe.envelope.trace_id, None);
    /// let traced = Probe::read(br#"{"type":"ContactCreate","traceId":"t-9"}"#)?;
    /// assert_eq!(traced.envelope.trace_id.as_deref(), Some("t-9"));
    /// assert!(Probe::read(b"{not json").is_err());
    /// # Ok::<(), ghl_webhook_types::ProbeError>(())
    /// ```
    pub fn read(body: &[u8]) -> Result<Self, ProbeError> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let probe = de.deserialize_any(ProbeVisitor)?;
        de.end()?;
        Ok(probe)
    }
}

struct ProbeVisitor;

impl<'de> Visitor<'de> for ProbeVisitor {
    type Value = Probe;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probe, A::Error> {
        let mut probe = Probe {
            is_object: true,
            ..Probe::default()
        };
        while let Some(key) = map.next_key::<Field>()? {
            let slot = match key {
                Field::Type => &mut probe.type_field,
                Field::WebhookId => &mut probe.envelope.webhook_id,
                Field::Timestamp => &mut probe.envelope.timestamp,
                Field::AppId => &mut probe.envelope.app_id,
                Field::VersionId => &mut probe.envelope.version_id,
                Field::LocationId => &mut probe.envelope.location_id,
                Field::CompanyId => &mut probe.envelope.company_id,
                Field::TraceId => &mut probe.envelope.trace_id,
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = map.next_value_seed(LenientString)?;
        }
        Ok(probe)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Probe, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Probe::default())
    }

    fn visit_bool<E>(self, _: bool) -> Result<Probe, E> {
        Ok(Probe::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Probe, E> {
        Ok(Probe::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Probe, E> {
        Ok(Probe::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Probe, E> {
        Ok(Probe::default())
    }
    fn visit_str<E>(self, _: &str) -> Result<Probe, E> {
        Ok(Probe::default())
    }
    fn visit_unit<E>(self) -> Result<Probe, E> {
        Ok(Probe::default())
    }
}

/// A key of the body, told apart without allocating (keys are matched where they lie in the
/// input; only keys with escapes are unescaped into a scratch buffer by serde_json).
enum Field {
    Type,
    WebhookId,
    Timestamp,
    AppId,
    VersionId,
    LocationId,
    CompanyId,
    TraceId,
    Other,
}

impl<'de> serde::Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

struct FieldVisitor;

impl Visitor<'_> for FieldVisitor {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Field, E> {
        Ok(match key {
            "type" => Field::Type,
            "webhookId" => Field::WebhookId,
            "timestamp" => Field::Timestamp,
            "appId" => Field::AppId,
            "versionId" => Field::VersionId,
            "locationId" => Field::LocationId,
            "companyId" => Field::CompanyId,
            "traceId" => Field::TraceId,
            _ => Field::Other,
        })
    }
}

/// A string, or `None` for anything else (null, number, object...), skipped without error.
struct LenientString;

impl<'de> DeserializeSeed<'de> for LenientString {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LenientString {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_envelope_and_type_and_skips_the_rest() {
        let body = br#"{"type":"ContactCreate","nested":{"webhookId":"inner"},"webhookId":"w-1",
            "timestamp":"2025-01-01T00:00:00Z","appId":"a","versionId":"v","locationId":"l","companyId":"c"}"#;
        let probe = Probe::read(body).expect("valid");
        assert!(probe.is_object);
        assert_eq!(probe.type_field.as_deref(), Some("ContactCreate"));
        assert_eq!(probe.envelope.webhook_id.as_deref(), Some("w-1"));
        assert_eq!(
            probe.envelope.timestamp.as_deref(),
            Some("2025-01-01T00:00:00Z")
        );
        assert_eq!(probe.envelope.app_id.as_deref(), Some("a"));
        assert_eq!(probe.envelope.version_id.as_deref(), Some("v"));
        assert_eq!(probe.envelope.location_id.as_deref(), Some("l"));
        assert_eq!(probe.envelope.company_id.as_deref(), Some("c"));
    }

    #[test]
    fn fields_of_unexpected_types_count_as_absent() {
        let body =
            br#"{"type":7,"webhookId":null,"appId":["x"],"versionId":{"a":1},"timestamp":true}"#;
        let probe = Probe::read(body).expect("valid");
        assert_eq!(
            probe,
            Probe {
                is_object: true,
                ..Probe::default()
            }
        );
    }

    #[test]
    fn escaped_strings_are_unescaped() {
        let probe = Probe::read(br#"{"webhook\u0049d":"a\"b"}"#).expect("valid");
        assert_eq!(probe.envelope.webhook_id.as_deref(), Some("a\"b"));
    }

    #[test]
    fn non_object_json_is_an_empty_probe() {
        for body in [&b"[1,2]"[..], b"\"x\"", b"3", b"null", b"true"] {
            let probe = Probe::read(body).expect("valid JSON");
            assert!(!probe.is_object);
            assert_eq!(probe.envelope, Envelope::default());
        }
    }

    #[test]
    fn invalid_json_is_an_error() {
        for body in [
            &b""[..],
            b"{",
            b"{\"a\":}",
            b"{} x",
            b"\xff",
            b"{\"type\":\"A\"",
        ] {
            assert!(Probe::read(body).is_err(), "{body:?}");
        }
    }
}
