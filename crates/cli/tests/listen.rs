//! `listen` driven by `trigger`, end to end over loopback, both as real processes: every
//! delivery is answered and printed as it happens, and SIGTERM stops the receiver cleanly.

mod common;

use std::time::Duration;

use common::{Listener, run, scratch, test_key, trigger, write};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ghl_webhook_test_support::TestKeys;
use serde_json::Value;

/// SIGTERM stops the receiver, successfully and in bounded time.
#[track_caller]
fn stop(listener: Listener) {
    let (status, took, stderr) = listener.terminate();
    assert!(
        status.success(),
        "listen exited with {status}; stderr: {stderr}"
    );
    assert!(stderr.contains("SIGTERM: stopping"), "{stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn json_lines_carry_the_decoded_event_of_each_delivery() {
    let listener = Listener::start(&["--test-keys", "--json"]);

    let sent = trigger(
        "ContactCreate",
        &listener.url,
        &[
            "--set",
            "email=jo@example.com",
            "--set",
            "dnd=false",
            "--set",
            "customFields.0.value=Acme",
        ],
    );
    sent.expect_code(0);
    assert_eq!(sent.stdout, "200 OK  handled\n");
    let line = listener.next_json();
    assert_eq!(line["status"], 200);
    assert_eq!(line["kind"], "ContactCreate");
    assert_eq!(line["message"], "handled");
    assert!(
        line["webhookId"].as_str().is_some_and(|id| id.len() == 36),
        "{line}"
    );
    let event = &line["event"];
    assert_eq!(event["id"], "nmFmQEsNgz6AVpgLVUJ0", "the built-in fixture");
    assert_eq!(event["email"], "jo@example.com");
    assert_eq!(event["dnd"], false);
    assert_eq!(event["customFields"][0]["value"], "Acme");
    assert!(line.get("error").is_none());

    stop(listener);
}

#[test]
fn route_bound_kinds_are_identified_only_on_their_route() {
    let listener = Listener::start(&["--test-keys", "--json"]);

    let unbound = trigger("AssociationDelete", &listener.url, &[]);
    unbound.expect_code(0).expect_stderr("--bound");
    let line = listener.next_json();
    assert_eq!(line["status"], 200);
    assert_eq!(line["kind"], Value::Null, "no `type`: unknown on POST /");
    assert_eq!(line["event"]["raw"]["id"], "67ade73d1119d2ac7ad0c475");

    let bound = trigger("AssociationDelete", &listener.url, &["--bound"]);
    bound.expect_code(0).expect_stderr("/AssociationDelete");
    let line = listener.next_json();
    assert_eq!(line["kind"], "AssociationDelete");
    assert_eq!(line["event"]["id"], "67ade73d1119d2ac7ad0c475");
    assert_eq!(line["event"]["key"], "buyer_property_interest");

    stop(listener);
}

#[test]
fn rsa_tampered_unsigned_and_repeated_deliveries_each_get_their_line() {
    let listener = Listener::start(&["--test-keys", "--json"]);

    // Legacy RSA only (X-WH-Signature): accepted with the RSA test key.
    trigger("OpportunityCreate", &listener.url, &["--scheme", "rsa"]).expect_code(0);
    let line = listener.next_json();
    assert_eq!(
        (line["status"].as_u64(), line["kind"].as_str()),
        (Some(200), Some("OpportunityCreate"))
    );

    // Both headers.
    trigger("TaskCreate", &listener.url, &["--scheme", "both"]).expect_code(0);
    assert_eq!(listener.next_json()["kind"], "TaskCreate");

    // Tampered: 401, trigger exits 1 and prints the status and the reason.
    let tampered = trigger("ContactCreate", &listener.url, &["--tamper"]);
    tampered.expect_code(1);
    assert!(
        tampered
            .stdout
            .starts_with("401 Unauthorized  invalid signature"),
        "{}",
        tampered.stdout
    );
    let line = listener.next_json();
    assert_eq!(line["status"], 401);
    assert_eq!(line["kind"], Value::Null);
    assert!(
        line["error"]
            .as_str()
            .is_some_and(|e| e.contains("does not verify")),
        "{line}"
    );
    assert!(line.get("event").is_none());

    // Tampered RSA.
    trigger(
        "ContactCreate",
        &listener.url,
        &["--tamper", "--scheme", "rsa"],
    )
    .expect_code(1);
    let line = listener.next_json();
    assert_eq!(line["status"], 401);
    assert!(
        line["error"]
            .as_str()
            .is_some_and(|e| e.contains("X-WH-Signature")),
        "{line}"
    );

    // Unsigned.
    trigger("ContactCreate", &listener.url, &["--scheme", "none"]).expect_code(1);
    let line = listener.next_json();
    assert!(
        line["error"]
            .as_str()
            .is_some_and(|e| e.contains("missing")),
        "{line}"
    );

    // --repeat: the same webhookId, the duplicate acknowledged without a second dispatch.
    let repeated = trigger("NoteCreate", &listener.url, &["--repeat", "3"]);
    repeated.expect_code(0);
    let answers: Vec<&str> = repeated.stdout.lines().collect();
    assert_eq!(
        answers,
        [
            "[1/3] 200 OK  handled",
            "[2/3] 200 OK  duplicate: already handled",
            "[3/3] 200 OK  duplicate: already handled"
        ]
    );
    let lines = [
        listener.next_json(),
        listener.next_json(),
        listener.next_json(),
    ];
    assert!(lines[0]["webhookId"].is_string());
    assert!(
        lines
            .iter()
            .all(|l| l["webhookId"] == lines[0]["webhookId"])
    );
    assert_eq!(lines[1]["message"], "duplicate: already handled");

    stop(listener);
}

#[test]
fn a_fixture_file_is_sent_with_the_sets_applied() {
    let dir = scratch("fixture_file");
    let fixture = write(
        &dir,
        "note.json",
        r#"{"type":"NoteCreate","id":"n-1","body":"hi","contactId":"c-1","webhookId":"fixed-id"}"#,
    );
    let listener = Listener::start(&["--test-keys", "--json"]);
    trigger(
        "NoteCreate",
        &listener.url,
        &["--fixture", &fixture, "--set", "body=changed"],
    )
    .expect_code(0);
    let line = listener.next_json();
    assert_eq!(line["kind"], "NoteCreate");
    assert_eq!(line["webhookId"], "fixed-id", "a file's webhookId is kept");
    assert_eq!(line["event"]["body"], "changed");
    assert_eq!(line["event"]["id"], "n-1");
    stop(listener);
}

#[test]
fn an_undecodable_delivery_prints_the_decode_error_with_its_path() {
    let listener = Listener::start(&["--test-keys", "--json"]);
    trigger("ContactDelete", &listener.url, &["--set", "id=null"]).expect_code(0);
    let line = listener.next_json();
    assert_eq!(line["status"], 200, "undecodable payloads are acknowledged");
    assert_eq!(line["kind"], "ContactDelete");
    assert!(line.get("event").is_none(), "{line}");
    let error = line["error"].as_str().unwrap_or_default();
    assert!(error.starts_with("undecodable payload"), "{line}");
    assert!(error.contains("id"), "the error names the path: {line}");
    stop(listener);
}

#[test]
fn by_default_only_highlevel_keys_are_trusted_and_lines_are_plain() {
    let listener = Listener::start(&[]);
    // Signed with the test key: HighLevel's key does not verify it.
    let sent = trigger("ContactCreate", &listener.url, &[]);
    sent.expect_code(1).expect_stdout("401 Unauthorized");
    let line = listener.next_line();
    assert!(line.starts_with("401 - - invalid signature: "), "{line}");
    stop(listener);
}

#[test]
fn plain_lines_show_status_kind_webhook_id_and_outcome() {
    let listener = Listener::start(&["--test-keys"]);
    trigger(
        "ContactDelete",
        &listener.url,
        &["--set", "webhookId=wh-plain"],
    )
    .expect_code(0);
    assert_eq!(listener.next_line(), "200 ContactDelete wh-plain handled");
    stop(listener);
}

#[test]
fn keys_brought_by_the_user_sign_and_verify_end_to_end() {
    let dir = scratch("own_keys");
    let other = TestKeys::other();
    let private = other
        .signing_key()
        .to_pkcs8_pem(LineEnding::LF)
        .expect("pem");
    let ed_private = write(&dir, "ed-private.pem", private.as_bytes());
    let ed_public = write(&dir, "ed-public.pem", other.public_key_pem());
    let rsa_private = test_key("rsa2048-other-test-private.pem");
    let rsa_public = test_key("rsa2048-other-test-public.pem");

    let listener = Listener::start(&["--key", &ed_public, "--rsa-key", &rsa_public, "--json"]);
    trigger("ContactCreate", &listener.url, &["--key", &ed_private]).expect_code(0);
    assert_eq!(listener.next_json()["status"], 200);
    trigger("ContactCreate", &listener.url, &["--key", &rsa_private]).expect_code(0);
    assert_eq!(
        listener.next_json()["status"],
        200,
        "scheme rsa, from the key"
    );
    trigger(
        "ContactCreate",
        &listener.url,
        &[
            "--key",
            &ed_private,
            "--key",
            &rsa_private,
            "--scheme",
            "both",
        ],
    )
    .expect_code(0);
    assert_eq!(listener.next_json()["status"], 200);
    // The test keys are not trusted here.
    trigger("ContactCreate", &listener.url, &[]).expect_code(1);
    assert_eq!(listener.next_json()["status"], 401);
    trigger("ContactCreate", &listener.url, &["--scheme", "rsa"]).expect_code(1);
    assert_eq!(listener.next_json()["status"], 401);
    stop(listener);
}

#[test]
fn listen_refuses_unusable_arguments_and_busy_addresses() {
    let dir = scratch("listen_refuses");
    let garbage = write(&dir, "garbage.pem", "not a key");
    let ed = test_key("ed25519-test-public.pem");
    let rsa = test_key("rsa4096-test-public.pem");
    let cases: [(Vec<&str>, &str); 6] = [
        (vec!["--addr", "nonsense"], "expected HOST:PORT"),
        (vec!["--addr", "127.0.0.1:99999"], "expected HOST:PORT"),
        (
            vec!["--addr", "127.0.0.1:0", "--key", &rsa],
            "pass it with --rsa-key",
        ),
        (
            vec!["--addr", "127.0.0.1:0", "--rsa-key", &ed],
            "pass it with --key",
        ),
        (
            vec!["--addr", "127.0.0.1:0", "--key", &garbage],
            "unrecognised Ed25519 key format",
        ),
        (
            vec!["--addr", "127.0.0.1:0", "--key", "/nonexistent.pem"],
            "cannot read",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["listen"];
        all.extend(args);
        run(&all, None).expect_code(2).expect_stderr(message);
    }
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("addr").to_string();
    run(&["listen", "--addr", &addr], None)
        .expect_code(3)
        .expect_stderr("cannot listen on");
}

/// `GET {base}{path}` over one plain HTTP/1.1 connection: status, content type, body.
fn http_get(base: &str, path: &str) -> (u16, String, String) {
    use std::io::{Read, Write};
    let host = base.strip_prefix("http://").unwrap_or(base);
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(common::WAIT))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let content_type = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    (status, content_type, body.to_owned())
}

/// The value of the series `name{labels}` in Prometheus text (0 when it is not there).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    ghl_webhook_testkit::prometheus::Exposition::parse(text)
        .expect("/metrics serves valid exposition text")
        .value(name, labels)
}

