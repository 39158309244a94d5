//! One attempt at a leased entry: rebuild its delivery, run its handler, say how to settle it.

use std::time::SystemTime;

use tracing::Instrument;

use super::RetryAt;
use crate::delivery::Delivery;
use crate::journal::{Journal, JournalError, LeaseToken, Leased, Settlement};
use crate::metrics::{self, Settled, Timer};
use crate::outcome::Outcome;
use crate::pipeline::Pipeline;

/// How a handled entry ended: a settlement for the completer, or already settled (in the
/// transaction of a transactional handler, or not at all when nothing ran).
pub(super) enum Finished {
    /// To settle.
    Settle {
        token: LeaseToken,
        how: Settlement,
        kind: &'static str,
        settled: Settled,
    },
    /// Settled already, with this result.
    Done {
        token: LeaseToken,
        kind: &'static str,
        settled: Settled,
        result: Result<(), JournalError>,
    },
}

/// Dispatches one leased entry, in a span of its own, and says how to settle it.
pub(super) async fn handle<S>(pipeline: &Pipeline<S>, leased: Leased) -> Finished {
    let span = tracing::info_span!(
        "ghl_webhook_worker",
        key = %leased.entry.key,
        kind = leased.entry.kind.map(|k| k.as_str()),
        attempt = leased.entry.attempts,
        trace_id = tracing::field::Empty,
    );
    handle_in_span(pipeline, leased).instrument(span).await
}

async fn handle_in_span<S>(pipeline: &Pipeline<S>, leased: Leased) -> Finished {
    let Leased { entry, token } = leased;
    let kind = metrics::kind_label(entry.kind);
    let Some(durable) = pipeline.durable.as_ref() else {
        return Finished::Settle {
            token,
            how: Settlement::Release,
            kind,
            settled: Settled::Unsettled,
        };
    };
    let config = &durable.config;
    let journal = &*durable.journal;
    let attempt = entry.attempts;
    let delivery = Delivery::from_entry(&entry);
    // Reading the envelope is a pass over the body: only for a subscriber that listens.
    let span = tracing::Span::current();
    if !span.is_disabled()
        && let Some(trace) = delivery.trace_id()
    {
        span.record("trace_id", trace);
    }
    let timer = Timer::start();
    let Some((outcome, completed)) = run(pipeline, journal, delivery, &token).await else {
        return Finished::Done {
            token,
            kind,
            settled: Settled::Unsettled,
            result: Ok(()),
        };
    };
    timer.handled(kind, &outcome);
    // A hold is the handler's decision to wait, not a failure: logged at debug only.
    match retry_at(&outcome) {
        Some(at) if at.hold => tracing::debug!(until = ?at.not_before, reason = %at.reason, "held"),
        _ => outcome.log(),
    }
    let (how, settled) = match &outcome {
        Outcome::Undecodable(_) => (
            Settlement::Dead {
                error: outcome.message().into_owned(),
            },
            Settled::DeadLetter("undecodable"),
        ),
        failed if failed.is_retryable() => {
            let error = failure_text(failed);
            let asked = retry_at(failed);
            if attempt >= config.max_attempts && !asked.is_some_and(|at| at.hold) {
                tracing::error!(attempts = attempt, "out of attempts: dead letter");
                (
                    Settlement::Dead { error },
                    Settled::DeadLetter("out_of_attempts"),
                )
            } else {
                let backoff = SystemTime::now() + config.backoff_after(attempt);
                let how = match asked {
                    Some(at) if at.hold => Settlement::Hold {
                        error,
                        until: at.not_before,
                    },
                    Some(at) => Settlement::Retry {
                        error,
                        not_before: at.not_before.max(backoff),
                    },
                    None => Settlement::Retry {
                        error,
                        not_before: backoff,
                    },
                };
                (how, Settled::Retried)
            }
        }
        _ => match completed {
            Some(result) => {
                return Finished::Done {
                    token,
                    kind,
                    settled: Settled::Completed,
                    result,
                };
            }
            None => (Settlement::Complete, Settled::Completed),
        },
    };
    Finished::Settle {
        token,
        how,
        kind,
        settled,
    }
}

/// Runs the handler of `delivery`: the plain dispatch, or, for a kind with a transactional
/// handler, the dispatch inside the transaction that completes the entry. Returns the outcome
/// and, when the transaction was committed or its commit failed, that result (the completion
/// is then done, or nothing of it happened). `None` when the transaction could not begin (the
/// lease was lost, the database is down): nothing ran, and the entry is left to its lease.
async fn run<S>(
    pipeline: &Pipeline<S>,
    journal: &dyn Journal,
    delivery: Delivery,
    token: &LeaseToken,
) -> Option<(Outcome, Option<Result<(), JournalError>>)> {
    #[cfg(feature = "postgres")]
    if pipeline.dispatcher.is_transactional(delivery.kind())
        && let Some(postgres) = journal.as_postgres()
    {
        let mut completion = match postgres.begin_completion(token).await {
            Ok(completion) => completion,
            Err(err) => {
                tracing::warn!(key = token.key(), error = %err, "could not begin the entry's transaction");
                return None;
            }
        };
        let outcome = pipeline
            .dispatcher
            .dispatch_in_transaction(delivery, completion.connection())
            .await;
        if matches!(outcome, Outcome::Handled) {
            return Some((outcome, Some(completion.commit().await)));
        }
        // Dropping the transaction rolls back what the handler wrote.
        drop(completion);
        return Some((outcome, None));
    }
    let _ = (journal, token);
    Some((pipeline.dispatcher.dispatch(delivery).await, None))
}

/// The handler's own say in its retry ([`RetryAt`]), when its error is one.
fn retry_at(outcome: &Outcome) -> Option<&RetryAt> {
    match outcome {
        Outcome::HandlerFailed(err) => err.downcast_ref::<RetryAt>(),
        _ => None,
    }
}

/// What a failed attempt records as its error: the outcome and its detail, for the operator
/// (the journal is the app's own storage, unlike a response to HighLevel).
fn failure_text(outcome: &Outcome) -> String {
    match outcome {
        Outcome::HandlerFailed(err) => format!("handler failed: {err}"),
        Outcome::HandlerPanicked(message) => format!("handler panicked: {message}"),
        other => other.message().into_owned(),
    }
}
