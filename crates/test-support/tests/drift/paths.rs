//! JSON paths into a `serde_json::Value`, written the way `serde_path_to_error` writes them
//! (`webhookPayload.message.headers`, `variants[0].id`, `.` for the root), so that a path
//! computed here can be compared with the one in a `DecodeError`.

use std::fmt;

use serde_json::Value;

/// One step down a JSON value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Step {
    /// The member `key` of an object.
    Key(String),
    /// The element `index` of an array.
    Index(usize),
}

/// A path from the root of a payload. Its `Debug` is its `Display`, to keep the failing
/// drift that proptest prints readable.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Path(pub Vec<Step>);

impl Path {
    /// This path one step further down.
    pub(crate) fn join(&self, step: Step) -> Path {
        let mut steps = self.0.clone();
        steps.push(step);
        Path(steps)
    }

    /// The path of the object holding this member, and the member's key; `None` for the root
    /// or an array element.
    pub(crate) fn split_key(&self) -> Option<(Path, &str)> {
        match self.0.split_last() {
            Some((Step::Key(key), parent)) => Some((Path(parent.to_vec()), key.as_str())),
            _ => None,
        }
    }

    /// Whether `self` is `other` or lies inside it.
    pub(crate) fn starts_with(&self, other: &Path) -> bool {
        self.0.starts_with(&other.0)
    }

    /// The path with array indices erased (`variants[].id`): the form of the
    /// required-field list, which speaks of every element at once.
    pub(crate) fn pattern(&self) -> String {
        let mut out = String::new();
        for step in &self.0 {
            match step {
                Step::Key(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                Step::Index(_) => out.push_str("[]"),
            }
        }
        if out.is_empty() { ".".to_owned() } else { out }
    }
}

impl fmt::Debug for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{self}`")
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str(".");
        }
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(key) if i == 0 => f.write_str(key)?,
                Step::Key(key) => write!(f, ".{key}")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// The paths of every object in `value`, the root first, then depth first in key order.
pub(crate) fn objects(value: &Value) -> Vec<Path> {
    let mut out = Vec::new();
    walk(value, &Path::default(), &mut |path, value| {
        if value.is_object() {
            out.push(path.clone());
        }
    });
    out
}

/// The paths of every member of every object in `value` (not of array elements).
pub(crate) fn members(value: &Value) -> Vec<Path> {
    let mut out = Vec::new();
    walk(value, &Path::default(), &mut |path, _| {
        if path.split_key().is_some() {
            out.push(path.clone());
        }
    });
    out
}

fn walk(value: &Value, path: &Path, visit: &mut impl FnMut(&Path, &Value)) {
    visit(path, value);
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                walk(child, &path.join(Step::Key(key.clone())), visit);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                walk(child, &path.join(Step::Index(index)), visit);
            }
        }
        _ => {}
    }
}

/// The value at `path`, if there is one.
pub(crate) fn get_mut<'v>(value: &'v mut Value, path: &Path) -> Option<&'v mut Value> {
    path.0.iter().try_fold(value, |value, step| match step {
        Step::Key(key) => value.as_object_mut()?.get_mut(key),
        Step::Index(index) => value.as_array_mut()?.get_mut(*index),
    })
}

#[test]
fn paths_are_written_like_serde_path_to_error_writes_them() {
    let path = Path(vec![
        Step::Key("variants".into()),
        Step::Index(0),
        Step::Key("id".into()),
    ]);
    assert_eq!(path.to_string(), "variants[0].id");
    assert_eq!(path.pattern(), "variants[].id");
    assert_eq!(Path::default().to_string(), ".");
    let (parent, key) = path.split_key().expect("a member");
    assert_eq!((parent.to_string().as_str(), key), ("variants[0]", "id"));
}

#[test]
fn walking_finds_nested_objects_and_members() {
    let value = serde_json::json!({"a": {"b": 1}, "c": [{"d": null}, 2]});
    let objects: Vec<String> = objects(&value).iter().map(Path::to_string).collect();
    assert_eq!(objects, [".", "a", "c[0]"]);
    let members: Vec<String> = members(&value).iter().map(Path::to_string).collect();
    assert_eq!(members, ["a", "a.b", "c", "c[0].d"]);
}