/// The base URL of `--metrics` from its note (`http://HOST:PORT/metrics (...)`).
fn metrics_base(listener: &Listener) -> String {
    let note = listener.note("metrics on ");
    note.split_once("/metrics")
        .map(|(base, _)| base.to_owned())
        .unwrap_or_else(|| panic!("unexpected note: {note}"))
}

#[test]
fn metrics_count_deliveries_and_refused_signatures_and_readyz_answers_json() {
    let listener = Listener::start(&["--test-keys", "--metrics", "127.0.0.1:0"]);
    let base = metrics_base(&listener);
    assert_ne!(base, listener.url, "an address of its own");

    trigger("ContactCreate", &listener.url, &[]).expect_code(0);
    listener.next_line();
    trigger("ContactCreate", &listener.url, &["--tamper"]).expect_code(1);
    listener.next_line();
    trigger("ContactCreate", &listener.url, &["--scheme", "none"]).expect_code(1);
    listener.next_line();

    let (status, content_type, text) = http_get(&base, "/metrics");
    assert_eq!(status, 200, "{text}");
    assert_eq!(content_type, "text/plain; version=0.0.4");
    let delivered = |kind: &str, outcome: &str| {
        sample(
            &text,
            "ghl_webhook_deliveries_total",
            &[("kind", kind), ("outcome", outcome)],
        )
    };
    assert_eq!(delivered("ContactCreate", "handled"), 1.0, "{text}");
    assert_eq!(delivered("none", "invalid_signature"), 2.0, "{text}");
    let rejected = |reason: &str| {
        sample(
            &text,
            "ghl_webhook_signature_rejections_total",
            &[("reason", reason)],
        )
    };
    assert_eq!(rejected("signature_mismatch"), 1.0, "{text}");
    assert_eq!(rejected("signature_missing"), 1.0, "{text}");
    assert!(
        text.contains("# TYPE ghl_webhook_verify_seconds histogram"),
        "{text}"
    );

    let (status, content_type, body) = http_get(&base, "/readyz");
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    let ready: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(
        ready["highlevel"]["answers"], 1,
        "refused signatures are not HighLevel's answers: {ready}"
    );
    let (status, _, body) = http_get(&base, "/livez");
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("JSON")["status"],
        "live"
    );
    assert_eq!(http_get(&base, "/elsewhere").0, 404);
    stop(listener);
}

