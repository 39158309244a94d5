//! `trigger EVENT --to URL`: send a fixture, signed like HighLevel, and print the answer.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use ghl_webhook_sim::payload::{self, PayloadError};
use ghl_webhook_sim::{MockSender, Scheme, SendError, Sent};
use ghl_webhook_types::EventKind;
use serde_json::Value;

use crate::cli::{self, TriggerArgs};
use crate::commands::{parse_event, resolve_scheme, runtime};
use crate::error::{CliError, chain};
use crate::keyfile::load_signing_keys;
use crate::output;

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

/// The payload to send ([`ghl_webhook_sim::payload::build`]): the fixture file, or the built-in
/// one with a fresh `webhookId` and `timestamp`, with the `--set`s; built once, so that every
/// repeat sends the same bytes.
pub(crate) fn build_payload(
    kind: EventKind,
    fixture: Option<&Path>,
    sets: &[String],
) -> Result<Value, CliError> {
    let given = match fixture {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|source| CliError::ReadFile {
                path: path.to_owned(),
                source,
            })?;
            let value: Value =
                serde_json::from_slice(&bytes).map_err(|source| CliError::FixtureNotJson {
                    path: path.to_owned(),
                    source,
                })?;
            Some(value)
        }
        None => None,
    };
    payload::build(kind, given, sets).map_err(|err| match err {
        PayloadError::Set { arg, source } => CliError::Set { arg, source },
        other => CliError::Usage(match fixture {
            Some(path) => format!("--fixture `{}`: {other}", path.display()),
            None => other.to_string(),
        }),
    })
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
    fn the_payload_is_built_once_with_the_sets() {
        let sets = [
            "email=new@example.com".to_owned(),
            "webhookId=w-1".to_owned(),
        ];
        let payload = build_payload(EventKind::ContactCreate, None, &sets).expect("payload");
        assert_eq!(payload["email"], "new@example.com");
        assert_eq!(payload["webhookId"], "w-1");
        assert_eq!(payload["type"], "ContactCreate");
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
        let list =
            std::env::temp_dir().join(format!("ghl-trigger-{}-list.json", std::process::id()));
        std::fs::write(&list, "[1, 2]").expect("write");
        let err = build_payload(EventKind::ContactCreate, Some(&list), &[]).expect_err("array");
        let _ = std::fs::remove_file(&list);
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string().contains("list.json") && err.to_string().contains("JSON object"),
            "{err}"
        );
    }
}
