//! `ghl-webhook gateway` end to end, over real HTTP on 127.0.0.1: MockSender plays HighLevel,
//! the real binary is the gateway, and two downstream apps verify every forward with the
//! Standard Webhooks libraries of Python (PyPI) and Node (npm), recording what they got.
//! Without those libraries installed the tests are skipped, loudly (failed under `CI`).

mod gateway_support;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gateway_support::{
    App, Downstream, Gateway, OTHER_SECRET, Rig, SECRET, accepted, available, config, payload,
    records, rig, scratch, wait_for,
};
use ghl_webhook_test_support::{MockSender, RetryPolicy};
use sha2::{Digest, Sha256};

/// A runtime for MockSender.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Sends `ids` (each `copies[i]` times, concurrently, `parallel` deliveries at a time) to
/// `url`; returns the ids acknowledged with 200 and the sha256 of each payload.
fn send(
    url: &str,
    ids: &[String],
    copies: impl Fn(usize) -> usize,
    parallel: usize,
    retry: RetryPolicy,
) -> (HashSet<String>, HashMap<String, String>) {
    let sender = MockSender::new(url).expect("sender").with_retry(retry);
    let jobs: Vec<(usize, String, usize)> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| (n, id.clone(), copies(n)))
        .collect();
    runtime().block_on(async move {
        let semaphore = Arc::new(tokio::sync::Semaphore::new(parallel));
        let mut tasks = tokio::task::JoinSet::new();
        for (n, id, copies) in jobs {
            let sender = sender.clone();
            let permit = Arc::clone(&semaphore)
                .acquire_owned()
                .await
                .expect("permit");
            tasks.spawn(async move {
                let body = payload(&id, n);
                let sends =
                    (0..copies).map(|_| sender.json(body.clone()).webhook_id(id.clone()).send());
                let results = join_all(sends.collect()).await;
                drop(permit);
                let acked = results
                    .iter()
                    .any(|r| r.as_ref().is_ok_and(|s| s.status == 200));
                let digest = results
                    .iter()
                    .find_map(|r| r.as_ref().ok())
                    .map(|s| hex(&Sha256::digest(&s.payload)));
                (id, acked, digest)
            });
        }
        let mut acked = HashSet::new();
        let mut digests = HashMap::new();
        while let Some(done) = tasks.join_next().await {
            let (id, ok, digest) = done.expect("send task");
            if ok {
                acked.insert(id.clone());
            }
            if let Some(digest) = digest {
                digests.insert(id, digest);
            }
        }
        (acked, digests)
    })
}

/// Polls every future together until all are done.
async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, future) in results.iter_mut().zip(pinned.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *slot = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:05}")).collect()
}

/// `journal stats --json` of the gateway's journal.
fn stats(dir: &std::path::Path) -> serde_json::Value {
    let output = gateway_support::bin()
        .args(["journal", "stats", "--json", "--journal"])
        .arg(dir.join("journal.db"))
        .output()
        .expect("journal stats");
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("stats JSON")
}

