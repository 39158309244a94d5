//! [`Delivery`]: one verified delivery, as handlers and observers see it.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use ghl_webhook_types::{Envelope, EventKind, Probe, ProbeError, UnknownEvent};

use crate::identify::{Binding, IdentifiedBy, identify_body};
use crate::journal::Entry;
use crate::verify::VerifiedBy;

/// One verified delivery: its exact bytes, envelope, kind and the key that verified it. Handed
/// to every handler with its event, and to the `on_answer` observer.
///
/// Cheap to clone (an `Arc` inside): a handler may keep it, e.g. to move it into a task.
#[derive(Debug, Clone)]
pub struct Delivery {
    inner: Arc<Inner>,
}

#[derive(Debug, Clone)]
struct Inner {
    /// Read from the bytes at the edge; for a delivery rebuilt from a journal entry, read on
    /// first use (most handlers never ask).
    envelope: OnceLock<Envelope>,
    kind: Option<(EventKind, IdentifiedBy)>,
    type_field: Option<String>,
    verified_by: VerifiedBy,
    raw: Bytes,
    attempt: u32,
}

impl Delivery {
    /// A delivery from the results of the earlier steps: the probe of the bytes, the kind it
    /// was identified as, the key that verified them, and the bytes themselves.
    pub(crate) fn new(
        probe: Probe,
        kind: Option<(EventKind, IdentifiedBy)>,
        verified_by: VerifiedBy,
        raw: Bytes,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                envelope: OnceLock::from(probe.envelope),
                kind,
                type_field: probe.type_field,
                verified_by,
                raw,
                attempt: 1,
            }),
        }
    }

    /// The delivery of bytes whose signature was checked elsewhere (by `verified_by`), as the
    /// pipeline makes it: envelope and `type` read from the bytes, the kind identified by
    /// `type`. For unit tests of handlers, and for replaying bytes kept from a verified
    /// delivery.
    ///
    /// ```
    /// use ghl_webhook_router::{Delivery, VerifiedBy};
    /// use ghl_webhook_router::types::EventKind;
    ///
    /// let body = br#"{"type":"AssociationDelete","id":"a-1","webhookId":"w-1"}"#;
    /// let delivery = Delivery::from_verified_bytes(&body[..], VerifiedBy::Unverified)?;
    /// assert_eq!(delivery.kind(), Some(EventKind::AssociationDelete));
    /// assert_eq!(delivery.webhook_id(), Some("w-1"));
    /// # Ok::<(), ghl_webhook_router::types::ProbeError>(())
    /// ```
    pub fn from_verified_bytes(
        raw: impl Into<Bytes>,
        verified_by: VerifiedBy,
    ) -> Result<Self, ProbeError> {
        let raw = raw.into();
        let identified = identify_body(Binding::None, "", &raw)?;
        Ok(Self::new(
            identified.probe,
            identified.kind,
            verified_by,
            raw,
        ))
    }

    /// The delivery of a journal entry, as the edge made it: kind, `type` field and verifying
    /// key as the entry stored them, the attempt the entry is at. Nothing is parsed here;
    /// the envelope is read from the bytes when first asked for (an entry whose bytes are
    /// not a JSON object has an empty one, and its handler's decode says what is wrong).
    ///
    /// ```
    /// use std::time::SystemTime;
    ///
    /// use ghl_webhook_router::journal::{Entry, EntryState};
    /// use ghl_webhook_router::types::EventKind;
    /// use ghl_webhook_router::{Delivery, IdentifiedBy, VerifiedBy};
    ///
    /// let entry = Entry {
    ///     key: "w-1".into(),
    ///     raw: r#"{"type":"AssociationDelete","id":"a-1","webhookId":"w-1"}"#.into(),
    ///     kind: Some(EventKind::AssociationDelete),
    ///     identified_by: Some(IdentifiedBy::TypeField),
    ///     type_field: Some("AssociationDelete".into()),
    ///     verified_by: VerifiedBy::Ed25519("highlevel".into()),
    ///     attempts: 2,
    /// #   order_key: None,
    /// #   received_at: SystemTime::now(),
    /// #   state: EntryState::InProgress,
    /// #   last_error: None,
    /// #   next_attempt_at: SystemTime::now(),
    /// #   lease_until: None,
    /// #   updated_at: SystemTime::now(),
    /// };
    /// let delivery = Delivery::from_entry(&entry);
    /// assert_eq!(delivery.kind(), Some(EventKind::AssociationDelete));
    /// assert_eq!(delivery.attempt(), 2);
    /// assert_eq!(delivery.webhook_id(), Some("w-1"));
    /// ```
    pub fn from_entry(entry: &Entry) -> Self {
        let kind = entry
            .kind
            .map(|kind| (kind, entry.identified_by.unwrap_or(IdentifiedBy::TypeField)));
        Self {
            inner: Arc::new(Inner {
                envelope: OnceLock::new(),
                kind,
                type_field: entry.type_field.clone(),
                verified_by: entry.verified_by.clone(),
                raw: entry.raw.clone(),
                attempt: entry.attempts.max(1),
            }),
        }
    }

    /// The same delivery taken as `kind`, as a route bound to the kind would take it.
    pub fn bound_to(mut self, kind: EventKind) -> Self {
        Arc::make_mut(&mut self.inner).kind = Some((kind, IdentifiedBy::Route));
        self
    }

    /// The same delivery at attempt `attempt` (1 for the first).
    pub fn with_attempt(mut self, attempt: u32) -> Self {
        Arc::make_mut(&mut self.inner).attempt = attempt;
        self
    }

    /// The envelope fields (webhookId, timestamp, appId, versionId, locationId, companyId,
    /// traceId).
    pub fn envelope(&self) -> &Envelope {
        self.inner.envelope.get_or_init(|| {
            Probe::read(&self.inner.raw)
                .map(|probe| probe.envelope)
                .unwrap_or_default()
        })
    }

    /// The `webhookId`: unique per delivery, repeated on retries.
    pub fn webhook_id(&self) -> Option<&str> {
        self.envelope().webhook_id.as_deref()
    }

    /// HighLevel's `traceId` of the delivery, when it sent one: "useful for debugging and
    /// logging purposes". It is recorded in the delivery's span (`trace_id`), so JSON logs
    /// carry it; quote it to HighLevel's support about a delivery.
    pub fn trace_id(&self) -> Option<&str> {
        self.envelope().trace_id.as_deref()
    }

    /// The location (sub-account) of the event, when there is one.
    pub fn location_id(&self) -> Option<&str> {
        self.envelope().location_id.as_deref()
    }

    /// The identified kind, or `None` for an unknown event.
    pub fn kind(&self) -> Option<EventKind> {
        self.inner.kind.map(|(kind, _)| kind)
    }

    /// How the kind was identified (route binding or `type` field).
    pub fn identified_by(&self) -> Option<IdentifiedBy> {
        self.inner.kind.map(|(_, by)| by)
    }

    /// The payload's `type` field, when it was a string.
    pub fn type_field(&self) -> Option<&str> {
        self.inner.type_field.as_deref()
    }

    /// Which trusted key verified the signature.
    pub fn verified_by(&self) -> &VerifiedBy {
        &self.inner.verified_by
    }

    /// The exact body bytes that were verified.
    pub fn raw(&self) -> &Bytes {
        &self.inner.raw
    }

    /// Which attempt of ours this is at handling the delivery: 1 for the first (always 1 when
    /// handled inline, where HighLevel's retries are new deliveries of the same `webhookId`).
    pub fn attempt(&self) -> u32 {
        self.inner.attempt
    }
}

/// The unknown event of a delivery, as `on_unknown` handlers receive it.
pub(crate) fn unknown_event(delivery: &Delivery) -> UnknownEvent {
    UnknownEvent::new(
        delivery.inner.type_field.clone(),
        delivery.inner.raw.clone(),
    )
}
