//! `cargo xtask`: project automation.
//!
//! - `cargo xtask ci`: everything CI checks, in order: fmt, tidy, clippy (`-D warnings`, all
//!   targets and features; the library crates also without default features), rustdoc
//!   (`-D warnings`), the packaging check, each feature alone, a bounded fuzz, the whole test suite. CI's `.ci/run`
//!   installs what the tests need (redis-server) and then runs this.
//! - `cargo xtask fuzz --seconds N [--target NAME]`: the coverage-guided fuzz targets of
//!   `fuzz/` (cargo fuzz, libFuzzer), each seeded from the fixtures and run `N` seconds.
//! - `cargo xtask fuzz-http --requests N [--seed S] [--max-seconds T] [--debug]`: mutated
//!   signed deliveries of every kind against a real receiver on loopback, whole HTTP requests,
//!   blind to coverage (`cargo xtask fuzz --requests N ...` runs it too; see RELIABILITY.md).
//! - `cargo xtask soak --minutes M [--seed S] [--debug]`: 50 connections of signed deliveries
//!   with duplicates and handler failures, the receiver's memory every 30 s.
//! - `cargo xtask tidy`: the docs list what the code has (the events guide's table of events is
//!   exactly `EventKind::ALL`, each row as the catalogue describes the kind), the guides' copies
//!   of compiled code are that code, and the declared minimum Rust version is the pinned
//!   toolchain's.
//! - `cargo xtask package`: the published crates package and build from their packaged
//!   sources, and the README's quick start compiles against the packages.
//! - `cargo xtask features`: each published crate builds with each of its features alone.
//!
//! The end-to-end benchmark is a program of its own: `cargo run --release -p
//! ghl-webhook-benches -- --help`.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::process::ExitCode;

mod ci;
mod command;
mod edge;
mod features;
mod fuzz;
mod package;
mod snippets;
mod tidy;

const USAGE: &str = "usage: cargo xtask <task>
  ci      fmt, tidy, clippy -D warnings, rustdoc -D warnings, tests (what .ci/run runs)
  fuzz    --seconds N [--target NAME]: every coverage-guided fuzz target (fuzz/, cargo fuzz) N seconds
  fuzz-http --requests N [--seed S] [--max-seconds T] [--debug]: mutated signed deliveries vs a real receiver
  soak    --minutes M [--seed S] [--debug]: 50 connections, 30% duplicates, 10% handler failures, RSS
  tidy    the events guide lists exactly EventKind::ALL, as the catalogue has them, and the
          production guide the router's metrics; rust-version is the pinned toolchain's
  package cargo package of the published crates, and the README's quick start built against them
  features each published crate built with each of its features alone";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("ci") => ci::run(),
        Some("tidy") => tidy::run(),
        // `fuzz --requests` is the HTTP mutation fuzzer's older name.
        Some("fuzz") if args.iter().any(|a| a == "--requests") => edge::fuzz(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("fuzz-http") => edge::fuzz(&args[1..]),
        Some("soak") => edge::soak(&args[1..]),
        Some("package") => package::run(),
        Some("features") => match features::check() {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("xtask features: {message}");
                ExitCode::FAILURE
            }
        },
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