#[test]
fn python_and_node_verify_every_forward_with_their_own_libraries() {
    if !available() {
        return;
    }
    let dir = scratch("two-apps");
    let python = Downstream::start(App::Python, SECRET, &dir.join("python.jsonl"), &[]);
    let node = Downstream::start(App::Node, SECRET, &dir.join("node.jsonl"), &[]);
    // Two secrets (a rotation): the apps know only the second.
    let extra = format!(
        "secrets = [\"{OTHER_SECRET}\", \"{SECRET}\"]\n[[routes]]\nkinds = [\"ContactDelete\"]\ntarget = \"{}\"\n\
         [[routes]]\nkinds = [\"ContactTagUpdate\"]\ntarget = \"drop\"\n",
        node.url("contacts")
    );
    let toml = config(&dir, &python.url("hooks"), SECRET, "")
        .to_string_lossy()
        .into_owned();
    let text = std::fs::read_to_string(&toml)
        .expect("config")
        .replace(&format!("secrets = [\"{SECRET}\"]\n"), "")
        + &extra;
    std::fs::write(&toml, text).expect("config");
    // `RUST_LOG` replaces the default filter: every forward is logged.
    let gateway = Gateway::start(
        std::path::Path::new(&toml),
        &[("RUST_LOG", "info,ghl_webhook::commands::gateway=debug")],
    );
    let creates = ids("create", 20);
    let (acked, digests) = send(&gateway.url, &creates, |_| 1, 8, RetryPolicy::none());
    assert_eq!(acked.len(), 20);
    // ContactDelete and ContactTagUpdate, by their `type`.
    let sender = MockSender::new(gateway.url.as_str()).expect("sender");
    runtime().block_on(async {
        for n in 0..10 {
            let mut body = payload(&format!("delete-{n}"), n);
            body["type"] = "ContactDelete".into();
            assert_eq!(sender.json(body).send().await.expect("send").status, 200);
            let mut body = payload(&format!("tag-{n}"), n);
            body["type"] = "ContactTagUpdate".into();
            assert_eq!(sender.json(body).send().await.expect("send").status, 200);
        }
    });
    wait_for("every forward", Duration::from_secs(30), || {
        accepted(&python.records).len() == 20 && accepted(&node.records).len() == 10
    });
    wait_for(
        "the dropped kind to be done",
        Duration::from_secs(10),
        || stats(&dir)["done"] == 40,
    );
    for record in records(&python.records) {
        let id = record["id"].as_str().expect("id");
        assert_eq!(record["ok"], true, "{record}");
        assert_eq!(record["kind"], "ContactCreate");
        assert_eq!(record["attempt"], "1");
        assert_eq!(record["verified_by"], "ed25519:ghl-webhooks-test-key");
        assert_eq!(record["signatures"], 2, "one signature per secret");
        assert_eq!(
            record["sha256"].as_str(),
            digests.get(id).map(String::as_str),
            "the exact bytes"
        );
    }
    for record in records(&node.records) {
        assert_eq!(record["ok"], true, "{record}");
        assert_eq!(record["kind"], "ContactDelete");
        assert!(record["id"].as_str().expect("id").starts_with("delete-"));
    }
    let (status, ready) = gateway.readiness();
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["gateway"]["paused_targets"], serde_json::json!([]));
    assert!(
        gateway
            .metrics()
            .contains("ghl_gateway_dropped_total{kind=\"ContactTagUpdate\"} 10")
    );
    let (status, rest) = gateway.terminate();
    assert!(status.success(), "{rest}");
    assert!(rest.contains("stopped"), "{rest}");
    let forwards = rest
        .lines()
        .filter(|line| line.contains(r#""message":"delivered""#))
        .count();
    assert_eq!(forwards, 30, "one debug line per forward: {rest}");
}

#[test]
fn a_wrong_secret_is_rejected_retried_dead_lettered_then_replayed() {
    let Some(Rig {
        dir,
        app,
        settings: path,
    }) = rig(
        "wrong-secret",
        App::Python,
        &[],
        OTHER_SECRET,
        "max_attempts = 3\nbackoff = \"50ms\"\nmax_backoff = \"200ms\"\n",
    )
    else {
        return;
    };
    let gateway = Gateway::start(&path, &[]);
    let sent = ids("wrong", 5);
    let (acked, _) = send(&gateway.url, &sent, |_| 1, 5, RetryPolicy::none());
    assert_eq!(acked.len(), 5, "the edge acknowledges once journaled");
    wait_for("five dead letters", Duration::from_secs(30), || {
        stats(&dir)["dead"] == 5
    });
    let all = records(&app.records);
    assert_eq!(all.len(), 15, "three attempts each: {all:?}");
    assert!(all.iter().all(|r| r["ok"] == false && r["status"] == 401));
    assert!(accepted(&app.records).is_empty());
    // The right secret, from the environment over the file; replay the dead letters.
    gateway.terminate();
    let gateway = Gateway::start(&path, &[("GHL_GATEWAY_SECRETS", SECRET)]);
    let replay = gateway_support::bin()
        .args(["journal", "replay", "--dead", "--journal"])
        .arg(dir.join("journal.db"))
        .output()
        .expect("replay");
    assert!(replay.status.success(), "{replay:?}");
    wait_for("the replayed entries", Duration::from_secs(30), || {
        accepted(&app.records).len() == 5
    });
    assert_eq!(stats(&dir)["dead"], 0);
    drop(gateway);
}

#[test]
fn two_thousand_deliveries_with_duplicates_and_a_flaky_app_arrive_once_each() {
    let Some(Rig {
        dir: _,
        app,
        settings: path,
    }) = rig(
        "flaky",
        App::Node,
        &["--fail-ratio", "0.3"],
        SECRET,
        "concurrency = 32\nmax_attempts = 40\nbackoff = \"20ms\"\nmax_backoff = \"300ms\"\n",
    )
    else {
        return;
    };
    let gateway = Gateway::start(&path, &[]);
    let sent = ids("load", 2000);
    // 30% of the deliveries arrive two or three times at once (HighLevel's retries and
    // resends); HighLevel's retry policy, scaled to milliseconds, for any non-2xx.
    let started = Instant::now();
    let (acked, _) = send(
        &gateway.url,
        &sent,
        |n| if n % 10 < 3 { 2 + n % 2 } else { 1 },
        32,
        RetryPolicy::highlevel().time_scale(0.001),
    );
    assert_eq!(acked.len(), 2000, "every delivery acknowledged");
    wait_for(
        "every delivery to reach the app",
        Duration::from_secs(180),
        || accepted(&app.records).len() == 2000,
    );
    let accepted = accepted(&app.records);
    let expected: HashSet<String> = sent.into_iter().collect();
    let got: HashSet<String> = accepted.keys().cloned().collect();
    assert_eq!(got, expected);
    let twice: Vec<_> = accepted.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "accepted more than once: {twice:?}");
    let all = records(&app.records);
    assert!(
        all.iter().all(|r| r["ok"] == true),
        "every forward verifies"
    );
    let failed = all.iter().filter(|r| r["status"] == 500).count();
    assert!(
        failed > 300,
        "the app failed {failed} of {} requests",
        all.len()
    );
    eprintln!(
        "2,000 deliveries: {} requests to the app ({failed} failed on purpose), all accepted once, in {:?}",
        all.len(),
        started.elapsed()
    );
    drop(gateway);
}

