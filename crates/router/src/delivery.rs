//! [`Delivery`]: what a handler knows about the delivery besides the typed event.

use bytes::Bytes;
use ghl_webhook_types::{Envelope, EventKind};

use crate::identify::IdentifiedBy;
use crate::verify::VerifiedBy;

/// The context of one delivery, handed to every handler with its event.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub(crate) envelope: Envelope,
    pub(crate) kind: Option<(EventKind, IdentifiedBy)>,
    pub(crate) type_field: Option<String>,
    pub(crate) verified_by: VerifiedBy,
    pub(crate) raw: Bytes,
}

impl Delivery {
    /// The envelope fields (webhookId, timestamp, appId, versionId, locationId, companyId).
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// The `webhookId`: unique per delivery, repeated on retries.
    pub fn webhook_id(&self) -> Option<&str> {
        self.envelope.webhook_id.as_deref()
    }

    /// The location (sub-account) of the event, when there is one.
    pub fn location_id(&self) -> Option<&str> {
        self.envelope.location_id.as_deref()
    }

    /// The identified kind, or `None` for an unknown event.
    pub fn kind(&self) -> Option<EventKind> {
        self.kind.map(|(kind, _)| kind)
    }

    /// How the kind was identified (route binding or `type` field).
    pub fn identified_by(&self) -> Option<IdentifiedBy> {
        self.kind.map(|(_, by)| by)
    }

    /// The payload's `type` field, when it was a string.
    pub fn type_field(&self) -> Option<&str> {
        self.type_field.as_deref()
    }

    /// Which trusted key verified the signature.
    pub fn verified_by(&self) -> &VerifiedBy {
        &self.verified_by
    }

    /// The exact body bytes that were verified.
    pub fn raw(&self) -> &Bytes {
        &self.raw
    }
}

/// A delivery whose kind could not be identified, handed to `on_unknown` handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEvent {
    /// The `type` field, when there was a string one.
    pub type_field: Option<String>,
    /// The exact body bytes.
    pub raw: Bytes,
}
