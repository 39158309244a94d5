//! The example binaries themselves, as `cargo run --example ...` starts them: a child process
//! on a free loopback port, a signed delivery, then its `GET /metrics` scraped over HTTP and
//! parsed, `GET /readyz`, and (durable_app) its JSON log lines and its journal in a real
//! PostgreSQL cluster.
//!
//! `cargo test` builds the examples before it runs the tests; a filtered run (`--test
//! example_binaries`) does not, and uses them as last built, or skips loudly when there are
//! none (under CI it fails).

mod common;

use common::get;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ghl_webhook_router::journal::{EntryState, Journal as _, PostgresConfig, PostgresJournal};
use ghl_webhook_router::metrics::DELIVERIES_TOTAL;
use ghl_webhook_router::types::association::{Association, AssociationDelete};
use ghl_webhook_test_support::MockSender;
use ghl_webhook_testkit::lines::Lines;
use ghl_webhook_testkit::postgres_server;
use ghl_webhook_testkit::prometheus::Exposition;
use serde_json::Value;

/// A running example: killed (SIGKILL) when dropped; its stdout collected line by line.
struct Running {
    child: Child,
    lines: Lines,
    base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    fn start(path: PathBuf, envs: &[(&str, &str)]) -> Self {
        Self::start_with_args(path, &[], envs)
    }

    /// Starts the example with command-line `args` (e.g. `--postgres URL`) and `envs`.
    fn start_with_args(path: PathBuf, args: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut child = Command::new(path)
            .args(args)
            .env("ADDR", "127.0.0.1:0")
            .env("GHL_TEST_KEYS", "1")
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the example starts");
        let lines = Lines::read(child.stdout.take().expect("piped stdout"));
        let mut running = Self {
            child,
            lines,
            base: String::new(),
        };
        // `... on http://127.0.0.1:PORT: GET /health, ...`
        running.base = running.wait_for_line(
            |line| line.contains(" on http://"),
            |line| {
                let addr = &line[line.find("http://")? + "http://".len()..];
                let end = addr
                    .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ':'))
                    .unwrap_or(addr.len());
                Some(format!("http://{}", addr[..end].trim_end_matches(':')))
            },
        );
        running
    }

    /// Waits (10 s at most) for a line of stdout that `matches`, and returns what `take` makes
    /// of it.
    fn wait_for_line<T>(
        &self,
        matches: impl Fn(&str) -> bool,
        take: impl Fn(&str) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(found) = self
                .lines
                .all()
                .iter()
                .find(|line| matches(line))
                .and_then(|line| take(line))
            {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "no such line; stdout so far: {:?}",
                self.lines.all()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn deleted(id: &str) -> AssociationDelete {
    AssociationDelete(Association {
        location_id: Some("loc-binary".into()),
        ..Association::new(id)
    })
}

/// Sends one signed delivery, then scrapes `/metrics` until it shows it (and returns it).
async fn deliver_and_scrape(app: &Running, kind_outcome: (&str, &str)) -> Exposition {
    let sender = MockSender::new(format!("{}/webhooks/highlevel", app.base)).expect("url");
    let sent = sender
        .event(&deleted("bin-1"))
        .bound()
        .webhook_id("wh-binary-1")
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status, 200, "{}", sent.body_text());
    let labels = [("kind", kind_outcome.0), ("outcome", kind_outcome.1)];
    let (status, text) = get(&format!("{}/metrics", app.base)).await;
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains(&format!("# HELP {DELIVERIES_TOTAL}")),
        "the metrics are described: {text}"
    );
    let metrics = Exposition::parse(&text).expect("valid exposition text");
    assert_eq!(metrics.value(DELIVERIES_TOTAL, &labels), 1.0, "{text}");
    metrics
}

#[tokio::test]
async fn the_hyper_app_example_serves_its_metrics_and_health() {
    let Some(path) = common::example("hyper_app", "the example binary tests") else {
        return;
    };
    let app = Running::start(path, &[]);
    deliver_and_scrape(&app, ("AssociationDelete", "handled")).await;
    let (status, body) = get(&format!("{}/readyz", app.base)).await;
    assert_eq!(status, 200, "{body}");
    let ready: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(ready["highlevel"]["answers"], 1);
    assert_eq!(get(&format!("{}/livez", app.base)).await.0, 200);
}

#[tokio::test]
async fn the_durable_app_example_serves_its_metrics_and_logs_json() {
    let Some(path) = common::example("durable_app", "the example binary tests") else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("webhooks.db");
    let app = Running::start(
        path,
        &[
            ("GHL_JOURNAL", journal.to_str().expect("utf-8 path")),
            ("RUST_LOG", "ghl_webhook_router=info"),
        ],
    );
    deliver_and_scrape(&app, ("AssociationDelete", "journaled")).await;
    let (status, body) = get(&format!("{}/readyz", app.base)).await;
    assert_eq!(status, 200, "{body}");
    let ready: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(ready["journal"]["reachable"], true, "{ready}");

    // The delivery's log line: one JSON object, its span naming the delivery.
    let logged: Value = app.wait_for_line(
        |line| {
            line.starts_with('{') && line.contains("wh-binary-1") && line.contains("\"outcome\"")
        },
        |line| serde_json::from_str(line).ok(),
    );
    assert_eq!(logged["fields"]["outcome"], "journaled", "{logged}");
    assert_eq!(logged["span"]["webhook_id"], "wh-binary-1", "{logged}");
    assert_eq!(logged["span"]["location_id"], "loc-binary", "{logged}");
    assert_eq!(logged["span"]["kind"], "AssociationDelete", "{logged}");
}

#[tokio::test]
async fn the_durable_app_example_on_postgres_answers_once_journaled_and_handles_afterwards() {
    let Some(path) = common::example("durable_app", "the example binary tests") else {
        return;
    };
    let Some(server) = postgres_server::PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    let app = Running::start_with_args(
        path,
        &["--postgres", &url],
        &[("GHL_POSTGRES_SCHEMA", "durable_app")],
    );
    // The start line names the journal, without its password.
    let started = app.wait_for_line(
        |line| line.contains(" on http://"),
        |line| Some(line.to_owned()),
    );
    assert!(
        started.contains("journal Postgres postgres://postgres:***@127.0.0.1:")
            && started.contains("(schema `durable_app`)"),
        "{started}"
    );
    assert!(!started.contains(postgres_server::PASSWORD), "{started}");

    // Answered 200 once journaled, then handled by the app's workers.
    deliver_and_scrape(&app, ("AssociationDelete", "journaled")).await;
    app.wait_for_line(
        |line| line.starts_with("association bin-1 deleted") && line.contains("wh-binary-1"),
        |_| Some(()),
    );
    let journal =
        PostgresJournal::open_existing(&url, PostgresConfig::default().schema("durable_app"))
            .await
            .expect("the app created its journal");
    let deadline = Instant::now() + Duration::from_secs(10);
    let entry = loop {
        let entry = journal
            .get("wh-binary-1")
            .await
            .expect("get")
            .expect("journaled");
        if entry.state == EntryState::Done || Instant::now() > deadline {
            break entry;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(entry.state, EntryState::Done, "{entry:?}");
    assert_eq!(entry.attempts, 1);
    let stats = journal.stats().await.expect("stats");
    assert_eq!(
        (stats.done, stats.pending, stats.in_progress, stats.dead),
        (1, 0, 0, 0)
    );

    let (status, body) = get(&format!("{}/readyz", app.base)).await;
    assert_eq!(status, 200, "{body}");
    let ready: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(ready["journal"]["reachable"], true, "{ready}");
}
