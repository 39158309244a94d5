//! The flags of `cargo xtask bench`.

use std::path::PathBuf;
use std::time::Duration;

/// The usage text.
pub const USAGE: &str = "usage: cargo xtask bench [flags]

Starts, one at a time on 127.0.0.1, (a) bare hyper, (b) a hand-written hyper server doing
Ed25519 verify_strict + serde_json::from_slice, (c) the SDK's service (no-op handler, in-memory
dedupe on) and, with --peers, (d) HighLevel's official Node SDK behind Express; loads each with
a closed-loop HTTP/1.1 keep-alive generator at N connections, then at 1; interleaves rounds
(a b c [d] a b c [d] ...) and prints a markdown report.

flags:
  --rounds N            rounds (default 3)
  --duration SECS       measured seconds per load phase (default 5; decimals allowed)
  --warmup SECS         unmeasured load before the measured phases (default 1)
  --connections N       connections of the loaded phase (default 50; a 1-connection phase always follows)
  --max-requests N      bound on the requests of one phase (default 5000000)
  --payloads N          distinct pre-signed deliveries, cycled (default 4096)
  --servers LIST        which servers, e.g. a,c (default a,b,c; d is added by --peers)
  --peers               also run HighLevel's Node SDK (needs node and npm)
  --peers-dir DIR       scratch folder for the Node SDK, outside the repo (default /tmp/ghl-bench-peers)
  --no-pin              do not pin with taskset
  --threads N           server worker threads when not pinned (default: all cores)
  --timeout SECS        per-request timeout (default 10)
  --markdown FILE       also write the report to FILE
  -h, --help            this text";

/// Parsed flags.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Interleaved rounds.
    pub rounds: usize,
    /// Measured time of each load phase.
    pub duration: Duration,
    /// Unmeasured load before the measured phases of each server start.
    pub warmup: Duration,
    /// Connections of the loaded phase.
    pub connections: usize,
    /// Bound on the requests of one phase.
    pub max_requests: u64,
    /// Distinct pre-signed deliveries.
    pub payloads: usize,
    /// Servers to run, among `a`, `b`, `c` (and `d` with `--peers`).
    pub servers: Vec<char>,
    /// Whether to run the Node SDK peer.
    pub peers: bool,
    /// Scratch folder of the Node peer.
    pub peers_dir: PathBuf,
    /// Whether to pin with taskset (where it exists).
    pub pin: bool,
    /// Server worker threads when not pinned (`None`: all cores).
    pub threads: Option<usize>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Where to write the markdown report, besides stdout.
    pub markdown: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            rounds: 3,
            duration: Duration::from_secs(5),
            warmup: Duration::from_secs(1),
            connections: 50,
            max_requests: 5_000_000,
            payloads: 4096,
            servers: vec!['a', 'b', 'c'],
            peers: false,
            peers_dir: PathBuf::from("/tmp/ghl-bench-peers"),
            pin: true,
            threads: None,
            timeout: Duration::from_secs(10),
            markdown: None,
        }
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// Run with these options.
    Run(Options),
    /// Print the usage.
    Help,
}

/// Parses the arguments after `bench`.
pub fn parse(args: &[String]) -> Result<Parsed, String> {
    let mut options = Options::default();
    let mut servers_given = false;
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let mut value = || {
            iter.next()
                .map(String::as_str)
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--rounds" => options.rounds = positive(flag, value()?)?,
            "--duration" => options.duration = seconds(flag, value()?)?,
            "--warmup" => {
                let text = value()?;
                options.warmup = if text.trim() == "0" {
                    Duration::ZERO
                } else {
                    seconds(flag, text)?
                };
            }
            "--connections" => options.connections = positive(flag, value()?)?,
            "--max-requests" => options.max_requests = positive(flag, value()?)? as u64,
            "--payloads" => options.payloads = positive(flag, value()?)?,
            "--servers" => {
                options.servers = servers(value()?)?;
                servers_given = true;
            }
            "--peers" => options.peers = true,
            "--peers-dir" => options.peers_dir = PathBuf::from(value()?),
            "--no-pin" => options.pin = false,
            "--threads" => options.threads = Some(positive(flag, value()?)?),
            "--timeout" => options.timeout = seconds(flag, value()?)?,
            "--markdown" => options.markdown = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown flag `{other}`")),
        }
    }
    if options.peers && !options.servers.contains(&'d') {
        options.servers.push('d');
    }
    if options.servers.contains(&'d') && !options.peers {
        if servers_given {
            options.peers = true;
        } else {
            options.servers.retain(|&s| s != 'd');
        }
    }
    Ok(Parsed::Run(options))
}

