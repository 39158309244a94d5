//! `Probe::read` and the pipeline's identification on arbitrary bytes: never a panic; the
//! probe agrees with a full JSON parse (any JSON value probes, objects are seen as objects);
//! a kind found by the `type` field is the one the alias table names, and a bound route
//! always wins on an object.
//! Input: one byte choosing the mount (plain, bound to a kind, by path), a path line, the body.
#![no_main]

use ghl_webhook_router::IdentifiedBy;
use ghl_webhook_router::fuzzing::{Mount, identify, kind_of_path};
use ghl_webhook_types::{EventKind, Probe};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (path, body) = ghl_webhooks_fuzz::split_once(rest, b"\n");
    let path = String::from_utf8_lossy(path);
    let mount = match selector % 3 {
        0 => Mount::Plain,
        1 => Mount::Bound(EventKind::ALL[usize::from(selector / 3) % EventKind::COUNT]),
        _ => Mount::ByPath,
    };
    let probed = Probe::read(body);
    let parsed = serde_json::from_slice::<serde_json::Value>(body);
    if let Ok(value) = &parsed {
        let probe = probed
            .as_ref()
            .unwrap_or_else(|e| panic!("valid JSON does not probe: {e}"));
        assert_eq!(probe.is_object, value.is_object(), "is_object");
    }
    let identified = identify(mount, &path, body);
    assert_eq!(
        identified.is_ok(),
        probed.is_ok(),
        "identify probes as Probe::read"
    );
    let Ok((probe, kind)) = identified else {
        return;
    };
    if !probe.is_object {
        assert_eq!(kind, None, "a body that is not an object is no event");
        return;
    }
    let bound = match mount {
        Mount::Plain => None,
        Mount::Bound(kind) => Some(kind),
        Mount::ByPath => kind_of_path(&path),
    };
    match (bound, kind) {
        (Some(bound), found) => assert_eq!(found, Some((bound, IdentifiedBy::Route))),
        (None, Some((found, by))) => {
            assert_eq!(by, IdentifiedBy::TypeField);
            let type_field = probe.type_field.as_deref().expect("identified by a type");
            assert_eq!(EventKind::from_type_field(type_field), Some(found));
        }
        (None, None) => {
            if let Some(type_field) = probe.type_field.as_deref() {
                assert_eq!(EventKind::from_type_field(type_field), None);
            }
        }
    }
});
