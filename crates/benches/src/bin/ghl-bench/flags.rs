//! The flags of `ghl-bench`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Parser};
use ghl_webhook_benches::servers::Server;

/// The end-to-end HTTP benchmark of ghl-webhooks.
///
/// Starts, one at a time on 127.0.0.1, (a) bare hyper, (b) a hand-written hyper server doing
/// Ed25519 verify_strict + serde_json::from_slice, (c) the SDK's service (no-op handler,
/// in-memory dedupe on), (f) the same with batch verification, (e) durable mode on SQLite,
/// (g)/(h) on Redis and (i) on Postgres (each started here) and, with --peers, (d)
/// HighLevel's official Node SDK behind Express; loads each with a closed-loop
/// HTTP/1.1 keep-alive generator at N connections, then at 1, then (b, c, f) at N connections
/// with a share of forged signatures; interleaves rounds and prints a markdown report.
#[derive(Debug, Clone, PartialEq, Parser)]
#[command(name = "ghl-bench", allow_negative_numbers = true)]
pub(crate) struct Options {
    /// Rounds.
    #[arg(long, value_name = "N", default_value = "3", value_parser = positive)]
    pub rounds: usize,
    /// Measured seconds per load phase (decimals allowed).
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = seconds)]
    pub duration: Duration,
    /// Unmeasured load before the measured phases of each server (0: none).
    #[arg(long, value_name = "SECS", default_value = "1", value_parser = warmup)]
    pub warmup: Duration,
    /// Connections of the loaded phase (a 1-connection phase always follows).
    #[arg(long, value_name = "N", default_value = "50", value_parser = positive)]
    pub connections: usize,
    /// Bound on the requests of one phase.
    #[arg(long, value_name = "N", default_value = "5000000", value_parser = positive_u64)]
    pub max_requests: u64,
    /// Distinct pre-signed deliveries, cycled.
    #[arg(long, value_name = "N", default_value = "4096", value_parser = positive)]
    pub payloads: usize,
    /// Distinct pre-signed deliveries for the durable servers (e, g, h, i), whose journals
    /// remember every id: enough that no id repeats within one server's run (the first
    /// --payloads of them go to a-d).
    #[arg(long, value_name = "N", default_value = "262144", value_parser = positive)]
    pub durable_payloads: usize,
    /// The durable servers' retention of done entries (`DurableConfig::retention`; default
    /// the SDK's): a short one shows the journal's size levelling off under a sustained load.
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    pub retention: Option<Duration>,
    /// The durable servers' body retention (`DurableConfig::body_retention`; default the
    /// SDK's).
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    pub body_retention: Option<Duration>,
    /// Ids the in-memory dedupe store of (c), (f) and (e) holds (default: half of --payloads,
    /// so that every request is a first delivery).
    #[arg(long, value_name = "N", value_parser = positive)]
    pub dedupe_capacity: Option<usize>,
    /// Percent of deliveries carrying a forged signature in the attack phase of (b), (c) and
    /// (f), at N connections after the others (0: no attack phase).
    #[arg(long, value_name = "P", default_value = "10", value_parser = percent)]
    pub forged_percent: u32,
    /// Folder of the journals: (e)'s files, (g)/(h)'s Redis and (i)'s Postgres cluster
    /// (default: the target folder, i.e. a real disk, not tmpfs).
    #[arg(long, value_name = "DIR")]
    pub journal_dir: Option<PathBuf>,
    /// Which servers, e.g. a,c (or by name: bare, hand-written, sdk, sdk-batch, node,
    /// durable, durable-redis, durable-redis-everysec, durable-postgres); d is added by --peers.
    // The full path keeps clap from reading the list as repeated values: one value, a list.
    #[arg(long, value_name = "LIST", default_value = "a,b,c,f,e", value_parser = servers)]
    pub servers: ::std::vec::Vec<Server>,
    /// Also run HighLevel's Node SDK (needs node and npm).
    #[arg(long)]
    pub peers: bool,
    /// Scratch folder for the Node SDK, outside the repo.
    #[arg(long, value_name = "DIR", default_value = "/tmp/ghl-bench-peers")]
    pub peers_dir: PathBuf,
    /// Do not pin with taskset.
    #[arg(long = "no-pin", action = ArgAction::SetFalse)]
    pub pin: bool,
    /// Server worker threads when not pinned (default: all cores).
    #[arg(long, value_name = "N", value_parser = positive)]
    pub threads: Option<usize>,
    /// Per-request timeout, seconds.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = seconds)]
    pub timeout: Duration,
    /// Also write the report to FILE.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

/// Parses the command line (the program name first); `--peers` and the Node server `d` in
/// `--servers` imply each other.
pub(crate) fn parse<I, T>(args: I) -> Result<Options, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut options = Options::try_parse_from(args)?;
    if options.peers && !options.servers.contains(&Server::Node) {
        options.servers.push(Server::Node);
        options.servers.sort_unstable();
    }
    if options.servers.contains(&Server::Node) {
        options.peers = true;
    }
    Ok(options)
}

fn positive(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("needs a whole number greater than 0, got `{text}`")),
    }
}

