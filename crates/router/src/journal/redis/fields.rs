//! An entry's hash: the fields the engine writes, and reading them back into an [`Entry`].

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use ghl_webhook_types::EventKind;

use crate::identify::IdentifiedBy;
use crate::journal::{Entry, EntryState, NewEntry};
use crate::verify::VerifiedBy;

/// The latest time stored: 2^53 - 1 ms (the year 287396), the largest integer a Lua number
/// and a sorted-set score hold exactly.
const MAX_MS: u64 = (1 << 53) - 1;

/// Milliseconds since the Unix epoch, clamped to `0..=MAX_MS`.
pub(super) fn to_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis())
            .unwrap_or(u64::MAX)
            .min(MAX_MS)
    })
}

/// `now` plus `length`, in milliseconds, clamped like [`to_ms`].
pub(super) fn ms_after(now: u64, length: Duration) -> u64 {
    let length = u64::try_from(length.as_millis()).unwrap_or(u64::MAX);
    now.saturating_add(length).min(MAX_MS)
}

pub(super) fn from_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH
        .checked_add(Duration::from_millis(ms))
        .unwrap_or(UNIX_EPOCH)
}

/// The optional and per-delivery fields of a new entry's hash, as field/value pairs (the
/// append script adds the life-cycle fields).
pub(super) fn new_entry_fields(entry: &NewEntry) -> Vec<(&'static str, Vec<u8>)> {
    let mut fields = vec![
        ("vby", entry.verified_by.to_string().into_bytes()),
        ("recv", to_ms(entry.received_at).to_string().into_bytes()),
        ("raw", entry.raw.to_vec()),
    ];
    if let Some(kind) = entry.kind {
        fields.push(("kind", kind.as_str().as_bytes().to_vec()));
    }
    if let Some(by) = entry.identified_by {
        fields.push(("by", IdentifiedBy::as_str(by).as_bytes().to_vec()));
    }
    if let Some(type_field) = &entry.type_field {
        fields.push(("type", type_field.as_bytes().to_vec()));
    }
    if let Some(order_key) = &entry.order_key {
        fields.push(("ok", order_key.as_bytes().to_vec()));
    }
    fields
}

/// Reads a hash (as `HGETALL` returns it) into an entry; an error names the field that is
/// missing or malformed, for a hash this SDK did not write.
pub(crate) fn read_entry(flat: Vec<Vec<u8>>) -> Result<Entry, String> {
    let mut fields: HashMap<Vec<u8>, Vec<u8>> = HashMap::with_capacity(flat.len() / 2);
    let mut items = flat.into_iter();
    while let (Some(field), Some(value)) = (items.next(), items.next()) {
        fields.insert(field, value);
    }
    let key = fields
        .get(b"key".as_slice())
        .map(|key| String::from_utf8_lossy(key).into_owned())
        .ok_or("an entry hash has no field `key`")?;
    let key = key.as_str();
    let text = |name: &str| -> Result<Option<String>, String> {
        fields
            .get(name.as_bytes())
            .map(|value| {
                String::from_utf8(value.clone())
                    .map_err(|_| format!("field `{name}` of entry `{key}` is not UTF-8"))
            })
            .transpose()
    };
    let required = |name: &str| -> Result<String, String> {
        text(name)?.ok_or_else(|| format!("entry `{key}` has no field `{name}`"))
    };
    let number = |name: &str| -> Result<u64, String> {
        let value = required(name)?;
        value
            .parse::<u64>()
            .map_err(|_| format!("field `{name}` of entry `{key}` is `{value}`, not a number"))
    };
    let optional_number = |name: &str| -> Result<Option<u64>, String> {
        match text(name)? {
            Some(value) => value
                .parse::<u64>()
                .map(Some)
                .map_err(|_| format!("field `{name}` of entry `{key}` is `{value}`, not a number")),
            None => Ok(None),
        }
    };
    let state_name = required("state")?;
    let state: EntryState = state_name
        .parse()
        .map_err(|_| format!("entry `{key}` is in state `{state_name}`, not a journal state"))?;
    let raw = fields
        .get(b"raw".as_slice())
        .cloned()
        .ok_or_else(|| format!("entry `{key}` has no field `raw`"))?;
    Ok(Entry {
        key: key.to_owned(),
        raw: Bytes::from(raw),
        // A kind this SDK does not know (written by a newer one) reads as unknown.
        kind: text("kind")?.as_deref().and_then(EventKind::from_name),
        identified_by: text("by")?.and_then(|by| by.parse::<IdentifiedBy>().ok()),
        type_field: text("type")?,
        verified_by: {
            let text = required("vby")?;
            text.parse::<VerifiedBy>()
                .map_err(|_| format!("entry `{key}` was verified by `{text}`, not a key's name"))?
        },
        order_key: text("ok")?,
        received_at: from_ms(number("recv")?),
        state,
        attempts: u32::try_from(number("att")?).unwrap_or(u32::MAX),
        last_error: text("err")?,
        next_attempt_at: from_ms(number("next")?),
        lease_until: optional_number("lease")?
            .filter(|_| state == EntryState::InProgress)
            .map(from_ms),
        updated_at: from_ms(number("upd")?),
    })
}

/// The lease generation of a hash as `HGETALL` returns it.
pub(super) fn generation(flat: &[Vec<u8>]) -> Option<u64> {
    flat.chunks_exact(2)
        .find(|pair| pair[0] == b"gen")
        .and_then(|pair| std::str::from_utf8(&pair[1]).ok()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_clamp_to_what_a_score_holds_exactly() {
        assert_eq!(to_ms(UNIX_EPOCH - Duration::from_secs(1)), 0);
        assert_eq!(to_ms(UNIX_EPOCH + Duration::from_millis(1_234)), 1_234);
        let far = UNIX_EPOCH + Duration::from_secs(u64::from(u32::MAX) * 10_000);
        assert_eq!(to_ms(far), MAX_MS);
        assert_eq!(ms_after(5, Duration::MAX), MAX_MS);
        assert_eq!(from_ms(to_ms(from_ms(42))), from_ms(42));
    }

    #[test]
    fn a_hash_missing_a_field_names_it() {
        let flat = vec![b"state".to_vec(), b"pending".to_vec()];
        assert!(read_entry(flat).unwrap_err().contains("`key`"));
        let flat = vec![
            b"key".to_vec(),
            b"k".to_vec(),
            b"state".to_vec(),
            b"pending".to_vec(),
        ];
        let err = read_entry(flat).unwrap_err();
        assert!(err.contains("`raw`"), "{err}");
        let flat = vec![
            b"key".to_vec(),
            b"k".to_vec(),
            b"state".to_vec(),
            b"sleeping".to_vec(),
        ];
        assert!(read_entry(flat).unwrap_err().contains("sleeping"));
    }
}
