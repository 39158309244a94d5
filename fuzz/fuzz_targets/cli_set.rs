//! The CLI's `--set PATH=VALUE` on arbitrary arguments and documents: never a panic; `parse`
//! and `apply` agree on what is malformed; once applied, the value is found at the path.
//! Input: the argument, a newline, then the JSON document it is applied to.
#![no_main]

use ghl_webhook_sim::json_set::{apply, parse};
use ghl_webhooks_fuzz::split_once;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let (arg, document) = split_once(data, b"\n");
    let Ok(arg) = std::str::from_utf8(arg) else {
        return;
    };
    let parsed = parse(arg);
    let mut root: Value =
        serde_json::from_slice(document).unwrap_or_else(|_| Value::Object(Default::default()));
    let applied = apply(&mut root, arg);
    let Ok((segments, value)) = parsed else {
        assert!(
            applied.is_err(),
            "apply accepted what parse refused: {arg:?}"
        );
        return;
    };
    if applied.is_err() {
        return;
    }
    let mut at = &root;
    for segment in &segments {
        at = match at {
            Value::Object(map) => map
                .get(*segment)
                .unwrap_or_else(|| panic!("{segment} missing after {arg:?}")),
            Value::Array(items) => {
                let index = segment
                    .parse::<usize>()
                    .unwrap_or_else(|_| panic!("{segment}: an array index"));
                items
                    .get(index)
                    .unwrap_or_else(|| panic!("index {index} missing after {arg:?}"))
            }
            other => panic!("{segment} reaches {other:?} after {arg:?}"),
        };
    }
    assert_eq!(at, &value, "the value at {arg:?}");
});
