//! Which members of a payload the model treats as optional, found by asking the model: set
//! the member to `null`, or drop it, and decode. Either decoding succeeds with every other
//! field unchanged (the member is optional), or it fails with the typed error naming the
//! member, and the member is on the kind's list of required fields.

use ghl_webhook_types::{DecodeError, Event, EventKind};
use serde_json::Value;

use crate::compare::keeps_known_fields;
use crate::paths::{Path, get_mut};

/// What the drift does to one member of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cut {
    /// Sets it to `null`.
    Null,
    /// Removes it.
    Drop,
}

/// Applies `cut` to the member at `path`; `false` when there is no such member (an enclosing
/// member was cut before).
pub(crate) fn apply(value: &mut Value, path: &Path, cut: Cut) -> bool {
    let Some((parent, key)) = path.split_key() else {
        return false;
    };
    let Some(Value::Object(object)) = get_mut(value, &parent) else {
        return false;
    };
    match (object.get_mut(key), cut) {
        (Some(member), Cut::Null) => *member = Value::Null,
        (Some(_), Cut::Drop) => {
            object.remove(key);
        }
        (None, _) => return false,
    }
    true
}

/// Decodes `value` as `kind` from its bytes, as a delivery would be.
pub(crate) fn decode(kind: EventKind, value: &Value) -> Result<Event, DecodeError> {
    Event::decode(kind, &serde_json::to_vec(value).expect("serializes"))
}

/// The flat JSON of a decoded event (the struct itself, as HighLevel sends it).
pub(crate) fn flat(event: &Event) -> Value {
    let mut tagged = serde_json::to_value(event).expect("serializes");
    tagged["event"].take()
}

/// Whether the member at `path` of `original` may be nulled and dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Member {
    /// Both decode, and every other field keeps its value.
    Optional,
    /// Both fail with the typed error naming it; it is on the kind's required list.
    Required,
}

/// Probes the member at `path` of `original` (whose decoded flat JSON is `before`). `Err`
/// says how the model broke the rule.
pub(crate) fn member(
    kind: EventKind,
    original: &Value,
    before: &Value,
    path: &Path,
) -> Result<Member, String> {
    let (parent, key) = path
        .split_key()
        .ok_or_else(|| format!("{path} is not a member"))?;
    let required = kind.required_fields().contains(&path.pattern().as_str());
    for cut in [Cut::Null, Cut::Drop] {
        let mut value = original.clone();
        apply(&mut value, path, cut);
        match decode(kind, &value) {
            Ok(_) if required => {
                return Err(format!(
                    "{kind}: `{path}` is on the required list but decodes when cut ({cut:?})"
                ));
            }
            Ok(event) => keeps_known_fields(before, &flat(&event), std::slice::from_ref(path))
                .map_err(|diff| format!("{kind}: cutting `{path}` ({cut:?}) changed {diff}"))?,
            Err(err) if !required => {
                return Err(format!(
                    "{kind}: cutting `{path}` ({cut:?}) fails the event, and `{}` is not on its \
                     required list: {err}",
                    path.pattern()
                ));
            }
            Err(err) => {
                let (want_path, want_message) = match cut {
                    Cut::Null => (path.to_string(), "invalid type: null".to_owned()),
                    Cut::Drop => (parent.to_string(), format!("missing field `{key}`")),
                };
                if err.kind != kind || err.path != want_path || !err.message.contains(&want_message)
                {
                    return Err(format!(
                        "{kind}: cutting required `{path}` ({cut:?}) should fail at `{want_path}` \
                         with `{want_message}`, got {err:?}"
                    ));
                }
            }
        }
    }
    Ok(if required {
        Member::Required
    } else {
        Member::Optional
    })
}
