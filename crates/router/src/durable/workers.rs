//! The workers: lease entries, dispatch them, and settle each by its outcome.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;
use tokio::task::{Id, JoinSet};
use tracing::Instrument;

use crate::delivery::Delivery;
use crate::journal::{Entry, Journal, JournalError, LeaseToken, Leased, Settlement};
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
    /// up to the configured grace for those in progress, settles what finished, and hands
    /// the rest back to the journal (pending again, the attempt not counted).
    ///
    /// Entries are leased ahead, up to twice the concurrency in hand, in one round trip
    /// each time; a handler's slot is free again as soon as it returns, while its outcome is
    /// settled by the completer, which writes the outcomes of entries that finished together
    /// in one batch ([`Journal::settle_many`]).
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let Some(durable) = self.pipeline.durable.as_ref() else {
            return;
        };
        let config = &durable.config;
        let journal = &durable.journal;
        let lease_for = config.lease_for(self.pipeline.dispatcher.timeout());
        let mut running: JoinSet<Finished> = JoinSet::new();
        let mut leases: HashMap<Id, LeaseToken> = HashMap::new();
        let mut ahead: VecDeque<Leased> = VecDeque::new();
        let completer = Completer::start(Arc::clone(journal));
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
            // Lease ahead once half of what may be in hand is free: one round trip for many
            // entries, and the next ones ready when a handler returns.
            let in_hand = running.len() + ahead.len();
            let room = (2 * config.concurrency).saturating_sub(in_hand);
            if ahead.is_empty() || room >= config.concurrency {
                match journal.lease(room, lease_for).await {
                    Ok(batch) => ahead.extend(batch),
                    Err(err) => {
                        tracing::error!(error = %err, "the journal cannot lease entries");
                        journal_failed = true;
                    }
                }
            }
            while running.len() < config.concurrency
                && let Some(leased) = ahead.pop_front()
            {
                // An entry that waited here past its lease may be another worker's now: it is
                // left to the journal, which leases it again (to whoever comes first).
                if leased
                    .entry
                    .lease_until
                    .is_some_and(|until| until <= SystemTime::now())
                {
                    tracing::debug!(key = %leased.entry.key, "a lease ran out before its entry started");
                    continue;
                }
                let token = leased.token.clone();
                let pipeline = self.pipeline.clone();
                let task = running.spawn(async move { handle(&pipeline, leased).await });
                leases.insert(task.id(), token);
            }
            let idle = if journal_failed {
                JOURNAL_RETRY
            } else {
                config.poll_interval
            };
            tokio::select! {
                () = &mut shutdown => break,
                Some(done) = running.join_next_with_id(), if !running.is_empty() => {
                    finished(done, &mut leases, &completer);
                    // Everything else that finished meanwhile, without another turn.
                    while let Some(done) = running.try_join_next_with_id() {
                        finished(done, &mut leases, &completer);
                    }
                    if !ahead.is_empty() {
                        continue;
                    }
                }
                () = durable.appended.notified(), if !journal_failed => {}
                () = tokio::time::sleep(idle) => {}
            }
        }
        // Shutdown: no new leases; let the running handlers finish within the grace.
        let drained = tokio::time::timeout(config.grace, async {
            while let Some(done) = running.join_next_with_id().await {
                finished(done, &mut leases, &completer);
            }
        })
        .await;
        if drained.is_err() {
            running.shutdown().await;
        }
        // What finished is settled before anything is handed back.
        completer.finish().await;
        let back: Vec<(LeaseToken, Settlement)> = leases
            .into_values()
            .chain(ahead.into_iter().map(|leased| leased.token))
            .map(|token| (token, Settlement::Release))
            .collect();
        for ((token, _), released) in back.iter().zip(journal.settle_many(&back).await) {
            if let Err(err) = released {
                tracing::warn!(key = token.key(), error = %err, "could not hand an entry back; its lease will expire");
            }
        }
    }
}

