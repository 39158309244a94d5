//! The README's "Supported events" table is the catalogue's: one row per kind, in name order,
//! with its module, its `type` values and how it is identified, under a heading that counts
//! them. Adding an event without its row fails here.

use ghl_webhook_types::EventKind;

/// Defines `modules()`, the family module of every kind, from the catalogue itself.
macro_rules! modules {
    ($types:tt; $( $kind:ident => $module:ident :: $ty:ident, [$($alias:literal),*], $by:ident; )+) => {
        fn modules() -> Vec<(EventKind, &'static str)> {
            vec![$( (EventKind::$kind, stringify!($module)), )+]
        }
    };
}
ghl_webhook_types::with_catalogue!(modules);

const HEADING: &str = "## Supported events (";

fn readme() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// The rows the catalogue gives, sorted by event name like the README.
fn expected_rows() -> Vec<String> {
    let mut modules = modules();
    modules.sort_by_key(|(kind, _)| kind.as_str());
    modules
        .into_iter()
        .map(|(kind, module)| {
            let types: Vec<String> = kind
                .type_values()
                .iter()
                .map(|t| format!("`{t}`"))
                .collect();
            let by = if kind.needs_route_binding() {
                "route binding"
            } else {
                "`type`"
            };
            format!("| {kind} | `{module}` | {} | {by} |", types.join(", "))
        })
        .collect()
}

/// The data rows of the README's table: the `|` lines of its section after the header and the
/// separator.
fn readme_rows(readme: &str) -> Vec<String> {
    let section = readme
        .split_once(HEADING)
        .map(|(_, rest)| rest)
        .expect("the README has a Supported events section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter(|line| line.starts_with('|'))
        .skip(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_readme_table_lists_every_kind_as_the_catalogue_does() {
    let readme = readme();
    let (found, expected) = (readme_rows(&readme), expected_rows());
    let missing: Vec<&String> = expected.iter().filter(|r| !found.contains(r)).collect();
    let extra: Vec<&String> = found.iter().filter(|r| !expected.contains(r)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "README rows missing or wrong:\n{missing:#?}\nREADME rows not in the catalogue:\n{extra:#?}"
    );
    assert_eq!(
        found, expected,
        "the README's rows are not sorted by event name"
    );
}

#[test]
fn the_readme_heading_counts_the_kinds() {
    let readme = readme();
    let count = readme
        .split_once(HEADING)
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(count, _)| count)
        .expect("a count in the heading");
    assert_eq!(count, EventKind::COUNT.to_string());
}
