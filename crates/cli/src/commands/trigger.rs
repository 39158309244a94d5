//! `trigger EVENT --to URL`: send a fixture, signed like HighLevel, and print the answer.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use ghl_webhook_sim::{MockSender, Scheme, SendError, Sent};
use ghl_webhook_types::EventKind;
use serde_json::Value;

use crate::cli::{self, TriggerArgs};
use crate::commands::{parse_event, resolve_scheme, runtime};
use crate::error::{CliError, chain};
use crate::keyfile::load_signing_keys;
use crate::{fixtures, json_set, output};

/// Runs `trigger`: exit 0 when every delivery is answered 2xx, 1 otherwise.
pub(crate) fn run(args: TriggerArgs) -> Result<ExitCode, CliError> {
    let kind = parse_event(&args.event)?;
    let keys = load_signing_keys(&args.keys)?;
    let scheme = resolve_scheme(args.scheme, &keys)?;
    let payload = build_payload(kind, args.fixture.as_deref(), &args.set)?;
    let mut sender = MockSender::new(args.to.as_str()).map_err(|_| {
        CliError::Usage(format!(
            "--to `{}`: not an absolute http:// URL (e.g. http://127.0.0.1:3000/webhooks)",
            args.to
        ))
    })?;
    if let Some(key) = keys.ed25519 {
        sender = sender.with_keys(key);
    }
    if let Some(key) = keys.rsa {
        sender = sender.with_rsa_key(key);
    }
    if !args.bound && kind.needs_route_binding() {
        output::note(format!(
            "note: {kind} deliveries carry no `type` naming the event, so a receiver identifies \
             them only by a route bound to the kind; --bound posts to URL/{kind}"
        ));
    }
    let plan = Plan {
        kind,
        scheme,
        path: args.bound.then(|| format!("/{kind}")),
        tamper: args.tamper,
        repeat: args.repeat,
        timeout: Duration::from_secs(args.timeout),
    };
    runtime()?.block_on(send_all(&sender, payload, &plan))
}

/// How to send.
struct Plan {
    kind: EventKind,
    scheme: cli::Scheme,
    path: Option<String>,
    tamper: bool,
    repeat: u32,
    timeout: Duration,
}

/// Loads the fixture (a file, or the built-in one with a fresh `webhookId` and `timestamp`),
/// applies the `--set`s, and fills in a `webhookId` and `timestamp` when they are missing, so
/// that every repeat sends the same bytes.
pub(crate) fn build_payload(
    kind: EventKind,
    fixture: Option<&Path>,
    sets: &[String],
) -> Result<Value, CliError> {
    let mut value: Value = match fixture {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|source| CliError::ReadFile {
                path: path.to_owned(),
                source,
            })?;
            serde_json::from_slice(&bytes).map_err(|source| CliError::FixtureNotJson {
                path: path.to_owned(),
                source,
            })?
        }
        None => {
            let text = fixtures::builtin(kind);
            let mut value: Value =
                serde_json::from_str(text).map_err(|source| CliError::FixtureNotJson {
                    path: format!("built-in {kind}.json").into(),
                    source,
                })?;
            if let Value::Object(map) = &mut value {
                map.insert("webhookId".into(), fresh_webhook_id().into());
                map.insert("timestamp".into(), now().into());
            }
            value
        }
    };
    for arg in sets {
        json_set::apply(&mut value, arg).map_err(|source| CliError::Set {
            arg: arg.clone(),
            source,
        })?;
    }
    if let Value::Object(map) = &mut value {
        map.entry("webhookId")
            .or_insert_with(|| fresh_webhook_id().into());
        map.entry("timestamp").or_insert_with(|| now().into());
    }
    Ok(value)
}

fn fresh_webhook_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

