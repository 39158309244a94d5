//! The workers: lease entries, dispatch them, and settle each by its outcome.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::task::{Id, JoinSet};
use tracing::Instrument;

use crate::delivery::Delivery;
use crate::journal::{Entry, Journal, JournalError, LeaseToken, Leased};
use crate::metrics::{self, Settled, Timer};
use crate::outcome::Outcome;
use crate::pipeline::Pipeline;
use crate::verify::VerifiedBy;

/// How often done entries older than the retention are pruned, at most.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// The pause after the journal failed to lease, before the next try.
const JOURNAL_RETRY: Duration = Duration::from_secs(1);

/// The workers of a durable [`WebhookService`](crate::WebhookService), from
/// [`WebhookService::workers`](crate::WebhookService::workers): run them beside the server
/// ([`serve`](crate::serve::serve) does it for you).
pub struct Workers<S> {
    pipeline: Arc<Pipeline<S>>,
}

impl<S> std::fmt::Debug for Workers<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers").finish_non_exhaustive()
    }
}

impl<S: Send + Sync + 'static> Workers<S> {
    pub(crate) fn new(pipeline: Arc<Pipeline<S>>) -> Self {
        Self { pipeline }
    }

    /// Handles journaled entries until `shutdown` completes; then takes no new entries, waits
    /// up to the configured grace for those in progress, and hands the rest back to the journal
    /// (pending again, the attempt not counted).
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let Some(durable) = self.pipeline.durable.as_ref() else {
            return;
        };
        let config = &durable.config;
        let journal = &durable.journal;
        let lease_for = config.lease_for(self.pipeline.dispatcher.timeout());
        let mut running: JoinSet<()> = JoinSet::new();
        let mut leases: HashMap<Id, LeaseToken> = HashMap::new();
        let mut shutdown = std::pin::pin!(shutdown);
        // A short retention (tests, small disks) is pruned at its own pace.
        let prune_every = config
            .retention
            .clamp(Duration::from_millis(10), PRUNE_EVERY);
        let mut next_prune = tokio::time::Instant::now();
        let mut next_gauges = tokio::time::Instant::now();
        loop {
            if tokio::time::Instant::now() >= next_prune {
                prune(&**journal, config.retention).await;
                next_prune = tokio::time::Instant::now() + prune_every;
            }
            if cfg!(feature = "metrics") && tokio::time::Instant::now() >= next_gauges {
                record_journal(&**journal).await;
                next_gauges = tokio::time::Instant::now() + config.metrics_interval;
            }
            let mut journal_failed = false;
            let free = config.concurrency.saturating_sub(running.len());
            if free > 0 {
                match journal.lease(free, lease_for).await {
                    Ok(batch) => {
                        for leased in batch {
                            let token = leased.token.clone();
                            let pipeline = self.pipeline.clone();
                            let task =
                                running.spawn(async move { handle(&pipeline, leased).await });
                            leases.insert(task.id(), token);
                        }
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "the journal cannot lease entries");
                        journal_failed = true;
                    }
                }
            }
            let idle = if journal_failed {
                JOURNAL_RETRY
            } else {
                config.poll_interval
            };
            tokio::select! {
                () = &mut shutdown => break,
                Some(done) = running.join_next_with_id(), if !running.is_empty() => {
                    let id = match &done {
                        Ok((id, ())) => *id,
                        Err(err) => err.id(),
                    };
                    leases.remove(&id);
                }
                () = durable.appended.notified(), if !journal_failed => {}
                () = tokio::time::sleep(idle) => {}
            }
        }
        // Shutdown: no new leases; let the running handlers finish within the grace.
        let drained = tokio::time::timeout(config.grace, async {
            while let Some(done) = running.join_next_with_id().await {
                if let Ok((id, ())) = done {
                    leases.remove(&id);
                }
            }
        })
        .await;
        if drained.is_err() {
            running.shutdown().await;
        }
        for (_, token) in leases {
            if let Err(err) = journal.release(&token).await {
                tracing::warn!(key = token.key(), error = %err, "could not hand an entry back; its lease will expire");
            }
        }
    }
}

