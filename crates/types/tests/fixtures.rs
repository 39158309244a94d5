//! The shipped payloads ([`ghl_webhook_types::fixtures`]): the example of every kind decodes
//! as its kind, matches its insta snapshot and survives a decode → serialize → decode round
//! trip; every other documented shape decodes as its kind, and the one that is not JSON is a
//! typed error.

use ghl_webhook_types::{Event, EventKind, fixtures};

fn fixture(kind: EventKind) -> &'static [u8] {
    fixtures::example(kind).as_bytes()
}

#[test]
fn every_kind_has_a_fixture_that_decodes_as_that_kind() {
    for &kind in EventKind::ALL {
        let event = Event::decode(kind, fixture(kind))
            .unwrap_or_else(|e| panic!("fixture of {kind} does not decode: {e}"));
        assert_eq!(event.kind(), Some(kind));
    }
}

#[test]
fn kinds_sent_with_a_type_have_it_in_their_fixture() {
    for &kind in EventKind::ALL {
        let Some(sent) = kind.sent_type() else {
            continue;
        };
        let value: serde_json::Value = serde_json::from_slice(fixture(kind)).expect("json");
        assert_eq!(value["type"], sent, "{kind}");
    }
}

#[test]
fn every_fixture_matches_its_snapshot() {
    for &kind in EventKind::ALL {
        let event = Event::decode(kind, fixture(kind)).expect("decodes");
        insta::assert_json_snapshot!(kind.as_str(), event);
    }
}

#[test]
fn every_fixture_round_trips() {
    for &kind in EventKind::ALL {
        let first = Event::decode(kind, fixture(kind)).expect("decodes");
        let second = Event::decode(kind, &serialize_inner(&first)).expect("re-decodes");
        assert_eq!(first, second, "{kind} changed in a round trip");
    }
}

/// Serializes the event struct itself (flat, as HighLevel sends it), not the tagged `Event`.
fn serialize_inner(event: &Event) -> Vec<u8> {
    let tagged = serde_json::to_value(event).expect("serializes");
    serde_json::to_vec(&tagged["event"]).expect("serializes")
}

#[test]
fn unknown_fields_and_null_optionals_still_decode() {
    let body = br#"{"id":"a1","associationType":null,"firstObjectKey":null,"brandNew":{"x":[1,2]},"key":"k"}"#;
    let event = Event::decode(EventKind::AssociationDelete, body).expect("decodes");
    let Event::AssociationDelete(delete) = event else {
        panic!("wrong variant")
    };
    assert_eq!(delete.id, "a1");
    assert_eq!(delete.association_type, None);
    assert_eq!(delete.key.as_deref(), Some("k"));
}

#[test]
fn a_known_kind_that_does_not_decode_names_the_json_path() {
    let err = Event::decode(
        EventKind::AssociationDelete,
        br#"{"id":"a","associationType":5}"#,
    )
    .expect_err("wrong type");
    assert_eq!(err.kind, EventKind::AssociationDelete);
    assert_eq!(err.path, "associationType");
    assert!(err.to_string().contains("associationType"), "{err}");

    let err = Event::decode(EventKind::AssociationDelete, br#"{"key":"k"}"#).expect_err("no id");
    assert!(err.message.contains("id"), "{err}");

    let err = Event::decode(EventKind::AssociationDelete, br#"{"id":"a"} trailing"#)
        .expect_err("trailing bytes");
    assert_eq!(err.path, ".");
}

#[test]
fn every_documented_variant_decodes_as_its_kind() {
    for variant in fixtures::variants().iter().filter(|v| v.is_valid_json()) {
        let event = Event::decode(variant.kind, variant.text.as_bytes())
            .unwrap_or_else(|e| panic!("{} does not decode: {e}", variant.name));
        assert_eq!(event.kind(), Some(variant.kind), "{}", variant.name);
        let again = Event::decode(variant.kind, &serialize_inner(&event)).expect("re-decodes");
        assert_eq!(event, again, "{} changed in a round trip", variant.name);
    }
}

#[test]
fn the_published_example_that_is_not_json_is_a_typed_error() {
    let invalid: Vec<_> = fixtures::variants()
        .iter()
        .filter(|v| !v.is_valid_json())
        .collect();
    assert_eq!(invalid.len(), 1);
    for variant in invalid {
        let err = Event::decode(variant.kind, variant.text.as_bytes()).expect_err(variant.name);
        assert_eq!(err.kind, variant.kind);
        assert!(err.to_string().contains("UserUpdate"), "{err}");
        assert!(
            err.message.contains("trailing comma"),
            "{}: {err}",
            variant.name
        );
    }
}

#[test]
fn the_real_delivery_keeps_its_envelope_and_null_assignee() {
    let real = fixtures::variants()
        .iter()
        .find(|v| v.name == "OpportunityCreate--real-logs-dashboard")
        .expect("the real delivery");
    let probe = ghl_webhook_types::Probe::read(real.text.as_bytes()).expect("probe");
    assert!(probe.envelope.webhook_id.is_some());
    let Event::OpportunityCreate(event) =
        Event::decode(real.kind, real.text.as_bytes()).expect("decodes")
    else {
        panic!("wrong variant")
    };
    assert_eq!(event.assigned_to, None);
}
