//! Hostile and malformed JSON payloads: what each gets from decoding. Drift (unknown keys,
//! `null`, absent members) is absorbed; a body that is not a JSON object, a known field of
//! another type than documented, or a required field missing is a `DecodeError` naming the
//! JSON path, never a panic.

use ghl_webhook_types::{DecodeError, Event, EventKind};

fn decode(kind: EventKind, body: &[u8]) -> Result<Event, DecodeError> {
    Event::decode(kind, body)
}

/// Asserts that `body` fails as `kind` at `path` with a message containing `says`.
#[track_caller]
fn fails_at(kind: EventKind, body: &[u8], path: &str, says: &str) {
    let err = decode(kind, body).expect_err(&String::from_utf8_lossy(body));
    assert_eq!(err.kind, kind);
    assert_eq!(err.path, path, "{err}");
    assert!(err.message.contains(says), "{err}");
}

fn nested(open: &str, close: &str, depth: usize) -> String {
    format!("{}1{}", open.repeat(depth), close.repeat(depth))
}

#[test]
fn bodies_that_are_not_one_json_object_fail_at_the_root() {
    let contact = EventKind::ContactCreate;
    fails_at(contact, b"", ".", "empty body");
    fails_at(contact, b"  \n", ".", "empty body");
    fails_at(contact, b"null", ".", "starting with `n`");
    fails_at(contact, br#""id""#, ".", "starting with `\"`");
    fails_at(contact, b"42", ".", "starting with `4`");
    // A list would otherwise be read positionally into the struct's fields.
    let positional = format!("[\"abc\"{}]", ",null".repeat(24));
    fails_at(contact, positional.as_bytes(), ".", "starting with `[`");
    fails_at(contact, b"\xef\xbb\xbf{\"id\":\"a\"}", ".", "byte 0xef");
    fails_at(contact, br#"{"id":"a"}x"#, ".", "trailing characters");
    fails_at(contact, br#"{"id":"a","tags":["x""#, "tags", "EOF");
    fails_at(contact, br#"{"id":"a""#, ".", "EOF");
    // Not JSON even where the SDK would ignore the value: a raw control character in a string.
    fails_at(
        contact,
        b"{\"id\":\"a\",\"~unknown\":\"\x01\"}",
        "~unknown",
        "control character",
    );
    assert!(
        decode(contact, b" \n{\"id\":\"a\"}\n\t ").is_ok(),
        "JSON whitespace around"
    );
}

#[test]
fn known_fields_of_another_type_fail_at_their_path() {
    let contact = EventKind::ContactCreate;
    fails_at(contact, br#"{"id":5}"#, "id", "expected a string");
    fails_at(
        contact,
        br#"{"id":"a","tags":"x"}"#,
        "tags",
        "expected a sequence",
    );
    fails_at(
        contact,
        br#"{"id":"a","tags":["x",1]}"#,
        "tags[1]",
        "expected a string",
    );
    fails_at(
        contact,
        br#"{"id":"a","dnd":"yes"}"#,
        "dnd",
        "expected a boolean",
    );
    fails_at(
        contact,
        br#"{"id":"a","dndSettings":[1]}"#,
        "dndSettings",
        "map",
    );
    fails_at(contact, b"{\"id\":\"a\xff\"}", "id", "invalid unicode");
    fails_at(contact, br#"{"id":"\ud800"}"#, "id", "escape");

    let message = EventKind::InboundMessage;
    for duration in ["-1", "12.5", "1e30", "18446744073709551616"] {
        let body = format!(r#"{{"conversationId":"c","callDuration":{duration}}}"#);
        fails_at(message, body.as_bytes(), "callDuration", "u64");
    }
    let deal = EventKind::OpportunityCreate;
    for value in [r#""twelve""#, r#""1e999""#, r#""NaN""#, "true", "[1]"] {
        let body = format!(r#"{{"id":"o","monetaryValue":{value}}}"#);
        fails_at(deal, body.as_bytes(), "monetaryValue", "a number");
    }
}

#[test]
fn a_known_field_given_twice_fails_and_an_unknown_one_does_not() {
    fails_at(
        EventKind::ContactCreate,
        br#"{"id":"a","id":"b"}"#,
        ".",
        "duplicate field `id`",
    );
    assert!(decode(EventKind::ContactCreate, br#"{"id":"a","z":1,"z":[2]}"#).is_ok());
}

#[test]
fn required_fields_missing_or_null_fail_at_their_path() {
    fails_at(
        EventKind::ContactCreate,
        br#"{"email":"a@b.c"}"#,
        ".",
        "missing field `id`",
    );
    fails_at(
        EventKind::ContactCreate,
        br#"{"id":null}"#,
        "id",
        "invalid type: null",
    );
    fails_at(
        EventKind::AppointmentCreate,
        br#"{"appointment":{"title":"t"}}"#,
        "appointment",
        "missing field `id`",
    );
    fails_at(
        EventKind::LCEmailStats,
        br#"{"webhookPayload":null}"#,
        "webhookPayload",
        "invalid type: null",
    );
}

#[test]
fn hostile_values_under_unknown_keys_are_absorbed() {
    let deep_lists = nested("[", "]", 1_000_000);
    let deep_objects = nested("{\"k\":", "}", 1_000_000);
    for value in [
        "1e400",
        "-0",
        r#""\ud800""#,
        r#""\u0000""#,
        deep_lists.as_str(),
        deep_objects.as_str(),
    ] {
        let body = format!(r#"{{"id":"a","~unknown":{value},"tags":["t"]}}"#);
        let event =
            decode(EventKind::ContactCreate, body.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let Event::ContactCreate(contact) = event else {
            panic!("wrong kind")
        };
        assert_eq!(
            (contact.id.as_str(), contact.tags.as_slice()),
            ("a", &["t".to_owned()][..])
        );
    }
    let invalid_utf8 = b"{\"id\":\"a\",\"~unknown\":\"\xff\xfe\"}";
    assert!(decode(EventKind::ContactCreate, invalid_utf8).is_ok());
}

#[test]
fn raw_json_fields_nested_past_serde_json_limit_fail_at_their_path() {
    let body = format!(
        r#"{{"id":"a","customFields":[{{"id":"f","value":{}}}]}}"#,
        nested("[", "]", 200)
    );
    let err = decode(EventKind::ContactCreate, body.as_bytes()).expect_err("too deep");
    assert!(
        err.path.starts_with("customFields[0].value[0]"),
        "{}",
        err.path
    );
    assert!(err.message.contains("recursion limit"), "{err}");
    let shallow = format!(
        r#"{{"id":"a","customFields":[{{"id":"f","value":{}}}]}}"#,
        nested("[", "]", 100)
    );
    assert!(decode(EventKind::ContactCreate, shallow.as_bytes()).is_ok());
}
