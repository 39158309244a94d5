//! The real binary's one-shot commands: help, list, keys, sign, verify, and trigger's
//! argument errors. (`listen` driven by `trigger` is in `listen.rs`.)

mod common;

use common::{closed_port, run, scratch, test_key, trigger, write};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ghl_webhook_router::{HIGHLEVEL_ED25519_PEM, HIGHLEVEL_RSA_PEM};
use ghl_webhook_test_support::TestKeys;
use ghl_webhook_test_support::rsa_keys::{RSA_TEST_PUBLIC_PEM, RsaSigner};
use ghl_webhook_types::EventKind;

const BODY: &[u8] = br#"{"type":"ContactDelete","id":"c-1","locationId":"l-1"}"#;

fn ed_private() -> String {
    test_key("ed25519-test-private.pem")
}
fn ed_public() -> String {
    test_key("ed25519-test-public.pem")
}
fn rsa_private() -> String {
    test_key("rsa4096-test-private.pem")
}
fn rsa_public() -> String {
    test_key("rsa4096-test-public.pem")
}

/// The value of the `name:` line of `sign`'s output.
fn header<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
        .unwrap_or_else(|| panic!("no {name} line in {stdout:?}"))
}

// ---------------------------------------------------------------- help and bad arguments

#[test]
fn help_documents_every_subcommand_and_the_exit_codes() {
    let help = run(&["--help"], None);
    help.expect_code(0);
    for text in [
        "trigger",
        "sign",
        "verify",
        "keys",
        "list",
        "listen",
        "Exit codes:",
        "  2  ",
        "  3  ",
    ] {
        help.expect_stdout(text);
    }
    for sub in ["trigger", "sign", "verify", "listen"] {
        run(&[sub, "--help"], None)
            .expect_code(0)
            .expect_stdout("Exit codes:");
    }
    run(&["--version"], None)
        .expect_code(0)
        .expect_stdout("ghl-webhook");
}

#[test]
fn bad_arguments_exit_2_with_a_usage_message() {
    run(&[], None).expect_code(2).expect_stderr("Usage");
    run(&["frobnicate"], None)
        .expect_code(2)
        .expect_stderr("unrecognized subcommand");
    run(&["list", "--nope"], None)
        .expect_code(2)
        .expect_stderr("--nope");
    run(&["trigger", "ContactCreate"], None)
        .expect_code(2)
        .expect_stderr("--to <URL>");
    run(&["verify", "--key", &ed_public()], Some(BODY))
        .expect_code(2)
        .expect_stderr("--signature");
    run(&["sign"], Some(BODY))
        .expect_code(2)
        .expect_stderr("--key");
    run(
        &["sign", "--key", &ed_private(), "--scheme", "none"],
        Some(BODY),
    )
    .expect_code(2)
    .expect_stderr("invalid value 'none'");
}

// ---------------------------------------------------------------- list and keys

#[test]
fn list_prints_every_kind_with_its_type_values_and_binding() {
    let out = run(&["list"], None);
    out.expect_code(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        EventKind::COUNT + 1,
        "a header and one row per kind"
    );
    assert!(lines[0].starts_with("EVENT"));
    for &kind in EventKind::ALL {
        let row = lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(kind.as_str()))
            .unwrap_or_else(|| panic!("no row for {kind}"));
        for value in kind.type_values() {
            assert!(row.contains(value), "{row}");
        }
        assert_eq!(
            row.contains("route binding"),
            kind.needs_route_binding(),
            "{row}"
        );
    }
    let install = lines
        .iter()
        .find(|l| l.starts_with("AppInstall "))
        .expect("row");
    assert!(
        install.contains("INSTALL") && install.ends_with("type"),
        "{install}"
    );
}

