//! `cargo xtask`: project automation.
//!
//! - `cargo xtask ci`: everything CI checks, in order: fmt, clippy (`-D warnings`, all
//!   targets and features), the whole test suite, rustdoc (`-D warnings`).

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("help") | Some("--help") | Some("-h") | None => {
            eprintln!("usage: cargo xtask ci");
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

/// One step: a name, cargo's arguments, extra environment.
type Step = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

/// The steps of `cargo xtask ci`; `.ci/run` runs the same commands.
fn ci() -> ExitCode {
    let steps: &[Step] = &[
        ("fmt", &["fmt", "--all", "--", "--check"], &[]),
        (
            "clippy",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--all-features",
                "--",
                "-D",
                "warnings",
            ],
            &[],
        ),
        ("test", &["test", "--workspace", "--all-features"], &[]),
        (
            "doc",
            &["doc", "--workspace", "--no-deps", "--all-features"],
            &[("RUSTDOCFLAGS", "-D warnings")],
        ),
    ];
    for (name, args, env) in steps {
        eprintln!("==> cargo {}", args.join(" "));
        let status = Command::new(env!("CARGO"))
            .args(*args)
            .envs(env.iter().copied())
            .status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => {
                eprintln!("xtask ci: step `{name}` failed ({s})");
                return ExitCode::FAILURE;
            }
            Err(err) => {
                eprintln!("xtask ci: could not run cargo for `{name}`: {err}");
                return ExitCode::FAILURE;
            }
        }
    }
    eprintln!("xtask ci: all steps passed");
    ExitCode::SUCCESS
}
