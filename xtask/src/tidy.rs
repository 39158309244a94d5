//! `cargo xtask tidy`: checks that what the docs list matches the code.
//!
//! - The events guide's table of supported events (the section `## Supported events`) names exactly
//!   the kinds of `ghl_webhook_types::EventKind::ALL`, once each and in name order, each row
//!   says what the catalogue says (module, `type` values, how it is identified), and the count
//!   in its heading is theirs.
//! - The production guide's table of metrics is the one in the docs of `ghl_webhook_router::metrics`.
//! - The guides' copies of code compiled elsewhere (`<!-- compiled: PATH -->` before a block;
//!   the deploy guide's actix-web and Lambda examples) are that code.
//! - Every package's `rust-version` is the pinned toolchain's.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

use ghl_webhook_types::EventKind;

/// The guide holding the table of events.
const EVENTS_GUIDE: &str = "crates/router/guide/events.md";

/// The guide holding the table of metrics.
const PRODUCTION_GUIDE: &str = "crates/router/guide/production.md";

/// The heading that opens the guide's table of events.
const EVENTS_HEADING: &str = "## Supported events";

/// Defines `module_of(kind)`, the family module of every kind, from the catalogue itself.
macro_rules! modules {
    ($types:tt; $( $kind:ident => $module:ident :: $ty:ident, [$($alias:literal),*], $by:ident; )+) => {
        fn module_of(kind: EventKind) -> &'static str {
            match kind {
                $( EventKind::$kind => stringify!($module), )+
                // `EventKind` is non-exhaustive; the catalogue above lists every kind.
                _ => "(not in the catalogue)",
            }
        }
    };
}
ghl_webhook_types::with_catalogue!(modules);

/// The events guide's row of `kind` as the catalogue gives it, e.g.
/// ``| AppInstall | `app` | `AppInstall`, `INSTALL` | `type` |``.
fn expected_row(kind: EventKind) -> String {
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
    format!(
        "| {kind} | `{}` | {} | {by} |",
        module_of(kind),
        types.join(", ")
    )
}

/// `cargo xtask tidy`.
pub(crate) fn run() -> ExitCode {
    if check() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs every check, prints what differs; whether all passed.
pub(crate) fn check() -> bool {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."));
    let read = |path: &str| {
        std::fs::read_to_string(root.join(path))
            .map_err(|err| eprintln!("xtask tidy: cannot read {path}: {err}"))
            .ok()
    };
    let (Some(readme), Some(production)) = (read(EVENTS_GUIDE), read(PRODUCTION_GUIDE)) else {
        return false;
    };
    let kinds: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
    let rows: Vec<(&str, String)> = EventKind::ALL
        .iter()
        .map(|&k| (k.as_str(), expected_row(k)))
        .collect();
    let msrv = check_msrv(root);
    let snippets = crate::snippets::check(root);
    if let Err(problems) = &snippets {
        eprintln!("xtask tidy: a guide's copy of compiled code differs from it:");
        for problem in problems {
            eprintln!("  - {problem}");
        }
    }
    let metrics = check_metrics_table(root, &production);
    if let Err(problem) = &metrics {
        eprintln!("xtask tidy: {problem}");
    }
    if let Err(problems) = &msrv {
        eprintln!("xtask tidy: the minimum Rust version is not the tested one:");
        for problem in problems {
            eprintln!("  - {problem}");
        }
    }
    let problems: Vec<String> = [
        check_events_table(&readme, &kinds),
        check_event_rows(&readme, &rows),
    ]
    .into_iter()
    .filter_map(Result::err)
    .flatten()
    .collect();
    if problems.is_empty() {
        if msrv.is_err() || metrics.is_err() || snippets.is_err() {
            return false;
        }
        eprintln!(
            "xtask tidy: {EVENTS_GUIDE} lists the {} event kinds of EventKind::ALL, as the catalogue describes them",
            kinds.len()
        );
        return true;
    }
    eprintln!(
        "xtask tidy: {EVENTS_GUIDE}'s table of events (`{EVENTS_HEADING}`) does not match \
         ghl_webhook_types::EventKind::ALL:"
    );
    for problem in problems {
        eprintln!("  - {problem}");
    }
    false
}

/// The rows of a table of metrics: the lines that start with ``| `ghl_webhook_``, after
/// `prefix` is taken off each line.
fn metric_rows<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.lines()
        .filter_map(|line| line.strip_prefix(prefix))
        .filter(|row| row.starts_with("| `ghl_webhook_"))
        .map(str::trim_end)
        .collect()
}

