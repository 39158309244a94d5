//! The metrics the router records through the [`metrics`](https://docs.rs/metrics) facade,
//! with the `metrics` cargo feature: the library records, the application installs the
//! exporter it wants (e.g. `metrics-exporter-prometheus`) before it serves.
//!
//! Every label takes its values from a small fixed set (event kinds, outcome codes, reasons,
//! states): never a `webhookId`, a location id or anything of a payload, so the number of
//! series stays bounded whatever the traffic.
//!
//! | name | type | labels | what |
//! |---|---|---|---|
//! | `ghl_webhook_deliveries_total` | counter | `kind`, `outcome` | every answered request, by its outcome code (`Outcome::code`: `handled`, `duplicate`, `invalid_signature`, ...) |
//! | `ghl_webhook_signature_rejections_total` | counter | `reason` | requests answered 401, by `SignatureError::code` (`signature_missing`, `signature_mismatch`, `signature_not_applicable`, ...) |
//! | `ghl_webhook_verify_seconds` | histogram | `result` | the time to verify a signature (`verified`, `rejected`), waiting for a batch included |
//! | `ghl_webhook_handler_seconds` | histogram | `kind`, `outcome` | the time to decode and handle a delivery (inline, or in a worker) |
//! | `ghl_webhook_in_flight` | gauge | | requests being answered right now |
//! | `ghl_webhook_success_ratio` | gauge | | the share of 2xx answers to verified deliveries over the success window: HighLevel's view of the URL |
//! | `ghl_webhook_success_window_answers` | gauge | | the answers in that window |
//! | `ghl_webhook_dedupe_ids` | gauge | | ids remembered by the in-memory idempotency store |
//! | `ghl_webhook_dedupe_evictions_total` | counter | | ids the in-memory store forgot before their ttl because it was full |
//! | `ghl_webhook_journal_entries` | gauge | `state` | durable mode: entries by state (`pending`, `in_progress`, `done`, `dead`) |
//! | `ghl_webhook_journal_oldest_pending_seconds` | gauge | | durable mode: the age of the oldest pending entry (0 when none) |
//! | `ghl_webhook_worker_attempts_total` | counter | `kind`, `result` | durable mode: handler attempts, by how they were settled (`completed`, `retried`, `dead_letter`, `unsettled`) |
//! | `ghl_webhook_dead_letters_total` | counter | `kind`, `reason` | durable mode: entries given up (`undecodable`, `out_of_attempts`) |
//!
//! The success-window gauges are set at each answer and at each readiness check
//! ([`HealthService`](crate::HealthService)), so they slide on while nothing arrives when a
//! probe polls; the ratio keeps its last value while the window is empty (alert on it together
//! with the answers gauge).
//!
//! The `kind` label is the event name (`ContactCreate`, ...), `unknown` for a verified delivery
//! of no known kind, and `none` for a request rejected before it was identified. The journal
//! gauges are read from the journal every
//! [`DurableConfig::metrics_interval`](crate::DurableConfig::metrics_interval) by the
//! workers, so every replica on one shared journal reports the same figures: aggregate them
//! with `max`, not `sum`. Histograms are in seconds; with the Prometheus exporter, set buckets
//! (e.g. `set_buckets_for_metric(Matcher::Suffix("_seconds".into()), ...)`) to get histograms
//! rather than summaries.

#[cfg(feature = "metrics")]
use std::sync::Once;
use std::time::Duration;
#[cfg(feature = "metrics")]
use std::time::Instant;

use ghl_webhook_types::EventKind;

use crate::journal::Stats;
use crate::outcome::Outcome;
use crate::success_rate::SuccessRate;

/// Every answered request: labels `kind`, `outcome`.
pub const DELIVERIES_TOTAL: &str = "ghl_webhook_deliveries_total";
/// Requests answered 401: label `reason`.
pub const SIGNATURE_REJECTIONS_TOTAL: &str = "ghl_webhook_signature_rejections_total";
/// Signature verification time in seconds: label `result`.
pub const VERIFY_SECONDS: &str = "ghl_webhook_verify_seconds";
/// Decode and handler time in seconds: labels `kind`, `outcome`.
pub const HANDLER_SECONDS: &str = "ghl_webhook_handler_seconds";
/// Requests being answered right now.
pub const IN_FLIGHT: &str = "ghl_webhook_in_flight";
/// The share of 2xx answers to verified deliveries over the success window.
pub const SUCCESS_RATIO: &str = "ghl_webhook_success_ratio";
/// The answers counted in the success window.
pub const SUCCESS_WINDOW_ANSWERS: &str = "ghl_webhook_success_window_answers";
/// Ids remembered by the in-memory idempotency store.
pub const DEDUPE_IDS: &str = "ghl_webhook_dedupe_ids";
/// Ids the in-memory store forgot early because it was full.
pub const DEDUPE_EVICTIONS_TOTAL: &str = "ghl_webhook_dedupe_evictions_total";
/// Durable mode: journal entries by state: label `state`.
pub const JOURNAL_ENTRIES: &str = "ghl_webhook_journal_entries";
/// Durable mode: the age of the oldest pending entry in seconds.
pub const JOURNAL_OLDEST_PENDING_SECONDS: &str = "ghl_webhook_journal_oldest_pending_seconds";
/// Durable mode: handler attempts by how they were settled: labels `kind`, `result`.
pub const WORKER_ATTEMPTS_TOTAL: &str = "ghl_webhook_worker_attempts_total";
/// Durable mode: dead letters added: labels `kind`, `reason`.
pub const DEAD_LETTERS_TOTAL: &str = "ghl_webhook_dead_letters_total";

