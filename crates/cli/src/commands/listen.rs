//! `listen --addr HOST:PORT`: a local receiver printing one line per delivery as it is answered.

use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use ghl_webhook_router::serve::serve;
use ghl_webhook_router::types::{Event, EventKind};
use ghl_webhook_router::{Answer, Delivery, Verifier, WebhookRouter};
use ghl_webhook_test_support::TestKeys;
use serde::Serialize;
use serde_json::Value;
use tokio::net::TcpListener;

use crate::cli::ListenArgs;
use crate::commands::runtime;
use crate::error::CliError;
use crate::keyfile::{PublicKey, load_public};
use crate::output;

/// How long requests in flight may take to finish once a stop is asked for.
const GRACE: Duration = Duration::from_secs(5);

/// Runs `listen` until Ctrl-C or SIGTERM.
pub fn run(args: ListenArgs) -> Result<ExitCode, CliError> {
    check_addr(&args.addr)?;
    let (verifier, trusted) = verifier(&args)?;
    let json = args.json;
    let runtime = runtime()?;
    runtime.block_on(async move {
        // Installed before the address is announced, so no stop request can be missed.
        let stop = stop_signal().map_err(|source| CliError::Io {
            what: "cannot install the Ctrl-C / SIGTERM handlers",
            source,
        })?;
        let listener = TcpListener::bind(args.addr.as_str())
            .await
            .map_err(|source| CliError::Listen {
                addr: args.addr.clone(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| CliError::Listen {
            addr: args.addr.clone(),
            source,
        })?;
        let service = WebhookRouter::new()
            .verifier(verifier)
            .on_any(|_event: Event, _delivery: Delivery| async {})
            .on_answer(move |answer| {
                // A closed stdout must not stop the receiver: the answer was already sent.
                let _ = output::line(render(answer, json));
            })
            .into_service()
            .bind_by_path();
        output::note(format!("listening on http://{addr}"));
        output::note(format!("trusting {trusted}"));
        output::note(
            "POST / identifies the event by its `type`; POST /<EventName> binds the route to \
             that event. Ctrl-C stops.",
        );
        serve(listener, service, stop, GRACE)
            .await
            .map_err(|source| CliError::Io {
                what: "the server failed",
                source,
            })?;
        output::note("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// `HOST:PORT` with a numeric port; resolving the host is left to binding.
fn check_addr(addr: &str) -> Result<(), CliError> {
    match addr.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(()),
        _ => Err(CliError::Usage(format!(
            "--addr `{addr}`: expected HOST:PORT, e.g. 127.0.0.1:3000 (port 0 picks a free one)"
        ))),
    }
}

/// The keys to trust, and how to describe them: HighLevel's published keys by default; the
/// test keys with `--test-keys`; plus every `--key` / `--rsa-key` given (which replace the
/// default).
fn verifier(args: &ListenArgs) -> Result<(Verifier, String), CliError> {
    if args.keys.is_empty() && args.rsa_keys.is_empty() && !args.test_keys {
        return Ok((
            Verifier::highlevel_with_legacy_rsa(),
            "HighLevel's published keys (Ed25519, and legacy RSA for X-WH-Signature)".into(),
        ));
    }
    let mut trusted = Vec::new();
    let mut verifier = if args.test_keys {
        trusted.push("the TEST-ONLY test keys (Ed25519 and RSA)".to_owned());
        TestKeys::primary().verifier_with_rsa()
    } else {
        Verifier::empty()
    };
    for path in &args.keys {
        match load_public(path)? {
            PublicKey::Ed25519(key) => verifier = verifier.with_key(key),
            PublicKey::Rsa(_) => {
                return Err(CliError::Usage(format!(
                    "--key `{}` is an RSA key: pass it with --rsa-key",
                    path.display()
                )));
            }
        }
        trusted.push(format!("Ed25519 key {}", path.display()));
    }
    for path in &args.rsa_keys {
        match load_public(path)? {
            PublicKey::Rsa(key) => verifier = verifier.with_rsa_key(key),
            PublicKey::Ed25519(_) => {
                return Err(CliError::Usage(format!(
                    "--rsa-key `{}` is an Ed25519 key: pass it with --key",
                    path.display()
                )));
            }
        }
        trusted.push(format!("RSA key {}", path.display()));
    }
    Ok((verifier, trusted.join(", ")))
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed when this is called.
fn stop_signal() -> std::io::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            let name = tokio::select! {
                _ = interrupt.recv() => "Ctrl-C",
                _ = terminate.recv() => "SIGTERM",
            };
            output::note(format!("{name}: stopping"));
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            output::note("Ctrl-C: stopping");
        })
    }
}

/// One delivery as a line: `STATUS KIND WEBHOOKID MESSAGE` (`-` for what is unknown), or with
/// `json` an object with `status`, `kind`, `webhookId`, `message`, and `event` (the decoded
/// event, serialized) or `error`.
pub fn render(answer: &Answer<'_>, json: bool) -> String {
    let message = answer.message_text();
    if !json {
        return format!(
            "{} {} {} {}",
            answer.status.as_u16(),
            answer.kind.map_or("-", EventKind::as_str),
            answer.webhook_id.unwrap_or("-"),
            message
        );
    }
    let (event, error) = if !answer.status.is_success() {
        (None, Some(message.clone().into_owned()))
    } else {
        match answer.raw.map(|raw| decode(answer.kind, raw)) {
            Some(Ok(event)) => (Some(event), None),
            Some(Err(error)) => (None, Some(error)),
            None => (None, None),
        }
    };
    let line = JsonLine {
        status: answer.status.as_u16(),
        kind: answer.kind.map(EventKind::as_str),
        webhook_id: answer.webhook_id,
        message: &message,
        event,
        error,
    };
    serde_json::to_string(&line).unwrap_or_else(|e| {
        // Unreachable (a Value and strings always serialize); still, never panic here.
        format!(
            r#"{{"status":{},"error":"cannot serialize the line: {e}"}}"#,
            line.status
        )
    })
}

/// One `--json` line, fields in this order.
#[derive(Serialize)]
struct JsonLine<'a> {
    status: u16,
    kind: Option<&'a str>,
    #[serde(rename = "webhookId")]
    webhook_id: Option<&'a str>,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The decoded event (an unknown kind decodes to its `type` and raw payload), serialized.
fn decode(kind: Option<EventKind>, raw: &Bytes) -> Result<Value, String> {
    let event = match kind {
        Some(kind) => Event::decode(kind, raw).map_err(|e| format!("undecodable payload: {e}"))?,
        None => Event::Unknown {
            type_field: serde_json::from_slice::<Value>(raw)
                .ok()
                .and_then(|v| v.get("type")?.as_str().map(str::to_owned)),
            raw: raw.clone(),
        },
    };
    let mut tagged = serde_json::to_value(&event)
        .map_err(|e| format!("the event could not be serialized: {e}"))?;
    Ok(tagged
        .get_mut("event")
        .map(Value::take)
        .unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    fn answer<'a>(
        status: u16,
        message: &'a str,
        kind: Option<EventKind>,
        raw: Option<&'a Bytes>,
    ) -> Answer<'a> {
        Answer {
            status: StatusCode::from_u16(status).expect("status"),
            message: message.as_bytes(),
            kind,
            webhook_id: raw.map(|_| "w-1"),
            raw,
        }
    }

    fn parse(line: &str) -> Value {
        serde_json::from_str(line).expect("one JSON object per line")
    }

    #[test]
    fn a_handled_delivery_prints_its_decoded_event() {
        let raw = Bytes::from_static(br#"{"type":"ContactDelete","id":"c-1","locationId":"l"}"#);
        let a = answer(200, "handled", Some(EventKind::ContactDelete), Some(&raw));
        assert_eq!(render(&a, false), "200 ContactDelete w-1 handled");
        let line = parse(&render(&a, true));
        assert_eq!(line["status"], 200);
        assert_eq!(line["kind"], "ContactDelete");
        assert_eq!(line["webhookId"], "w-1");
        assert_eq!(line["event"]["id"], "c-1");
        assert!(line.get("error").is_none());
    }

    #[test]
    fn rejections_print_the_reason_as_the_error() {
        let a = answer(401, "invalid signature: nope", None, None);
        assert_eq!(render(&a, false), "401 - - invalid signature: nope");
        let line = parse(&render(&a, true));
        assert_eq!(line["status"], 401);
        assert_eq!(line["kind"], Value::Null);
        assert_eq!(line["webhookId"], Value::Null);
        assert_eq!(line["error"], "invalid signature: nope");
        assert!(line.get("event").is_none());
    }

    #[test]
    fn unknown_and_undecodable_deliveries_are_reported() {
        let raw = Bytes::from_static(br#"{"type":"SomethingNew","x":1}"#);
        let line = parse(&render(&answer(200, "handled", None, Some(&raw)), true));
        assert_eq!(line["kind"], Value::Null);
        assert_eq!(line["event"]["type_field"], "SomethingNew");
        assert_eq!(line["event"]["raw"]["x"], 1);

        let raw = Bytes::from_static(br#"{"type":"ContactDelete"}"#);
        let line = parse(&render(
            &answer(
                200,
                "undecodable payload",
                Some(EventKind::ContactDelete),
                Some(&raw),
            ),
            true,
        ));
        assert!(
            line["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("undecodable payload")),
            "{line}"
        );
    }

    #[test]
    fn addresses_need_a_host_and_a_numeric_port() {
        for ok in ["127.0.0.1:0", "localhost:3000", "[::1]:8080"] {
            assert!(check_addr(ok).is_ok(), "{ok}");
        }
        for bad in ["", "127.0.0.1", ":3000", "host:port", "127.0.0.1:70000"] {
            assert!(check_addr(bad).is_err(), "{bad}");
        }
    }
}
