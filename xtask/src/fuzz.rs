//! `cargo xtask fuzz --seconds N [--target NAME]`: the coverage-guided fuzz targets of
//! `fuzz/` (cargo fuzz, libFuzzer), each seeded from the repository's fixtures and run for
//! `N` seconds; a summary line per target (executions, corpus, coverage), and a failure naming
//! the crash's file when one is found.
//!
//! No sanitizer (`-s none`): the workspace forbids `unsafe`, so the coverage instrumentation is
//! what matters, and it needs no nightly flag: cargo fuzz instruments with stable `-C` options
//! (`-Cpasses=sancov-module`, `-Cllvm-args=-sanitizer-coverage-*`), so the pinned stable
//! toolchain builds the targets as they are. Only a sanitizer (`-s address`) would need
//! `-Zsanitizer`, allowed on stable by `RUSTC_BOOTSTRAP=1`. The build goes to `fuzz/target`
//! (never the workspace's target directory: other flags).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use ghl_webhook_types::{EventKind, fixtures};

/// Every fuzz target, as named in `fuzz/Cargo.toml`.
pub(crate) const TARGETS: &[&str] = &[
    "request",
    "identify",
    "decode",
    "signature",
    "keys",
    "journal_sqlite",
    "journal_redis",
    "cli_set",
    "scenario",
];

/// What `fuzz` was asked for.
#[derive(Debug, PartialEq)]
pub(crate) struct Plan {
    /// Seconds per target.
    pub seconds: u64,
    /// One target only, or all of them.
    pub target: Option<String>,
}

/// `--seconds N [--target NAME]`.
pub(crate) fn parse(args: &[String]) -> Result<Plan, String> {
    let mut seconds = None;
    let mut target = None;
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest
            .next()
            .ok_or_else(|| format!("`{flag}` needs a value"))?;
        match flag.as_str() {
            "--seconds" => {
                seconds = Some(
                    value
                        .parse::<u64>()
                        .ok()
                        .filter(|s| *s > 0)
                        .ok_or_else(|| format!("`--seconds {value}`: expected a whole number of seconds, at least 1"))?,
                );
            }
            "--target" => {
                if !TARGETS.contains(&value.as_str()) {
                    return Err(format!(
                        "no fuzz target `{value}`; the targets: {}",
                        TARGETS.join(", ")
                    ));
                }
                target = Some(value.clone());
            }
            other => {
                return Err(format!(
                    "unknown flag `{other}`; expected --seconds or --target"
                ));
            }
        }
    }
    let seconds = seconds.ok_or("`--seconds N` is required")?;
    Ok(Plan { seconds, target })
}

/// `cargo xtask fuzz --seconds N [--target NAME]`.
pub(crate) fn run(args: &[String]) -> ExitCode {
    let plan = match parse(args) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("xtask fuzz: {message}");
            return ExitCode::from(2);
        }
    };
    match fuzz(&plan) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask fuzz: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Seeds, builds and runs the planned targets; the summary on stderr.
pub(crate) fn fuzz(plan: &Plan) -> Result<(), String> {
    let dir = fuzz_dir();
    if Command::new(env!("CARGO"))
        .args(["fuzz", "--version"])
        .output()
        .map_or(true, |out| !out.status.success())
    {
        return Err("cargo fuzz is not installed: `cargo install cargo-fuzz`".to_owned());
    }
    let targets: Vec<&str> = match &plan.target {
        Some(target) => vec![target.as_str()],
        None => TARGETS.to_vec(),
    };
    for target in &targets {
        let written = write_seeds(&dir, target).map_err(|e| format!("seeding {target}: {e}"))?;
        eprintln!("==> {target}: {written} seeds from the repository's fixtures");
    }
    crate::command::run(cargo_fuzz(&dir).args(["build", "-s", "none"]))?;
    let mut summary =
        String::from("target          executions  corpus  coverage (edges)  features\n");
    for target in &targets {
        let corpus = dir.join("corpus").join(target);
        let output = cargo_fuzz(&dir)
            .args(["run", "-s", "none", target])
            .arg(&corpus)
            .args([
                "--",
                &format!("-max_total_time={}", plan.seconds),
                "-timeout=10",
                "-rss_limit_mb=2048",
                "-print_final_stats=1",
            ])
            .output()
            .map_err(|e| format!("could not run cargo fuzz: {e}"))?;
        let log = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            eprintln!("{log}");
            let artifacts = dir.join("artifacts").join(target);
            return Err(format!(
                "`{target}` found a failure ({}): the input is in {} — make it a regression test beside the code it hit",
                output.status,
                artifacts.display()
            ));
        }
        let stats = Stats::from_log(&log);
        let entries = std::fs::read_dir(&corpus).map_or(0, |d| d.count());
        let _ = writeln!(
            summary,
            "{target:<15} {:>10}  {entries:>6}  {:>16}  {:>8}",
            stats.executions, stats.coverage, stats.features
        );
        eprintln!(
            "==> {target}: {} executions in {} s, corpus {entries}, coverage {} edges",
            stats.executions, plan.seconds, stats.coverage
        );
    }
    eprintln!("\n{summary}");
    Ok(())
}

