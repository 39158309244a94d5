//! Benchmarks of ghl-webhooks (not published).
//!
//! - `benches/stages.rs`: criterion micro benchmarks of each stage of a delivery, each beside
//!   the hand-written code a careful user would write instead (`cargo bench -p
//!   ghl-webhook-benches`).
//! - `src/bin/ghl-bench-server.rs`: the three HTTP servers that `cargo xtask bench` starts one
//!   at a time and loads: (a) bare hyper, (b) hand-written verify + parse, (c) the SDK.
//!
//! This library holds what both share: the signed payloads ([`payloads`]) and the hand-written
//! receiver ([`baseline`]), so the micro benchmark and the end-to-end server (b) run the very
//! same baseline code.
#![warn(missing_docs)]

pub mod baseline;
pub mod payloads;
