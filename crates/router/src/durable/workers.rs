//! The workers: lease entries in batches, run their handlers, and hand each outcome to the
//! completer.

use std::collections::{HashMap, VecDeque};
use std::future::{Future, poll_fn};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, SystemTime};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::runtime::{Handle, RuntimeFlavor};

use super::attempt::{self, Finished};
use super::completer::{self, Completer, Pending};
use super::upkeep::Upkeep;
use crate::journal::{JournalError, LeaseToken, Leased, Settlement};
use crate::pipeline::Pipeline;

/// The pause after the journal failed to lease, before the next try.
const JOURNAL_RETRY: Duration = Duration::from_secs(1);

/// The most entries one lease takes, however fast the handlers return.
const MAX_LEASE_BATCH: usize = 512;

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

/// A handler in progress: its entry's sequence number in this run and how it ended.
type Running = BoxFuture<'static, (u64, Option<Finished>)>;

/// A lease on its way.
type Leasing<'a> = BoxFuture<'a, Result<Vec<Leased>, JournalError>>;

impl<S: Send + Sync + 'static> Workers<S> {
    pub(crate) fn new(pipeline: Arc<Pipeline<S>>) -> Self {
        Self { pipeline }
    }

    /// Handles journaled entries until `shutdown` completes; then takes no new entries, waits
    /// up to the configured grace for those in progress, settles what finished, and hands
    /// the rest back to the journal (pending again, the attempt not counted).
    ///
    /// Entries are leased in batches, one round trip each, while the handlers of the previous
    /// batch run: at least twice the concurrency, and more (up to 512) while fast handlers
    /// would otherwise wait for the journal, so that slow handlers hold few entries and fast
    /// ones are rarely left waiting. A handler's slot is free again as soon as
    /// it returns, while its outcome is settled by the completer, which writes the outcomes of
    /// entries that finished together in one batch ([`Journal::settle_many`]).
    ///
    /// On a current-thread runtime the handlers run on the workers' own task, which yields
    /// to the server as the runtime's budget asks (tokio's cooperative scheduling), so that
    /// neither starves the other; on a multi-thread runtime each handler is a task of its own.
    ///
    /// [`Journal::settle_many`]: crate::journal::Journal::settle_many
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let Some(durable) = self.pipeline.durable.as_ref() else {
            return;
        };
        let config = &durable.config;
        let journal = &durable.journal;
        let lease_for = config.lease_for(self.pipeline.dispatcher.timeout());
        let spawn_handlers = Handle::try_current()
            .is_ok_and(|runtime| runtime.runtime_flavor() != RuntimeFlavor::CurrentThread);
        let completer = Completer::start(Arc::clone(journal));
        let mut upkeep = Upkeep::new(
            config.retention,
            config.body_retention,
            config.metrics_interval,
        );
        let mut running: FuturesUnordered<Running> = FuturesUnordered::new();
        // The lease of each handler in progress, to hand back if shutdown cuts it short.
        let mut in_progress: HashMap<u64, LeaseToken> = HashMap::new();
        let mut ahead: VecDeque<Leased> = VecDeque::new();
        let mut leasing: Option<Leasing<'_>> = None;
        let mut asked = 0;
        let mut next_seq: u64 = 0;
        let mut batch_size = BatchSize::new(config.concurrency);
        // New entries the edge hands over leased, while this loop runs (the first loop of the
        // process only); as many as the handlers can start at once.
        let mut handed = durable.handoff.open(config.concurrency);
        let mut journal_failed_at: Option<tokio::time::Instant> = None;
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            upkeep.run_due(&**journal).await;
            if journal_failed_at.is_some_and(|at| at.elapsed() >= JOURNAL_RETRY) {
                journal_failed_at = None;
            }
            // Lease the next batch once half of what may be in hand is free.
            let in_hand = running.len() + ahead.len();
            if leasing.is_none() && journal_failed_at.is_none() && in_hand <= batch_size.get() / 2 {
                asked = batch_size.get() - in_hand;
                leasing = Some(journal.lease(asked, lease_for));
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
                let seq = next_seq;
                next_seq += 1;
                in_progress.insert(seq, leased.token.clone());
                let pipeline = Arc::clone(&self.pipeline);
                let attempt = async move { attempt::handle(&pipeline, leased).await };
                running.push(if spawn_handlers {
                    let task = AbortOnDrop(tokio::spawn(attempt));
                    Box::pin(async move { (seq, task.await) })
                } else {
                    // The dispatch guards the handler; this guards the rest of the attempt,
                    // which shares the workers' task here.
                    let guarded = AssertUnwindSafe(attempt).catch_unwind();
                    Box::pin(async move { (seq, guarded.await.ok()) })
                });
            }
            let idle = if journal_failed_at.is_some() {
                JOURNAL_RETRY
            } else {
                config.poll_interval
            };
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                Some((seq, done)) = running.next(), if !running.is_empty() => {
                    finished(seq, done, &mut in_progress, &completer);
                    // Everything else that finished meanwhile, in this turn; the budget hands
                    // the thread back to the server now and then.
                    while let Poll::Ready(Some((seq, done))) =
                        poll_fn(|cx| Poll::Ready(running.poll_next_unpin(cx))).await
                    {
                        finished(seq, done, &mut in_progress, &completer);
                        tokio::task::coop::consume_budget().await;
                    }
                }
                batch = async {
                    match leasing.as_mut() {
                        Some(leasing) => leasing.await,
                        None => std::future::pending().await,
                    }
                }, if leasing.is_some() => {
                    leasing = None;
                    match batch {
                        Ok(batch) => {
                            let starved =
                                ahead.is_empty() && running.len() < config.concurrency;
                            batch_size.after_lease(asked, batch.len(), starved);
                            ahead.extend(batch);
                        }
                        Err(err) => {
                            tracing::error!(error = %err, "the journal cannot lease entries");
                            journal_failed_at = Some(tokio::time::Instant::now());
                        }
                    }
                }
                Some(leased) = next_handed(&mut handed),
                    if handed.is_some() && running.len() + ahead.len() < batch_size.get() => {
                    ahead.push_back(leased);
                }
                () = durable.appended.notified(), if leasing.is_none() && journal_failed_at.is_none() => {}
                () = tokio::time::sleep(idle) => {}
            }
        }
        // Shutdown: nothing more handed over (what was, and what the edge is handing over now,
        // is taken, to be handed back); no new leases (one on its way is still taken, to be
        // handed back); let the running handlers finish within the grace.
        durable.handoff.close();
        if let Some(mut handed) = handed.take() {
            handed.close();
            while let Some(leased) = handed.recv().await {
                ahead.push_back(leased);
            }
        }
        if let Some(leasing) = leasing.take()
            && let Ok(batch) = leasing.await
        {
            ahead.extend(batch);
        }
        let drained = tokio::time::timeout(config.grace, async {
            while let Some((seq, done)) = running.next().await {
                finished(seq, done, &mut in_progress, &completer);
            }
        })
        .await;
        if drained.is_err() {
            // Dropping a handler cancels it (a spawned one is aborted); its lease is handed back.
            drop(running);
        }
        // What finished is settled before anything is handed back.
        completer.finish().await;
        let back: Vec<(LeaseToken, Settlement)> = in_progress
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