fn positive_u64(text: &str) -> Result<u64, String> {
    positive(text).map(|n| n as u64)
}

fn seconds(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 3600.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "needs a number of seconds in (0, 3600], got `{text}`"
        )),
    }
}

fn percent(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(p) if p <= 100 => Ok(p),
        _ => Err(format!(
            "needs a whole percentage from 0 to 100, got `{text}`"
        )),
    }
}

fn warmup(text: &str) -> Result<Duration, String> {
    if text.trim() == "0" {
        Ok(Duration::ZERO)
    } else {
        seconds(text)
    }
}

fn servers(text: &str) -> Result<Vec<Server>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let server = Server::from_name(part).ok_or_else(|| {
            format!(
                "--servers takes a comma-separated list of a, b, c, d, e, f, g, h, i; got `{part}`"
            )
        })?;
        if !out.contains(&server) {
            out.push(server);
        }
    }
    if out.is_empty() {
        return Err("--servers needs at least one of a, b, c, d, e, f, g, h, i".to_owned());
    }
    out.sort_unstable();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_list(list: &[&str]) -> Result<Options, clap::Error> {
        parse(std::iter::once("ghl-bench").chain(list.iter().copied()))
    }

    fn run(list: &[&str]) -> Options {
        match parse_list(list) {
            Ok(options) => options,
            Err(err) => panic!("{list:?} gave {err}"),
        }
    }

    #[test]
    fn no_flags_are_the_defaults() {
        assert_eq!(
            run(&[]),
            Options {
                rounds: 3,
                duration: Duration::from_secs(5),
                warmup: Duration::from_secs(1),
                connections: 50,
                max_requests: 5_000_000,
                payloads: 4096,
                durable_payloads: 262144,
                retention: None,
                body_retention: None,
                dedupe_capacity: None,
                forged_percent: 10,
                journal_dir: None,
                servers: vec![
                    Server::Bare,
                    Server::HandWritten,
                    Server::Sdk,
                    Server::SdkBatch,
                    Server::Durable
                ],
                peers: false,
                peers_dir: PathBuf::from("/tmp/ghl-bench-peers"),
                pin: true,
                threads: None,
                timeout: Duration::from_secs(10),
                markdown: None,
            }
        );
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
            "--dedupe-capacity",
            "100000",
            "--forged-percent",
            "0",
            "--servers",
            "c,a",
            "--no-pin",
            "--threads",
            "2",
            "--timeout",
            "3",
            "--markdown",
            "/tmp/x.md",
            "--retention",
            "10",
            "--body-retention",
            "2.5",
        ]);
        assert_eq!(o.rounds, 2);
        assert_eq!(o.duration, Duration::from_millis(500));
        assert_eq!(o.warmup, Duration::ZERO);
        assert_eq!(o.connections, 8);
        assert_eq!(o.max_requests, 1000);
        assert_eq!(o.payloads, 64);
        assert_eq!(o.dedupe_capacity, Some(100_000));
        assert_eq!(o.forged_percent, 0);
        assert_eq!(o.servers, vec![Server::Bare, Server::Sdk]);
        assert!(!o.pin);
        assert_eq!(o.threads, Some(2));
        assert_eq!(o.timeout, Duration::from_secs(3));
        assert_eq!(o.markdown, Some(PathBuf::from("/tmp/x.md")));
        assert_eq!(o.retention, Some(Duration::from_secs(10)));
        assert_eq!(o.body_retention, Some(Duration::from_millis(2500)));
    }

    #[test]
    fn peers_adds_the_node_server() {
        let o = run(&["--peers"]);
        assert!(o.peers);
        assert_eq!(
            o.servers,
            vec![
                Server::Bare,
                Server::HandWritten,
                Server::Sdk,
                Server::SdkBatch,
                Server::Node,
                Server::Durable
            ]
        );
        let o = run(&["--servers", "c,d"]);
        assert!(o.peers);
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        for (list, needle) in [
            // clap's own messages for a missing value and an unknown flag.
            (&["--rounds"][..], "a value is required for '--rounds <N>'"),
            (&["--rounds", "0"][..], "greater than 0"),
            (&["--rounds", "-1"][..], "greater than 0"),
            (&["--connections", "many"][..], "whole number"),
            (&["--duration", "0"][..], "seconds"),
            (&["--duration", "NaN"][..], "seconds"),
            (&["--duration", "1e9"][..], "seconds"),
            (&["--servers", "a,x"][..], "`x`"),
            (&["--servers", ","][..], "at least one"),
            (&["--forged-percent", "101"][..], "percentage"),
            (&["--forged-percent", "-3"][..], "percentage"),
            (&["--fast"][..], "unexpected argument '--fast'"),
        ] {
            match parse_list(list) {
                Err(err) => {
                    let message = err.to_string();
                    assert!(message.contains(needle), "{list:?}: {message}");
                    assert_eq!(err.exit_code(), 2, "{list:?}");
                }
                Ok(parsed) => panic!("{list:?} was accepted: {parsed:?}"),
            }
        }
    }

    #[test]
    fn help_wins() {
        let err = parse_list(&["--rounds", "2", "-h"]).expect_err("help");
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
        assert_eq!(err.exit_code(), 0);
    }
}
