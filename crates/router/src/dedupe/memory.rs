//! The in-memory idempotency store: one instance, bounded, O(1) per operation.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;

use super::{Claim, IdempotencyStore, StoreError};

/// The in-memory store: bounded in entries, entries expire, every operation O(1) amortized.
///
/// Entries are kept in claim order; when the store is full the oldest entry is forgotten
/// (a duplicate of it arriving later would be handled again), so memory never grows past
/// `capacity` entries whatever the load.
///
/// An id is kept as a 128-bit keyed hash, not as its text: about 70 bytes per remembered id
/// (7 MB for the default 100,000), whatever the length of the ids. Two distinct ids collide
/// with a probability of about 2⁻¹²⁸ per pair; the hash keys are random per store, so
/// collisions cannot be forged.
#[derive(Debug, Clone)]
pub struct InMemoryStore {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug)]
struct Inner {
    capacity: usize,
    done_ttl: Duration,
    in_flight_ttl: Duration,
    map: HashMap<Key, Entry, BuildHasherDefault<KeyHasher>>,
    order: VecDeque<(Key, u32)>,
    next_seq: u32,
    /// Expiry times are milliseconds since this instant.
    epoch: Instant,
    hashers: (RandomState, RandomState),
}

/// A 128-bit keyed hash of a `webhookId` (two independent SipHash keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key(u64, u64);

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Already a keyed hash: the map uses its first half as is.
        state.write_u64(self.0);
    }
}

/// The map's hasher: passes a [`Key`]'s first half through instead of hashing it again.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by `Key`; kept correct for any other input.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Milliseconds since `Inner::epoch`.
    expires: u64,
    /// Tells this entry's place in `order` from stale places of earlier entries of the key.
    seq: u32,
    done: bool,
}

impl Default for InMemoryStore {
    fn default() -> Self {
        Self::new(100_000, Duration::from_secs(24 * 60 * 60))
    }
}

