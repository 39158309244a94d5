//! Batch verification: the Ed25519 signatures of deliveries that wait together are checked as
//! one batch, for less than the cost of checking them one by one.
//!
//! [`BatchVerifier`] gives the same verdicts as [`Verifier::verify`], and never waits for a
//! batch to fill. A delivery whose signature is ready queues it; the first to find the queue
//! empty leads: it lets the other ready tasks run once (one `yield_now`), then takes every
//! signature queued meanwhile and verifies them, answering each waiting delivery. Deliveries
//! that arrive while a leader verifies queue up for the next leader, so several leaders verify
//! in parallel on a multi-thread runtime.
//!
//! A delivery that arrives alone is verified alone (with its key's precomputed tables, as
//! [`Verifier::verify`] does). Its leader yields only while leaders find company: once a leader
//! finds itself alone, the next ones verify at once, without the pass of the scheduler, and one
//! leader in [`PROBE_EVERY`] yields again to find out whether deliveries wait together again.
//!
//! A batch is *coalesced*: every member is checked against one key `A`, so the key's terms add
//! up into one and a batch of n signatures is one multiplication of n + 2 points (`B`, `A` and
//! each `R`), with `B` and `A` from tables made once per key (ed25519-zebra's idea; ed25519-dalek's
//! `verify_batch` multiplies 2n + 1).
//!
//! # Same verdicts as `verify_strict`
//!
//! The batch equation (ed25519-dalek's `verify_batch`'s, cofactorless) does not check what
//! `verify_strict` checks beyond the signature equation: it would accept an unreduced `S`, a
//! non-canonical encoding of `R`, and `R` or a key `A` of small order. A signature failing one
//! of these checks never joins a batch (it is verified alone, and so rejected), and keys of
//! small or mixed order are never batched against (summing a key's terms needs a key of prime
//! order, too). A batch that fails is resolved by verifying each member alone, with
//! `verify_strict`'s verdict, so a rejection is always `verify_strict`'s own.
//!
//! One difference remains, and is accepted on purpose: a signature whose `R` is a valid
//! nonce point plus a point of small order (`R = rB + T`, `S = r + H(R‖A‖M)·a`) fails
//! `verify_strict` but passes a batch with probability up to 1/2 (the batch's random weights
//! cancel `T` when they are a multiple of its order). Making such a signature needs the private
//! key `a`: whoever can make it can sign anything. For authenticating HighLevel, the question
//! the signature answers is "did the holder of HighLevel's key sign these exact bytes", and
//! such a signature answers it yes; it cannot be made from another delivery's signature, nor
//! without the key. Checking for it would cost a scalar multiplication per signature, most of
//! what batching saves. The differential property `tests/verdicts.rs` checks every other
//! verdict against `verify_strict`'s.
//!
//! # Forged signatures
//!
//! A forged signature makes its whole batch fail, and every member is then verified alone: the
//! batch was wasted work. The batch size adapts to the fraction of forged signatures seen
//! recently: it is the size whose expected cost per signature is lowest, which is
//! never more than verifying alone, and falls to 1 (no batches at all) when forgeries are
//! frequent. Signatures that fail the strict checks above are rejected alone and cost a batch
//! nothing.
//!
//! With several trusted keys, a batch is verified against the key that verified the latest
//! delivery; a delivery signed with another key fails the batch and is verified alone against
//! every key, like [`Verifier::verify`].

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use ed25519_dalek::Signature;
use http::HeaderMap;
use tokio::sync::oneshot;

use crate::keys::Ed25519Key;
use crate::verify::{SIGNATURE_HEADER, SignatureError, VerifiedBy, Verifier, parse_ed25519};

mod coalesced;
mod sizing;
pub(crate) mod strict;

pub use sizing::MAX_BATCH;
use sizing::Sizing;

/// While leaders find themselves alone, one in this many still yields, to notice company.
pub const PROBE_EVERY: u32 = 16;

/// The verdict on one delivery's signature.
type Verdict = Result<VerifiedBy, SignatureError>;

/// Verifies the signatures of deliveries that wait together as one batch; the same verdicts as
/// the [`Verifier`] it wraps.
///
/// Cheap to clone (an `Arc` inside); clones share one queue. A router uses one by default
/// ([`WebhookRouter::batch_verification`](crate::WebhookRouter::batch_verification) turns it
/// off); or use it directly:
///
/// ```
/// use ghl_webhook_router::batch::BatchVerifier;
/// use ghl_webhook_router::{SignatureError, Verifier};
///
/// # async fn run() {
/// let verifier = BatchVerifier::new(Verifier::highlevel());
/// let verdict = verifier.verify(&http::HeaderMap::new(), &bytes::Bytes::from_static(b"{}")).await;
/// assert_eq!(verdict, Err(SignatureError::Missing));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct BatchVerifier {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    verifier: Verifier,
    /// Per trusted Ed25519 key: whether signatures may be batched against it.
    batchable: Box<[bool]>,
    /// The key that verified the latest delivery (batches are verified against it).
    hint: AtomicUsize,
    /// Signatures waiting for the leader of the next batch.
    queue: Mutex<Vec<Job>>,
    /// Whether the latest leader found other signatures queued behind its own.
    company: AtomicBool,
    /// Leaders so far (for the probing yield).
    leads: AtomicU32,
    sizing: Sizing,
    counters: Counters,
}