#[test]
fn keys_prints_the_published_and_the_labelled_test_keys() {
    let out = run(&["keys"], None);
    out.expect_code(0);
    let text = &out.stdout;
    for pem in [
        HIGHLEVEL_ED25519_PEM,
        HIGHLEVEL_RSA_PEM,
        RSA_TEST_PUBLIC_PEM,
        &TestKeys::primary().public_key_pem(),
    ] {
        assert!(text.contains(pem.trim_end()), "missing:\n{pem}");
    }
    // Each test key's PEM comes right after a TEST-ONLY label.
    for pem in [RSA_TEST_PUBLIC_PEM, &TestKeys::primary().public_key_pem()] {
        let at = text.find(pem.trim_end()).expect("pem");
        let label = text[..at].rsplit("\n\n").next().expect("label");
        assert!(
            label.contains("TEST-ONLY") && label.contains("NEVER"),
            "{label}"
        );
    }
    let at = text.find(HIGHLEVEL_ED25519_PEM.trim_end()).expect("pem");
    assert!(text[..at].contains("HighLevel's published Ed25519 key"));
    assert!(!text[..at].contains("TEST-ONLY"));
}

// ---------------------------------------------------------------- sign

#[test]
fn sign_prints_the_headers_highlevel_would_send_over_the_exact_bytes() {
    let out = run(&["sign", "--key", &ed_private()], Some(BODY));
    out.expect_code(0);
    assert_eq!(
        out.stdout,
        format!("X-GHL-Signature: {}\n", TestKeys::primary().sign(BODY))
    );

    let both = run(
        &["sign", "--key", &ed_private(), "--key", &rsa_private()],
        Some(BODY),
    );
    both.expect_code(0);
    assert_eq!(
        header(&both.stdout, "X-GHL-Signature"),
        TestKeys::primary().sign(BODY)
    );
    assert_eq!(
        header(&both.stdout, "X-WH-Signature"),
        RsaSigner::test_key().sign(BODY)
    );
    assert_eq!(both.stdout.lines().count(), 2);

    let rsa = run(&["sign", "--key", &rsa_private()], Some(BODY));
    rsa.expect_code(0);
    assert!(rsa.stdout.starts_with("X-WH-Signature: "), "{}", rsa.stdout);

    // Exact bytes: a trailing newline or non-UTF-8 bytes are signed as they are.
    let mut with_newline = BODY.to_vec();
    with_newline.push(b'\n');
    let out = run(&["sign", "--key", &ed_private()], Some(&with_newline));
    assert_eq!(
        header(&out.stdout, "X-GHL-Signature"),
        TestKeys::primary().sign(&with_newline)
    );
    let binary = [0xff, 0x00, 0xfe, b'{'];
    let out = run(&["sign", "--key", &ed_private()], Some(&binary));
    out.expect_code(0);
    assert_eq!(
        header(&out.stdout, "X-GHL-Signature"),
        TestKeys::primary().sign(&binary)
    );
}

