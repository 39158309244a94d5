//! One fixture per event kind (`tests/fixtures/<EventName>.json`): each decodes as its kind,
//! matches its insta snapshot, and survives a decode → serialize → decode round trip.
//!
//! Fixtures come from HighLevel's doc examples where one exists, otherwise they are written
//! from the event's schema with realistic values.

use ghl_webhook_types::{Event, EventKind};

/// Defines `fixture(kind)`, every fixture embedded at compile time: a kind of the catalogue
/// without its `tests/fixtures/<Kind>.json` is a compile error of these tests.
macro_rules! fixtures {
    ($types:tt; $( $kind:ident => $module:ident :: $ty:ident, [$($alias:literal),*], $by:ident; )+) => {
        fn fixture(kind: EventKind) -> &'static [u8] {
            match kind {
                $(
                    EventKind::$kind => include_bytes!(concat!(
                        env!("CARGO_MANIFEST_DIR"),
                        "/tests/fixtures/",
                        stringify!($kind),
                        ".json"
                    )),
                )+
            }
        }
    };
}
ghl_webhook_types::with_catalogue!(fixtures);

#[test]
fn every_kind_has_a_fixture_that_decodes_as_that_kind() {
    for &kind in EventKind::ALL {
        let event = Event::decode(kind, fixture(kind))
            .unwrap_or_else(|e| panic!("fixture of {kind} does not decode: {e}"));
        assert_eq!(event.kind(), Some(kind));
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

/// The other documented examples of multi-example pages, older doc versions and a real
/// capture (`tests/fixtures/variants/<Kind>--<what>.json`, described in `SOURCES.md` there):
/// each decodes as the kind it is named for, and the one that is not valid JSON is a
/// `DecodeError`, not a panic.
#[test]
fn every_variant_decodes_as_its_kind_and_the_invalid_one_is_rejected() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/variants");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("the variants directory") {
        let path = entry.expect("an entry").path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        let kind = stem
            .split_once("--")
            .and_then(|(kind, _)| EventKind::from_name(kind))
            .unwrap_or_else(|| panic!("{name} is not named `<Kind>--<what>.json`"));
        let body = std::fs::read(&path).expect("readable");
        let decoded = Event::decode(kind, &body);
        if stem.contains("invalid") {
            let err = decoded.expect_err("not valid JSON");
            assert_eq!(err.kind, kind);
            assert!(err.message.contains("trailing comma"), "{name}: {err}");
        } else {
            let event = decoded.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(event.kind(), Some(kind), "{name}");
        }
        seen += 1;
    }
    assert_eq!(seen, 25, "every variant file was read");
}