/// One signature waiting in the queue.
#[derive(Debug)]
struct Job {
    message: Bytes,
    signature: Signature,
    /// Where the verdict goes; `None` for the leader's own signature.
    reply: Option<oneshot::Sender<Verdict>>,
}

/// What the batch verifier did, since it was made.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BatchStats {
    /// Ed25519 signatures verified (any path).
    pub signatures: u64,
    /// Signatures verified alone without queueing: batching paused by forgeries, a key that
    /// is never batched, or a signature failing the strict checks.
    pub direct: u64,
    /// Signatures a leader found alone in its queue (verified alone).
    pub alone: u64,
    /// Leaders that let the other ready tasks run once before taking the queue.
    pub yields: u64,
    /// Batches of two or more verified.
    pub batches: u64,
    /// Signatures in those batches.
    pub batched: u64,
    /// Batches that failed (their members were then verified alone).
    pub failed_batches: u64,
    /// The largest batch.
    pub largest: u64,
    /// Signatures rejected.
    pub rejected: u64,
    /// The current estimate of the forged fraction.
    pub forged_fraction: f64,
    /// The current batch size limit.
    pub batch_size: usize,
}

impl BatchStats {
    /// The mean size of the batches of two or more.
    pub fn mean_batch(&self) -> f64 {
        if self.batches == 0 {
            0.0
        } else {
            self.batched as f64 / self.batches as f64
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    signatures: AtomicU64,
    direct: AtomicU64,
    alone: AtomicU64,
    yields: AtomicU64,
    batches: AtomicU64,
    batched: AtomicU64,
    failed_batches: AtomicU64,
    largest: AtomicU64,
    rejected: AtomicU64,
}

fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

impl BatchVerifier {
    /// Batches the Ed25519 verification of `verifier`'s keys; everything else (a missing
    /// header, the legacy RSA header, the unsigned opt-out) is `verifier`'s, unchanged.
    pub fn new(verifier: Verifier) -> Self {
        let batchable = verifier
            .keys()
            .iter()
            .map(|k| strict::key_may_be_batched(k.fixed.key()))
            .collect();
        Self {
            shared: Arc::new(Shared {
                verifier,
                batchable,
                hint: AtomicUsize::new(0),
                queue: Mutex::new(Vec::new()),
                company: AtomicBool::new(true),
                leads: AtomicU32::new(0),
                sizing: Sizing::default(),
                counters: Counters::default(),
            }),
        }
    }

    /// The wrapped verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.shared.verifier
    }

    /// What the batch verifier did so far.
    pub fn stats(&self) -> BatchStats {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        BatchStats {
            signatures: get(&c.signatures),
            direct: get(&c.direct),
            alone: get(&c.alone),
            yields: get(&c.yields),
            batches: get(&c.batches),
            batched: get(&c.batched),
            failed_batches: get(&c.failed_batches),
            largest: get(&c.largest),
            rejected: get(&c.rejected),
            forged_fraction: self.shared.sizing.forged_fraction(),
            batch_size: self.shared.sizing.size(),
        }
    }

    /// Verifies one delivery's signature headers over its exact body bytes: the verdict of
    /// [`Verifier::verify`], possibly reached in a batch with other deliveries.
    pub async fn verify(&self, headers: &HeaderMap, body: &Bytes) -> Verdict {
        let verifier = &self.shared.verifier;
        let header = match headers.get(SIGNATURE_HEADER) {
            Some(header) if !verifier.accepts_unsigned() => header,
            // Missing, legacy RSA, or unsigned accepted: nothing to batch.
            _ => return verifier.verify(headers, body),
        };
        let signature = parse_ed25519(header.as_bytes())?;
        self.verify_signature(body.clone(), signature).await
    }

    async fn verify_signature(&self, message: Bytes, signature: Signature) -> Verdict {
        let shared = &*self.shared;
        bump(&shared.counters.signatures, 1);
        if shared.sizing.size() < 2
            || !shared.key_batchable(shared.hint.load(Ordering::Relaxed))
            || !strict::may_join_a_batch(&signature)
        {
            bump(&shared.counters.direct, 1);
            return shared.verify_alone(&message, &signature, true);
        }
        let (leader, reply) = {
            let mut queue = shared.lock_queue();
            let leader = queue.is_empty();
            let (tx, rx) = if leader {
                (None, None)
            } else {
                let (tx, rx) = oneshot::channel();
                (Some(tx), Some(rx))
            };
            queue.push(Job {
                message: message.clone(),
                signature,
                reply: tx,
            });
            (leader, rx)
        };
        if !leader {
            return match reply {
                Some(reply) => match reply.await {
                    Ok(verdict) => verdict,
                    // The leader was dropped before it took the queue: verify alone.
                    Err(_) => shared.verify_alone(&message, &signature, true),
                },
                None => shared.verify_alone(&message, &signature, true),
            };
        }
        let turn = LeaderTurn {
            shared,
            taken: false,
        };
        // One pass of the scheduler: the other ready deliveries reach their verification and
        // queue behind this one. Nothing waits for more. Skipped while leaders are alone.
        let probe = shared
            .leads
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(PROBE_EVERY);
        if probe || shared.company.load(Ordering::Relaxed) {
            bump(&shared.counters.yields, 1);
            tokio::task::yield_now().await;
        }
        let jobs = turn.take();
        shared.company.store(jobs.len() > 1, Ordering::Relaxed);
        shared.resolve(jobs)
    }
}

/// The leader's hold on the queue: if the leader is dropped before taking it (its request was
/// abandoned), the queued jobs are dropped, and their deliveries verify alone.
struct LeaderTurn<'a> {
    shared: &'a Shared,
    taken: bool,
}

