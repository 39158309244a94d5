//! Operations: the gateway's part of `GET /readyz` (paused targets), its logs, and the order
//! key read from a payload.

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{Value, json};
use tracing::Level;
use tracing_subscriber::filter::{Targets, filter_fn};
use tracing_subscriber::prelude::*;

use super::routes::Target;
use crate::error::CliError;

/// The gateway's readiness figures: every target, and since when each paused one is paused.
/// A paused target does not make the gateway unready (HighLevel's deliveries are still
/// journaled and acknowledged); its backlog does, once its age passes `max_pending_age`.
pub(crate) fn readiness(targets: &[Arc<Target>]) -> Value {
    let now = SystemTime::now();
    let targets: Vec<Value> = targets
        .iter()
        .map(|target| {
            let paused = target.paused_since();
            json!({
                "target": target.label,
                "paused": paused.is_some(),
                "paused_for_seconds": paused.map(|since| now.duration_since(since).unwrap_or_default().as_secs_f64()),
            })
        })
        .collect();
    let paused: Vec<&str> = targets
        .iter()
        .filter(|t| t["paused"] == true)
        .filter_map(|t| t["target"].as_str())
        .collect();
    json!({ "paused_targets": paused, "targets": targets })
}

/// The log filter `RUST_LOG` asks for (`target=level` directives, e.g.
/// `info,ghl_webhook_router=debug`); `None` when it is unset or empty, an error naming the
/// variable when it cannot be read.
pub(crate) fn log_filter() -> Result<Option<Targets>, CliError> {
    match std::env::var("RUST_LOG") {
        Ok(text) if !text.trim().is_empty() => text.parse().map(Some).map_err(|err| {
            CliError::Usage(format!(
                "RUST_LOG `{text}`: {err}; give comma-separated `level` or `target=level` \
                 directives (e.g. RUST_LOG=info,ghl_webhook_router=debug), or unset it"
            ))
        }),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(CliError::Usage(
            "RUST_LOG is not UTF-8: give directives such as RUST_LOG=info, or unset it".into(),
        )),
    }
}

/// Logs to stderr, as JSON lines (one object per event, the span's fields beside the event's)
/// or text. With `chosen` (from [`log_filter`]), what it enables; otherwise the gateway's own
/// events at info, the router's at warn, and of the router's spans only the workers' one per
/// entry (the edge's span per delivery stays off, so the hot path formats nothing).
pub(crate) fn init_logs(json: bool, chosen: Option<Targets>) {
    let filter = filter_fn(move |meta| {
        if let Some(targets) = &chosen {
            return targets.would_enable(meta.target(), meta.level());
        }
        let target = meta.target();
        if target.starts_with("ghl_webhook_router") {
            if meta.is_span() {
                meta.name() == "ghl_webhook_worker"
            } else {
                *meta.level() <= Level::WARN
            }
        } else if target.starts_with("ghl_webhook") {
            *meta.level() <= Level::INFO
        } else {
            *meta.level() <= Level::WARN
        }
    });
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false);
    // A second initialisation (never in the binary) keeps the first.
    let _ = if json {
        tracing_subscriber::registry()
            .with(layer.json().flatten_event(true).with_filter(filter))
            .try_init()
    } else {
        tracing_subscriber::registry()
            .with(layer.with_filter(filter))
            .try_init()
    };
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM, logged; the handlers are installed when this is
/// called.
pub(crate) fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let stopped = {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        async move {
            tokio::select! {
                _ = interrupt.recv() => "Ctrl-C",
                _ = terminate.recv() => "SIGTERM",
            }
        }
    };
    #[cfg(not(unix))]
    let stopped = async {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    };
    Ok(async move {
        let name = stopped.await;
        tracing::info!(
            "{name}: stopping; forwards in flight finish within the grace or go back to the journal"
        );
    })
}

/// The order key of a payload: the value of its top-level `field` (a string as it is, any
/// other value as JSON text), `None` when absent, null, or not a JSON object.
pub(crate) fn top_level_field(raw: &[u8], field: &str) -> Option<String> {
    let value: Value = serde_json::from_slice(raw).ok()?;
    match value.get(field)? {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_keys_come_from_a_top_level_field() {
        let raw = br#"{"locationId":"loc-1","n":3,"x":null}"#;
        assert_eq!(top_level_field(raw, "locationId").as_deref(), Some("loc-1"));
        assert_eq!(top_level_field(raw, "n").as_deref(), Some("3"));
        assert_eq!(top_level_field(raw, "x"), None);
        assert_eq!(top_level_field(raw, "missing"), None);
        assert_eq!(top_level_field(b"[]", "locationId"), None);
    }
}
