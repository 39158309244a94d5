//! `list`: every event kind, its `type` value(s) and whether it needs a route binding.

use std::process::ExitCode;

use ghl_webhook_types::EventKind;

use crate::error::CliError;
use crate::output;

/// The table `list` prints, one row per kind after a header row.
pub(crate) fn rows() -> Vec<[String; 3]> {
    let mut rows = vec![[
        "EVENT".to_owned(),
        "TYPE VALUES".to_owned(),
        "IDENTIFIED BY".to_owned(),
    ]];
    let mut kinds = EventKind::ALL.to_vec();
    kinds.sort_by_key(|k| k.as_str());
    rows.extend(kinds.into_iter().map(|kind| {
        [
            kind.as_str().to_owned(),
            kind.type_values().join(", "),
            if kind.needs_route_binding() {
                format!("route binding (POST .../{kind})")
            } else {
                "type".to_owned()
            },
        ]
    }));
    rows
}

/// Runs `list`.
pub(crate) fn run() -> Result<ExitCode, CliError> {
    let rows = rows();
    let width = |col: usize| rows.iter().map(|r| r[col].len()).max().unwrap_or(0);
    let (w0, w1) = (width(0), width(1));
    for [name, types, by] in &rows {
        output::line(format!("{name:w0$}  {types:w1$}  {by}"))?;
    }
    Ok(ExitCode::SUCCESS)
}