#[test]
fn an_app_down_for_30_seconds_gets_everything_after() {
    let Some(Rig {
        dir: _,
        mut app,
        settings: path,
    }) = rig(
        "down",
        App::Python,
        &[],
        SECRET,
        "max_attempts = 100\nbackoff = \"100ms\"\nmax_backoff = \"2s\"\ntimeout = \"2s\"\nmax_pending_age = \"10s\"\n",
    )
    else {
        return;
    };
    let gateway = Gateway::start(&path, &[]);
    let before = ids("before", 100);
    send(&gateway.url, &before, |_| 1, 16, RetryPolicy::none());
    wait_for("the first hundred", Duration::from_secs(30), || {
        accepted(&app.records).len() == 100
    });
    app.stop();
    let down_at = Instant::now();
    let during = ids("during", 200);
    let (acked, _) = send(&gateway.url, &during, |_| 1, 16, RetryPolicy::none());
    assert_eq!(acked.len(), 200, "acknowledged while the app is down");
    // The backlog shows in the readiness figures and, once the journal gauges are read, in
    // the metrics; past max_pending_age the gateway says it is not ready.
    let (_, ready) = gateway.readiness();
    let backlog = ready["journal"]["pending"].as_u64().unwrap_or(0)
        + ready["journal"]["in_progress"].as_u64().unwrap_or(0);
    assert!(backlog > 0, "{ready}");
    wait_for(
        "the backlog in the metrics",
        Duration::from_secs(15),
        || {
            gateway.metrics().lines().any(|line| {
                line.starts_with("ghl_webhook_journal_entries{state=\"pending\"}")
                    && line
                        .rsplit(' ')
                        .next()
                        .and_then(|n| n.parse::<f64>().ok())
                        .is_some_and(|n| n > 0.0)
            })
        },
    );
    wait_for(
        "readiness to report the old backlog",
        Duration::from_secs(25),
        || gateway.readiness().0 == 503,
    );
    let remaining = Duration::from_secs(30).saturating_sub(down_at.elapsed());
    std::thread::sleep(remaining);
    app.restart();
    wait_for(
        "everything after the app is back",
        Duration::from_secs(60),
        || accepted(&app.records).len() == 300,
    );
    let accepted = accepted(&app.records);
    assert!(accepted.values().all(|n| *n == 1));
    wait_for("readiness back", Duration::from_secs(15), || {
        gateway.readiness().0 == 200
    });
    drop(gateway);
}

