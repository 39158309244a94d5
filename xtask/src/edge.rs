//! `cargo xtask fuzz-http` and `cargo xtask soak`: build the `ghl-edge` driver (crates/benches)
//! and run it. The driver starts the receiver on loopback itself, bounds its own run and
//! exits non-zero when a check failed; this only orchestrates.

use std::process::{Command, ExitCode};

/// The arguments `fuzz` and `soak` accept, checked before anything is built.
const FUZZ_FLAGS: &[&str] = &["--requests", "--seed", "--max-seconds"];
const SOAK_FLAGS: &[&str] = &["--minutes", "--seed"];

/// `cargo xtask fuzz-http --requests N [--seed S] [--max-seconds T] [--debug]`.
pub(crate) fn fuzz(args: &[String]) -> ExitCode {
    run("fuzz", FUZZ_FLAGS, args)
}

/// `cargo xtask soak --minutes M [--seed S] [--debug]`.
pub(crate) fn soak(args: &[String]) -> ExitCode {
    run("soak", SOAK_FLAGS, args)
}

/// The driver's arguments (flag, value pairs from `allowed`) and whether to build without
/// `--release`.
pub(crate) fn parse(allowed: &[&str], args: &[String]) -> Result<(Vec<String>, bool), String> {
    let mut forwarded = Vec::new();
    let mut debug = false;
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        if flag == "--debug" {
            debug = true;
            continue;
        }
        if !allowed.contains(&flag.as_str()) {
            return Err(format!(
                "unknown flag `{flag}`; expected {} or --debug",
                allowed.join(", ")
            ));
        }
        let Some(value) = rest.next() else {
            return Err(format!("`{flag}` needs a value"));
        };
        if !value.parse::<f64>().is_ok_and(|v| v >= 0.0) {
            return Err(format!("`{flag} {value}`: expected a non-negative number"));
        }
        forwarded.push(flag.clone());
        forwarded.push(value.clone());
    }
    Ok((forwarded, debug))
}

fn run(task: &str, allowed: &[&str], args: &[String]) -> ExitCode {
    let (forwarded, debug) = match parse(allowed, args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("xtask {task}: {message}");
            return ExitCode::from(2);
        }
    };
    let mut cargo = Command::new(env!("CARGO"));
    cargo.args([
        "run",
        "--package",
        "ghl-webhook-benches",
        "--bin",
        "ghl-edge",
    ]);
    if !debug {
        cargo.arg("--release");
    }
    cargo.arg("--").arg(task).args(&forwarded);
    eprintln!(
        "==> cargo run -p ghl-webhook-benches --bin ghl-edge{} -- {task} {}",
        if debug { "" } else { " --release" },
        forwarded.join(" ")
    );
    match cargo.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("xtask {task}: failed ({status})");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("xtask {task}: could not run cargo: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn flags_are_forwarded_and_debug_is_kept_here() {
        let (forwarded, debug) = parse(
            FUZZ_FLAGS,
            &strings(&["--requests", "20000", "--debug", "--seed", "3"]),
        )
        .expect("valid");
        assert_eq!(forwarded, strings(&["--requests", "20000", "--seed", "3"]));
        assert!(debug);
    }

    #[test]
    fn unknown_flags_missing_values_and_non_numbers_are_refused() {
        assert!(parse(FUZZ_FLAGS, &strings(&["--minutes", "1"])).is_err());
        assert!(parse(SOAK_FLAGS, &strings(&["--minutes"])).is_err());
        assert!(parse(SOAK_FLAGS, &strings(&["--minutes", "ten"])).is_err());
        assert!(parse(SOAK_FLAGS, &strings(&["--minutes", "-1"])).is_err());
        assert!(parse(FUZZ_FLAGS, &strings(&["--requests", "1; rm"])).is_err());
    }
}
