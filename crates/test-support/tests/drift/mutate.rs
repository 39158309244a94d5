//! The drift itself: unknown keys with arbitrary JSON values inserted into objects at every
//! depth, and members set to `null` or dropped.

use proptest::collection::{btree_map, vec};
use proptest::option::weighted;
use proptest::prelude::*;
use serde_json::Value;

use crate::compare::DRIFT_PREFIX;
use crate::paths::{self, Path, get_mut};
use crate::probe::{self, Cut};

/// One drift of one payload.
#[derive(Debug, Clone)]
pub(crate) struct Drift {
    /// Unknown members to insert: the object, the key, the value.
    pub inserts: Vec<(Path, String, Value)>,
    /// Members to cut, in order. Only optional members are cut: the test filters the plan
    /// through the probe before applying it.
    pub cuts: Vec<(Path, Cut)>,
}

impl Drift {
    /// `value` with this drift applied: insertions first (they add keys only, so every path
    /// of `value` stays valid), then the cuts.
    pub(crate) fn apply(&self, value: &Value) -> Value {
        let mut out = value.clone();
        for (object, key, member) in &self.inserts {
            if let Some(Value::Object(map)) = get_mut(&mut out, object) {
                map.insert(key.clone(), member.clone());
            }
        }
        for (path, cut) in &self.cuts {
            probe::apply(&mut out, path, *cut);
        }
        out
    }

    /// The members this drift cuts: where the decoded event may differ.
    pub(crate) fn cut_paths(&self) -> Vec<Path> {
        self.cuts.iter().map(|(path, _)| path.clone()).collect()
    }
}

/// Any JSON value: `null`, booleans, integers of the whole 64-bit range, finite floats,
/// strings of any printable text, and arrays and objects of them three levels deep.
pub(crate) fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1.0e12f64..1.0e12).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map("\\PC{0,8}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Drifts of `value`: each object gets no, one or two unknown members (about half of them
/// do), and each member is kept, nulled or dropped, at one of three rates (none cut, a few,
/// many) so that both light and heavy drift are tried.
pub(crate) fn drift_of(value: &Value) -> impl Strategy<Value = Drift> + use<> {
    let objects = paths::objects(value);
    let members = paths::members(value);
    let inserts = vec(
        weighted(0.5, vec(("[a-zA-Z0-9_ -]{0,6}", any_json()), 1..3)),
        objects.len(),
    )
    .prop_map(move |per_object| {
        let mut out = Vec::new();
        for (object, extra) in objects.iter().zip(per_object) {
            for (n, (suffix, member)) in extra.into_iter().flatten().enumerate() {
                out.push((object.clone(), format!("{DRIFT_PREFIX}{n}{suffix}"), member));
            }
        }
        out
    });
    let count = members.len();
    let cuts = (0u8..3)
        .prop_flat_map(move |rate| {
            let keep = [100u32, 8, 2][usize::from(rate)];
            vec(
                prop_oneof![keep => Just(None), 1 => Just(Some(Cut::Null)), 1 => Just(Some(Cut::Drop))],
                count,
            )
        })
        .prop_map(move |choices| {
            members
                .iter()
                .zip(choices)
                .filter_map(|(path, cut)| cut.map(|cut| (path.clone(), cut)))
                .collect::<Vec<_>>()
        });
    (inserts, cuts).prop_map(|(inserts, cuts)| Drift { inserts, cuts })
}

#[test]
fn drift_reaches_every_object_and_cuts_every_member_both_ways() {
    use std::collections::BTreeSet;

    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let value = serde_json::json!({
        "id": "a",
        "settings": {"SMS": {"status": "active"}, "all": {}},
        "items": [{"name": "x", "tags": ["t"]}, {"name": "y"}],
        "raw": {"nested": {"deeper": [1, {"k": null}]}}
    });
    let strategy = drift_of(&value);
    let mut runner = TestRunner::deterministic();
    let (mut reached, mut nulled, mut dropped) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for _ in 0..256 {
        let drift = strategy.new_tree(&mut runner).expect("generates").current();
        for (object, key, _) in &drift.inserts {
            assert!(key.starts_with(DRIFT_PREFIX), "{key}");
            reached.insert(object.clone());
        }
        for (path, cut) in &drift.cuts {
            match cut {
                Cut::Null => nulled.insert(path.clone()),
                Cut::Drop => dropped.insert(path.clone()),
            };
        }
    }
    let objects: BTreeSet<Path> = paths::objects(&value).into_iter().collect();
    let members: BTreeSet<Path> = paths::members(&value).into_iter().collect();
    assert_eq!(reached, objects);
    assert_eq!(nulled, members);
    assert_eq!(dropped, members);
}

#[test]
fn applying_a_drift_inserts_then_cuts() {
    let value = serde_json::json!({"id": "a", "n": {"x": 1, "y": 2}});
    let n = Path::default().join(crate::paths::Step::Key("n".into()));
    let drift = Drift {
        inserts: vec![(n.clone(), format!("{DRIFT_PREFIX}0"), Value::Null)],
        cuts: vec![
            (n.join(crate::paths::Step::Key("x".into())), Cut::Null),
            (n.join(crate::paths::Step::Key("y".into())), Cut::Drop),
        ],
    };
    assert_eq!(
        drift.apply(&value),
        serde_json::json!({"id": "a", "n": {"x": null, "~drift0": null}})
    );
}
