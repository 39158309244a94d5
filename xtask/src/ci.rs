//! `cargo xtask ci`: everything CI checks, in order (`.ci/run` runs the same commands).

use std::process::{Command, ExitCode};

/// One step: a name, cargo's arguments, extra environment.
type Step = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

/// The steps of `cargo xtask ci`; `.ci/run` runs the same commands.
pub fn run() -> ExitCode {
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