fn positive(flag: &str, text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "{flag} needs a whole number greater than 0, got `{text}`"
        )),
    }
}

fn seconds(flag: &str, text: &str) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 3600.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "{flag} needs a number of seconds in (0, 3600], got `{text}`"
        )),
    }
}

fn servers(text: &str) -> Result<Vec<char>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id = match part {
            "a" | "bare" => 'a',
            "b" | "hand-written" => 'b',
            "c" | "sdk" => 'c',
            "d" | "node" => 'd',
            other => {
                return Err(format!(
                    "--servers takes a comma-separated list of a, b, c, d; got `{other}`"
                ));
            }
        };
        if !out.contains(&id) {
            out.push(id);
        }
    }
    if out.is_empty() {
        return Err("--servers needs at least one of a, b, c, d".to_owned());
    }
    out.sort_unstable();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn run(list: &[&str]) -> Options {
        match parse(&args(list)) {
            Ok(Parsed::Run(options)) => options,
            other => panic!("{list:?} gave {other:?}"),
        }
    }

    #[test]
    fn no_flags_are_the_defaults() {
        assert_eq!(run(&[]), Options::default());
    }

    #[test]
    fn every_flag_is_read() {
        let o = run(&[
            "--rounds",
            "2",
            "--duration",
            "0.5",
            "--warmup",
            "0",
            "--connections",
            "8",
            "--max-requests",
            "1000",
            "--payloads",
            "64",
            "--servers",
            "c,a",
            "--no-pin",
            "--threads",
            "2",
            "--timeout",
            "3",
            "--markdown",
            "/tmp/x.md",
        ]);
        assert_eq!(o.rounds, 2);
        assert_eq!(o.duration, Duration::from_millis(500));
        assert_eq!(o.warmup, Duration::ZERO);
        assert_eq!(o.connections, 8);
        assert_eq!(o.max_requests, 1000);
        assert_eq!(o.payloads, 64);
        assert_eq!(o.servers, vec!['a', 'c']);
        assert!(!o.pin);
        assert_eq!(o.threads, Some(2));
        assert_eq!(o.timeout, Duration::from_secs(3));
        assert_eq!(o.markdown, Some(PathBuf::from("/tmp/x.md")));
    }

    #[test]
    fn peers_adds_the_node_server() {
        let o = run(&["--peers"]);
        assert!(o.peers);
        assert_eq!(o.servers, vec!['a', 'b', 'c', 'd']);
        let o = run(&["--servers", "c,d"]);
        assert!(o.peers);
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        for (list, needle) in [
            (&["--rounds"][..], "needs a value"),
            (&["--rounds", "0"][..], "greater than 0"),
            (&["--rounds", "-1"][..], "greater than 0"),
            (&["--connections", "many"][..], "whole number"),
            (&["--duration", "0"][..], "seconds"),
            (&["--duration", "NaN"][..], "seconds"),
            (&["--duration", "1e9"][..], "seconds"),
            (&["--servers", "a,x"][..], "`x`"),
            (&["--servers", ","][..], "at least one"),
            (&["--fast"][..], "unknown flag `--fast`"),
        ] {
            match parse(&args(list)) {
                Err(message) => assert!(message.contains(needle), "{list:?}: {message}"),
                Ok(parsed) => panic!("{list:?} was accepted: {parsed:?}"),
            }
        }
    }

    #[test]
    fn help_wins() {
        assert_eq!(parse(&args(&["--rounds", "2", "-h"])), Ok(Parsed::Help));
    }
}