#[test]
fn durable_metrics_show_the_journal_and_the_workers() {
    let dir = scratch("durable_metrics");
    let journal = dir.join("journal.db").to_string_lossy().into_owned();
    let listener = Listener::start(&[
        "--test-keys",
        "--journal",
        &journal,
        "--metrics",
        "127.0.0.1:0",
    ]);
    let base = metrics_base(&listener);
    trigger("ContactCreate", &listener.url, &[]).expect_code(0);
    // The edge's line and the worker's come in either order.
    let lines = listener.next_lines_sorted(2);
    assert!(
        lines.iter().any(|l| l.ends_with("accepted: journaled"))
            && lines.iter().any(|l| l.ends_with("handled")),
        "{lines:?}"
    );

    // The handled line is printed by the handler, before its worker settles the entry: wait
    // (bounded) for the settle. Readiness reads the journal, and records its gauges as it does.
    let deadline = std::time::Instant::now() + common::WAIT;
    let (ready, text) = loop {
        let (status, _, body) = http_get(&base, "/readyz");
        let ready: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(status, 200, "{ready}");
        let (_, _, text) = http_get(&base, "/metrics");
        let completed = sample(
            &text,
            "ghl_webhook_worker_attempts_total",
            &[("kind", "ContactCreate"), ("result", "completed")],
        );
        if ready["journal"]["done"] == 1 && completed == 1.0 {
            break (ready, text);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never settled: {ready}\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(ready["journal"]["reachable"], true, "{ready}");
    assert_eq!(ready["dedupe"]["store"], "journal", "{ready}");
    let journaled = sample(
        &text,
        "ghl_webhook_deliveries_total",
        &[("kind", "ContactCreate"), ("outcome", "journaled")],
    );
    assert_eq!(journaled, 1.0, "{text}");
    let done = sample(&text, "ghl_webhook_journal_entries", &[("state", "done")]);
    assert_eq!(done, 1.0, "{text}");
    stop(listener);
}

#[test]
fn listen_refuses_a_bad_or_busy_metrics_address() {
    run(
        &["listen", "--addr", "127.0.0.1:0", "--metrics", "nonsense"],
        None,
    )
    .expect_code(2)
    .expect_stderr("--metrics `nonsense`: expected HOST:PORT");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("addr").to_string();
    run(
        &["listen", "--addr", "127.0.0.1:0", "--metrics", &addr],
        None,
    )
    .expect_code(3)
    .expect_stderr(&format!("cannot listen on {addr} (--metrics)"));
}
