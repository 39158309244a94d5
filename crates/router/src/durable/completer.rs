//! The completer: the outcomes of entries that finished together, written in one batch.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::journal::{Journal, JournalError, LeaseToken, Settlement};
use crate::metrics::{self, Settled};

/// The most outcomes one batch takes.
const MAX_SETTLE_BATCH: usize = 512;

/// Settles the outcomes of finished entries in batches ([`Journal::settle_many`]): whatever
/// finished while the previous batch was being written goes in the next one.
pub(super) struct Completer {
    queue: mpsc::UnboundedSender<Pending>,
    task: tokio::task::JoinHandle<()>,
}

/// An outcome waiting for the completer.
pub(super) struct Pending {
    pub(super) token: LeaseToken,
    pub(super) how: Settlement,
    pub(super) kind: &'static str,
    pub(super) settled: Settled,
}

impl Completer {
    pub(super) fn start(journal: Arc<dyn Journal>) -> Self {
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
                    record(result, &pending.token, pending.kind, pending.settled);
                }
            }
        });
        Self { queue, task }
    }

    /// Queues an outcome for the next batch.
    pub(super) fn settle(&self, pending: Pending) {
        // The completer runs until `finish`: the queue is open while the workers run.
        let _ = self.queue.send(pending);
    }

    /// Settles everything queued, then stops.
    pub(super) async fn finish(self) {
        drop(self.queue);
        let _ = self.task.await;
    }
}

/// Records the attempt as settled `how`, or logs a settle that did not land: a lost lease
/// (another worker owns the entry now) or a journal error (the lease expires and the entry is
/// handled again).
pub(super) fn record(
    result: Result<(), JournalError>,
    token: &LeaseToken,
    kind: &'static str,
    how: Settled,
) {
    match result {
        Ok(()) => metrics::attempt(kind, how),
        Err(err) => {
            tracing::warn!(key = token.key(), error = %err, "could not settle the entry");
            metrics::attempt(kind, Settled::Unsettled);
        }
    }
}
