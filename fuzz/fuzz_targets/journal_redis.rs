//! Journal entries read back from Redis: an entry's hash with arbitrary fields and values (as
//! a damaged instance, another tool or a newer SDK could leave it) is read as an entry or an
//! error naming the entry and the field, never a panic; what reads keeps the hash's key, and a
//! lease only while in progress.
#![no_main]

use ghl_webhook_router::fuzzing::redis_entry;
use ghl_webhook_router::journal::EntryState;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

/// The fields the journal writes (`fields.rs` and the append script).
const NAMES: &[&str] = &[
    "key", "state", "kind", "by", "type", "vby", "ok", "recv", "att", "err", "next", "lease",
    "upd", "raw", "gen",
];

/// A field's name: one the journal writes (most of the time), or any bytes.
#[derive(Debug, Arbitrary)]
enum Name {
    Known(u8),
    Other(Vec<u8>),
}

/// A value: a number, a state, or any bytes.
#[derive(Debug, Arbitrary)]
enum Value {
    Number(u64),
    State(u8),
    Bytes(Vec<u8>),
}

fuzz_target!(|hash: Vec<(Name, Value)>| {
    let mut flat = Vec::with_capacity(hash.len() * 2);
    for (name, value) in hash {
        flat.push(match name {
            Name::Known(at) => NAMES[usize::from(at) % NAMES.len()].as_bytes().to_vec(),
            Name::Other(bytes) => bytes,
        });
        flat.push(match value {
            Value::Number(n) => n.to_string().into_bytes(),
            Value::State(s) => ["pending", "in_progress", "done", "dead"][usize::from(s) % 4]
                .as_bytes()
                .to_vec(),
            Value::Bytes(bytes) => bytes,
        });
    }
    // `HGETALL` gives each field once: the last value of a name is the one a hash holds.
    let key = flat
        .chunks_exact(2)
        .filter(|pair| pair[0] == b"key")
        .last()
        .map(|pair| String::from_utf8_lossy(&pair[1]).into_owned());
    match redis_entry(flat) {
        Ok(entry) => {
            assert_eq!(Some(&entry.key), key.as_ref(), "the hash's key");
            assert!(
                entry.lease_until.is_none() || entry.state == EntryState::InProgress,
                "a lease outside progress: {entry:?}"
            );
        }
        Err(message) => assert!(
            message.contains("entry") && message.contains('`'),
            "an error that names neither the entry nor the field: {message}"
        ),
    }
});