#[test]
fn a_gateway_killed_mid_run_loses_nothing_it_acknowledged() {
    let Some(Rig {
        dir: _,
        app,
        settings: path,
    }) = rig(
        "sigkill",
        App::Node,
        &[],
        SECRET,
        "backoff = \"50ms\"\nmax_backoff = \"500ms\"\n",
    )
    else {
        return;
    };
    let gateway = Gateway::start(&path, &[]);
    let url = gateway.url.clone();
    let first = ids("kill", 1500);
    let sending = std::thread::spawn(move || send(&url, &first, |_| 1, 8, RetryPolicy::none()));
    let records = app.records.clone();
    wait_for(
        "some forwards before the kill",
        Duration::from_secs(120),
        || accepted(&records).len() >= 100,
    );
    gateway.kill();
    let (acked, _) = sending.join().expect("sender");
    assert!(
        acked.len() >= 100 && acked.len() < 1500,
        "killed mid-run: {} acknowledged",
        acked.len()
    );
    let gateway = Gateway::start(&path, &[]);
    wait_for(
        "every acknowledged delivery after the restart",
        Duration::from_secs(60),
        || {
            let got = accepted(&records);
            acked.iter().all(|id| got.contains_key(id))
        },
    );
    eprintln!(
        "{} acknowledged before the SIGKILL; all reached the app",
        acked.len()
    );
    drop(gateway);
}

#[test]
fn gone_pauses_a_target_and_retry_after_is_honoured() {
    let Some(Rig {
        dir,
        mut app,
        settings: path,
    }) = rig(
        "gone",
        App::Python,
        &["--status", "410"],
        SECRET,
        "max_attempts = 2\nbackoff = \"50ms\"\nmax_backoff = \"100ms\"\npause_probe = \"1s\"\n",
    )
    else {
        return;
    };
    let gateway = Gateway::start(&path, &[]);
    let sent = ids("gone", 5);
    send(&gateway.url, &sent, |_| 1, 5, RetryPolicy::none());
    let target = app.url("hooks");
    wait_for("the target to be paused", Duration::from_secs(15), || {
        gateway.readiness().1["gateway"]["paused_targets"] == serde_json::json!([target])
    });
    assert!(gateway.metrics().contains(&format!(
        "ghl_gateway_target_paused{{target=\"{target}\"}} 1"
    )));
    // Held, never dead: more probes than max_attempts.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(stats(&dir)["dead"], 0);
    assert!(accepted(&app.records).is_empty());
    // The app is down for a while: probes that cannot connect keep the target paused, and
    // its entries held (never dead letters, whatever their attempts).
    app.stop();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(stats(&dir)["dead"], 0);
    assert_eq!(
        gateway.readiness().1["gateway"]["paused_targets"],
        serde_json::json!([target])
    );
    // The app is back (the same URL, answering 204): the next probe resumes the target.
    app.extra.clear();
    app.restart();
    wait_for("the held entries", Duration::from_secs(20), || {
        accepted(&app.records).len() == 5
    });
    wait_for("the target to resume", Duration::from_secs(5), || {
        gateway.readiness().1["gateway"]["paused_targets"] == serde_json::json!([])
    });
    assert_eq!(stats(&dir)["dead"], 0);
    // The held attempts were not counted: each entry arrives as its first attempt, with all
    // of its `max_attempts` still ahead of it.
    let delivered: Vec<serde_json::Value> = records(&app.records)
        .into_iter()
        .filter(|r| {
            r["ok"] == true
                && r["status"]
                    .as_u64()
                    .is_some_and(|s| (200..300).contains(&s))
        })
        .collect();
    assert_eq!(delivered.len(), 5);
    for record in &delivered {
        assert_eq!(record["attempt"], "1", "{record}");
    }
    drop(gateway);

    // 429 with Retry-After: 2 — the next attempt waits at least that, not the 50 ms backoff.
    let Some(Rig {
        dir,
        app,
        settings: path,
    }) = rig(
        "retry-after",
        App::Node,
        &["--status", "429", "--retry-after", "2"],
        SECRET,
        "max_attempts = 3\nbackoff = \"50ms\"\nmax_backoff = \"100ms\"\n",
    )
    else {
        return;
    };
    let gateway = Gateway::start(&path, &[]);
    send(&gateway.url, &ids("slow", 1), |_| 1, 1, RetryPolicy::none());
    wait_for("three attempts", Duration::from_secs(20), || {
        records(&app.records).len() >= 3
    });
    let times: Vec<f64> = records(&app.records)
        .iter()
        .filter_map(|r| r["t"].as_f64())
        .collect();
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] >= 1.9,
            "attempts {:.3} s apart: {times:?}",
            pair[1] - pair[0]
        );
    }
    wait_for("the dead letter", Duration::from_secs(10), || {
        stats(&dir)["dead"] == 1
    });
    drop(gateway);
}

