//! The checked-in payloads the drift starts from: the fixture of every kind
//! (`crates/types/tests/fixtures/<Kind>.json`) and the other documented examples and real
//! captures (`fixtures/variants/<Kind>--<what>.json`).

use std::fs;
use std::path::{Path, PathBuf};

use ghl_webhook_types::EventKind;
use serde_json::Value;

/// A payload on disk and the kind it is an example of.
pub struct Source {
    /// The file name, for messages.
    pub name: String,
    /// The kind the file is an example of.
    pub kind: EventKind,
    /// The payload.
    pub value: Value,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../types/tests/fixtures")
}

/// Every fixture and every variant that is valid JSON, sorted by file name. The variant that
/// is not valid JSON is left to the types crate's fixture tests, which check that it is
/// rejected.
pub fn all() -> Vec<Source> {
    let mut out = Vec::new();
    for dir in [fixtures_dir(), fixtures_dir().join("variants")] {
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for path in files {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("a UTF-8 name");
            let stem = name.trim_end_matches(".json");
            let kind_name = stem.split("--").next().unwrap_or(stem);
            let kind = EventKind::from_name(kind_name)
                .unwrap_or_else(|| panic!("{name} is not named for an event kind"));
            let bytes = fs::read(&path).expect("readable");
            let Ok(value) = serde_json::from_slice(&bytes) else {
                continue;
            };
            out.push(Source {
                name: name.to_owned(),
                kind,
                value,
            });
        }
    }
    out
}

#[test]
fn every_kind_has_a_source_and_the_variants_are_read_too() {
    let sources = all();
    for &kind in EventKind::ALL {
        assert!(
            sources.iter().any(|s| s.kind == kind),
            "no source for {kind}"
        );
    }
    assert!(sources.iter().filter(|s| s.name.contains("--")).count() >= 24);
}
