//! Benchmarks of ghl-webhooks (not published).
//!
//! - `benches/stages.rs`: criterion micro benchmarks of each stage of a delivery, each beside
//!   the hand-written code a careful user would write instead (`cargo bench -p
//!   ghl-webhook-benches`).
//! - `src/bin/ghl-bench/`: the end-to-end benchmark (`cargo run --release -p
//!   ghl-webhook-benches -- [--peers]`): starts each server in turn, loads it over HTTP,
//!   reports the ratios.
//! - `src/bin/ghl-edge/`: the receiver against hostile and sustained traffic: `fuzz` (mutated
//!   signed deliveries of every kind, no forged body may reach a handler) and `soak` (50
//!   connections, duplicates, handler failures, memory every 30 s); run by `cargo xtask fuzz`
//!   and `cargo xtask soak`, reported in RELIABILITY.md.
//! - `src/bin/ghl-instructions.rs`: instructions per delivery of each way of verifying a
//!   delivery (hand-written `verify_strict`, the SDK alone and in batches), counted by
//!   valgrind's callgrind (`cargo run --release -p ghl-webhook-benches --bin ghl-instructions`).
//! - [`footprint`]: the journal's bytes per delivery at each stage of its life
//!   (`ghl-bench-server journal-footprint`).
//! - `src/bin/ghl-bench-server.rs`: the three HTTP servers that `ghl-bench` starts one at a
//!   time and loads: (a) bare hyper, (b) hand-written verify + parse, (c) the SDK.
//!
//! This library holds what they share: the signed payloads ([`payloads`]), the hand-written
//! receiver ([`baseline`]), so the micro benchmark and the end-to-end server (b) run the very
//! same baseline code, and the names of the servers ([`servers`]).

pub mod baseline;
pub mod footprint;
pub mod payloads;
pub mod servers;
