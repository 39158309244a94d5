use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::BoxError;
use crate::delivery::Delivery;
use crate::outcome::Outcome;

mod memory;
#[cfg(feature = "redis")]
mod redis;

pub use memory::InMemoryStore;
#[cfg(feature = "redis")]
pub use redis::{RedisStore, RedisStoreConfig};

/// The state of a `webhookId` when a delivery tries to claim it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// First sight (or the earlier claim was released or expired): this delivery runs.
    Acquired,
    /// Another delivery with this id is being handled right now.
    InFlight,
    /// A delivery with this id was handled and answered 2xx.
    Done,
}

/// The store could not answer.
#[derive(Debug, thiserror::Error)]
#[error("the idempotency store is unavailable: {0}")]
#[non_exhaustive]
pub struct StoreError(#[source] pub BoxError);

impl StoreError {
    /// Wraps any error.
    pub fn new(err: impl Into<BoxError>) -> Self {
        Self(err.into())
    }
}

/// Where claims on `webhookId`s live: in memory for one instance, shared (e.g. Redis) for
/// several replicas.
///
/// Implementations must make `claim` atomic: of two concurrent claims on one id, exactly one
/// is `Acquired`.
///
/// HighLevel delivers at least once; with a store, handlers run once. A delivery *claims* its `webhookId` before its handler runs. The claim is *completed* when
/// the delivery is answered 2xx, so later duplicates are acknowledged without running the
/// handler, and *released* when the handler fails, panics or times out, so HighLevel's retry
/// runs it again. A duplicate that arrives while the first is still running is answered with a
/// retryable status: HighLevel comes back later, when the outcome is known.
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Claims `webhook_id` for a delivery about to be handled.
    fn claim<'a>(&'a self, webhook_id: &'a str) -> BoxFuture<'a, Result<Claim, StoreError>>;
    /// Marks a claimed id as handled: later duplicates are acknowledged without a handler call.
    fn complete<'a>(&'a self, webhook_id: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
    /// Gives a claim up after a failure, so that the next delivery of the id is handled.
    fn release<'a>(&'a self, webhook_id: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Checks that the store can be reached, for readiness
    /// ([`HealthService`](crate::HealthService)). The default says yes: override it for a
    /// store across the network.
    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// What the router does when the store cannot answer (e.g. Redis is down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnStoreError {
    /// Answer the retryable status: nothing is processed twice, and HighLevel's retries are
    /// processed once the store is back. The default.
    #[default]
    Retry,
    /// Process the delivery without deduplication (at-least-once effects while the store is
    /// down).
    ProcessAnyway,
}

/// Pauses between attempts to complete a claim while the store fails (about 3.75 s in all).
const SETTLE_RETRY_DELAYS: &[Duration] = &[
    Duration::from_millis(50),
    Duration::from_millis(200),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// Runs `op`, and again after each of [`SETTLE_RETRY_DELAYS`] while it fails.
async fn retry_settle<F, Fut>(mut op: F) -> Result<(), StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), StoreError>>,
{
    let mut last = match op().await {
        Ok(()) => return Ok(()),
        Err(err) => err,
    };
    for delay in SETTLE_RETRY_DELAYS {
        tokio::time::sleep(*delay).await;
        match op().await {
            Ok(()) => return Ok(()),
            Err(err) => last = err,
        }
    }
    Err(last)
}

/// The router's deduplication: off, the in-memory store (without boxing), or any store.
#[derive(Clone)]
pub(crate) enum Dedupe {
    Off,
    Memory(InMemoryStore),
    Store(Arc<dyn IdempotencyStore>),
}

/// The claim step's result for a delivery that may run its handler.
#[must_use = "a held claim must be settled once the outcome is known"]
pub(crate) enum Claimed<'a> {
    /// This delivery holds the claim on its `webhookId`.
    Held { dedupe: &'a Dedupe, id: &'a str },
    /// Nothing to settle: no `webhookId`, or the store is down and the policy says to process.
    Unclaimed,
}

impl Claimed<'_> {
    /// Completes the claim after a success (later duplicates are acknowledged), releases it
    /// otherwise (HighLevel's retry runs the handler again).
    pub(crate) async fn settle(self, succeeded: bool) {
        let Claimed::Held { dedupe, id } = self else {
            return;
        };
        let settled = if succeeded {
            dedupe.complete(id).await
        } else {
            dedupe.release(id).await
        };
        if let Err(err) = settled {
            tracing::error!(error = %err, "could not settle the claim; it will expire");
        }
    }
}

impl Dedupe {
    /// The claim step: claims the delivery's `webhookId`, or says how the delivery ends
    /// without running its handler (a duplicate, or the store is down under
    /// [`OnStoreError::Retry`]).
    pub(crate) async fn claim_for<'a>(
        &'a self,
        delivery: &'a Delivery,
        on_error: OnStoreError,
    ) -> Result<Claimed<'a>, Outcome> {
        let Some(id) = delivery.webhook_id() else {
            tracing::info!("no webhookId: processed without deduplication");
            return Ok(Claimed::Unclaimed);
        };
        match self.claim(id).await {
            Ok(Claim::Acquired) => Ok(Claimed::Held { dedupe: self, id }),
            Ok(Claim::Done) => Err(Outcome::Duplicate),
            Ok(Claim::InFlight) => Err(Outcome::DuplicateInFlight),
            Err(err) => match on_error {
                OnStoreError::Retry => Err(Outcome::StoreUnavailable(err)),
                OnStoreError::ProcessAnyway => {
                    tracing::error!(error = %err, "idempotency store unavailable: processing without deduplication");
                    Ok(Claimed::Unclaimed)
                }
            },
        }
    }

    pub(crate) async fn claim(&self, id: &str) -> Result<Claim, StoreError> {
        match self {
            Dedupe::Off => Ok(Claim::Acquired),
            Dedupe::Memory(store) => {
                let (claim, ids, evicted) = store.claim_observed(id);
                crate::metrics::dedupe_claimed(ids, evicted);
                Ok(claim)
            }
            Dedupe::Store(store) => store.claim(id).await,
        }
    }

    /// Completes a claim, retrying a failing store for a few seconds: a completion that never
    /// lands leaves the claim in flight until it expires, after which a duplicate would run the
    /// handler a second time.
    pub(crate) async fn complete(&self, id: &str) -> Result<(), StoreError> {
        retry_settle(|| self.complete_once(id)).await
    }

    async fn complete_once(&self, id: &str) -> Result<(), StoreError> {
        match self {
            Dedupe::Off => Ok(()),
            Dedupe::Memory(store) => {
                store.complete_now(id);
                Ok(())
            }
            Dedupe::Store(store) => store.complete(id).await,
        }
    }

    /// Releases a claim, retrying a failing store for a few seconds: a release that never
    /// lands blocks HighLevel's retries (answered busy) until the claim expires.
    pub(crate) async fn release(&self, id: &str) -> Result<(), StoreError> {
        retry_settle(|| self.release_once(id)).await
    }

    async fn release_once(&self, id: &str) -> Result<(), StoreError> {
        match self {
            Dedupe::Off => Ok(()),
            Dedupe::Memory(store) => {
                store.release_now(id);
                crate::metrics::dedupe_claimed(store.len(), false);
                Ok(())
            }
            Dedupe::Store(store) => store.release(id).await,
        }
    }
}
