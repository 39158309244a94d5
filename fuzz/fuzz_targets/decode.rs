//! Every event's decode on arbitrary bytes: never a panic, and a decode that succeeds
//! re-serializes (flat, as HighLevel sends it) and decodes to an equal event.
//! Input: one byte choosing the kind (`EventKind::ALL[b % COUNT]`), then the body.
#![no_main]

use ghl_webhook_types::{Event, EventKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let kind = EventKind::ALL[usize::from(selector) % EventKind::COUNT];
    let Ok(first) = Event::decode(kind, body) else {
        return;
    };
    assert_eq!(first.kind(), Some(kind));
    let tagged = serde_json::to_value(&first).expect("a decoded event serializes");
    let flat = serde_json::to_vec(&tagged["event"]).expect("serializes");
    let second = Event::decode(kind, &flat).unwrap_or_else(|e| {
        panic!(
            "{kind}: its own serialization does not decode: {e}\n{}",
            String::from_utf8_lossy(&flat)
        )
    });
    assert_eq!(first, second, "{kind} changed in a round trip");
});