#[test]
fn sign_refuses_unusable_keys_and_input_with_exit_2() {
    let dir = scratch("sign_refuses");
    let garbage = write(
        &dir,
        "garbage.pem",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    let empty = write(&dir, "empty.pem", "");
    let binary = write(&dir, "binary.pem", [0xff, 0xfe, 0x00]);
    let directory = dir.to_string_lossy().into_owned();
    let cases: [(&[&str], &str); 8] = [
        (&["sign", "--key", "/nonexistent/key.pem"], "cannot read"),
        (&["sign", "--key", &directory], "cannot read"),
        (
            &["sign", "--key", &garbage],
            "neither an Ed25519 nor an RSA private key",
        ),
        (&["sign", "--key", &empty], "empty"),
        (&["sign", "--key", &binary], "not a text file"),
        (&["sign", "--key", &ed_public()], "public key"),
        (
            &["sign", "--key", &ed_private(), "--scheme", "both"],
            "RSA private key",
        ),
        (
            &["sign", "--key", &ed_private(), "--key", &ed_private()],
            "second Ed25519",
        ),
    ];
    for (args, message) in cases {
        run(args, Some(BODY)).expect_code(2).expect_stderr(message);
    }
    run(&["sign", "--key", &ed_private()], None)
        .expect_code(2)
        .expect_stderr("stdin is empty");
}

// ---------------------------------------------------------------- verify

#[test]
fn verify_accepts_what_sign_prints_and_rejects_tampered_bodies() {
    for (private, public) in [(ed_private(), ed_public()), (rsa_private(), rsa_public())] {
        let signed = run(&["sign", "--key", &private], Some(BODY));
        signed.expect_code(0);
        let line = signed.stdout.trim_end();
        let bare = line.split_once(": ").expect("header line").1;
        for signature in [line, bare] {
            let ok = run(
                &["verify", "--key", &public, "--signature", signature],
                Some(BODY),
            );
            ok.expect_code(0);
            assert_eq!(ok.stdout, "valid\n");
        }
        let mut tampered = BODY.to_vec();
        tampered[3] ^= 1;
        let bad = run(
            &["verify", "--key", &public, "--signature", line],
            Some(&tampered),
        );
        bad.expect_code(1);
        assert!(bad.stdout.starts_with("invalid: "), "{}", bad.stdout);
        assert!(bad.stdout.contains("does not verify"), "{}", bad.stdout);
    }
}

#[test]
fn verify_reports_each_kind_of_bad_signature_as_invalid() {
    let sig = TestKeys::primary().sign(BODY);
    let other = TestKeys::other().sign(BODY);
    let cases = [
        (other.as_str(), "does not verify"),
        ("%%%not-base64", "not valid base64"),
        ("AAAA", "decodes to 3 bytes"),
        ("N/A", "`N/A`"),
    ];
    for (signature, reason) in cases {
        let out = run(
            &["verify", "--key", &ed_public(), "--signature", signature],
            Some(BODY),
        );
        out.expect_code(1)
            .expect_stdout("invalid: ")
            .expect_stdout(reason);
    }
    // HighLevel's key does not verify a test signature.
    let dir = scratch("verify_bad_signatures");
    let highlevel = write(&dir, "highlevel.pem", HIGHLEVEL_ED25519_PEM);
    run(
        &["verify", "--key", &highlevel, "--signature", &sig],
        Some(BODY),
    )
    .expect_code(1);
    // Several keys (rotation): any one verifies.
    run(
        &[
            "verify",
            "--key",
            &highlevel,
            "--key",
            &ed_public(),
            "--signature",
            &sig,
        ],
        Some(BODY),
    )
    .expect_code(0);
}

#[test]
fn verify_takes_raw_hex_and_base64_ed25519_keys() {
    use base64::Engine as _;
    let dir = scratch("verify_raw_keys");
    let raw = TestKeys::primary().public_key().to_bytes();
    let hex_key: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let b64_key = base64::engine::general_purpose::STANDARD.encode(raw);
    let sig = TestKeys::primary().sign(BODY);
    for (name, text) in [("key.hex", hex_key), ("key.b64", b64_key)] {
        let file = write(&dir, name, format!("{text}\n"));
        run(&["verify", "--key", &file, "--signature", &sig], Some(BODY))
            .expect_code(0)
            .expect_stdout("valid");
    }
}

#[test]
fn verify_refuses_unusable_arguments_and_key_files_with_exit_2() {
    let dir = scratch("verify_refuses");
    let garbage = write(
        &dir,
        "garbage.pem",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    );
    let text = write(&dir, "text.pem", "hello");
    let sig = TestKeys::primary().sign(BODY);
    let line = format!("X-GHL-Signature: {sig}");
    let (edp, rsap, edk) = (ed_public(), rsa_public(), ed_private());
    let cases: [(Vec<&str>, &str); 9] = [
        (
            vec!["--key", "/nonexistent.pem", "--signature", &sig],
            "cannot read",
        ),
        (
            vec!["--key", &garbage, "--signature", &sig],
            "neither an Ed25519 nor an RSA public key",
        ),
        (
            vec!["--key", &text, "--signature", &sig],
            "unrecognised Ed25519 key format",
        ),
        (vec!["--key", &edk, "--signature", &sig], "private key"),
        (
            vec!["--key", &edp, "--signature", ""],
            "--signature is empty",
        ),
        (
            vec!["--key", &edp, "--signature", "Authorization: x"],
            "not a signature header",
        ),
        (
            vec!["--key", &edp, "--key", &rsap, "--signature", &sig],
            "--scheme",
        ),
        (
            vec!["--key", &edp, "--signature", &line, "--scheme", "rsa"],
            "contradicts",
        ),
        (
            vec!["--key", &rsap, "--signature", &sig, "--scheme", "ed25519"],
            "is an RSA key",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["verify"];
        all.extend(args);
        run(&all, Some(BODY)).expect_code(2).expect_stderr(message);
    }
    run(&["verify", "--key", &edp, "--signature", &sig], None)
        .expect_code(2)
        .expect_stderr("stdin is empty");
}

// ---------------------------------------------------------------- trigger's argument errors

#[test]
fn trigger_refuses_unusable_arguments_with_exit_2() {
    let url = format!("http://127.0.0.1:{}", closed_port());
    let dir = scratch("trigger_refuses");
    let not_json = write(&dir, "not.json", "{nope");
    let (ed_pub, ed_priv) = (ed_public(), ed_private());
    let cases: [(&str, Vec<&str>, &str); 10] = [
        ("NoSuchEvent", vec![], "not a HighLevel event name"),
        ("contactcreate", vec![], "did you mean `ContactCreate`"),
        ("INSTALL", vec![], "`type` value of `AppInstall`"),
        (
            "ContactCreate",
            vec!["--set", "no-equals"],
            "expected PATH=VALUE",
        ),
        ("ContactCreate", vec!["--set", "a..b=1"], "empty segment"),
        (
            "ContactCreate",
            vec!["--set", "email.x=1"],
            "`email` is a string",
        ),
        (
            "ContactCreate",
            vec!["--fixture", "/nonexistent.json"],
            "cannot read",
        ),
        ("ContactCreate", vec!["--fixture", &not_json], "is not JSON"),
        ("ContactCreate", vec!["--key", &ed_pub], "public key"),
        (
            "ContactCreate",
            vec!["--scheme", "rsa", "--key", &ed_priv],
            "RSA private key",
        ),
    ];
    for (event, args, message) in cases {
        trigger(event, &url, &args)
            .expect_code(2)
            .expect_stderr(message);
    }
    for bad in ["not a url", "https://127.0.0.1:1/", "ftp://x/", "/relative"] {
        trigger("ContactCreate", bad, &[])
            .expect_code(2)
            .expect_stderr("not an absolute http:// URL");
    }
    run(
        &["trigger", "ContactCreate", "--to", &url, "--repeat", "0"],
        None,
    )
    .expect_code(2);
    run(
        &["trigger", "ContactCreate", "--to", &url, "--scheme", "sha1"],
        None,
    )
    .expect_code(2);
}

#[test]
fn trigger_without_a_receiver_exits_3() {
    let url = format!("http://127.0.0.1:{}/webhooks", closed_port());
    trigger("ContactCreate", &url, &[])
        .expect_code(3)
        .expect_stderr("no answer from")
        .expect_stderr("onnection refused");
}

#[test]
fn trigger_signs_with_a_private_key_file_of_either_scheme() {
    // Parsing only: the receiver side is in listen.rs. An Ed25519 key from another seed and
    // another RSA key are accepted, alone or together.
    let dir = scratch("trigger_key_files");
    let pem = TestKeys::other()
        .signing_key()
        .to_pkcs8_pem(LineEnding::LF)
        .expect("pem");
    let other = write(&dir, "other.pem", pem.as_bytes());
    let url = format!("http://127.0.0.1:{}", closed_port());
    // Exit 3 (no receiver) proves the keys were accepted (a bad key would be exit 2).
    trigger("ContactCreate", &url, &["--key", &other]).expect_code(3);
    trigger(
        "ContactCreate",
        &url,
        &[
            "--key",
            &other,
            "--key",
            &test_key("rsa2048-other-test-private.pem"),
            "--scheme",
            "both",
        ],
    )
    .expect_code(3);
}

#[test]
fn trigger_gives_up_on_a_receiver_that_never_answers_with_exit_3() {
    // Accepts the connection (the kernel's backlog does) but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", silent.local_addr().expect("addr"));
    run(
        &["trigger", "ContactCreate", "--to", &url, "--timeout", "1"],
        None,
    )
    .expect_code(3)
    .expect_stderr("no response within 1 s");
    drop(silent);
}
