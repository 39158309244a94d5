//! The hyper app example (`cargo run --example hyper_app`, a child process on a loopback
//! port) under a connection flood: 10,000 connections holding slots with half heads, stalled
//! bodies and idle keep-alives, re-opened as soon as they are closed, while 100 signed
//! deliveries arrive on new connections: every one answered 200 within 1 s, the app's RSS
//! bounded. The same flood as the router's test of `serve` (crates/router/tests/flood.rs);
//! `GHL_FLOOD_SECONDS` (default 10) and `GHL_FLOOD_CONNECTIONS` (default 10,000) size it.
//!
//! A filtered run (`--test flood`) uses the example as last built, or skips loudly when it is
//! not built (under CI it fails).

mod common;
use ghl_webhook_testkit::flood;

use std::process::Command;

use flood::{Flood, Receiver, raise_open_files, run_and_check};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_connection_flood_the_hyper_app_answers_every_signed_delivery_200_within_a_second()
{
    let Some(path) = common::example("hyper_app", "the flood test of the hyper app") else {
        return;
    };
    // The flood's sockets here, and the app's (it inherits the limit).
    let limit = raise_open_files(65_536);
    let mut command = Command::new(path);
    command.env("ADDR", "127.0.0.1:0").env("GHL_TEST_KEYS", "1");
    let mut app = Receiver::start(command);
    let flood = Flood::from_env(app.addr, "/webhooks/highlevel");
    assert!(
        limit > flood.connections as u64 + 1_000,
        "the open-file limit is {limit}: too low for {} connections",
        flood.connections
    );
    let (report, peak_kib) = run_and_check("hyper app", &flood, &mut app).await;
    let bound_kib = 64 * flood.connections as u64;
    assert!(
        peak_kib < bound_kib,
        "app peak RSS {peak_kib} KiB for {} connections",
        flood.connections
    );
    assert!(report.closed_by_receiver > 0, "the app closed none");
}
