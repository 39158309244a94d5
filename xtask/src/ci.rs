//! `cargo xtask ci`: everything CI checks, in order (the HTTP fuzz with 20,000 requests and
//! the coverage-guided fuzz targets just before the tests). CI's `.ci/run` installs redis-server when
//! it is missing, then runs this: the steps are listed here only.

use std::process::{Command, ExitCode};

/// One step of CI.
enum Step {
    /// `cargo ARGS` with extra environment.
    Cargo {
        args: &'static [&'static str],
        env: &'static [(&'static str, &'static str)],
    },
    /// `cargo xtask tidy`, run in this process.
    Tidy,
    /// `cargo xtask package`, run in this process.
    Package,
    /// `cargo xtask features`: each published crate with each feature alone.
    EachFeature,
    /// `cargo xtask fuzz --seconds N`: every coverage-guided fuzz target, run in this process.
    CoverageFuzz { seconds: u64 },
}

/// The steps, cheapest first. The last one is README's test command.
const STEPS: &[Step] = &[
    Step::Cargo {
        args: &["fmt", "--all", "--", "--check"],
        env: &[],
    },
    Step::Tidy,
    Step::Cargo {
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
    },
    // The library crates also build without their default features (a user's lean build).
    Step::Cargo {
        args: &[
            "clippy",
            "--package",
            "ghl-webhook-router",
            "--package",
            "ghl-webhook-sim",
            "--package",
            "ghl-webhook-test-support",
            "--no-default-features",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
    },
    Step::Cargo {
        args: &["doc", "--workspace", "--no-deps", "--all-features"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
    Step::Package,
    Step::EachFeature,
    // The fuzz, bounded: 20,000 mutated deliveries (see RELIABILITY.md), at most 120 s.
    Step::Cargo {
        args: &[
            "run",
            "--package",
            "ghl-webhook-benches",
            "--bin",
            "ghl-edge",
            "--",
            "fuzz",
            "--requests",
            "20000",
            "--max-seconds",
            "120",
        ],
        env: &[],
    },
    // The coverage-guided fuzz targets (fuzz/, cargo fuzz): 10 s each, 9 targets; with the
    // clean build (no sanitizer, about 4 minutes on 2 cores) 5 to 7 minutes in all. Seeded
    // from the fixtures at every run.
    Step::CoverageFuzz { seconds: 10 },
    Step::Cargo {
        args: &["test", "--workspace", "--all-features"],
        env: &[],
    },
];

/// Runs the steps in order and stops at the first that fails.
pub(crate) fn run() -> ExitCode {
    for step in STEPS {
        if let Err(message) = step.run() {
            eprintln!("xtask ci: {message}");
            return ExitCode::FAILURE;
        }
    }
    eprintln!("xtask ci: all steps passed");
    ExitCode::SUCCESS
}

impl Step {
    fn run(&self) -> Result<(), String> {
        match self {
            Step::Tidy => {
                eprintln!("==> cargo xtask tidy");
                if crate::tidy::check() {
                    Ok(())
                } else {
                    Err("`cargo xtask tidy` failed".to_owned())
                }
            }
            Step::Package => {
                eprintln!("==> cargo xtask package");
                crate::package::check()
            }
            Step::EachFeature => {
                eprintln!("==> cargo xtask features");
                crate::features::check()
            }
            Step::CoverageFuzz { seconds } => {
                eprintln!("==> cargo xtask fuzz --seconds {seconds}");
                crate::fuzz::fuzz(&crate::fuzz::Plan {
                    seconds: *seconds,
                    target: None,
                })
            }
            Step::Cargo { args, env } => crate::command::run(
                Command::new(env!("CARGO"))
                    .args(*args)
                    .envs(env.iter().copied()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readmes_test_command_is_the_last_step() {
        let Some(Step::Cargo { args, env: [] }) = STEPS.last() else {
            panic!("the last step is not a plain cargo command");
        };
        let command = format!("cargo {}", args.join(" "));
        let readme = include_str!("../../README.md");
        assert!(
            readme.contains(&format!("```sh\n{command}\n```")),
            "README.md does not give `{command}` as the test command"
        );
    }
}
