//! "Every known field keeps its value": the comparison of an event decoded from a payload
//! with the same event decoded after drift, both serialized back to JSON.

use serde_json::Value;

use crate::paths::{Path, Step};

/// The prefix of every key the drift inserts. No HighLevel field starts with `~`, so an
/// inserted key can never be read as a known field.
pub(crate) const DRIFT_PREFIX: &str = "~drift";

/// Checks that `after` keeps everything `before` has, except under `changed` (the members the
/// drift set to `null` or dropped), and adds nothing but keys inserted by the drift (kept by
/// maps and raw JSON fields). Gives the first difference as `path: what`.
pub(crate) fn keeps_known_fields(
    before: &Value,
    after: &Value,
    changed: &[Path],
) -> Result<(), String> {
    compare(before, after, &Path::default(), changed)
}

fn compare(before: &Value, after: &Value, path: &Path, changed: &[Path]) -> Result<(), String> {
    if changed.iter().any(|c| path.starts_with(c)) {
        return Ok(());
    }
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for (key, old) in b {
                let member = path.join(Step::Key(key.clone()));
                match a.get(key) {
                    Some(new) => compare(old, new, &member, changed)?,
                    None if changed.iter().any(|c| member.starts_with(c)) => {}
                    None => return Err(format!("{member}: lost (was {old})")),
                }
            }
            match a
                .iter()
                .find(|(key, _)| !b.contains_key(*key) && !key.starts_with(DRIFT_PREFIX))
            {
                Some((key, new)) => Err(format!(
                    "{}: appeared as {new}",
                    path.join(Step::Key(key.clone()))
                )),
                None => Ok(()),
            }
        }
        (Value::Array(b), Value::Array(a)) if b.len() == a.len() => {
            for (index, (old, new)) in b.iter().zip(a).enumerate() {
                compare(old, new, &path.join(Step::Index(index)), changed)?;
            }
            Ok(())
        }
        _ if before == after => Ok(()),
        _ => Err(format!("{path}: was {before}, is {after}")),
    }
}

#[test]
fn inserted_drift_keys_and_changed_members_are_the_only_allowed_differences() {
    let before = serde_json::json!({"id": "a", "n": {"x": 1, "y": [1, 2]}});
    let after = serde_json::json!({"id": "a", "n": {"x": 1, "y": [1, 2], "~drift0": null}});
    assert_eq!(keeps_known_fields(&before, &after, &[]), Ok(()));

    let dropped = serde_json::json!({"id": "a", "n": {"y": [1, 2]}});
    let x = Path(vec![Step::Key("n".into()), Step::Key("x".into())]);
    assert_eq!(
        keeps_known_fields(&before, &dropped, std::slice::from_ref(&x)),
        Ok(())
    );
    assert!(
        keeps_known_fields(&before, &dropped, &[])
            .unwrap_err()
            .contains("n.x: lost")
    );

    let changed = serde_json::json!({"id": "a", "n": {"x": 2, "y": [1, 2]}});
    assert!(
        keeps_known_fields(&before, &changed, &[])
            .unwrap_err()
            .starts_with("n.x: was 1")
    );
    let shorter = serde_json::json!({"id": "a", "n": {"x": 1, "y": [1]}});
    assert!(keeps_known_fields(&before, &shorter, &[]).is_err());
    let extra = serde_json::json!({"id": "a", "n": {"x": 1, "y": [1, 2]}, "type": "X"});
    assert!(
        keeps_known_fields(&before, &extra, &[x])
            .unwrap_err()
            .contains("type: appeared")
    );
}
