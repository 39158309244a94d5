use ghl_webhook_types::{EventKind, Probe, ProbeError};

/// How a kind was identified.
///
/// In order: the kind bound to the route (typeless events delivered to a URL per kind), then the
/// `type` field through the catalogue's alias table, else unknown. A `type` that is not an event
/// name (ProviderOutboundMessage's `SMS`, Price's `one_time`) identifies nothing, and neither
/// does a body that is JSON but not an object: HighLevel always sends an object, so such a
/// body is no event of any kind, even on a bound route. It is acknowledged as unknown and
/// handed to `on_unknown` with its bytes, never dropped unseen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentifiedBy {
    /// The route the delivery arrived on is bound to the kind.
    Route,
    /// The payload's `type` field names the kind.
    TypeField,
}

impl IdentifiedBy {
    /// A stable name for logs and machine-readable output: `route` or `type_field`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Route => "route",
            Self::TypeField => "type_field",
        }
    }
}

impl std::fmt::Display for IdentifiedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The value whose [`as_str`](IdentifiedBy::as_str) is the text, e.g. read back from a journal.
impl std::str::FromStr for IdentifiedBy {
    type Err = crate::UnknownName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        [Self::Route, Self::TypeField]
            .into_iter()
            .find(|by| by.as_str() == name)
            .ok_or_else(|| crate::UnknownName::new("an identification", "route, type_field", name))
    }
}

/// Which kind, if any, the route a service is mounted on is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Binding {
    /// Identify by the `type` field.
    #[default]
    None,
    /// Every delivery on this route is this kind.
    Kind(EventKind),
    /// The last path segment, when it is an event name, is the kind.
    PathSegment,
}

impl Binding {
    /// The kind this binding gives a request for `path`, if any.
    fn kind(self, path: &str) -> Option<EventKind> {
        match self {
            Binding::None => None,
            Binding::Kind(kind) => Some(kind),
            Binding::PathSegment => kind_from_path(path),
        }
    }
}

/// What identification learns of a body: its envelope and `type` (the probe), and its kind.
#[derive(Debug)]
pub(crate) struct Identified {
    pub(crate) probe: Probe,
    pub(crate) kind: Option<(EventKind, IdentifiedBy)>,
}

/// Probes the body (one pass: envelope and `type`) and identifies its kind under `binding`.
pub(crate) fn identify_body(
    binding: Binding,
    path: &str,
    body: &[u8],
) -> Result<Identified, ProbeError> {
    let probe = Probe::read(body)?;
    let kind = identify(binding.kind(path), &probe);
    Ok(Identified { probe, kind })
}

/// The kind of a probed delivery, and how it was found; `None` when unknown.
fn identify(bound: Option<EventKind>, probe: &Probe) -> Option<(EventKind, IdentifiedBy)> {
    if !probe.is_object {
        return None;
    }
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
        let body = match type_field {
            Some(t) => serde_json::json!({ "type": t }),
            None => serde_json::json!({}),
        };
        Probe::read(body.to_string().as_bytes()).expect("a JSON object")
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
    fn a_body_that_is_not_an_object_is_unknown_even_on_a_bound_route() {
        let array = Probe::default();
        assert_eq!(identify(Some(EventKind::AssociationDelete), &array), None);
        let found = identify_body(Binding::Kind(EventKind::AssociationDelete), "/", b"[1,2]")
            .expect("valid JSON");
        assert_eq!(found.kind, None);
    }

    #[test]
    fn bindings_give_the_kind_of_their_route() {
        let body = br#"{"type":"AssociationCreate"}"#;
        let by_type = identify_body(Binding::None, "/hooks/AssociationDelete", body).expect("JSON");
        assert_eq!(
            by_type.kind,
            Some((EventKind::AssociationCreate, IdentifiedBy::TypeField))
        );
        let by_path =
            identify_body(Binding::PathSegment, "/hooks/AssociationDelete", body).expect("JSON");
        assert_eq!(
            by_path.kind,
            Some((EventKind::AssociationDelete, IdentifiedBy::Route))
        );
        let other_path = identify_body(Binding::PathSegment, "/hooks", body).expect("JSON");
        assert_eq!(
            other_path.kind,
            Some((EventKind::AssociationCreate, IdentifiedBy::TypeField))
        );
        assert!(identify_body(Binding::None, "/", b"{").is_err());
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