#[test]
fn sigterm_hands_forwards_in_flight_back_to_the_journal() {
    let Some(Rig {
        dir,
        mut app,
        settings: path,
    }) = rig(
        "sigterm",
        App::Python,
        &["--delay", "30"],
        SECRET,
        "grace = \"1s\"\ntimeout = \"60s\"\n",
    )
    else {
        return;
    };
    let gateway = Gateway::start(&path, &[]);
    let sent = ids("term", 3);
    send(&gateway.url, &sent, |_| 1, 3, RetryPolicy::none());
    wait_for("three forwards in flight", Duration::from_secs(15), || {
        records(&app.records).len() == 3
    });
    let stopping = Instant::now();
    let (status, rest) = gateway.terminate();
    assert!(status.success(), "{rest}");
    assert!(
        stopping.elapsed() < Duration::from_secs(10),
        "stopped within the grace: {:?}",
        stopping.elapsed()
    );
    let after = stats(&dir);
    assert_eq!(after["pending"], 3, "handed back, not lost: {after}");
    assert_eq!(after["dead"], 0);
    // The app answers at once now; the next start forwards them again.
    app.stop();
    app.extra.clear();
    app.restart();
    let gateway = Gateway::start(&path, &[]);
    wait_for("the handed-back forwards", Duration::from_secs(20), || {
        records(&app.records).len() == 6
    });
    let retried = records(&app.records);
    assert!(
        retried[3..].iter().all(|r| r["attempt"] == "1"),
        "a handed-back attempt is not counted: {retried:?}"
    );
    wait_for("done", Duration::from_secs(10), || stats(&dir)["done"] == 3);
    drop(gateway);
}