/// The next entry handed over by the edge; never, without a hand-off.
async fn next_handed(handed: &mut Option<tokio::sync::mpsc::Receiver<Leased>>) -> Option<Leased> {
    match handed {
        Some(handed) => handed.recv().await,
        None => std::future::pending().await,
    }
}

/// How many entries a lease asks for: at least twice the concurrency, so that the next
/// entries are in hand when a handler returns; doubled while the handlers run dry before
/// full batches arrive (the journal's round trip, not the handlers, is then the limit), up to
/// [`MAX_LEASE_BATCH`]; back to the least once the journal has fewer due entries than asked.
/// Slow handlers so never hold more entries than they need.
#[derive(Debug)]
struct BatchSize {
    least: usize,
    now: usize,
}

impl BatchSize {
    fn new(concurrency: usize) -> Self {
        let least = 2 * concurrency.max(1);
        Self { least, now: least }
    }

    fn get(&self) -> usize {
        self.now
    }

    /// Adjusts to a lease that asked for `asked` entries and got `got`, arriving when the
    /// handlers had nothing left to start (`starved`) or not.
    fn after_lease(&mut self, asked: usize, got: usize, starved: bool) {
        if got < asked {
            self.now = self.least;
        } else if starved {
            self.now = (self.now * 2).min(MAX_LEASE_BATCH.max(self.least));
        }
    }
}

/// A handler running as a task of its own, aborted when the workers let go of it.
struct AbortOnDrop(tokio::task::JoinHandle<Finished>);

impl Future for AbortOnDrop {
    /// `None` when the task did not finish (it was aborted).
    type Output = Option<Finished>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(Result::ok)
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A finished handler: its lease leaves the running set and its outcome goes to the
/// completer. A handler that did not finish keeps its lease, which is handed back.
fn finished(
    seq: u64,
    done: Option<Finished>,
    in_progress: &mut HashMap<u64, LeaseToken>,
    completer: &Completer,
) {
    let Some(finished) = done else {
        return;
    };
    in_progress.remove(&seq);
    match finished {
        Finished::Settle {
            token,
            how,
            kind,
            settled,
        } => completer.settle(Pending {
            token,
            how,
            kind,
            settled,
        }),
        Finished::Done {
            token,
            kind,
            settled,
            result,
        } => completer::record(result, &token, kind, settled),
    }
}