/// How a handled entry ended: a settlement for the completer, or already settled (in the
/// transaction of a transactional handler, or not at all when nothing ran).
enum Finished {
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

/// A finished handler task: its lease leaves the running set and its outcome goes to the
/// completer. A task that did not finish (aborted at shutdown) keeps its lease, which is
/// handed back.
fn finished(
    done: Result<(Id, Finished), tokio::task::JoinError>,
    leases: &mut HashMap<Id, LeaseToken>,
    completer: &Completer,
) {
    let Ok((id, finished)) = done else {
        return;
    };
    leases.remove(&id);
    match finished {
        Finished::Settle {
            token,
            how,
            kind,
            settled,
        } => completer.settle(token, how, kind, settled),
        Finished::Done {
            token,
            kind,
            settled,
            result,
        } => settle(result, &token, kind, settled),
    }
}

/// Settles the outcomes of finished entries in batches: whatever finished while the previous
/// batch was being written goes in the next one.
struct Completer {
    queue: mpsc::UnboundedSender<Pending>,
    task: tokio::task::JoinHandle<()>,
}

/// An outcome waiting for the completer.
struct Pending {
    token: LeaseToken,
    how: Settlement,
    kind: &'static str,
    settled: Settled,
}

/// The most outcomes one batch takes.
const MAX_SETTLE_BATCH: usize = 256;

impl Completer {
    fn start(journal: Arc<dyn Journal>) -> Self {
        let (queue, mut pending) = mpsc::unbounded_channel::<Pending>();
        let task = tokio::spawn(async move {
            let mut batch = Vec::new();
            while pending.recv_many(&mut batch, MAX_SETTLE_BATCH).await > 0 {
                let settles: Vec<(LeaseToken, Settlement)> = batch
                    .iter()
                    .map(|p| (p.token.clone(), p.how.clone()))
                    .collect();
                let results = journal.settle_many(&settles).await;
                for (pending, result) in batch.drain(..).zip(results) {
                    settle(result, &pending.token, pending.kind, pending.settled);
                }
            }
        });
        Self { queue, task }
    }

    fn settle(&self, token: LeaseToken, how: Settlement, kind: &'static str, settled: Settled) {
        // The completer runs until `finish`: the queue is open while the workers run.
        let _ = self.queue.send(Pending {
            token,
            how,
            kind,
            settled,
        });
    }

    /// Settles everything queued, then stops.
    async fn finish(self) {
        drop(self.queue);
        let _ = self.task.await;
    }
}

/// Dispatches one leased entry, in a span of its own, and says how to settle it.
async fn handle<S>(pipeline: &Pipeline<S>, leased: Leased) -> Finished {
    let span = tracing::info_span!(
        "ghl_webhook_worker",
        key = %leased.entry.key,
        kind = leased.entry.kind.map(|k| k.as_str()),
        attempt = leased.entry.attempts,
    );
    handle_in_span(pipeline, leased).instrument(span).await
}

async fn handle_in_span<S>(pipeline: &Pipeline<S>, leased: Leased) -> Finished {
    let Leased { entry, token } = leased;
    let kind = metrics::kind_label(Some(entry.kind));
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
    let delivery = match delivery_of(entry) {
        Ok(delivery) => delivery,
        Err(error) => {
            tracing::error!(%error, "dead letter");
            return Finished::Settle {
                token,
                how: Settlement::Dead { error },
                kind,
                settled: Settled::DeadLetter("unreadable"),
            };
        }
    };
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
    outcome.log();
    let (how, settled) = match &outcome {
        Outcome::Undecodable(_) => (
            Settlement::Dead {
                error: outcome.message().into_owned(),
            },
            Settled::DeadLetter("undecodable"),
        ),
        failed if failed.is_retryable() => {
            let error = failure_text(failed);
            if attempt >= config.max_attempts {
                tracing::error!(attempts = attempt, "out of attempts: dead letter");
                (
                    Settlement::Dead { error },
                    Settled::DeadLetter("out_of_attempts"),
                )
            } else {
                let not_before = SystemTime::now() + config.backoff_after(attempt);
                (Settlement::Retry { error, not_before }, Settled::Retried)
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