#[test]
fn order_by_forwards_one_at_a_time_per_value_in_arrival_order() {
    let Some(Rig {
        dir: _,
        app,
        settings: path,
    }) = rig(
        "order",
        App::Node,
        &["--fail-ratio", "0.3"],
        SECRET,
        "order_by = \"locationId\"\nmax_attempts = 40\nbackoff = \"20ms\"\nmax_backoff = \"100ms\"\n",
    )
    else {
        return;
    };
    let gateway = Gateway::start(&path, &[]);
    // One at a time, so that the journal's arrival order is the ids' order; seven locations.
    let sent = ids("order", 70);
    send(&gateway.url, &sent, |_| 1, 1, RetryPolicy::none());
    wait_for("every delivery", Duration::from_secs(60), || {
        accepted(&app.records).len() == 70
    });
    let mut by_location: HashMap<usize, Vec<usize>> = HashMap::new();
    for record in records(&app.records) {
        let n: usize = record["id"]
            .as_str()
            .and_then(|id| id.strip_prefix("order-"))
            .and_then(|n| n.parse().ok())
            .expect("id");
        by_location.entry(n % 7).or_default().push(n);
    }
    for (location, seen) in by_location {
        // Every request (failed attempts included) of a location is for the earliest entry
        // not yet accepted: never a later one before it.
        assert!(
            seen.windows(2).all(|w| w[0] <= w[1]),
            "location {location}: {seen:?}"
        );
    }
    drop(gateway);
}

/// A private CA and a certificate for 127.0.0.1 signed by it, as PEM files in `dir`: the CA's
/// certificate, the app's certificate and the app's key.
fn private_ca(dir: &std::path::Path) -> [std::path::PathBuf; 3] {
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "ghl-webhooks TEST-ONLY CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca, rcgen::KeyPair::generate().expect("a key"))
        .expect("the CA");
    let app_key = rcgen::KeyPair::generate().expect("a key");
    let app = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .expect("app params")
        .signed_by(&app_key, &ca)
        .expect("the app's certificate");
    let paths = [dir.join("ca.pem"), dir.join("app.pem"), dir.join("app.key")];
    for (path, pem) in paths
        .iter()
        .zip([ca.as_ref().pem(), app.pem(), app_key.serialize_pem()])
    {
        std::fs::write(path, pem).expect("write a PEM file");
    }
    paths
}

#[test]
fn an_https_app_gets_every_forward_once_its_ca_is_trusted_and_none_before() {
    if !available() {
        return;
    }
    let dir = scratch("https");
    let [ca, cert, key] = private_ca(&dir);
    let (cert, key) = (cert.to_string_lossy(), key.to_string_lossy());
    let app = Downstream::start(
        App::Python,
        SECRET,
        &dir.join("python.jsonl"),
        &["--tls-cert", &cert, "--tls-key", &key],
    );
    assert!(app.url("hooks").starts_with("https://127.0.0.1:"));

    // The public roots alone: the app's certificate is refused, no request is sent, and the
    // deliveries end as dead letters after their attempts.
    let settings = config(
        &dir,
        &app.url("hooks"),
        SECRET,
        "max_attempts = 2\nbackoff = \"50ms\"\nmax_backoff = \"100ms\"\n",
    );
    let gateway = Gateway::start(&settings, &[]);
    let (acked, _) = send(
        &gateway.url,
        &ids("untrusted", 3),
        |_| 1,
        3,
        RetryPolicy::none(),
    );
    assert_eq!(acked.len(), 3, "the edge acknowledges once journaled");
    wait_for("three dead letters", Duration::from_secs(30), || {
        stats(&dir)["dead"] == 3
    });
    let (_, log) = gateway.terminate();
    assert!(log.contains("UnknownIssuer"), "the log says why: {log}");
    assert!(records(&app.records).is_empty(), "nothing got through");

    // With the CA in `tls_ca_file`: every forward arrives over https, verified, exact.
    let settings = config(
        &dir,
        &app.url("hooks"),
        SECRET,
        &format!("tls_ca_file = \"{}\"\n", ca.display()),
    );
    let gateway = Gateway::start(&settings, &[]);
    let sent = ids("trusted", 10);
    let (acked, digests) = send(&gateway.url, &sent, |_| 1, 5, RetryPolicy::none());
    assert_eq!(acked.len(), 10);
    wait_for("ten forwards over https", Duration::from_secs(30), || {
        accepted(&app.records).len() == 10
    });
    for record in records(&app.records) {
        let id = record["id"].as_str().expect("id");
        assert_eq!(record["ok"], true, "{record}");
        assert_eq!(
            record["sha256"].as_str(),
            digests.get(id).map(String::as_str),
            "the exact bytes"
        );
    }
    drop(gateway);
}
