//! `--set PATH=VALUE`: overriding one field of a JSON payload.
//!
//! `PATH` is dotted: object keys, and array indexes where the value is an array
//! (`tags.0`; the index one past the end appends). Missing (or `null`) intermediate objects are
//! created. `VALUE` is parsed as JSON when it parses (`true`, `42`, `null`, `"quoted"`,
//! `{"a":1}`), and taken as a string otherwise (`John Doe`).

use serde_json::{Map, Value};

/// Why a `--set` cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetError {
    /// No `=` in the argument.
    #[error("expected PATH=VALUE, e.g. `--set email=jo@example.com` or `--set dnd=true`")]
    MissingEquals,
    /// Nothing before `=`.
    #[error("the path before `=` is empty")]
    EmptyPath,
    /// A path like `a..b`, `.a` or `a.`.
    #[error("the path `{0}` has an empty segment")]
    EmptySegment(String),
    /// The payload is not a JSON object.
    #[error("the payload is {0}, not a JSON object")]
    RootNotObject(&'static str),
    /// A segment goes into a value that is neither an object nor an array.
    #[error("`{at}` is {found}: it has no field `{segment}`")]
    NotAContainer {
        /// The path up to the value.
        at: String,
        /// What the value is.
        found: &'static str,
        /// The segment that cannot be followed.
        segment: String,
    },
    /// An array segment that is not an index.
    #[error("`{at}` is an array: `{segment}` is not an index")]
    NotAnIndex {
        /// The path up to the array.
        at: String,
        /// The segment.
        segment: String,
    },
    /// An index past the end of an array (only `len` appends, and only as the last segment).
    #[error("`{at}` has {len} element(s): index {index} is out of range")]
    OutOfRange {
        /// The path up to the array.
        at: String,
        /// The index given.
        index: usize,
        /// The array's length.
        len: usize,
    },
}

/// Splits `PATH=VALUE` at the first `=` and parses the value.
pub fn parse(arg: &str) -> Result<(Vec<&str>, Value), SetError> {
    let (path, raw) = arg.split_once('=').ok_or(SetError::MissingEquals)?;
    if path.is_empty() {
        return Err(SetError::EmptyPath);
    }
    let segments: Vec<&str> = path.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(SetError::EmptySegment(path.to_owned()));
    }
    let value = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()));
    Ok((segments, value))
}

/// Applies one `PATH=VALUE` to `root`, which must be a JSON object.
pub fn apply(root: &mut Value, arg: &str) -> Result<(), SetError> {
    let (segments, value) = parse(arg)?;
    if !root.is_object() {
        return Err(SetError::RootNotObject(type_name(root)));
    }
    let mut current = root;
    let mut at = String::new();
    let last = segments.len() - 1;
    for (i, segment) in segments.into_iter().enumerate() {
        let is_last = i == last;
        if current.is_null() {
            *current = Value::Object(Map::new());
        }
        current = match current {
            Value::Object(map) => {
                let slot = map.entry(segment).or_insert(Value::Null);
                if is_last {
                    *slot = value;
                    return Ok(());
                }
                slot
            }
            Value::Array(items) => {
                let index: usize = segment.parse().map_err(|_| SetError::NotAnIndex {
                    at: at.clone(),
                    segment: segment.to_owned(),
                })?;
                let len = items.len();
                if is_last && index == len {
                    items.push(value);
                    return Ok(());
                }
                let Some(slot) = items.get_mut(index) else {
                    return Err(SetError::OutOfRange { at, index, len });
                };
                if is_last {
                    *slot = value;
                    return Ok(());
                }
                slot
            }
            other => {
                return Err(SetError::NotAContainer {
                    at,
                    found: type_name(other),
                    segment: segment.to_owned(),
                });
            }
        };
        if !at.is_empty() {
            at.push('.');
        }
        at.push_str(segment);
    }
    // `parse` never returns an empty path, so the loop always returns.
    Ok(())
}

/// "a string", "an object", ...: the JSON type of `value`, for messages.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(mut value: Value, arg: &str) -> Result<Value, SetError> {
        apply(&mut value, arg).map(|()| value)
    }

    #[test]
    fn values_are_json_when_they_parse_and_strings_otherwise() {
        let base = json!({"a": 1});
        assert_eq!(set(base.clone(), "a=2"), Ok(json!({"a": 2})));
        assert_eq!(set(base.clone(), "a=true"), Ok(json!({"a": true})));
        assert_eq!(set(base.clone(), "a=null"), Ok(json!({"a": null})));
        assert_eq!(set(base.clone(), "a=\"2\""), Ok(json!({"a": "2"})));
        assert_eq!(
            set(base.clone(), "a=John Doe"),
            Ok(json!({"a": "John Doe"}))
        );
        assert_eq!(set(base.clone(), "a="), Ok(json!({"a": ""})));
        assert_eq!(set(base.clone(), "a=x=y"), Ok(json!({"a": "x=y"})));
        assert_eq!(
            set(base, r#"a={"b":[1,2]}"#),
            Ok(json!({"a": {"b": [1, 2]}}))
        );
    }

    #[test]
    fn dotted_paths_reach_into_objects_and_arrays() {
        let base = json!({"contact": {"email": "a@b"}, "tags": ["x", "y"], "n": null});
        assert_eq!(
            set(base.clone(), "contact.email=c@d").expect("set")["contact"]["email"],
            "c@d"
        );
        assert_eq!(
            set(base.clone(), "tags.1=z").expect("set")["tags"],
            json!(["x", "z"])
        );
        assert_eq!(
            set(base.clone(), "tags.2=z").expect("set")["tags"],
            json!(["x", "y", "z"])
        );
        assert_eq!(
            set(base.clone(), "new.deep.key=1").expect("set")["new"],
            json!({"deep": {"key": 1}})
        );
        assert_eq!(set(base, "n.k=1").expect("set")["n"], json!({"k": 1}));
        let nested = json!({"a": [{"b": 1}]});
        assert_eq!(
            set(nested, "a.0.b=2").expect("set"),
            json!({"a": [{"b": 2}]})
        );
    }

    #[test]
    fn bad_syntax_and_impossible_paths_are_errors() {
        let base = json!({"id": "x", "tags": ["a"]});
        assert_eq!(set(base.clone(), "id"), Err(SetError::MissingEquals));
        assert_eq!(set(base.clone(), "=1"), Err(SetError::EmptyPath));
        for path in ["a..b=1", ".a=1", "a.=1"] {
            assert!(
                matches!(set(base.clone(), path), Err(SetError::EmptySegment(_))),
                "{path}"
            );
        }
        assert_eq!(
            set(base.clone(), "id.x=1"),
            Err(SetError::NotAContainer {
                at: "id".into(),
                found: "a string",
                segment: "x".into()
            })
        );
        assert!(matches!(
            set(base.clone(), "tags.x=1"),
            Err(SetError::NotAnIndex { .. })
        ));
        assert_eq!(
            set(base.clone(), "tags.5=1"),
            Err(SetError::OutOfRange {
                at: "tags".into(),
                index: 5,
                len: 1
            })
        );
        assert!(matches!(
            set(base, "tags.1.x=1"),
            Err(SetError::OutOfRange { .. })
        ));
        assert_eq!(
            set(json!([1]), "a=1"),
            Err(SetError::RootNotObject("an array"))
        );
    }
}
