//! Identification: which event kind a delivery is.
//!
//! Order: the kind bound to the route (typeless events delivered to a URL per kind), then the
//! `type` field through the catalogue's alias table, else unknown. A `type` that is not an event
//! name (ProviderOutboundMessage's `SMS`, Price's `one_time`) identifies nothing.

use ghl_webhook_types::{EventKind, Probe};

/// How a kind was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifiedBy {
    /// The route the delivery arrived on is bound to the kind.
    Route,
    /// The payload's `type` field names the kind.
    TypeField,
}

/// The kind of a delivery, and how it was found; `None` when unknown.
pub(crate) fn identify(
    bound: Option<EventKind>,
    probe: &Probe,
) -> Option<(EventKind, IdentifiedBy)> {
    if let Some(kind) = bound {
        return Some((kind, IdentifiedBy::Route));
    }
    let kind = EventKind::from_type_field(probe.type_field.as_deref()?)?;
    Some((kind, IdentifiedBy::TypeField))
}

/// The kind named by the last non-empty segment of a request path, e.g.
/// `/webhooks/highlevel/AssociationDelete`.
pub(crate) fn kind_from_path(path: &str) -> Option<EventKind> {
    EventKind::from_name(path.trim_end_matches('/').rsplit('/').next()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(type_field: Option<&str>) -> Probe {
        Probe {
            type_field: type_field.map(str::to_owned),
            is_object: true,
            ..Probe::default()
        }
    }

    #[test]
    fn the_route_binding_wins_over_the_type_field() {
        assert_eq!(
            identify(
                Some(EventKind::AssociationDelete),
                &probe(Some("AssociationCreate"))
            ),
            Some((EventKind::AssociationDelete, IdentifiedBy::Route))
        );
    }

    #[test]
    fn the_type_field_identifies_an_unbound_delivery() {
        assert_eq!(
            identify(None, &probe(Some("AssociationDelete"))),
            Some((EventKind::AssociationDelete, IdentifiedBy::TypeField))
        );
    }

    #[test]
    fn no_binding_and_no_usable_type_is_unknown() {
        assert_eq!(identify(None, &probe(None)), None);
        assert_eq!(identify(None, &probe(Some("SMS"))), None);
        assert_eq!(identify(None, &probe(Some("one_time"))), None);
    }

    #[test]
    fn path_segments_bind_only_exact_event_names() {
        assert_eq!(
            kind_from_path("/hooks/AssociationDelete"),
            Some(EventKind::AssociationDelete)
        );
        assert_eq!(
            kind_from_path("/hooks/AssociationDelete/"),
            Some(EventKind::AssociationDelete)
        );
        assert_eq!(
            kind_from_path("/AssociationDelete"),
            Some(EventKind::AssociationDelete)
        );
        assert_eq!(kind_from_path("/hooks/associationdelete"), None);
        assert_eq!(kind_from_path("/"), None);
        assert_eq!(kind_from_path(""), None);
    }
}