impl LeaderTurn<'_> {
    fn take(mut self) -> Vec<Job> {
        self.taken = true;
        std::mem::take(&mut *self.shared.lock_queue())
    }
}

impl Drop for LeaderTurn<'_> {
    fn drop(&mut self) {
        if !self.taken {
            drop(std::mem::take(&mut *self.shared.lock_queue()));
        }
    }
}

impl Shared {
    fn lock_queue(&self) -> MutexGuard<'_, Vec<Job>> {
        // A panic while holding the lock leaves a valid Vec: poisoning is ignored.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn key_batchable(&self, index: usize) -> bool {
        self.batchable.get(index).copied().unwrap_or(false)
    }

    /// `verify_strict` against every key, as [`Verifier::verify`]; remembers the key that
    /// verified, and (when `counts` and the signature could have joined a batch) feeds the
    /// forged-fraction estimate.
    fn verify_alone(&self, message: &[u8], signature: &Signature, counts: bool) -> Verdict {
        match self.verifier.ed25519_key_index(signature, message) {
            Some(index) => {
                if self.hint.load(Ordering::Relaxed) != index {
                    self.hint.store(index, Ordering::Relaxed);
                }
                if counts {
                    self.sizing.record(1, 0);
                }
                Ok(self.verifier.verified_by_key(index))
            }
            None => {
                bump(&self.counters.rejected, 1);
                if counts && strict::may_join_a_batch(signature) {
                    self.sizing.record(1, 1);
                }
                Err(self.verifier.mismatch())
            }
        }
    }

    /// Verifies every job taken from the queue, in batches of the current size, answers the
    /// followers and returns the leader's own verdict.
    fn resolve(&self, jobs: Vec<Job>) -> Verdict {
        let mut own = None;
        if jobs.len() == 1 {
            bump(&self.counters.alone, 1);
        }
        let size = self.sizing.size().max(1);
        let mut rest = jobs;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(size));
            let chunk = std::mem::replace(&mut rest, tail);
            let verdicts = self.verify_chunk(&chunk);
            for (job, verdict) in chunk.into_iter().zip(verdicts) {
                match job.reply {
                    // A follower that gave up is not waiting any more: nothing to do.
                    Some(reply) => drop(reply.send(verdict)),
                    None => own = Some(verdict),
                }
            }
        }
        own.unwrap_or_else(|| Err(self.verifier.mismatch()))
    }

    /// The verdicts of one chunk: a batch when there are two or more and a batchable key,
    /// each alone otherwise or when the batch fails.
    fn verify_chunk(&self, chunk: &[Job]) -> Vec<Verdict> {
        let index = self.hint.load(Ordering::Relaxed);
        let key = self
            .verifier
            .keys()
            .get(index)
            .filter(|_| self.key_batchable(index));
        if let (true, Some(key)) = (chunk.len() >= 2, key) {
            if batch_verifies(chunk, key) {
                let n = chunk.len() as u64;
                bump(&self.counters.batches, 1);
                bump(&self.counters.batched, n);
                self.counters.largest.fetch_max(n, Ordering::Relaxed);
                self.sizing.record(chunk.len(), 0);
                let by = self.verifier.verified_by_key(index);
                return vec![Ok(by); chunk.len()];
            }
            bump(&self.counters.failed_batches, 1);
        }
        chunk
            .iter()
            .map(|job| self.verify_alone(&job.message, &job.signature, true))
            .collect()
    }
}

/// Whether every signature of `chunk` verifies over its message with `key`, as one coalesced
/// batch.
fn batch_verifies(chunk: &[Job], key: &Ed25519Key) -> bool {
    coalesced::verifies(
        &key.fixed,
        chunk
            .iter()
            .map(|job| (job.message.as_ref(), &job.signature)),
    )
}

#[cfg(test)]
mod tests;
