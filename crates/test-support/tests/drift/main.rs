//! Drift, as a property of every event: HighLevel adds fields, sends `null` for values it
//! has not got and leaves fields out, at every depth of a payload. For all 77 kinds, from
//! the checked-in fixtures and variants and from the proptest strategies, a payload with
//! unknown keys (holding any JSON) inserted into every object, top level and nested (maps,
//! lists of objects, settings objects), and with optional members set to `null` or dropped,
//! still decodes, and every known field keeps its value.
//!
//! "Optional" comes from the model, not from a guess: each member is probed alone (nulled,
//! then dropped) and must either decode with every other field unchanged, or be one of the
//! kind's `EventKind::required_fields` and fail with the typed error naming its JSON path.
//!
//! Each source and each kind runs a bounded number of cases (`PROPTEST_CASES` overrides it).

mod compare;
mod mutate;
mod paths;
mod probe;
mod sources;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use ghl_webhook_test_support::strategies::event_of;
use ghl_webhook_types::EventKind;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;

use crate::compare::keeps_known_fields;
use crate::mutate::{Drift, drift_of};
use crate::paths::Path;
use crate::probe::{Member, decode, flat};

/// Cases per source, and per kind for the strategies.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Decodes the drifted payload and compares it with the original. `classify` says whether a
/// member the plan cuts is optional (required ones are left in place: their error is checked
/// by the probe).
fn absorbs(
    kind: EventKind,
    original: &Value,
    drift: &Drift,
    mut classify: impl FnMut(&Path) -> Result<Member, String>,
) -> Result<(), TestCaseError> {
    let before = flat(&decode(kind, original).map_err(|e| TestCaseError::fail(e.to_string()))?);
    let mut drift = drift.clone();
    let mut cuts = Vec::with_capacity(drift.cuts.len());
    for (path, cut) in drift.cuts {
        if classify(&path).map_err(TestCaseError::fail)? == Member::Optional {
            cuts.push((path, cut));
        }
    }
    drift.cuts = cuts;
    let mutated = drift.apply(original);
    let after = decode(kind, &mutated).map_err(|e| {
        TestCaseError::fail(format!(
            "{kind} no longer decodes after drift: {e}\n{mutated}"
        ))
    })?;
    keeps_known_fields(&before, &flat(&after), &drift.cut_paths())
        .map_err(|diff| TestCaseError::fail(format!("{kind}: drift changed {diff}\n{mutated}")))
}

#[test]
fn every_member_of_every_fixture_is_optional_or_a_required_field_failing_at_its_path() {
    let mut failures = Vec::new();
    let mut required: BTreeMap<EventKind, BTreeSet<String>> = BTreeMap::new();
    for source in sources::all() {
        let before = flat(&decode(source.kind, &source.value).expect("the source decodes"));
        for path in paths::members(&source.value) {
            match probe::member(source.kind, &source.value, &before, &path) {
                Ok(Member::Required) => {
                    required
                        .entry(source.kind)
                        .or_default()
                        .insert(path.pattern());
                }
                Ok(Member::Optional) => {}
                Err(failure) => failures.push(format!("{}: {failure}", source.name)),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for &kind in EventKind::ALL {
        let found = required.remove(&kind).unwrap_or_default();
        let listed: BTreeSet<String> = kind
            .required_fields()
            .iter()
            .map(|f| (*f).to_owned())
            .collect();
        assert_eq!(
            found, listed,
            "{kind}: the required fields the fixtures exercise"
        );
    }
}

#[test]
fn every_fixture_and_variant_absorbs_drift() {
    for source in sources::all() {
        let before = flat(&decode(source.kind, &source.value).expect("the source decodes"));
        let members: RefCell<BTreeMap<Path, Member>> = RefCell::new(BTreeMap::new());
        let result = runner(cases(24)).run(&drift_of(&source.value), |drift| {
            absorbs(source.kind, &source.value, &drift, |path| {
                if let Some(known) = members.borrow().get(path) {
                    return Ok(known.clone());
                }
                let member = probe::member(source.kind, &source.value, &before, path)?;
                members.borrow_mut().insert(path.clone(), member.clone());
                Ok(member)
            })
        });
        if let Err(err) = result {
            panic!("{}: {err}", source.name);
        }
    }
}

#[test]
fn every_generated_event_absorbs_drift() {
    for &kind in EventKind::ALL {
        let strategy = event_of(kind).prop_flat_map(|event| {
            let value = flat(&event);
            (Just(value.clone()), drift_of(&value))
        });
        let result = runner(cases(12)).run(&strategy, |(value, drift)| {
            let before =
                flat(&decode(kind, &value).map_err(|e| TestCaseError::fail(e.to_string()))?);
            absorbs(kind, &value, &drift, |path| {
                probe::member(kind, &value, &before, path)
            })
        });
        if let Err(err) = result {
            panic!("{kind}: {err}");
        }
    }
}
