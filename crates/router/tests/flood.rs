//! `serve` under a connection flood, with real sockets on loopback and the receiver in a
//! child process (this test binary re-executed, so that its memory is its own): 10,000
//! connections holding slots with half heads, stalled bodies and idle keep-alives, re-opened
//! as soon as they are closed, while 100 signed deliveries arrive on new connections. Every
//! delivery is answered 200 within 1 s, the receiver's RSS stays bounded, its accept loop
//! logs no error. And when the receiver runs out of file descriptors, its accept loop backs
//! off, makes room, and serves again.
//!
//! `GHL_FLOOD_SECONDS` (default 10) and `GHL_FLOOD_CONNECTIONS` (default 10,000) size the
//! flood, `GHL_FLOOD_CAP` sets the receiver's connection cap (default: from its open-file
//! limit); RELIABILITY.md gives the figures of 60 s runs.

use ghl_webhook_testkit::flood;

use std::process::Command;
use std::time::Duration;

use flood::{
    Flood, ONE_FLOOD_AT_A_TIME, Receiver, raise_open_files, run_and_check, set_open_files,
    signed_request,
};
use ghl_webhook_router::serve::{ServeConfig, serve_with};
use ghl_webhook_router::types::Event;
use ghl_webhook_router::{Delivery, WebhookRouter};
use ghl_webhook_test_support::TestKeys;
use tokio::io::AsyncWriteExt;

/// The receiver: this binary on [`child_process_entry_point`], with its open-file limit and
/// optionally its connection cap.
fn receiver(nofile: u64, cap: Option<usize>) -> Receiver {
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command
        .args(["--exact", "child_process_entry_point", "--nocapture"])
        .env("GHL_FLOOD_CHILD", "receiver")
        .env("GHL_FLOOD_NOFILE", nofile.to_string());
    if let Some(cap) = cap {
        command.env("GHL_FLOOD_CAP", cap.to_string());
    }
    Receiver::start(command)
}

/// Its log lines of accept errors.
fn accept_errors(receiver: &Receiver) -> Vec<String> {
    receiver
        .lines()
        .into_iter()
        .filter(|line| line.contains("accept failed"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_connection_flood_every_signed_delivery_is_answered_200_within_a_second() {
    let _alone = ONE_FLOOD_AT_A_TIME.lock().await;
    // 10,000 flood sockets and the deliveries' in this process.
    let limit = raise_open_files(65_536);
    let flood_size = Flood::from_env("127.0.0.1:1".parse().expect("addr"), "/").connections;
    assert!(
        limit > flood_size as u64 + 1_000,
        "the open-file limit is {limit}: too low for {flood_size} connections"
    );
    // `GHL_FLOOD_CAP` sets the receiver's cap below the flood (default: from its open-file
    // limit, above the flood).
    let cap = std::env::var("GHL_FLOOD_CAP")
        .ok()
        .and_then(|v| v.parse().ok());
    let mut receiver = receiver(65_536, cap);
    let flood = Flood::from_env(receiver.addr, "/webhooks/highlevel");
    let (report, peak_kib) = run_and_check("serve", &flood, &mut receiver).await;
    assert!(
        accept_errors(&receiver).is_empty(),
        "{:?}",
        accept_errors(&receiver)
    );
    // The receiver's memory is bounded by the connections it holds: under 64 KiB each.
    let bound_kib = 64 * flood.connections as u64;
    assert!(
        peak_kib < bound_kib,
        "receiver peak RSS {peak_kib} KiB for {} connections",
        flood.connections
    );
    assert!(report.closed_by_receiver > 0, "the receiver closed none");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_file_descriptors_the_accept_loop_backs_off_makes_room_and_serves_again() {
    let _alone = ONE_FLOOD_AT_A_TIME.lock().await;
    raise_open_files(4_096);
    // 256 descriptors and a cap far above them: accepting fails with EMFILE once ~250 are open.
    let mut receiver = receiver(256, Some(4_096));
    let mut held = Vec::new();
    for _ in 0..600 {
        let Ok(mut stream) = tokio::net::TcpStream::connect(receiver.addr).await else {
            continue;
        };
        let _ = stream
            .write_all(b"POST /webhooks/highlevel HTTP/1.1\r\nHost: l\r\nX-GHL-Sig")
            .await;
        held.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let request = signed_request("/webhooks/highlevel", "after-emfile");
    let started = std::time::Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(10), async {
        let mut stream = tokio::net::TcpStream::connect(receiver.addr)
            .await
            .expect("connect");
        stream.write_all(&request).await.expect("write");
        let mut response = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut response).await;
        String::from_utf8_lossy(&response).into_owned()
    })
    .await
    .expect("answered within 10 s");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    println!(
        "after EMFILE: answered in {:?}; accept errors logged: {}",
        started.elapsed(),
        accept_errors(&receiver).len()
    );
    assert!(
        !accept_errors(&receiver).is_empty(),
        "the receiver never ran out of descriptors: the test proves nothing"
    );
    assert!(receiver.is_running(), "the accept loop ended the receiver");
}

/// Not a test of its own: the receiver of the tests above, run only when `GHL_FLOOD_CHILD`
/// is set. `serve_with` with the default limits (the cap from `GHL_FLOOD_CAP` when set), its
/// open-file limit set to `GHL_FLOOD_NOFILE` first (or the hard limit, when lower); warnings
/// logged to stdout.
#[test]
fn child_process_entry_point() {
    if std::env::var("GHL_FLOOD_CHILD").is_err() {
        return;
    }
    let nofile: u64 = std::env::var("GHL_FLOOD_NOFILE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(65_536);
    set_open_files(nofile);
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .with_writer(std::io::stdout)
        .with_ansi(false)
        .init();
    let mut config = ServeConfig::default();
    if let Some(cap) = std::env::var("GHL_FLOOD_CAP")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config = config.max_connections(cap);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let service = WebhookRouter::new()
            .verifier(TestKeys::primary().verifier())
            .on_any(|_: Event, _: Delivery| async {})
            .into_service();
        let listener =
            ghl_webhook_router::serve::bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
        println!(
            "receiver (cap {}) on http://{}",
            config.max_connections,
            listener.local_addr().expect("addr")
        );
        // Until the parent kills it.
        serve_with(config, listener, service, std::future::pending())
            .await
            .expect("serve");
    });
}
