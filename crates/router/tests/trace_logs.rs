//! HighLevel's `traceId` on the delivery and in its log lines. The one test of this binary, so
//! that the subscriber it installs for the whole process sees every line.

mod common;

use common::{Recorder, association_router, seed_event, serve};

/// The log lines of one test, as a `tracing_subscriber` writer.
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn highlevels_trace_id_reaches_the_delivery_and_its_log_lines() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    // The process-wide subscriber, set before any callsite is hit: a thread's scoped
    // subscriber races with other threads over each callsite's cached interest, and loses lines.
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    let rec = Recorder::default();
    let (_server, sender) = serve(association_router(&rec).into_service()).await;
    let mut traced = serde_json::to_value(seed_event()).expect("json");
    traced["type"] = "AssociationDelete".into();
    traced["traceId"] = "5f1c0a7e-trace".into();
    let sent = sender.json(traced).send().await.expect("traced");
    assert_eq!(sent.status, 200, "{}", sent.body_text());
    let untraced = sender
        .event(&seed_event())
        .bound()
        .send()
        .await
        .expect("sent");
    assert_eq!(untraced.status, 200, "{}", untraced.body_text());

    let got = rec.events();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].1.trace_id(), Some("5f1c0a7e-trace"));
    assert_eq!(got[1].1.trace_id(), None);
    let text = String::from_utf8(logs.0.lock().expect("logs").clone()).expect("utf-8");
    let delivery_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("ghl_webhook{"))
        .collect();
    assert!(
        delivery_lines
            .iter()
            .any(|l| l.contains("trace_id") && l.contains("5f1c0a7e-trace")),
        "no log line of the delivery names its trace: {text}"
    );
    assert!(
        delivery_lines
            .iter()
            .filter(|l| l.contains(untraced.webhook_id.as_deref().unwrap_or("?")))
            .all(|l| !l.contains("trace_id")),
        "a delivery without a trace is logged without one: {text}"
    );
}