/// Suggested upper bounds, in seconds, of the buckets of the `_seconds` histograms: from a tenth
/// of a millisecond (an Ed25519 verification takes tens of microseconds) up to 30 s (the
/// default handler timeout). With `metrics-exporter-prometheus`:
/// `PrometheusBuilder::new().set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)`.
pub const SECONDS_BUCKETS: &[f64] = &[
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0,
];

/// Every metric the router records, with its labels, in the order of the table above.
pub const ALL: &[(&str, &[&str])] = &[
    (DELIVERIES_TOTAL, &["kind", "outcome"]),
    (SIGNATURE_REJECTIONS_TOTAL, &["reason"]),
    (VERIFY_SECONDS, &["result"]),
    (HANDLER_SECONDS, &["kind", "outcome"]),
    (IN_FLIGHT, &[]),
    (SUCCESS_RATIO, &[]),
    (SUCCESS_WINDOW_ANSWERS, &[]),
    (DEDUPE_IDS, &[]),
    (DEDUPE_EVICTIONS_TOTAL, &[]),
    (JOURNAL_ENTRIES, &["state"]),
    (JOURNAL_OLDEST_PENDING_SECONDS, &[]),
    (WORKER_ATTEMPTS_TOTAL, &["kind", "result"]),
    (DEAD_LETTERS_TOTAL, &["kind", "reason"]),
];

/// Registers the description and unit of every metric with the installed recorder (the
/// exporter's `# HELP` lines). The router does it itself at its first recorded delivery; call
/// it after installing a recorder to have them from the start. Needs the `metrics` feature.
#[cfg(feature = "metrics")]
pub fn describe() {
    use ::metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        DELIVERIES_TOTAL,
        "Answered requests, by event kind and outcome"
    );
    describe_counter!(
        SIGNATURE_REJECTIONS_TOTAL,
        "Requests answered 401, by why the signature was refused"
    );
    describe_histogram!(VERIFY_SECONDS, Unit::Seconds, "Signature verification time");
    describe_histogram!(
        HANDLER_SECONDS,
        Unit::Seconds,
        "Decode and handler time, by event kind and outcome"
    );
    describe_gauge!(IN_FLIGHT, "Requests being answered");
    describe_gauge!(
        SUCCESS_RATIO,
        "Share of 2xx answers to verified deliveries over the success window (HighLevel pauses URLs under 0.9)"
    );
    describe_gauge!(SUCCESS_WINDOW_ANSWERS, "Answers in the success window");
    describe_gauge!(
        DEDUPE_IDS,
        "Ids remembered by the in-memory idempotency store"
    );
    describe_counter!(
        DEDUPE_EVICTIONS_TOTAL,
        "Ids forgotten before their ttl because the in-memory store was full"
    );
    describe_gauge!(JOURNAL_ENTRIES, "Journal entries by state");
    describe_gauge!(
        JOURNAL_OLDEST_PENDING_SECONDS,
        Unit::Seconds,
        "Age of the oldest pending journal entry"
    );
    describe_counter!(
        WORKER_ATTEMPTS_TOTAL,
        "Worker handler attempts, by event kind and how they were settled"
    );
    describe_counter!(
        DEAD_LETTERS_TOTAL,
        "Dead letters added, by event kind and reason"
    );
}

/// Describes the metrics once per process, at the first thing recorded.
#[cfg(feature = "metrics")]
fn describe_once() {
    static DESCRIBED: Once = Once::new();
    DESCRIBED.call_once(describe);
}

/// The `kind` label of an identified delivery: its event name, or `unknown`.
pub(crate) fn kind_label(kind: Option<EventKind>) -> &'static str {
    kind.map_or("unknown", EventKind::as_str)
}

/// The `kind` label of a delivery refused before it was identified.
pub(crate) const NOT_IDENTIFIED: &str = "none";

/// Measures one step; nothing at all without the `metrics` feature.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timer {
    #[cfg(feature = "metrics")]
    started: Instant,
}

impl Timer {
    pub(crate) fn start() -> Self {
        Self {
            #[cfg(feature = "metrics")]
            started: Instant::now(),
        }
    }

    /// Records a signature verification that ended now.
    pub(crate) fn verified(self, ok: bool) {
        #[cfg(feature = "metrics")]
        {
            let result = if ok { "verified" } else { "rejected" };
            ::metrics::histogram!(VERIFY_SECONDS, "result" => result)
                .record(self.started.elapsed());
        }
        #[cfg(not(feature = "metrics"))]
        let _ = ok;
    }