async fn send_all(
    sender: &MockSender,
    mut payload: Value,
    plan: &Plan,
) -> Result<ExitCode, CliError> {
    // `--set webhookId=null` sends no webhookId at all.
    let omit_id = matches!(payload.get("webhookId"), Some(Value::Null));
    if omit_id && let Value::Object(map) = &mut payload {
        map.remove("webhookId");
    }
    let url = format!("{}{}", sender.url(), plan.path.as_deref().unwrap_or(""));
    let id = payload
        .get("webhookId")
        .and_then(Value::as_str)
        .unwrap_or("none");
    output::note(format!(
        "POST {url}  {}  webhookId={id}  signature: {}{}",
        plan.kind,
        plan.scheme,
        if plan.tamper { ", tampered" } else { "" }
    ));
    let mut failures = 0;
    for attempt in 1..=plan.repeat {
        let mut delivery = sender.json(payload.clone()).scheme(match plan.scheme {
            cli::Scheme::Ed25519 => Scheme::Ed25519,
            cli::Scheme::Rsa => Scheme::Rsa,
            cli::Scheme::Both => Scheme::Both,
            cli::Scheme::None => Scheme::None,
        });
        if omit_id {
            delivery = delivery.without_webhook_id();
        }
        if let Some(path) = &plan.path {
            delivery = delivery.path(path.clone());
        }
        if plan.tamper {
            delivery = delivery.tamper();
        }
        let sent = match tokio::time::timeout(plan.timeout, delivery.send()).await {
            Ok(Ok(sent)) => sent,
            Ok(Err(SendError::Http { source, .. })) => {
                return Err(CliError::NoAnswer {
                    url,
                    reason: chain(&*source),
                });
            }
            Ok(Err(other)) => return Err(CliError::Usage(other.to_string())),
            Err(_elapsed) => {
                return Err(CliError::NoAnswer {
                    url,
                    reason: format!("no response within {} s", plan.timeout.as_secs()),
                });
            }
        };
        if !sent.status.is_success() {
            failures += 1;
        }
        let prefix = if plan.repeat > 1 {
            format!("[{attempt}/{}] ", plan.repeat)
        } else {
            String::new()
        };
        output::line(format!("{prefix}{}", describe(&sent)))?;
    }
    if failures > 0 {
        output::note(format!(
            "{failures} of {} deliveries answered non-2xx",
            plan.repeat
        ));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// `200 OK  handled`: the status and the response body.
fn describe(sent: &Sent) -> String {
    let status = sent.status;
    let reason = status.canonical_reason().unwrap_or("");
    let body = sent.body_text();
    let body = body.trim_end();
    if body.is_empty() {
        format!("{} {reason}", status.as_u16())
    } else {
        format!("{} {reason}  {body}", status.as_u16())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_payloads_get_a_fresh_envelope_and_the_sets() {
        let sets = ["email=new@example.com".to_owned(), "dnd=false".to_owned()];
        let a = build_payload(EventKind::ContactCreate, None, &sets).expect("payload");
        let b = build_payload(EventKind::ContactCreate, None, &[]).expect("payload");
        assert_eq!(a["email"], "new@example.com");
        assert_eq!(a["dnd"], false);
        assert_eq!(a["type"], "ContactCreate");
        assert_ne!(a["webhookId"], b["webhookId"], "a fresh id per trigger");
        assert!(a["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    }

    #[test]
    fn fixtures_with_a_webhook_id_keep_it_but_sets_win() {
        // The built-in AppUpdate fixture has a webhookId: replaced by a fresh one.
        let fixture = fixtures::builtin(EventKind::AppUpdate);
        let original: Value = serde_json::from_str(fixture).expect("json");
        let payload = build_payload(EventKind::AppUpdate, None, &[]).expect("payload");
        assert_ne!(payload["webhookId"], original["webhookId"]);
        let payload =
            build_payload(EventKind::AppUpdate, None, &["webhookId=w-1".into()]).expect("set");
        assert_eq!(payload["webhookId"], "w-1");
    }

    #[test]
    fn bad_sets_and_missing_files_are_usage_errors() {
        let err =
            build_payload(EventKind::ContactCreate, None, &["id.x=1".into()]).expect_err("bad set");
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().starts_with("--set id.x=1: "), "{err}");
        let err = build_payload(
            EventKind::ContactCreate,
            Some(Path::new("/nonexistent/fixture.json")),
            &[],
        )
        .expect_err("missing file");
        assert!(matches!(err, CliError::ReadFile { .. }));
    }
}