/// Dispatches one leased entry, in a span of its own, and settles it by the outcome.
async fn handle<S>(pipeline: &Pipeline<S>, leased: Leased) {
    let span = tracing::info_span!(
        "ghl_webhook_worker",
        key = %leased.entry.key,
        kind = leased.entry.kind.map(|k| k.as_str()),
        attempt = leased.entry.attempts,
    );
    handle_in_span(pipeline, leased).instrument(span).await;
}

async fn handle_in_span<S>(pipeline: &Pipeline<S>, leased: Leased) {
    let Some(durable) = pipeline.durable.as_ref() else {
        return;
    };
    let config = &durable.config;
    let journal = &*durable.journal;
    let Leased { entry, token } = leased;
    let attempt = entry.attempts;
    let kind = metrics::kind_label(Some(entry.kind));
    let delivery = match delivery_of(entry) {
        Ok(delivery) => delivery,
        Err(error) => {
            tracing::error!(%error, "dead letter");
            let settled = journal.dead(&token, &error).await;
            return settle(settled, &token, kind, Settled::DeadLetter("unreadable"));
        }
    };
    let timer = Timer::start();
    let Some((outcome, completed)) = run(pipeline, journal, delivery, &token).await else {
        return metrics::attempt(kind, Settled::Unsettled);
    };
    timer.handled(kind, &outcome);
    outcome.log();
    let (settled, how) = match &outcome {
        Outcome::Undecodable(_) => (
            journal.dead(&token, &outcome.message()).await,
            Settled::DeadLetter("undecodable"),
        ),
        failed if failed.is_retryable() => {
            let error = failure_text(failed);
            if attempt >= config.max_attempts {
                tracing::error!(attempts = attempt, "out of attempts: dead letter");
                (
                    journal.dead(&token, &error).await,
                    Settled::DeadLetter("out_of_attempts"),
                )
            } else {
                let not_before = SystemTime::now() + config.backoff_after(attempt);
                (
                    journal.retry(&token, &error, not_before).await,
                    Settled::Retried,
                )
            }
        }
        _ => (
            match completed {
                Some(committed) => committed,
                None => journal.complete(&token).await,
            },
            Settled::Completed,
        ),
    };
    settle(settled, &token, kind, how);
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

/// The delivery of a journaled entry, as the edge made it; an error names what is wrong with
/// an entry that cannot be one (its bytes are no longer JSON).
fn delivery_of(entry: Entry) -> Result<Delivery, String> {
    let verified_by = VerifiedBy::from_text(&entry.verified_by)
        .unwrap_or_else(|| VerifiedBy::Ed25519(entry.verified_by.as_str().into()));
    let delivery = Delivery::from_verified_bytes(entry.raw, verified_by)
        .map_err(|err| format!("the journaled bytes are not a delivery: {err}"))?;
    let delivery = match (entry.kind, entry.identified_by) {
        (Some(kind), Some(crate::IdentifiedBy::Route)) => delivery.bound_to(kind),
        _ => delivery,
    };
    Ok(delivery.with_attempt(entry.attempts))
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

/// Records the attempt as settled `how`, or logs a settle that did not land: a lost lease
/// (another worker owns the entry now) or a journal error (the lease expires and the entry is
/// handled again).
fn settle(result: Result<(), JournalError>, token: &LeaseToken, kind: &'static str, how: Settled) {
    match result {
        Ok(()) => metrics::attempt(kind, how),
        Err(err) => {
            tracing::warn!(key = token.key(), error = %err, "could not settle the entry");
            metrics::attempt(kind, Settled::Unsettled);
        }
    }
}

/// Reads the journal's counts into the journal gauges.
async fn record_journal(journal: &dyn Journal) {
    match journal.stats().await {
        Ok(stats) => metrics::journal(&stats, stats.oldest_pending_age()),
        Err(err) => tracing::warn!(error = %err, "could not read the journal's counts"),
    }
}

/// Deletes done entries older than the retention.
async fn prune(journal: &dyn Journal, retention: Duration) {
    let Some(cutoff) = SystemTime::now().checked_sub(retention) else {
        return;
    };
    match journal.prune_done(cutoff).await {
        Ok(0) => {}
        Ok(pruned) => tracing::info!(pruned, "pruned done entries past the retention"),
        Err(err) => tracing::warn!(error = %err, "could not prune done entries"),
    }
}