    /// Records a dispatch (decode and handler) that ended now with `outcome`.
    pub(crate) fn handled(self, kind: &'static str, outcome: &Outcome) {
        #[cfg(feature = "metrics")]
        ::metrics::histogram!(HANDLER_SECONDS, "kind" => kind, "outcome" => outcome.code())
            .record(self.started.elapsed());
        #[cfg(not(feature = "metrics"))]
        let _ = (kind, outcome);
    }
}

/// Records an answered request.
pub(crate) fn answered(kind: &'static str, outcome: &Outcome) {
    #[cfg(feature = "metrics")]
    {
        describe_once();
        ::metrics::counter!(DELIVERIES_TOTAL, "kind" => kind, "outcome" => outcome.code())
            .increment(1);
        if let Outcome::InvalidSignature(err) = outcome {
            ::metrics::counter!(SIGNATURE_REJECTIONS_TOTAL, "reason" => err.code()).increment(1);
        }
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (kind, outcome);
}

/// Sets the success-window gauges (the ratio only once there is an answer).
pub(crate) fn success(window: SuccessRate) {
    #[cfg(feature = "metrics")]
    {
        if let Some(ratio) = window.ratio() {
            ::metrics::gauge!(SUCCESS_RATIO).set(ratio);
        }
        ::metrics::gauge!(SUCCESS_WINDOW_ANSWERS).set(window.answers as f64);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = window;
}

/// Moves the in-flight gauge by `delta` (1 when a request starts, -1 when it is answered).
pub(crate) fn in_flight(delta: f64) {
    #[cfg(feature = "metrics")]
    ::metrics::gauge!(IN_FLIGHT).increment(delta);
    #[cfg(not(feature = "metrics"))]
    let _ = delta;
}

/// Records the in-memory store after a claim or a release: its size, and whether the claim
/// evicted an id.
pub(crate) fn dedupe_claimed(ids: usize, evicted: bool) {
    #[cfg(feature = "metrics")]
    {
        ::metrics::gauge!(DEDUPE_IDS).set(ids as f64);
        if evicted {
            ::metrics::counter!(DEDUPE_EVICTIONS_TOTAL).increment(1);
        }
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (ids, evicted);
}

/// How a worker's attempt was settled: the `result` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    Completed,
    Retried,
    /// A dead letter, for this reason (the `reason` label of the dead-letter counter).
    DeadLetter(&'static str),
    /// The journal did not take the settle (a lost lease, or an error): the entry comes back.
    Unsettled,
}

/// Records one worker attempt on an entry of `kind`.
pub(crate) fn attempt(kind: &'static str, settled: Settled) {
    #[cfg(feature = "metrics")]
    {
        describe_once();
        let result = match settled {
            Settled::Completed => "completed",
            Settled::Retried => "retried",
            Settled::DeadLetter(reason) => {
                ::metrics::counter!(DEAD_LETTERS_TOTAL, "kind" => kind, "reason" => reason)
                    .increment(1);
                "dead_letter"
            }
            Settled::Unsettled => "unsettled",
        };
        ::metrics::counter!(WORKER_ATTEMPTS_TOTAL, "kind" => kind, "result" => result).increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (kind, settled);
}

/// Records the journal's counts and the age of its oldest pending entry.
pub(crate) fn journal(stats: &Stats, oldest_pending_age: Option<Duration>) {
    #[cfg(feature = "metrics")]
    {
        for (state, count) in [
            ("pending", stats.pending),
            ("in_progress", stats.in_progress),
            ("done", stats.done),
            ("dead", stats.dead),
        ] {
            ::metrics::gauge!(JOURNAL_ENTRIES, "state" => state).set(count as f64);
        }
        ::metrics::gauge!(JOURNAL_OLDEST_PENDING_SECONDS)
            .set(oldest_pending_age.unwrap_or_default().as_secs_f64());
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (stats, oldest_pending_age);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of the table in this module's docs: `(name, labels)`.
    fn documented_rows() -> Vec<(String, Vec<String>)> {
        include_str!("metrics.rs")
            .lines()
            .filter_map(|line| line.strip_prefix("//! | `"))
            .map(|row| {
                let cells: Vec<&str> = row.split('|').map(str::trim).collect();
                let labels = cells[2]
                    .split(',')
                    .map(|label| label.trim().trim_matches('`').to_owned())
                    .filter(|label| !label.is_empty())
                    .collect();
                (cells[0].trim_end_matches('`').to_owned(), labels)
            })
            .collect()
    }

    #[test]
    fn the_table_in_the_docs_is_every_metric_with_its_labels() {
        let actual: Vec<(String, Vec<String>)> = ALL
            .iter()
            .map(|(name, labels)| {
                (
                    (*name).to_owned(),
                    labels.iter().map(|l| (*l).to_owned()).collect(),
                )
            })
            .collect();
        assert_eq!(documented_rows(), actual);
    }

    #[test]
    fn kind_labels_are_event_names_or_two_fixed_words() {
        assert_eq!(
            kind_label(Some(EventKind::AssociationDelete)),
            "AssociationDelete"
        );
        assert_eq!(kind_label(None), "unknown");
        assert_eq!(NOT_IDENTIFIED, "none");
    }
}
