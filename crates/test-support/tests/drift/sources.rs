//! The shipped payloads the drift starts from ([`ghl_webhook_types::fixtures`]): the example
//! of every kind and the other documented examples and real captures (the variants).

use ghl_webhook_types::{EventKind, fixtures};
use serde_json::Value;

/// A payload and the kind it is an example of.
pub(crate) struct Source {
    /// The fixture's name, for messages.
    pub name: String,
    /// The kind the payload is an example of.
    pub kind: EventKind,
    /// The payload.
    pub value: Value,
}

/// Every example and every variant that is valid JSON. The variant that is not valid JSON is
/// left to the types crate's fixture tests, which check that it is rejected.
pub(crate) fn all() -> Vec<Source> {
    let examples = EventKind::ALL
        .iter()
        .map(|&kind| (kind.as_str().to_owned(), kind, fixtures::example(kind)));
    let variants = fixtures::variants()
        .iter()
        .filter(|v| v.is_valid_json())
        .map(|v| (v.name.to_owned(), v.kind, v.text));
    examples
        .chain(variants)
        .map(|(name, kind, text)| Source {
            value: serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("{name} is not valid JSON: {e}")),
            name,
            kind,
        })
        .collect()
}

#[test]
fn every_kind_has_a_source_and_the_variants_are_read_too() {
    let sources = all();
    for &kind in EventKind::ALL {
        assert!(
            sources.iter().any(|s| s.kind == kind),
            "no source for {kind}"
        );
    }
    assert!(sources.iter().filter(|s| s.name.contains("--")).count() >= 24);
}
