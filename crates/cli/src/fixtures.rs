//! The built-in fixtures: one realistic payload per event kind, the very payloads the types
//! crate ships and is tested against ([`ghl_webhook_types::fixtures`]).

use ghl_webhook_types::EventKind;

/// The built-in fixture of `kind`, as shipped.
pub(crate) fn builtin(kind: EventKind) -> &'static str {
    ghl_webhook_types::fixtures::example(kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ghl_webhook_types::Event;

    #[test]
    fn every_event_kind_has_a_built_in_fixture_that_decodes_as_that_kind() {
        for &kind in EventKind::ALL {
            let event = Event::decode(kind, builtin(kind).as_bytes())
                .unwrap_or_else(|e| panic!("the {kind} fixture does not decode: {e}"));
            assert_eq!(event.kind(), Some(kind));
        }
    }

    #[test]
    fn kinds_sent_with_a_type_have_it_in_their_fixture() {
        for &kind in EventKind::ALL {
            let Some(sent) = kind.sent_type() else {
                continue;
            };
            let value: serde_json::Value = serde_json::from_str(builtin(kind)).expect("json");
            assert_eq!(value["type"], sent, "{kind}");
        }
    }
}
