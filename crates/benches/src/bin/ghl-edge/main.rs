//! `ghl-edge`: the receiver against hostile and sustained traffic, on loopback, bounded.
//!
//! ```text
//! ghl-edge fuzz --requests N [--seed S] [--max-seconds T]   mutated deliveries of every kind
//! ghl-edge soak --minutes M [--seed S]                       50 connections, 30% duplicates, 10% failures
//! ghl-edge server [--max-seconds T]                          the receiver both start (this executable)
//! ```
//!
//! Both drivers start the receiver (`ghl-edge server`, the SDK served by `serve_with` with
//! the default limits) as a child process, print a Markdown report on stdout, and exit 1 when
//! a check failed. `cargo xtask fuzz` and `cargo xtask soak` build and run them.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod deliveries;
mod fuzz;
mod mutate;
mod server;
mod soak;
mod wire;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The receiver against hostile and sustained traffic.
#[derive(Debug, Parser)]
#[command(name = "ghl-edge")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Mutated deliveries of every kind; checks no panic, every request answered, only
    /// documented statuses, no forged body handled.
    Fuzz {
        /// Requests to send.
        #[arg(long, value_name = "N", default_value_t = 20_000)]
        requests: u64,
        /// The seed of every random choice.
        #[arg(long, value_name = "S", default_value_t = 1)]
        seed: u64,
        /// Stop sending after this many seconds, whatever the count.
        #[arg(long, value_name = "T", default_value_t = 900)]
        max_seconds: u64,
    },
    /// 50 connections of signed deliveries, 30% duplicates, 10% handler failures.
    Soak {
        /// How long, in minutes (at most 120).
        #[arg(long, value_name = "M")]
        minutes: f64,
        /// The seed of every random choice.
        #[arg(long, value_name = "S", default_value_t = 1)]
        seed: u64,
    },
    /// The receiver the drivers start; exits when stdin closes.
    Server {
        /// Exit after this many seconds whatever happens.
        #[arg(long, value_name = "T", default_value_t = 900)]
        max_seconds: u64,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    let result = match cli.command {
        Command::Fuzz {
            requests,
            seed,
            max_seconds,
        } => fuzz::run(fuzz::FuzzOptions {
            requests,
            seed,
            max_seconds,
        }),
        Command::Soak { minutes, seed } => soak::run(minutes, seed),
        Command::Server { max_seconds } => server::run(max_seconds).map(|()| true),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("ghl-edge: a check failed (see the report)");
            ExitCode::FAILURE
        }
        Err(message) => {
            eprintln!("ghl-edge: {message}");
            ExitCode::from(2)
        }
    }
}