/// `cargo fuzz` in `fuzz/`, building into `fuzz/target` whatever target directory the
/// caller's environment names.
fn cargo_fuzz(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO"));
    command
        .arg("fuzz")
        .current_dir(dir)
        .env_remove("CARGO_TARGET_DIR");
    command
}

/// `fuzz/`, beside this crate.
fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("fuzz"), |root| root.join("fuzz"))
}

/// The last figures libFuzzer printed.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Stats {
    /// Inputs run.
    pub executions: u64,
    /// Edges covered (`cov:`).
    pub coverage: u64,
    /// Features (`ft:`): edges with hit counts, compared values.
    pub features: u64,
}

impl Stats {
    /// From libFuzzer's log: `stat::number_of_executed_units` when the final stats are printed,
    /// else the last `#N ... cov: C ft: F` line.
    pub(crate) fn from_log(log: &str) -> Self {
        let mut stats = Stats::default();
        for line in log.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            let after = |name: &str| {
                words
                    .iter()
                    .position(|w| *w == name)
                    .and_then(|i| words.get(i + 1)?.parse::<u64>().ok())
            };
            if let Some(count) = words
                .first()
                .and_then(|w| w.strip_prefix('#')?.parse().ok())
            {
                stats.executions = count;
            }
            if let Some(cov) = after("cov:") {
                stats.coverage = cov;
            }
            if let Some(ft) = after("ft:") {
                stats.features = ft;
            }
            if let Some(units) = line
                .strip_prefix("stat::number_of_executed_units:")
                .and_then(|units| units.trim().parse().ok())
            {
                stats.executions = units;
            }
        }
        stats
    }
}

/// Writes `target`'s seeds into `fuzz/corpus/<target>/` (libFuzzer adds what it finds there);
/// how many.
fn write_seeds(dir: &Path, target: &str) -> std::io::Result<usize> {
    let corpus = dir.join("corpus").join(target);
    std::fs::create_dir_all(&corpus)?;
    let seeds = seeds(target);
    for (i, seed) in seeds.iter().enumerate() {
        std::fs::write(corpus.join(format!("seed-{i:03}")), seed)?;
    }
    Ok(seeds.len())
}

