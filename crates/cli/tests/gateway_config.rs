//! `ghl-webhook gateway` and `gateway check` refuse unusable settings, from the file and from
//! the environment, with exit code 2 and a message naming the key and the fix.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("gateway-config")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Runs `ghl-webhook ARGS --config FILE` with `env`; the config file holds `toml`.
fn run(dir: &Path, args: &[&str], toml: &str, env: &[(&str, &str)]) -> Output {
    let config = dir.join("gateway.toml");
    std::fs::write(&config, toml).expect("write config");
    Command::new(env!("CARGO_BIN_EXE_ghl-webhook"))
        .args(args)
        .arg("--config")
        .arg(&config)
        .envs(env.iter().copied())
        .output()
        .expect("run ghl-webhook")
}

fn valid(dir: &Path) -> String {
    format!(
        "listen = \"127.0.0.1:0\"\nops = \"127.0.0.1:0\"\njournal = \"{}\"\nhighlevel_keys = [\"test\"]\n\
         target = \"http://127.0.0.1:3000/hooks\"\nsecrets = [\"{SECRET}\"]\n",
        dir.join("journal.db").display()
    )
}

/// Asserts exit 2 and that stderr names `key` and says `says`.
#[track_caller]
fn refused(output: &Output, key: &str, says: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "exit code; stderr: {stderr}");
    assert!(
        stderr.contains(key),
        "stderr does not name {key:?}: {stderr}"
    );
    assert!(
        stderr.contains(says),
        "stderr does not say {says:?}: {stderr}"
    );
}

#[test]
fn check_accepts_a_usable_file_and_prints_a_summary() {
    let dir = scratch("ok");
    let toml = format!(
        "{}\n[[routes]]\nkinds = [\"ContactCreate\", \"ContactUpdate\"]\ntarget = \"http://127.0.0.1:4000/contacts\"\n\
         [[routes]]\nkinds = [\"AppInstall\"]\ntarget = \"drop\"\n",
        valid(&dir)
    );
    let output = run(&dir, &["gateway", "check"], &toml, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        stdout.contains("route: ContactCreate -> http://127.0.0.1:4000/contacts"),
        "{stdout}"
    );
    assert!(stdout.contains("route: AppInstall -> drop"), "{stdout}");
    assert!(!dir.join("journal.db").exists(), "check opens nothing");
}

#[test]
fn a_missing_secret_is_named() {
    let dir = scratch("missing-secret");
    let toml = valid(&dir).replace(&format!("secrets = [\"{SECRET}\"]\n"), "");
    for args in [&["gateway", "check"][..], &["gateway"][..]] {
        refused(
            &run(&dir, args, &toml, &[]),
            "`secrets` in",
            "GHL_GATEWAY_SECRETS",
        );
    }
}

