//! `cargo xtask`: project automation.
//!
//! - `cargo xtask ci`: everything CI checks, in order: fmt, clippy (`-D warnings`, all
//!   targets and features), the whole test suite, rustdoc (`-D warnings`).
//! - `cargo xtask bench [--peers] [flags]`: the end-to-end benchmark of issue 6: bare hyper,
//!   a hand-written verify + parse server and the SDK's service (and, with `--peers`,
//!   HighLevel's official Node SDK) under the same closed-loop load, rounds interleaved;
//!   `cargo xtask bench --help` lists the flags.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::process::ExitCode;

mod bench;
mod ci;

const USAGE: &str = "usage: cargo xtask <task>
  ci      fmt, clippy -D warnings, tests, rustdoc -D warnings (as .ci/run)
  bench   end-to-end HTTP benchmark (cargo xtask bench --help)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("ci") => ci::run(),
        Some("bench") => bench::run(&args[1..]),
        Some("help") | Some("--help") | Some("-h") | None => {
            eprintln!("{USAGE}");
            if args.is_empty() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        Some(other) => {
            eprintln!("unknown task `{other}`; try `cargo xtask help`");
            ExitCode::from(2)
        }
    }
}
