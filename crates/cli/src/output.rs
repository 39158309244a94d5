//! Writing to stdout and stderr without panicking (`println!` panics on a closed pipe).

use std::fmt::Display;
use std::io::{self, Write as _};

use crate::error::CliError;

/// Writes one line to stdout and flushes it, so each line is visible as soon as it is written
/// (also when stdout is a pipe).
pub(crate) fn line(text: impl Display) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(CliError::output)
}

/// Writes one line to stderr; a failure to do so is ignored (there is nowhere left to say it).
pub(crate) fn note(text: impl Display) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}
