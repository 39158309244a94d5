//! `listen --addr HOST:PORT`: a local receiver printing one line per delivery as it is answered;
//! with `--journal FILE`, `--redis URL` or `--postgres URL`, in durable mode (journaled before
//! the answer, handled by workers). Served by `serve` with its default limits (`ServeConfig`:
//! heads within 10 s, bodies within 30 s, idle connections closed after 60 s, as many
//! connections as the file-descriptor limit allows, the least useful closed to admit a new
//! one at the cap), so it can face a public tunnel. With `--metrics HOST:PORT`, the
//! router's metrics and the service's health are served on that address as well
//! ([`crate::metrics_server`]).

use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use ghl_webhook_router::serve::serve;
use ghl_webhook_router::types::{Event, EventKind};
use ghl_webhook_router::{
    Answer, Delivery, DurableConfig, HealthConfig, Outcome, Verifier, WebhookRouter,
};
use ghl_webhook_sim::TestKeys;
use serde::Serialize;
use serde_json::Value;
use tokio::net::TcpListener;

use crate::cli::ListenArgs;
use crate::commands::runtime;
use crate::error::CliError;
use crate::journal_at::{JournalOptions, Target};
use crate::keyfile::{PublicKey, load_public};
use crate::{metrics_server, output};

/// How long requests in flight may take to finish once a stop is asked for.
const GRACE: Duration = Duration::from_secs(5);