#[test]
fn a_bad_whsec_secret_is_named() {
    let dir = scratch("bad-whsec");
    let toml = valid(&dir).replace(SECRET, "whsec_not*base64");
    refused(
        &run(&dir, &["gateway", "check"], &toml, &[]),
        "`secrets` in",
        "not base64",
    );
    let toml = valid(&dir).replace(SECRET, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    refused(
        &run(&dir, &["gateway", "check"], &toml, &[]),
        "`secrets` in",
        "whsec_",
    );
}

#[test]
fn bad_urls_are_named_with_the_fix() {
    let dir = scratch("bad-url");
    let toml = valid(&dir).replace("http://127.0.0.1:3000/hooks", "ftp://127.0.0.1/hooks");
    refused(
        &run(&dir, &["gateway", "check"], &toml, &[]),
        "`target` in",
        "http://",
    );
    let toml = valid(&dir).replace("http://127.0.0.1:3000/hooks", "https://");
    refused(
        &run(&dir, &["gateway", "check"], &toml, &[]),
        "`target` in",
        "https://app.example/webhooks",
    );
}

#[test]
fn an_https_target_with_a_ca_file_is_accepted() {
    let dir = scratch("https-ok");
    let ca = rcgen::generate_simple_self_signed(vec!["ca.test".into()]).expect("a certificate");
    std::fs::write(dir.join("ca.pem"), ca.cert.pem()).expect("write the CA");
    let toml = valid(&dir).replace("http://127.0.0.1:3000/hooks", "https://app.example/hooks")
        + &format!("tls_ca_file = \"{}\"\n", dir.join("ca.pem").display());
    let output = run(&dir, &["gateway", "check"], &toml, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout.contains("default target: https://app.example/hooks"),
        "{stdout}"
    );
}

#[test]
fn a_ca_file_that_is_missing_empty_or_not_pem_is_named() {
    let dir = scratch("bad-ca");
    let with_ca = |path: &Path| valid(&dir) + &format!("tls_ca_file = \"{}\"\n", path.display());
    let missing = dir.join("missing.pem");
    refused(
        &run(&dir, &["gateway", "check"], &with_ca(&missing), &[]),
        "`tls_ca_file` in",
        "cannot read it",
    );
    let key_only = dir.join("key.pem");
    let key = rcgen::KeyPair::generate().expect("a key");
    std::fs::write(&key_only, key.serialize_pem()).expect("write");
    refused(
        &run(&dir, &["gateway", "check"], &with_ca(&key_only), &[]),
        "`tls_ca_file` in",
        "no PEM certificate",
    );
    let broken = dir.join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    refused(
        &run(&dir, &["gateway", "check"], &with_ca(&broken), &[]),
        "`tls_ca_file` in",
        "malformed",
    );
    let garbage = dir.join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    refused(
        &run(&dir, &["gateway", "check"], &with_ca(&garbage), &[]),
        "`tls_ca_file` in",
        "not a usable CA certificate",
    );
    refused(
        &run(
            &dir,
            &["gateway", "check"],
            &valid(&dir),
            &[("GHL_GATEWAY_TLS_CA_FILE", "")],
        ),
        "GHL_GATEWAY_TLS_CA_FILE",
        "it is empty",
    );
}

#[test]
fn unknown_kinds_and_duplicate_routes_are_named() {
    let dir = scratch("routes");
    let unknown = format!(
        "{}\n[[routes]]\nkinds = [\"contactcreate\"]\ntarget = \"drop\"\n",
        valid(&dir)
    );
    refused(
        &run(&dir, &["gateway", "check"], &unknown, &[]),
        "`routes` in",
        "did you mean `ContactCreate`",
    );
    let twice = format!(
        "{}\n[[routes]]\nkinds = [\"ContactCreate\"]\ntarget = \"drop\"\n[[routes]]\nkinds = [\"ContactCreate\"]\ntarget = \"http://127.0.0.1:1/x\"\n",
        valid(&dir)
    );
    refused(
        &run(&dir, &["gateway", "check"], &twice, &[]),
        "`routes` in",
        "routed twice",
    );
}

#[test]
fn the_environment_overrides_the_file_and_is_named() {
    let dir = scratch("env");
    let toml = valid(&dir);
    refused(
        &run(
            &dir,
            &["gateway", "check"],
            &toml,
            &[("GHL_GATEWAY_TARGET", "not a url")],
        ),
        "GHL_GATEWAY_TARGET:",
        "not a URL",
    );
    refused(
        &run(
            &dir,
            &["gateway", "check"],
            &toml,
            &[("GHL_GATEWAY_SECRETS", "whsec_AAAA")],
        ),
        "GHL_GATEWAY_SECRETS:",
        "24 to 64 byte",
    );
    refused(
        &run(
            &dir,
            &["gateway", "check"],
            &toml,
            &[("GHL_GATEWAY_ROUTES", "Nope=drop")],
        ),
        "GHL_GATEWAY_ROUTES:",
        "not a HighLevel event name",
    );
    refused(
        &run(
            &dir,
            &["gateway", "check"],
            &toml,
            &[("GHL_GATEWAY_TIMEOUT", "soon")],
        ),
        "GHL_GATEWAY_TIMEOUT:",
        "not a duration",
    );
    let output = run(
        &dir,
        &["gateway", "check"],
        &toml,
        &[("GHL_GATEWAY_TARGET", "http://127.0.0.1:5555/env")],
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("http://127.0.0.1:5555/env"));
}

#[test]
fn unknown_keys_and_a_missing_journal_are_named() {
    let dir = scratch("keys");
    let typo = valid(&dir).replace("target =", "tragte =");
    refused(
        &run(&dir, &["gateway", "check"], &typo, &[]),
        "tragte",
        "unknown field",
    );
    let no_journal: String = valid(&dir)
        .lines()
        .filter(|l| !l.starts_with("journal"))
        .map(|l| format!("{l}\n"))
        .collect();
    refused(
        &run(&dir, &["gateway", "check"], &no_journal, &[]),
        "`journal` in",
        "SQLite file",
    );
}

#[test]
fn a_rust_log_that_cannot_be_read_is_named_and_a_good_one_is_taken() {
    let dir = scratch("rust-log");
    let toml = valid(&dir);
    let output = run(
        &dir,
        &["gateway", "check"],
        &toml,
        &[("RUST_LOG", "ghl_webhook=loud")],
    );
    refused(&output, "RUST_LOG `ghl_webhook=loud`", "target=level");
    let output = run(
        &dir,
        &["gateway", "check"],
        &toml,
        &[("RUST_LOG", "info,ghl_webhook=debug")],
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}