/// The production guide's table of metrics (`## Running it in production`) is the one in the docs of
/// `ghl_webhook_router::metrics`, row for row (the router's tests check that one against the
/// code).
pub(crate) fn check_metrics_table(root: &Path, readme: &str) -> Result<(), String> {
    let path = root.join("crates/router/src/metrics.rs");
    let source = std::fs::read_to_string(&path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    compare_metric_tables(readme, &source)
}

/// [`check_metrics_table`] on the two texts.
pub(crate) fn compare_metric_tables(readme: &str, source: &str) -> Result<(), String> {
    let documented = metric_rows(source, "//! ");
    let listed = metric_rows(readme, "");
    if documented.is_empty() {
        return Err("crates/router/src/metrics.rs has no table of metrics".into());
    }
    if listed == documented {
        return Ok(());
    }
    let missing: Vec<&str> = documented
        .iter()
        .filter(|r| !listed.contains(r))
        .copied()
        .collect();
    let extra: Vec<&str> = listed
        .iter()
        .filter(|r| !documented.contains(r))
        .copied()
        .collect();
    Err(format!(
        "the production guide's table of metrics is not the one in ghl_webhook_router::metrics; \
         copy it from crates/router/src/metrics.rs.\n  missing or changed: {missing:?}\n  \
         not in the code's docs: {extra:?}"
    ))
}

/// The section of `readme` under `## Supported events`: its heading line and the rows of its
/// table (trimmed, below the header and separator rows).
fn table_rows(readme: &str) -> Option<(&str, Vec<&str>)> {
    let mut lines = readme.lines();
    let heading = lines.find(|l| l.starts_with(EVENTS_HEADING))?;
    let rows = lines
        .take_while(|l| !l.starts_with("## "))
        .skip_while(|l| !l.trim_start().starts_with('|'))
        .take_while(|l| l.trim_start().starts_with('|'))
        .skip(2) // the header row and the `|---|` row
        .map(str::trim)
        .collect();
    Some((heading, rows))
}

/// The event named by a row: its first cell.
fn row_name(row: &str) -> &str {
    row.trim_start_matches('|')
        .split('|')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('`')
}

/// The section's heading line and the event names of its table (the first cell of each row).
fn events_table(readme: &str) -> Option<(&str, Vec<&str>)> {
    let (heading, rows) = table_rows(readme)?;
    Some((heading, rows.into_iter().map(row_name).collect()))
}

/// Compares the rows of the events guide's table with `expected` (event name, row): one problem per
/// row of a known event that differs, and one if the rows are not in name order. Names the
/// catalogue does not know are [`check_events_table`]'s to report.
pub(crate) fn check_event_rows(
    readme: &str,
    expected: &[(&str, String)],
) -> Result<(), Vec<String>> {
    // A missing section is check_events_table's to report.
    let Some((_, rows)) = table_rows(readme) else {
        return Ok(());
    };
    let mut problems = Vec::new();
    for row in &rows {
        let name = row_name(row);
        if let Some((_, want)) = expected.iter().find(|(n, _)| *n == name)
            && row != want
        {
            problems.push(format!(
                "{name}: the table has `{row}`, the catalogue gives `{want}`"
            ));
        }
    }
    let names: Vec<&str> = rows.iter().map(|r| row_name(r)).collect();
    if let Some(pair) = names.windows(2).find(|pair| pair[0] > pair[1]) {
        problems.push(format!(
            "the rows are not in name order: {} comes before {}",
            pair[0], pair[1]
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Compares the events guide's table of events with `kinds`; on a mismatch, one line per problem:
/// the kinds missing from the table, the names in it that are no kind, the names listed twice,
/// a count in the heading that is not the number of kinds.
pub(crate) fn check_events_table(readme: &str, kinds: &[&str]) -> Result<(), Vec<String>> {
    let Some((heading, listed)) = events_table(readme) else {
        return Err(vec![format!(
            "the events guide has no `{EVENTS_HEADING}` section"
        )]);
    };
    let mut problems = Vec::new();
    if listed.is_empty() {
        problems.push(format!("the `{EVENTS_HEADING}` section has no table"));
    }
    let known: BTreeSet<&str> = kinds.iter().copied().collect();
    let in_table: BTreeSet<&str> = listed.iter().copied().collect();
    let missing: Vec<&str> = known.difference(&in_table).copied().collect();
    if !missing.is_empty() {
        problems.push(format!(
            "missing from the table ({}): {}",
            missing.len(),
            missing.join(", ")
        ));
    }
    let extra: Vec<&str> = in_table.difference(&known).copied().collect();
    if !extra.is_empty() {
        problems.push(format!(
            "in the table but not event kinds ({}): {}",
            extra.len(),
            extra.join(", ")
        ));
    }
    let mut seen = BTreeSet::new();
    let twice: BTreeSet<&str> = listed
        .iter()
        .copied()
        .filter(|n| !seen.insert(*n))
        .collect();
    if !twice.is_empty() {
        problems.push(format!(
            "listed more than once: {}",
            twice.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    // `## Supported events (77)`: the count, when the heading gives one.
    let count = heading
        .strip_prefix(EVENTS_HEADING)
        .and_then(|rest| rest.trim().strip_prefix('('))
        .and_then(|rest| rest.split_once(')'))
        .map(|(number, _)| number.trim());
    if let Some(count) = count
        && count.parse::<usize>().ok() != Some(kinds.len())
    {
        problems.push(format!(
            "the heading says ({count}), EventKind::ALL has {} kinds",
            kinds.len()
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The declared minimum Rust version is the toolchain CI builds with: `[workspace.package]`'s
/// `rust-version` is the `major.minor` of `rust-toolchain.toml`'s channel, and every package
/// inherits it.
fn check_msrv(root: &Path) -> Result<(), Vec<String>> {
    let declared =
        crate::package::workspace_package_field(root, "rust-version").map_err(|e| vec![e])?;
    let toolchain = std::fs::read_to_string(root.join("rust-toolchain.toml"))
        .map_err(|e| vec![format!("cannot read rust-toolchain.toml: {e}")])?;
    let channel = toolchain_channel(&toolchain)
        .ok_or_else(|| vec!["rust-toolchain.toml has no `channel = \"…\"`".to_owned()])?;
    let mut problems = Vec::new();
    if !msrv_matches(&declared, channel) {
        problems.push(format!(
            "rust-version {declared} (Cargo.toml) is not the pinned toolchain {channel} (rust-toolchain.toml)"
        ));
    }
    for manifest in member_manifests(root) {
        match std::fs::read_to_string(&manifest) {
            Ok(text) if text.contains("rust-version.workspace = true") => {}
            Ok(_) => problems.push(format!(
                "{} does not inherit rust-version from the workspace",
                manifest.display()
            )),
            Err(e) => problems.push(format!("cannot read {}: {e}", manifest.display())),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The `channel = "…"` of a rust-toolchain.toml.
fn toolchain_channel(toolchain: &str) -> Option<&str> {
    toolchain.lines().find_map(|line| {
        line.trim()
            .strip_prefix("channel")?
            .trim()
            .strip_prefix('=')?
            .trim()
            .strip_prefix('"')?
            .strip_suffix('"')
    })
}

/// Whether `rust-version` `declared` (`1.95` or `1.95.0`) names the toolchain `channel` (`1.95.0`).
fn msrv_matches(declared: &str, channel: &str) -> bool {
    channel == declared
        || channel
            .strip_prefix(declared)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// The manifests of the workspace's packages (`crates/*`, `examples`, `examples/*`, `xtask`).
fn member_manifests(root: &Path) -> Vec<std::path::PathBuf> {
    let mut manifests = Vec::new();
    for dir in ["crates", "examples"] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            for entry in entries.flatten() {
                let manifest = entry.path().join("Cargo.toml");
                if manifest.is_file() {
                    manifests.push(manifest);
                }
            }
        }
    }
    manifests.push(root.join("examples").join("Cargo.toml"));
    manifests.push(root.join("xtask").join("Cargo.toml"));
    manifests.sort();
    manifests
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_changed_or_missing_metric_row_is_reported() {
        let source = "//! | `ghl_webhook_a_total` | counter | `kind` | a |\n//! | `ghl_webhook_b` | gauge | | b |\n";
        let same =
            "| `ghl_webhook_a_total` | counter | `kind` | a |\n| `ghl_webhook_b` | gauge | | b |\n";
        assert_eq!(compare_metric_tables(same, source), Ok(()));
        let changed = "| `ghl_webhook_a_total` | counter | `kind`, `webhook_id` | a |\n| `ghl_webhook_b` | gauge | | b |\n";
        let err = compare_metric_tables(changed, source).expect_err("a changed label");
        assert!(err.contains("webhook_id"), "{err}");
        let missing = "| `ghl_webhook_a_total` | counter | `kind` | a |\n";
        assert!(compare_metric_tables(missing, source).is_err());
    }

    #[test]
    fn the_production_guide_lists_the_routers_metrics() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("root");
        let guide = std::fs::read_to_string(root.join(PRODUCTION_GUIDE)).expect("the guide");
        assert_eq!(check_metrics_table(root, &guide), Ok(()));
    }

    #[test]
    fn the_msrv_names_the_pinned_toolchain_by_major_and_minor() {
        assert!(msrv_matches("1.95", "1.95.0"));
        assert!(msrv_matches("1.95.0", "1.95.0"));
        assert!(!msrv_matches("1.9", "1.95.0"));
        assert!(!msrv_matches("1.94", "1.95.0"));
        assert!(!msrv_matches("1.95", "stable"));
    }

    #[test]
    fn the_channel_is_read_from_the_toolchain_file() {
        let file = "[toolchain]\nchannel = \"1.95.0\"\ncomponents = [\"rustfmt\"]\n";
        assert_eq!(toolchain_channel(file), Some("1.95.0"));
        assert_eq!(toolchain_channel("[toolchain]\n"), None);
    }

    #[test]
    fn this_workspace_declares_the_msrv_it_tests() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("root");
        assert_eq!(check_msrv(root), Ok(()));
    }

    use super::*;

    const KINDS: &[&str] = &["AppInstall", "ContactCreate", "NoteCreate"];

    fn readme(heading: &str, rows: &[&str]) -> String {
        let mut text =
            format!("# x\n\nintro\n\n{heading}\n\nSome words.\n\n| event | module |\n|---|---|\n");
        for row in rows {
            text.push_str(&format!("| {row} | `m` |\n"));
        }
        text.push_str("\n## Next section\n\n| not | events |\n|---|---|\n| Nope | x |\n");
        text
    }

    #[test]
    fn a_table_of_exactly_the_kinds_passes() {
        let text = readme(
            "## Supported events (3)",
            &["AppInstall", "ContactCreate", "NoteCreate"],
        );
        assert_eq!(check_events_table(&text, KINDS), Ok(()));
        // The order of the rows does not matter, nor a heading without a count.
        let text = readme(
            "## Supported events",
            &["NoteCreate", "AppInstall", "ContactCreate"],
        );
        assert_eq!(check_events_table(&text, KINDS), Ok(()));
    }

    #[test]
    fn a_wrong_table_names_every_difference() {
        let text = readme(
            "## Supported events (4)",
            &["AppInstall", "ContactCreated", "AppInstall", "`Bogus`"],
        );
        let problems = check_events_table(&text, KINDS).expect_err("wrong table");
        assert_eq!(
            problems,
            [
                "missing from the table (2): ContactCreate, NoteCreate",
                "in the table but not event kinds (2): Bogus, ContactCreated",
                "listed more than once: AppInstall",
                "the heading says (4), EventKind::ALL has 3 kinds",
            ]
        );
    }

    #[test]
    fn rows_must_say_what_the_catalogue_says_in_name_order() {
        let expected = [
            (
                "AppInstall",
                "| AppInstall | `app` | `AppInstall`, `INSTALL` | `type` |".to_owned(),
            ),
            (
                "NoteCreate",
                "| NoteCreate | `note` | `NoteCreate` | `type` |".to_owned(),
            ),
        ];
        let table = |rows: &[&str]| {
            format!(
                "## Supported events (2)\n\n| event | module | `type` values | identified by |\n|---|---|---|---|\n{}\n",
                rows.join("\n")
            )
        };
        let right = table(&[&expected[0].1, &expected[1].1]);
        assert_eq!(check_event_rows(&right, &expected), Ok(()));

        let wrong = table(&[
            "| NoteCreate | `note` | `NoteCreate` | route binding |",
            &expected[0].1,
            "| Bogus | `x` | `Bogus` | `type` |",
        ]);
        let problems = check_event_rows(&wrong, &expected).expect_err("wrong rows");
        assert_eq!(
            problems,
            [
                "NoteCreate: the table has `| NoteCreate | `note` | `NoteCreate` | route binding |`, \
                 the catalogue gives `| NoteCreate | `note` | `NoteCreate` | `type` |`",
                "the rows are not in name order: NoteCreate comes before AppInstall",
            ]
        );
    }

    #[test]
    fn the_catalogue_gives_rows_as_the_readme_writes_them() {
        assert_eq!(
            expected_row(EventKind::AppInstall),
            "| AppInstall | `app` | `AppInstall`, `INSTALL` | `type` |"
        );
        assert_eq!(
            expected_row(EventKind::AssociationDelete),
            "| AssociationDelete | `association` | `AssociationDelete` | route binding |"
        );
    }

    #[test]
    fn a_readme_without_the_table_fails() {
        let problems = check_events_table("# x\n\nno table\n", KINDS).expect_err("no section");
        assert_eq!(
            problems,
            ["the events guide has no `## Supported events` section"]
        );
        let text = "## Supported events (3)\n\nwords only\n\n## Next\n";
        let problems = check_events_table(text, KINDS).expect_err("no table");
        assert!(problems[0].contains("has no table"), "{problems:?}");
    }
}