/// Every payload the repository ships: each kind's example and every documented variant.
fn payloads() -> Vec<(EventKind, &'static str)> {
    let mut all: Vec<(EventKind, &'static str)> = EventKind::ALL
        .iter()
        .map(|&kind| (kind, fixtures::example(kind)))
        .collect();
    all.extend(fixtures::variants().iter().map(|v| (v.kind, v.text)));
    all
}

/// The seeds of one target, in its input format (see each target's doc comment).
pub(crate) fn seeds(target: &str) -> Vec<Vec<u8>> {
    let payloads = payloads();
    let with_prefix = |prefix: &[u8], body: &str| {
        let mut seed = prefix.to_vec();
        seed.extend_from_slice(body.as_bytes());
        seed
    };
    match target {
        "request" => payloads
            .iter()
            .flat_map(|(kind, body)| {
                let signed = format!(
                    "POST /webhooks/highlevel HTTP/1.1\r\nHost: l\r\nContent-Type: application/json\r\nX-GHL-Signature: @SIGN@\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let bound = format!(
                    "POST /webhooks/highlevel/{kind} HTTP/1.1\r\nHost: l\r\nX-GHL-Signature: @SIGN@\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
                    body.len()
                );
                let unsigned = format!(
                    "POST /webhooks/highlevel HTTP/1.1\r\nHost: l\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                [signed, bound, unsigned].map(String::into_bytes)
            })
            .collect(),
        "identify" => payloads
            .iter()
            .flat_map(|(kind, body)| {
                let index = u8::try_from(kind.index()).unwrap_or(0);
                [
                    with_prefix(b"\x00/webhooks/highlevel\n", body),
                    with_prefix(&[1u8.wrapping_add(index.wrapping_mul(3)), b'/', b'\n'], body),
                    with_prefix(format!("\x02/webhooks/highlevel/{kind}\n").as_bytes(), body),
                ]
            })
            .collect(),
        "decode" => payloads
            .iter()
            .map(|(kind, body)| with_prefix(&[u8::try_from(kind.index()).unwrap_or(0)], body))
            .collect(),
        "signature" => payloads
            .iter()
            .take(12)
            .flat_map(|(_, body)| {
                [
                    with_prefix(b"\x01\n\n", body),
                    with_prefix(b"\x0b\n\n", body),
                    with_prefix(b"\x00N/A\nN/A\n", body),
                    with_prefix(b"\x00not base64!\n\n", body),
                ]
            })
            .collect(),
        "keys" => {
            let keys = Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .map(|root| root.join("crates/sim/keys"));
            let mut seeds: Vec<Vec<u8>> = keys
                .and_then(|dir| std::fs::read_dir(dir).ok())
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
                .filter(|entry| entry.path().extension().is_some_and(|e| e == "pem"))
                .filter_map(|entry| std::fs::read(entry.path()).ok())
                .collect();
            seeds.push(b"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a".to_vec());
            seeds.push(b"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=".to_vec());
            seeds
        }
        "journal_sqlite" => vec![vec![0; 64], vec![5; 200]],
        "journal_redis" => vec![vec![0; 64], vec![1; 200], (0..=255).collect()],
        "cli_set" => {
            let mut seeds: Vec<Vec<u8>> = [
                "contact.email=a@b.c",
                "customFields.0.value=42",
                "tags.2=new",
                "a.b.c={\"x\":[1,2]}",
                "id=null",
            ]
            .iter()
            .zip(payloads.iter())
            .map(|(arg, (_, body))| format!("{arg}\n{body}").into_bytes())
            .collect();
            seeds.push(b"x=1\n[]".to_vec());
            seeds
        }
        "scenario" => [
            r#"{"events":{"ContactCreate":3,"OpportunityStageUpdate":1}}"#,
            r#"{"rate_per_sec":50,"duration_secs":2,"events":{"ContactCreate":1},"duplicate_ratio":0.1,"pairing_ratio":0.5,"time_scale":0.001,"retry_policy":"legacy","attempt_timeout_ms":500,"breaker":{"min_deliveries":10,"min_success_rate":0.9,"window_secs":60,"check_every_secs":30},"drain_timeout_secs":5}"#,
            r#"{"events":{"INSTALL":1},"breaker":{}}"#,
        ]
        .map(|s| s.as_bytes().to_vec())
        .to_vec(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn seconds_are_required_and_targets_must_exist() {
        assert_eq!(
            parse(&strings(&["--seconds", "30"])),
            Ok(Plan {
                seconds: 30,
                target: None
            })
        );
        assert_eq!(
            parse(&strings(&["--seconds", "5", "--target", "decode"])),
            Ok(Plan {
                seconds: 5,
                target: Some("decode".to_owned())
            })
        );
        assert!(parse(&strings(&[])).is_err());
        assert!(parse(&strings(&["--seconds", "0"])).is_err());
        assert!(parse(&strings(&["--seconds", "ten"])).is_err());
        assert!(parse(&strings(&["--seconds", "5", "--target", "nope"])).is_err());
        assert!(parse(&strings(&["--requests", "5"])).is_err());
    }

    #[test]
    fn every_target_of_the_fuzz_crate_is_run_and_seeded() {
        let manifest = include_str!("../../fuzz/Cargo.toml");
        let declared: Vec<&str> = manifest
            .lines()
            .filter_map(|l| l.strip_prefix("name = \""))
            .filter_map(|l| l.strip_suffix('"'))
            .filter(|name| *name != "ghl-webhooks-fuzz")
            .collect();
        assert_eq!(declared, TARGETS, "fuzz/Cargo.toml's [[bin]]s");
        for target in TARGETS {
            assert!(!seeds(target).is_empty(), "{target} has no seeds");
        }
    }

    #[test]
    fn libfuzzer_figures_are_read_from_its_log() {
        let log = "#2\tINITED cov: 120 ft: 300 corp: 5/1kb exec/s: 0 rss: 40Mb\n\
                   #4096\tpulse  cov: 150 ft: 410 corp: 9/2kb lim: 43 exec/s: 2048 rss: 41Mb\n\
                   Done 5000 runs in 3 second(s)\n\
                   stat::number_of_executed_units: 5003\n";
        assert_eq!(
            Stats::from_log(log),
            Stats {
                executions: 5003,
                coverage: 150,
                features: 410
            }
        );
    }
}