impl InMemoryStore {
    /// A store remembering at most `capacity` ids, each for `ttl` after it was handled.
    ///
    /// A claim whose handler never finishes expires after `ttl` too; the router releases
    /// claims on timeout long before that.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        let capacity = capacity.max(1);
        Self {
            inner: Arc::new(Mutex::new(Inner {
                capacity,
                done_ttl: ttl,
                in_flight_ttl: ttl,
                map: HashMap::with_capacity_and_hasher(
                    capacity.min(4096),
                    BuildHasherDefault::default(),
                ),
                order: VecDeque::with_capacity(capacity.min(4096)),
                next_seq: 0,
                epoch: Instant::now(),
                hashers: (RandomState::new(), RandomState::new()),
            })),
        }
    }

    /// Sets how long an unfinished claim blocks duplicates (default: the ttl).
    pub fn with_in_flight_ttl(self, ttl: Duration) -> Self {
        self.lock().in_flight_ttl = ttl;
        self
    }

    /// How many ids are remembered right now (claimed or done).
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The configured bound on remembered ids.
    pub fn capacity(&self) -> usize {
        self.lock().capacity
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // breaks the invariants below (every path re-checks), so poisoning is ignored.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Synchronous [`IdempotencyStore::claim`].
    pub fn claim_now(&self, webhook_id: &str) -> Claim {
        self.lock().claim(webhook_id)
    }

    /// Synchronous [`IdempotencyStore::complete`].
    pub fn complete_now(&self, webhook_id: &str) {
        let mut inner = self.lock();
        let key = inner.key(webhook_id);
        let expires = inner.now().saturating_add(millis(inner.done_ttl));
        if let Some(entry) = inner.map.get_mut(&key) {
            entry.done = true;
            entry.expires = expires;
        }
    }

    /// Synchronous [`IdempotencyStore::release`].
    pub fn release_now(&self, webhook_id: &str) {
        let mut inner = self.lock();
        let key = inner.key(webhook_id);
        inner.map.remove(&key);
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Inner {
    fn key(&self, webhook_id: &str) -> Key {
        Key(
            self.hashers.0.hash_one(webhook_id),
            self.hashers.1.hash_one(webhook_id),
        )
    }

    /// Milliseconds since the store was made.
    fn now(&self) -> u64 {
        millis(self.epoch.elapsed())
    }

    fn claim(&mut self, webhook_id: &str) -> Claim {
        let now = self.now();
        let key = self.key(webhook_id);
        self.evict_expired_front(now);
        if let Some(entry) = self.map.get(&key)
            && entry.expires > now
        {
            return if entry.done {
                Claim::Done
            } else {
                Claim::InFlight
            };
        }
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.map.insert(
            key,
            Entry {
                done: false,
                expires: now.saturating_add(millis(self.in_flight_ttl)),
                seq,
            },
        );
        self.order.push_back((key, seq));
        while self.map.len() > self.capacity {
            self.evict_front();
        }
        if self.order.len() > 2 * self.capacity + 64 {
            let map = &self.map;
            self.order
                .retain(|(k, seq)| map.get(k).is_some_and(|e| e.seq == *seq));
        }
        Claim::Acquired
    }

    /// Drops entries from the front of the claim order while they are stale or expired.
    fn evict_expired_front(&mut self, now: u64) {
        while let Some((key, seq)) = self.order.front() {
            match self.map.get(key) {
                Some(entry) if entry.seq == *seq && entry.expires > now => break,
                Some(entry) if entry.seq == *seq => {
                    self.map.remove(key);
                }
                _ => {}
            }
            self.order.pop_front();
        }
    }

    /// Forgets the oldest live entry.
    fn evict_front(&mut self) {
        while let Some((key, seq)) = self.order.pop_front() {
            if self.map.get(&key).is_some_and(|e| e.seq == seq) {
                self.map.remove(&key);
                return;
            }
        }
    }
}

impl IdempotencyStore for InMemoryStore {
    fn claim<'a>(&'a self, webhook_id: &'a str) -> BoxFuture<'a, Result<Claim, StoreError>> {
        let claim = self.claim_now(webhook_id);
        Box::pin(std::future::ready(Ok(claim)))
    }

    fn complete<'a>(&'a self, webhook_id: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.complete_now(webhook_id);
        Box::pin(std::future::ready(Ok(())))
    }

    fn release<'a>(&'a self, webhook_id: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.release_now(webhook_id);
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_claim_acquires_then_in_flight_then_done() {
        let store = InMemoryStore::default();
        assert_eq!(store.claim_now("a"), Claim::Acquired);
        assert_eq!(store.claim_now("a"), Claim::InFlight);
        store.complete_now("a");
        assert_eq!(store.claim_now("a"), Claim::Done);
        assert_eq!(store.claim_now("b"), Claim::Acquired);
    }

    #[test]
    fn a_released_claim_can_be_acquired_again() {
        let store = InMemoryStore::default();
        assert_eq!(store.claim_now("a"), Claim::Acquired);
        store.release_now("a");
        assert_eq!(store.claim_now("a"), Claim::Acquired);
    }

    #[test]
    fn entries_expire_after_their_ttl() {
        let store = InMemoryStore::new(10, Duration::from_millis(1));
        assert_eq!(store.claim_now("a"), Claim::Acquired);
        store.complete_now("a");
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(store.claim_now("a"), Claim::Acquired);
    }

    #[test]
    fn the_store_never_holds_more_than_its_capacity() {
        let store = InMemoryStore::new(100, Duration::from_secs(3600));
        for i in 0..10_000 {
            let id = format!("id-{i}");
            assert_eq!(store.claim_now(&id), Claim::Acquired);
            if i % 3 == 0 {
                store.release_now(&id);
            } else {
                store.complete_now(&id);
            }
            assert!(store.len() <= 100);
            assert!(store.lock().order.len() <= 2 * 100 + 64 + 1);
        }
        // The newest ids are remembered, the oldest forgotten.
        assert_eq!(store.claim_now("id-9998"), Claim::Done);
        assert_eq!(store.claim_now("id-1"), Claim::Acquired);
    }

    #[test]
    fn one_hundred_thousand_distinct_ids_stay_within_the_bound() {
        let store = InMemoryStore::new(10_000, Duration::from_secs(3600));
        for i in 0..100_000 {
            let id = format!("{i:08}");
            assert_eq!(store.claim_now(&id), Claim::Acquired);
            store.complete_now(&id);
        }
        assert_eq!(store.len(), 10_000);
        let inner = store.lock();
        assert!(inner.order.len() <= 2 * inner.capacity + 64 + 1);
        assert!(
            inner.map.capacity() < 4 * inner.capacity,
            "the map does not keep growing"
        );
    }

    #[test]
    fn an_unfinished_claim_expires_after_the_in_flight_ttl_but_a_done_one_stays() {
        let store = InMemoryStore::new(10, Duration::from_secs(3600))
            .with_in_flight_ttl(Duration::from_millis(1));
        assert_eq!(store.claim_now("stuck"), Claim::Acquired);
        assert_eq!(store.claim_now("done"), Claim::Acquired);
        store.complete_now("done");
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(
            store.claim_now("stuck"),
            Claim::Acquired,
            "the stale claim expired"
        );
        assert_eq!(
            store.claim_now("done"),
            Claim::Done,
            "completion uses the long ttl"
        );
    }
}
