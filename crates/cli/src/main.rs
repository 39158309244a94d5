//! `ghl-webhook`: play HighLevel locally and receive its webhooks.
//!
//! - `trigger EVENT --to URL`: send a built-in fixture (or a file), signed like HighLevel;
//! - `sign` / `verify`: the signature headers of a body on stdin, and their check;
//! - `keys`: HighLevel's published keys and the TEST-ONLY test keys;
//! - `list`: every event kind, its `type` value(s) and whether it needs a route binding;
//! - `listen`: a local receiver printing one line per delivery (`--journal FILE`: durable);
//! - `journal`: inspect and repair a durable receiver's journal (stats, list, show, replay,
//!   purge);
//! - `simulate`: a mock HighLevel (control API and dashboard, or a scenario run for CI);
//! - `gateway`: the production receiver in front of an app in any language (verified,
//!   journaled, forwarded as Standard Webhooks).
//!
//! Exit codes: see [`cli::EXIT_CODES`] (also at the end of `--help`).
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod cli;
mod commands;
mod error;
mod journal_args;
mod journal_at;
use ghl_webhook_sim::json_set;
mod keyfile;
mod metrics_server;
mod output;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command};
use crate::error::EXIT_USAGE;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // `--help` and `--version` are "errors" that exit 0; usage errors exit 2.
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    let result = match cli.command {
        Command::Trigger(args) => commands::trigger::run(args),
        Command::Sign(args) => commands::sign::run(args),
        Command::Verify(args) => commands::verify::run(args),
        Command::Keys => commands::keys::run(),
        Command::List => commands::list::run(),
        Command::Listen(args) => commands::listen::run(args),
        Command::Journal(args) => commands::journal::run(args),
        Command::Simulate(args) => commands::simulate::run(args),
        Command::Gateway(args) => commands::gateway::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if !err.is_broken_pipe() {
                output::note(format!("error: {err}"));
            }
            ExitCode::from(err.exit_code())
        }
    }
}