/// Runs `listen` until Ctrl-C or SIGTERM.
pub(crate) fn run(args: ListenArgs) -> Result<ExitCode, CliError> {
    check_addr("--addr", &args.addr)?;
    if let Some(metrics) = &args.metrics {
        check_addr("--metrics", metrics)?;
    }
    let (verifier, trusted) = verifier(&args)?;
    let json = args.json;
    let options = journal_options(&args);
    options.check()?;
    let target = options.target();
    let runtime = runtime()?;
    runtime.block_on(async move {
        // Opened (a file created or migrated, a Redis checked, Postgres tables created or
        // upgraded) before the address is announced: an unusable journal stops listen before
        // it accepts anything.
        let journal = match &target {
            Some(target) => Some((target.open_for_receiver().await?, target.clone())),
            None => None,
        };
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
        // Installed before the router records anything; bound before anything is announced.
        let metrics = match &args.metrics {
            Some(metrics_addr) => {
                let handle = metrics_server::install()?;
                let (listener, bound) = metrics_server::bind(metrics_addr).await?;
                Some((listener, bound, handle))
            }
            None => None,
        };
        // A handled delivery is printed by the handler, with the event the pipeline decoded
        // (in durable mode the handler runs in a worker, after the answer); every other answer
        // by the observer. A closed stdout must not stop the receiver.
        let router = WebhookRouter::new()
            .verifier(verifier)
            .on_any(move |event: Event, delivery: Delivery| async move {
                let _ = output::line(Line::handled(&event, &delivery).render(json));
            })
            .on_answer(move |answer| match answer.outcome() {
                Outcome::Handled => {}
                Outcome::Journaled => {
                    let _ = output::line(Line::accepted(answer).render(json));
                }
                _ => {
                    let _ = output::line(Line::answered(answer).render(json));
                }
            });
        let (router, journaling) = match journal {
            Some((journal, target)) => (
                router.durable(journal.into_shared(), DurableConfig::default()),
                Some(target),
            ),
            None => (router, None),
        };
        let service = router.into_service().bind_by_path();
        output::note(format!("listening on http://{addr}"));
        let metrics = metrics.map(|(listener, bound, handle)| {
            output::note(format!(
                "metrics on http://{bound}/metrics (and GET /livez, GET /readyz)"
            ));
            (listener, handle, service.health(HealthConfig::default()))
        });
        output::note(format!("trusting {trusted}"));
        match journaling {
            Some(Target::Sqlite(path)) => output::note(format!(
                "durable: journaling every verified delivery in {} before answering",
                path.display()
            )),
            Some(target @ Target::Redis { .. }) => output::note(format!(
                "durable: journaling every verified delivery in Redis ({}) before answering; \
                 receivers started with the same URL and prefix share the journal and its work",
                target.args()
            )),
            Some(target @ Target::Postgres { .. }) => output::note(format!(
                "durable: journaling every verified delivery in Postgres ({}) before answering; \
                 receivers started with the same URL and schema share the journal and its work",
                target.args()
            )),
            None => {}
        }
        output::note(
            "POST / identifies the event by its `type`; POST /<EventName> binds the route to \
             that event. Ctrl-C stops.",
        );
        // The metrics routes answer until the receiver has stopped (its grace period included).
        metrics_server::beside(metrics, serve(listener, service, stop, GRACE))
            .await
            .map_err(|source| CliError::Io {
                what: "the server failed",
                source,
            })?;
        output::note("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// The journal options of `listen`'s command line.
fn journal_options(args: &ListenArgs) -> JournalOptions {
    JournalOptions {
        file: args.journal.clone(),
        redis: args.redis.clone(),
        redis_prefix: args.redis_prefix.clone(),
        postgres: args.postgres.clone(),
        postgres_schema: args.postgres_schema.clone(),
    }
}

/// `HOST:PORT` with a numeric port, as the option `flag` takes it; resolving the host is left
/// to binding.
fn check_addr(flag: &str, addr: &str) -> Result<(), CliError> {
    match addr.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(()),
        _ => Err(CliError::Usage(format!(
            "{flag} `{addr}`: expected HOST:PORT, e.g. 127.0.0.1:3000 (port 0 picks a free one)"
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
pub(crate) fn stop_signal() -> std::io::Result<impl Future<Output = ()>> {
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

/// One delivery as a line: `STATUS KIND WEBHOOKID MESSAGE` (`-` for what is unknown), or as
/// JSON an object with `status`, `kind`, `webhookId`, `message`, and `event` (the decoded
/// event, serialized) or `error`.
#[derive(Debug, Serialize)]
pub(crate) struct Line<'a> {
    status: u16,
    kind: Option<&'a str>,
    #[serde(rename = "webhookId")]
    webhook_id: Option<&'a str>,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl<'a> Line<'a> {
    /// A delivery that reached the handler, with the event the pipeline decoded for it (an
    /// unknown kind is its `type` and raw payload).
    pub(crate) fn handled(event: &Event, delivery: &'a Delivery) -> Self {
        let (event, error) = match serialize(event) {
            Ok(event) => (Some(event), None),
            Err(error) => (None, Some(error)),
        };
        Self {
            status: 200,
            kind: delivery.kind().map(EventKind::as_str),
            webhook_id: delivery.webhook_id(),
            message: Outcome::Handled.message().into_owned(),
            event,
            error,
        }
    }

    /// A delivery accepted into the journal (durable mode): its `handled` line follows when a
    /// worker has handled it. Not an error.
    pub(crate) fn accepted(answer: &Answer<'a>) -> Self {
        Self {
            error: None,
            ..Self::answered(answer)
        }
    }

    /// Any other answer: a rejection, a duplicate, an undecodable payload. The error is the
    /// outcome's message (for an undecodable payload, the JSON path that failed).
    pub(crate) fn answered(answer: &Answer<'a>) -> Self {
        let message = answer.message().into_owned();
        Self {
            status: answer.status().as_u16(),
            kind: answer.kind().map(EventKind::as_str),
            webhook_id: answer.webhook_id(),
            error: Some(message.clone()),
            message,
            event: None,
        }
    }

    /// The line, as text or as one JSON object.
    pub(crate) fn render(&self, json: bool) -> String {
        if !json {
            return format!(
                "{} {} {} {}",
                self.status,
                self.kind.unwrap_or("-"),
                self.webhook_id.unwrap_or("-"),
                self.message
            );
        }
        serde_json::to_string(self).unwrap_or_else(|e| {
            // Unreachable (a Value and strings always serialize); still, never panic here.
            format!(
                r#"{{"status":{},"error":"cannot serialize the line: {e}"}}"#,
                self.status
            )
        })
    }
}

/// The event's own JSON (without the `kind` tag of [`Event`]'s serialization).
fn serialize(event: &Event) -> Result<Value, String> {
    let mut tagged = serde_json::to_value(event)
        .map_err(|e| format!("the event could not be serialized: {e}"))?;
    Ok(tagged
        .get_mut("event")
        .map(Value::take)
        .unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ghl_webhook_router::VerifiedBy;
    use ghl_webhook_router::types::WebhookEvent;
    use ghl_webhook_router::types::contact::ContactDelete;

    fn parse(line: &str) -> Value {
        serde_json::from_str(line).expect("one JSON object per line")
    }

    fn delivery(body: &'static [u8]) -> Delivery {
        Delivery::from_verified_bytes(body, VerifiedBy::Unverified).expect("JSON")
    }

    #[test]
    fn a_handled_delivery_prints_its_decoded_event() {
        let d =
            delivery(br#"{"type":"ContactDelete","id":"c-1","locationId":"l","webhookId":"w-1"}"#);
        let event = Event::ContactDelete(ContactDelete::decode(d.raw()).expect("decodes"));
        let line = Line::handled(&event, &d);
        assert_eq!(line.render(false), "200 ContactDelete w-1 handled");
        let line = parse(&line.render(true));
        assert_eq!(line["status"], 200);
        assert_eq!(line["kind"], "ContactDelete");
        assert_eq!(line["webhookId"], "w-1");
        assert_eq!(line["event"]["id"], "c-1");
        assert!(line.get("error").is_none());
    }

    #[test]
    fn an_unknown_delivery_prints_its_type_and_raw_payload() {
        let d = delivery(br#"{"type":"SomethingNew","x":1}"#);
        let event = Event::Unknown(ghl_webhook_router::UnknownEvent::new(
            d.type_field().map(str::to_owned),
            d.raw().clone(),
        ));
        let line = parse(&Line::handled(&event, &d).render(true));
        assert_eq!(line["kind"], Value::Null);
        assert_eq!(line["event"]["type_field"], "SomethingNew");
        assert_eq!(line["event"]["raw"]["x"], 1);
    }

    #[test]
    fn addresses_need_a_host_and_a_numeric_port() {
        for ok in ["127.0.0.1:0", "localhost:3000", "[::1]:8080"] {
            assert!(check_addr("--addr", ok).is_ok(), "{ok}");
        }
        for bad in ["", "127.0.0.1", ":3000", "host:port", "127.0.0.1:70000"] {
            assert!(check_addr("--metrics", bad).is_err(), "{bad}");
        }
    }
}
