//! `ghl-webhook simulate`: the control API server as a real child process, delivering to a
//! real `ghl-webhook listen`; bad input to every endpoint and flag; scenario mode's verdict
//! and exit code.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use common::{Guard, Listener, WAIT, bin, closed_port, run, scratch, test_key, write};
use serde_json::{Value, json};

/// A running `ghl-webhook simulate`, killed when dropped.
struct Sim {
    child: Guard,
    addr: String,
    stderr: Receiver<String>,
}

impl Sim {
    fn start(args: &[&str]) -> Sim {
        let mut child = Guard(
            bin()
                .args(["simulate", "--addr", "127.0.0.1:0"])
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn ghl-webhook simulate"),
        );
        let (send, stderr) = mpsc::channel();
        let pipe = child.0.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let first = stderr.recv_timeout(WAIT).expect("simulate printed nothing");
        let addr = first
            .strip_prefix("simulating on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {first}"))
            .to_owned();
        Sim {
            child,
            addr,
            stderr,
        }
    }

    /// One request to the control API: the status and the JSON body.
    fn call(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        let (status, text) = http(&self.addr, method, path, body.as_bytes());
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text}"));
        (status, value)
    }

    /// A request that must succeed with `expected`.
    #[track_caller]
    fn ok(&self, method: &str, path: &str, body: Value, expected: u16) -> Value {
        let (status, value) = self.call(method, path, &body.to_string());
        assert_eq!(status, expected, "{method} {path}: {value}");
        value
    }

    /// Polls `GET /api/deliveries/ID` until `done` holds.
    #[track_caller]
    fn wait_delivery(&self, id: u64, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let (_, d) = self.call("GET", &format!("/api/deliveries/{id}"), "");
            if done(&d) {
                return d;
            }
            assert!(
                Instant::now() < deadline,
                "delivery {id} never got there: {d}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn terminate(mut self) -> Option<i32> {
        let pid = self.child.0.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.0.try_wait().expect("try_wait") {
                while let Ok(line) = self.stderr.recv_timeout(Duration::from_millis(200)) {
                    let _ = line;
                }
                return status.code();
            }
            assert!(Instant::now() < deadline, "simulate ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A minimal HTTP/1.1 exchange over a fresh connection (`Connection: close`).
fn http(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to the control API");
    stream.set_read_timeout(Some(WAIT)).expect("timeout");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("write");
    // A body over the limit may be refused before it is all read: a reset is fine then.
    let _ = stream.write_all(body);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"));
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, body.to_owned())
}

#[test]
fn the_server_delivers_an_event_to_a_receiver_and_logs_its_attempts() {
    let receiver = Listener::start(&["--test-keys"]);
    let dir = scratch("simulate-serve");
    let config = json!({
        "webhook_url": format!("{}/", receiver.url),
        "subscriptions": [{"event": "ContactCreate"}, {"event": "AssociationDelete",
                           "url": format!("{}/AssociationDelete", receiver.url)}],
        "time_scale": 0.001,
    });
    let config = write(&dir, "config.json", config.to_string());
    let sim = Sim::start(&["--config", &config]);

    let sent = sim.ok(
        "POST",
        "/api/events",
        json!({"event": "ContactCreate", "set": ["email=jo@example.com"]}),
        202,
    );
    let id = sent["deliveries"][0]["id"].as_u64().expect("id");
    let line = receiver.next_line();
    assert!(line.starts_with("200 ContactCreate "), "{line}");
    let d = sim.wait_delivery(id, |d| d["state"] == "succeeded");
    assert_eq!(d["attempts"][0]["status"], 200);
    assert!(d["body"].as_str().expect("body").contains("jo@example.com"));

    // A typeless event to its own URL, bound to its kind there.
    sim.ok(
        "POST",
        "/api/events",
        json!({"event": "AssociationDelete"}),
        202,
    );
    let line = receiver.next_line();
    assert!(line.starts_with("200 AssociationDelete "), "{line}");

    let settings = sim.ok("GET", "/api/settings", json!(null), 200);
    assert_eq!(settings["time_scale"], 0.001);
    let breaker = sim.ok("GET", "/api/breaker", json!(null), 200);
    assert_eq!(breaker["urls"][0]["state"], "healthy");
    let (status, page) = http(&sim.addr, "GET", "/", b"");
    assert_eq!(status, 200);
    assert!(page.contains("Webhook Logs"), "{page:.200}");
    let log = sim.ok("GET", "/api/deliveries", json!(null), 200);
    assert_eq!(log["deliveries"].as_array().expect("array").len(), 2);
    sim.ok("DELETE", "/api/deliveries", json!(null), 200);
    let log = sim.ok("GET", "/api/deliveries", json!(null), 200);
    assert_eq!(log["deliveries"], json!([]));
    assert_eq!(sim.terminate(), Some(0));
}

#[test]
fn the_control_api_answers_bad_input_with_a_json_error_and_keeps_running() {
    let port = closed_port();
    let dir = scratch("simulate-bad-input");
    let config = json!({
        "webhook_url": format!("http://127.0.0.1:{port}/"),
        "subscriptions": [{"event": "ContactCreate"}],
        "retry_policy": "none",
    });
    let sim = Sim::start(&["--config", &write(&dir, "config.json", config.to_string())]);
    // One failed delivery, to resend.
    sim.ok(
        "POST",
        "/api/events",
        json!({"event": "ContactCreate"}),
        202,
    );
    sim.wait_delivery(1, |d| d["state"] == "failed");

    let huge = format!(
        r#"{{"event": "ContactCreate", "payload": {{"x": "{}"}}}}"#,
        "a".repeat(2 << 20)
    );
    let cases: &[(&str, &str, &str, u16, &str)] = &[
        (
            "PUT",
            "/api/settings",
            r#"{"webhook_url": "http://example.com/"}"#,
            400,
            "not a loopback address",
        ),
        (
            "PUT",
            "/api/settings",
            r#"{"webhook_url": 5}"#,
            400,
            "invalid type",
        ),
        ("PUT", "/api/settings", "", 400, "body is empty"),
        (
            "PUT",
            "/api/settings",
            r#"{"webhook_url": "ftp://127.0.0.1/"}"#,
            400,
            "http:// URL",
        ),
        (
            "PUT",
            "/api/subscriptions",
            r#"{"event": "ContactCreate"}"#,
            400,
            "invalid type",
        ),
        (
            "PUT",
            "/api/subscriptions",
            r#"[{"event": "Nope"}]"#,
            400,
            "`Nope` is not a HighLevel event name",
        ),
        (
            "POST",
            "/api/subscriptions",
            r#"{"event": "ContactCreate", "extra": 1}"#,
            400,
            "unknown field",
        ),
        (
            "POST",
            "/api/subscriptions",
            r#"{"event": "ContactCreate", "url": "http://10.0.0.1/"}"#,
            400,
            "loopback",
        ),
        (
            "DELETE",
            "/api/subscriptions/Nope",
            "",
            400,
            "not a HighLevel event name",
        ),
        (
            "DELETE",
            "/api/subscriptions/NoteCreate",
            "",
            404,
            "not subscribed",
        ),
        (
            "POST",
            "/api/events",
            r#"{"event": "Nope"}"#,
            400,
            "`Nope` is not a HighLevel event name",
        ),
        (
            "POST",
            "/api/events",
            r#"{"event": "contactcreate"}"#,
            400,
            "case-sensitive",
        ),
        (
            "POST",
            "/api/events",
            r#"{"event": "ContactCreate", "payload": [1]}"#,
            400,
            "must be a JSON object",
        ),
        (
            "POST",
            "/api/events",
            r#"{"event": "ContactCreate", "set": ["email"]}"#,
            400,
            "PATH=VALUE",
        ),
        (
            "POST",
            "/api/events",
            r#"{"event": "ContactCreate", "set": "email=x"}"#,
            400,
            "invalid type",
        ),
        (
            "POST",
            "/api/events",
            r#"{"event": "NoteCreate"}"#,
            409,
            "not subscribed",
        ),
        (
            "POST",
            "/api/events",
            r#"{"event": "Contact"#,
            400,
            "EOF while parsing",
        ),
        ("POST", "/api/events", "not json", 400, "expected"),
        ("POST", "/api/events", "{}", 400, "missing field `event`"),
        ("POST", "/api/events", &huge, 413, "over 1048576 bytes"),
        ("GET", "/api/deliveries/0", "", 404, "no delivery 0"),
        (
            "GET",
            "/api/deliveries/-1",
            "",
            400,
            "not a delivery number",
        ),
        (
            "GET",
            "/api/deliveries/99999999999999999999999",
            "",
            400,
            "not a delivery number",
        ),
        (
            "POST",
            "/api/deliveries/1/resend",
            r#"{"attempt": "x"}"#,
            400,
            "invalid type",
        ),
        (
            "POST",
            "/api/deliveries/1/resend",
            r#"{"attempt": 5}"#,
            409,
            "only the latest failed attempt",
        ),
        (
            "POST",
            "/api/deliveries/42/resend",
            "",
            404,
            "no delivery 42",
        ),
        (
            "POST",
            "/api/breaker/reset",
            r#"{"url": 3}"#,
            400,
            "invalid type",
        ),
        ("GET", "/api/nothing", "", 404, "no such path"),
        ("DELETE", "/", "", 405, "GET only"),
        ("PATCH", "/api/events", "", 405, "POST only"),
        ("POST", "/api/breaker", "", 405, "GET only"),
    ];
    for (method, path, body, status, message) in cases {
        let (got, value) = sim.call(method, path, body);
        let error = value["error"].as_str().unwrap_or_default();
        assert_eq!(got, *status, "{method} {path} {body:.80}: {value}");
        assert!(
            error.contains(message),
            "{method} {path}: {error:?} lacks {message:?}"
        );
    }
    // Resend of the failed delivery is accepted (and fails again, with its reason).
    let resent = sim.ok(
        "POST",
        "/api/deliveries/1/resend",
        json!({"attempt": 1}),
        200,
    );
    assert_eq!(resent["attempt"]["ok"], false);
    assert!(
        resent["attempt"]["error"]
            .as_str()
            .expect("error")
            .contains("no answer from")
    );
    // Still running, settings unchanged by the refused requests.
    let settings = sim.ok("GET", "/api/settings", json!(null), 200);
    assert_eq!(settings["webhook_url"], format!("http://127.0.0.1:{port}/"));
    assert_eq!(sim.terminate(), Some(0));
}

#[test]
fn unreachable_and_hanging_urls_are_logged_with_a_clear_reason() {
    // Accepts connections (the kernel's backlog) and never answers.
    let hanging = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let hanging_addr = hanging.local_addr().expect("addr");
    let port = closed_port();
    let dir = scratch("simulate-unreachable");
    let config = json!({
        "webhook_url": format!("http://127.0.0.1:{port}/"),
        "subscriptions": [{"event": "ContactCreate"},
                          {"event": "NoteCreate", "url": format!("http://{hanging_addr}/")}],
        "retry_policy": "none",
        "attempt_timeout_ms": 300,
    });
    let sim = Sim::start(&["--config", &write(&dir, "config.json", config.to_string())]);
    sim.ok(
        "POST",
        "/api/events",
        json!({"event": "ContactCreate"}),
        202,
    );
    sim.ok("POST", "/api/events", json!({"event": "NoteCreate"}), 202);
    let refused = sim.wait_delivery(1, |d| d["state"] == "failed");
    let error = refused["attempts"][0]["error"].as_str().expect("error");
    assert!(
        error.contains("no answer from") && error.contains("onnect"),
        "{error}"
    );
    let hung = sim.wait_delivery(2, |d| d["state"] == "failed");
    let error = hung["attempts"][0]["error"].as_str().expect("error");
    assert!(error.contains("no answer within 300 ms"), "{error}");
    assert_eq!(hung["attempts"][0]["status"], Value::Null);
    drop(hanging);
    assert_eq!(sim.terminate(), Some(0));
}

#[test]
fn bad_flags_and_files_exit_2_with_a_message() {
    let dir = scratch("simulate-flags");
    let bad_json = write(&dir, "bad.json", "{ nope");
    let remote = write(
        &dir,
        "remote.json",
        r#"{"webhook_url": "http://example.com/"}"#,
    );
    let typo = write(
        &dir,
        "typo.json",
        r#"{"webhook_ulr": "http://127.0.0.1:1/"}"#,
    );
    let scale = write(&dir, "scale.json", r#"{"time_scale": 0}"#);
    let scenario_bad = write(&dir, "scenario-bad.json", r#"{"events": {"Nope": 1}}"#);
    let scenario = write(&dir, "scenario.json", r#"{"events": {"ContactCreate": 1}}"#);
    let missing = dir.join("missing.json").to_string_lossy().into_owned();
    let public = test_key("ed25519-test-public.pem");
    let cases: &[(&[&str], &str)] = &[
        (&["--addr", "nonsense"], "not an IP:PORT address"),
        (&["--addr", "0.0.0.0:0"], "not a loopback address"),
        (
            &["--addr", "127.0.0.1:0", "--config", &missing],
            "cannot read",
        ),
        (
            &["--addr", "127.0.0.1:0", "--config", &bad_json],
            "is not a simulator config",
        ),
        (
            &["--addr", "127.0.0.1:0", "--config", &typo],
            "unknown field `webhook_ulr`",
        ),
        (
            &["--addr", "127.0.0.1:0", "--config", &remote],
            "not a loopback address",
        ),
        (
            &["--addr", "127.0.0.1:0", "--config", &scale],
            "`time_scale` is 0",
        ),
        (
            &["--addr", "127.0.0.1:0", "--key", &public],
            "this is a public key",
        ),
        (&["--scenario", &scenario], "--to <URL>"),
        (&["--to", "http://127.0.0.1:1/"], "--scenario <FILE>"),
        (
            &["--scenario", &scenario_bad, "--to", "http://127.0.0.1:1/"],
            "`Nope` is not a HighLevel event name",
        ),
        (
            &["--scenario", &missing, "--to", "http://127.0.0.1:1/"],
            "cannot read",
        ),
        (
            &["--scenario", &scenario, "--to", "http://example.com/"],
            "not a loopback address",
        ),
        (
            &["--scenario", &scenario, "--to", "not a url"],
            "not an absolute http:// URL",
        ),
        (
            &[
                "--scenario",
                &scenario,
                "--to",
                "http://127.0.0.1:1/",
                "--addr",
                "127.0.0.1:0",
            ],
            "cannot be used with",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["simulate"];
        all.extend_from_slice(args);
        run(&all, None).expect_code(2).expect_stderr(message);
    }
}

#[test]
fn remote_urls_are_accepted_with_allow_remote_and_a_busy_address_exits_3() {
    let dir = scratch("simulate-remote");
    let remote = write(
        &dir,
        "remote.json",
        r#"{"webhook_url": "http://example.com/"}"#,
    );
    let sim = Sim::start(&["--config", &remote, "--allow-remote"]);
    let settings = sim.ok("GET", "/api/settings", json!(null), 200);
    assert_eq!(settings["allow_remote"], true);
    // An RSA key signs the legacy X-WH-Signature.
    let rsa = Sim::start(&["--key", &test_key("rsa4096-test-private.pem")]);
    let settings = rsa.ok("GET", "/api/settings", json!(null), 200);
    assert_eq!(settings["signing"], "rsa");
    assert_eq!(rsa.terminate(), Some(0));
    let busy = sim.addr.clone();
    run(&["simulate", "--addr", &busy], None)
        .expect_code(3)
        .expect_stderr("cannot listen on");
    assert_eq!(sim.terminate(), Some(0));
}

#[test]
fn a_scenario_against_a_healthy_receiver_is_ok_and_exits_0() {
    let receiver = Listener::start(&["--test-keys"]);
    let dir = scratch("simulate-scenario-ok");
    let scenario = json!({
        "rate_per_sec": 100, "duration_secs": 1.5,
        "events": {"ContactCreate": 3, "OpportunityCreate": 1},
        "pairing_ratio": 1.0, "duplicate_ratio": 0.05,
        "breaker": {"min_deliveries": 20},
    });
    let file = write(&dir, "scenario.json", scenario.to_string());
    let to = format!("{}/", receiver.url);
    let out = run(
        &["simulate", "--scenario", &file, "--to", &to, "--json"],
        None,
    );
    out.expect_code(0);
    let report: Value = serde_json::from_str(out.stdout.trim()).expect("one JSON report");
    assert_eq!(report["verdict"], "ok", "{report}");
    assert!(
        report["deliveries"].as_u64().expect("deliveries") >= 150,
        "{report}"
    );
    assert_eq!(report["first_attempt_success_rate"], 1.0);
    assert_eq!(report["success_rate"], 1.0);
    assert_eq!(report["retries_exhausted"], 0);
    assert_eq!(report["attempts"], report["deliveries"]);
}

#[test]
fn a_scenario_against_a_dead_receiver_is_paused_and_exits_1() {
    let port = closed_port();
    let dir = scratch("simulate-scenario-paused");
    let scenario = json!({
        "rate_per_sec": 200, "duration_secs": 1.5,
        "events": {"ContactCreate": 1},
        "retry_policy": "none",
        "breaker": {"min_deliveries": 20},
    });
    let file = write(&dir, "scenario.json", scenario.to_string());
    let to = format!("http://127.0.0.1:{port}/");
    let out = run(&["simulate", "--scenario", &file, "--to", &to], None);
    out.expect_code(1)
        .expect_stdout("verdict                     paused");
    let json_out = run(
        &["simulate", "--scenario", &file, "--to", &to, "--json"],
        None,
    );
    json_out.expect_code(1);
    let report: Value = serde_json::from_str(json_out.stdout.trim()).expect("JSON");
    assert_eq!(report["verdict"], "paused");
    assert_eq!(report["success_rate"], 0.0);
    assert!(
        report["paused_deliveries"].as_u64().expect("count") > 0,
        "{report}"
    );
}

#[test]
fn help_documents_the_control_api_the_files_and_the_exit_codes() {
    run(&["--help"], None)
        .expect_code(0)
        .expect_stdout("simulate");
    let help = run(&["simulate", "--help"], None);
    help.expect_code(0);
    for text in [
        "POST   /api/events",
        "POST   /api/deliveries/ID/resend",
        "POST   /api/breaker/reset",
        "PUT    /api/subscriptions",
        "GET    /api/breaker",
        "Config file",
        "retry_policy (current|legacy|none)",
        "Scenario file",
        "drain_timeout_secs",
        "--allow-remote",
        "0  server: stopped by a signal; scenario: verdict `ok`",
        "1  scenario: verdict `warned` or `paused`",
    ] {
        help.expect_stdout(text);
    }
}
