//! The built-in fixtures: one realistic payload per event kind, the very files the types crate
//! is tested against (`crates/types/tests/fixtures/<EventName>.json`, embedded at build time).
//!
//! The simulator sends them when asked for an event without a payload; `ghl-webhook trigger`
//! sends them too.

use ghl_webhook_types::EventKind;

mod generated {
    include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));
}

pub use generated::FIXTURE_NAMES;

/// The built-in fixture of `kind`, as checked in (its `webhookId` and `timestamp`, when it has
/// them, are the checked-in ones: senders replace them with fresh values).
pub fn builtin(kind: EventKind) -> Option<&'static str> {
    generated::fixture_text(kind.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ghl_webhook_types::Event;

    #[test]
    fn every_event_kind_has_a_built_in_fixture_that_decodes_as_that_kind() {
        for &kind in EventKind::ALL {
            let text = builtin(kind).unwrap_or_else(|| panic!("no built-in fixture for {kind}"));
            let event = Event::decode(kind, text.as_bytes())
                .unwrap_or_else(|e| panic!("the {kind} fixture does not decode: {e}"));
            assert_eq!(event.kind(), Some(kind));
        }
    }

    #[test]
    fn every_built_in_fixture_is_an_event_kind() {
        assert_eq!(FIXTURE_NAMES.len(), EventKind::COUNT);
        for name in FIXTURE_NAMES {
            assert!(EventKind::from_name(name).is_some(), "{name}.json");
        }
    }

    #[test]
    fn kinds_sent_with_a_type_have_it_in_their_fixture() {
        for &kind in EventKind::ALL {
            let Some(sent) = kind.sent_type() else {
                continue;
            };
            let value: serde_json::Value =
                serde_json::from_str(builtin(kind).unwrap_or_default()).expect("json");
            assert_eq!(value["type"], sent, "{kind}");
        }
    }
}
