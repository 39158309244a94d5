//! The in-memory idempotency store: one instance, bounded, O(1) per operation, its memory
//! allocated once.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;

use super::{Claim, IdempotencyStore, StoreError};

const ENTRY_BYTES: usize = std::mem::size_of::<Entry>();

/// Index slots per entry: the index is at most half full, so probes stay short.
const INDEX_SLOTS_PER_ID: usize = 2;

/// The in-memory store: bounded in entries, entries expire, every operation O(1).
///
/// Entries are kept in claim order; when the store is full the oldest entry is forgotten
/// (a duplicate of it arriving later would be handled again), so the store never holds more
/// than `capacity` ids whatever the load.
///
/// Its memory is allocated once, when it is made: [`BYTES_PER_ID`](Self::BYTES_PER_ID) (24) bytes per id of
/// capacity, 2.3 MiB for the default 100,000, and it never grows or shrinks under churn. An id is kept as a 96-bit keyed hash, not as its text, in a ring
/// of entries in claim order; an open-addressing index (linear probing, at most half full,
/// deletion by backward shift, so no tombstones) finds an id's entry. Two distinct ids collide
/// with a probability of about 2⁻⁹⁶ per pair; the hash keys are random per store, so
/// collisions cannot be forged. Expiry times have a resolution of one second: an id is kept at
/// least its ttl, at most one second longer.
#[derive(Debug, Clone)]
pub struct InMemoryStore {
    inner: Arc<Mutex<Inner>>,
}

/// One remembered id: its 96-bit key, its expiry (seconds since the store's epoch, 31 bits)
/// and whether it is done (the top bit). All zero: an empty place in the ring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Entry([u32; 4]);

/// A 96-bit keyed hash of a `webhookId`; never all zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    hi: u64,
    lo: u32,
}

const DONE: u32 = 1 << 31;

impl Entry {
    const EMPTY: Self = Self([0; 4]);

    fn new(key: Key, expires: u32, done: bool) -> Self {
        let meta = expires.min(DONE - 1) | if done { DONE } else { 0 };
        Self([key.hi as u32, (key.hi >> 32) as u32, key.lo, meta])
    }

    fn key(self) -> Key {
        Key {
            hi: u64::from(self.0[0]) | (u64::from(self.0[1]) << 32),
            lo: self.0[2],
        }
    }

    fn is_empty(self) -> bool {
        self.0[..3] == [0; 3]
    }

    fn expires(self) -> u32 {
        self.0[3] & !DONE
    }

    fn done(self) -> bool {
        self.0[3] & DONE != 0
    }
}

#[derive(Debug)]
struct Inner {
    done_ttl: Duration,
    in_flight_ttl: Duration,
    /// The claim-order ring: `occupied` places from `head` (empty places are released or expired
    /// ids, skipped when they reach the head).
    ring: Box<[Entry]>,
    head: usize,
    occupied: usize,
    /// Entries in the ring that are not empty.
    live: usize,
    /// Live entries forgotten before their expiry to make room.
    evictions: u64,
    /// Ring position + 1 of the entry whose key hashes here (or past here); 0: free.
    index: Box<[u32]>,
    /// Expiry times are seconds since this instant.
    epoch: Instant,
    /// A clock moved by hand in tests (`None`: the real one).
    #[cfg(test)]
    manual: Option<Duration>,
    hashers: (RandomState, RandomState),
}

impl Default for InMemoryStore {
    fn default() -> Self {
        Self::new(100_000, Duration::from_secs(24 * 60 * 60))
    }
}

impl InMemoryStore {
    /// The bytes the store takes per id of capacity: a 16-byte entry in the claim-order ring
    /// and two 4-byte slots of the hash index.
    pub const BYTES_PER_ID: usize = ENTRY_BYTES + INDEX_SLOTS_PER_ID * 4;

    /// The largest capacity (positions in the ring are 32-bit).
    pub const MAX_CAPACITY: usize = 1 << 30;

    /// A store remembering at most `capacity` ids (1 to [`MAX_CAPACITY`](Self::MAX_CAPACITY)), each for `ttl`
    /// after it was handled. Allocates its [`BYTES_PER_ID`](Self::BYTES_PER_ID) × `capacity` bytes here, once.
    ///
    /// A claim whose handler never finishes expires after `ttl` too; the router releases
    /// claims on timeout long before that.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        let capacity = capacity.clamp(1, Self::MAX_CAPACITY);
        Self {
            inner: Arc::new(Mutex::new(Inner {
                done_ttl: ttl,
                in_flight_ttl: ttl,
                ring: vec![Entry::EMPTY; capacity].into_boxed_slice(),
                head: 0,
                occupied: 0,
                live: 0,
                evictions: 0,
                index: vec![0u32; capacity * INDEX_SLOTS_PER_ID].into_boxed_slice(),
                epoch: Instant::now(),
                #[cfg(test)]
                manual: None,
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
        self.lock().live
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many ids were forgotten before their ttl because the store was full (each one's
    /// duplicates, arriving later, would be handled again): a sign the capacity is too small.
    pub fn evictions(&self) -> u64 {
        self.lock().evictions
    }

    /// The configured bound on remembered ids.
    pub fn capacity(&self) -> usize {
        self.lock().ring.len()
    }

    /// The bytes the store holds for its ids: [`BYTES_PER_ID`](Self::BYTES_PER_ID) × [`capacity`](Self::capacity),
    /// whatever has been claimed.
    pub fn memory_bytes(&self) -> usize {
        let inner = self.lock();
        std::mem::size_of_val(&*inner.ring) + std::mem::size_of_val(&*inner.index)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every operation leaves the ring and the index consistent before it can panic (no
        // input reaches a panicking path), so poisoning is ignored.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Synchronous [`IdempotencyStore::claim`].
    pub fn claim_now(&self, webhook_id: &str) -> Claim {
        self.lock().claim(webhook_id)
    }

    /// A claim, with the store's figures after it: ids remembered, and whether the claim
    /// evicted one.
    pub(crate) fn claim_observed(&self, webhook_id: &str) -> (Claim, usize, bool) {
        let mut inner = self.lock();
        let evictions = inner.evictions;
        let claim = inner.claim(webhook_id);
        (claim, inner.live, inner.evictions != evictions)
    }

    /// Synchronous [`IdempotencyStore::complete`].
    pub fn complete_now(&self, webhook_id: &str) {
        let mut inner = self.lock();
        let key = inner.key(webhook_id);
        let expires = inner.expiry(inner.done_ttl);
        if let Some((_, pos)) = inner.find(key) {
            inner.ring[pos] = Entry::new(key, expires, true);
        }
    }

    /// Synchronous [`IdempotencyStore::release`].
    pub fn release_now(&self, webhook_id: &str) {
        let mut inner = self.lock();
        let key = inner.key(webhook_id);
        if let Some((slot, pos)) = inner.find(key) {
            inner.forget(slot, pos);
        }
    }
}

impl Inner {
    fn key(&self, webhook_id: &str) -> Key {
        let hi = self.hashers.0.hash_one(webhook_id);
        let lo = self.hashers.1.hash_one(webhook_id) as u32;
        Key {
            hi,
            // All zero marks an empty entry.
            lo: if hi == 0 && lo == 0 { 1 } else { lo },
        }
    }

    /// Time since the store was made.
    fn elapsed(&self) -> Duration {
        #[cfg(test)]
        if let Some(manual) = self.manual {
            return manual;
        }
        self.epoch.elapsed()
    }

    /// Whole seconds since the store was made.
    fn now(&self) -> u32 {
        u32::try_from(self.elapsed().as_secs())
            .unwrap_or(u32::MAX)
            .min(DONE - 1)
    }

    /// The expiry of an entry made now with `ttl`: rounded up to the next whole second, so an
    /// entry never expires early.
    fn expiry(&self, ttl: Duration) -> u32 {
        let at = self.elapsed().saturating_add(ttl);
        let secs = at.as_secs() + u64::from(at.subsec_nanos() > 0);
        u32::try_from(secs).unwrap_or(u32::MAX).min(DONE - 1)
    }

    fn home(&self, key: Key) -> usize {
        // Maps the 64-bit hash onto the index without a division.
        ((u128::from(key.hi) * self.index.len() as u128) >> 64) as usize
    }

    fn next(&self, slot: usize) -> usize {
        if slot + 1 == self.index.len() {
            0
        } else {
            slot + 1
        }
    }

    /// The index slot and ring position of `key`'s entry.
    fn find(&self, key: Key) -> Option<(usize, usize)> {
        let mut slot = self.home(key);
        // Ends: the index is at most half full, so a free slot is always reached.
        loop {
            let pos = self.index[slot].checked_sub(1)? as usize;
            if self.ring[pos].key() == key {
                return Some((slot, pos));
            }
            slot = self.next(slot);
        }
    }

    /// The index slot pointing at ring position `pos`.
    fn slot_of(&self, pos: usize) -> Option<usize> {
        let mut slot = self.home(self.ring[pos].key());
        loop {
            match self.index[slot] {
                0 => return None,
                v if v as usize == pos + 1 => return Some(slot),
                _ => slot = self.next(slot),
            }
        }
    }

    /// Forgets the entry at ring position `pos`, whose index slot is `slot`.
    fn forget(&mut self, slot: usize, pos: usize) {
        self.remove_slot(slot);
        self.ring[pos] = Entry::EMPTY;
        self.live -= 1;
    }

    /// Frees index slot `hole`, shifting back the entries after it that probed past it.
    fn remove_slot(&mut self, mut hole: usize) {
        let m = self.index.len();
        self.index[hole] = 0;
        let mut slot = hole;
        loop {
            slot = self.next(slot);
            let v = self.index[slot];
            if v == 0 {
                return;
            }
            let home = self.home(self.ring[v as usize - 1].key());
            // The entry may move into the hole when the hole lies between its home and it.
            if (slot + m - hole) % m <= (slot + m - home) % m {
                self.index[hole] = v;
                self.index[slot] = 0;
                hole = slot;
            }
        }
    }

    /// Drops the oldest place of the ring, forgetting its entry.
    fn pop_front(&mut self) {
        let pos = self.head;
        if !self.ring[pos].is_empty()
            && let Some(slot) = self.slot_of(pos)
        {
            self.forget(slot, pos);
        }
        self.head = if pos + 1 == self.ring.len() {
            0
        } else {
            pos + 1
        };
        self.occupied -= 1;
    }

    /// Drops places from the front of the ring while they are empty or expired.
    fn drop_expired_front(&mut self, now: u32) {
        while self.occupied > 0 {
            let entry = self.ring[self.head];
            if !entry.is_empty() && entry.expires() > now {
                return;
            }
            self.pop_front();
        }
    }

    fn claim(&mut self, webhook_id: &str) -> Claim {
        let now = self.now();
        self.drop_expired_front(now);
        let key = self.key(webhook_id);
        if let Some((slot, pos)) = self.find(key) {
            let entry = self.ring[pos];
            if entry.expires() > now {
                return if entry.done() {
                    Claim::Done
                } else {
                    Claim::InFlight
                };
            }
            self.forget(slot, pos);
        }
        if self.occupied == self.ring.len() {
            // The front is live and unexpired (expired and empty places were dropped above).
            self.evictions += 1;
            self.pop_front();
        }
        let pos = (self.head + self.occupied) % self.ring.len();
        self.ring[pos] = Entry::new(key, self.expiry(self.in_flight_ttl), false);
        let mut slot = self.home(key);
        while self.index[slot] != 0 {
            slot = self.next(slot);
        }
        // Positions are below `InMemoryStore::MAX_CAPACITY`, so `pos + 1` fits.
        self.index[slot] = u32::try_from(pos + 1).unwrap_or(u32::MAX);
        self.occupied += 1;
        self.live += 1;
        Claim::Acquired
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

    impl InMemoryStore {
        /// Stops the store's real clock (from zero) and moves it forward by hand.
        fn advance(&self, by: Duration) {
            let mut inner = self.lock();
            inner.manual = Some(inner.manual.unwrap_or_default() + by);
        }

        /// Checks that the index and the ring agree: every entry is found, nothing else is.
        fn check(&self) {
            let inner = self.lock();
            let used = inner.index.iter().filter(|&&v| v != 0).count();
            assert_eq!(used, inner.live, "one index slot per entry");
            assert!(inner.live <= inner.occupied && inner.occupied <= inner.ring.len());
            let mut live = 0;
            for k in 0..inner.occupied {
                let pos = (inner.head + k) % inner.ring.len();
                let entry = inner.ring[pos];
                if !entry.is_empty() {
                    live += 1;
                    assert_eq!(inner.find(entry.key()).map(|f| f.1), Some(pos));
                }
            }
            assert_eq!(live, inner.live);
        }
    }

    #[test]
    fn first_claim_acquires_then_in_flight_then_done() {
        let store = InMemoryStore::default();
        assert_eq!(store.claim_now("a"), Claim::Acquired);
        assert_eq!(store.claim_now("a"), Claim::InFlight);
        store.complete_now("a");
        assert_eq!(store.claim_now("a"), Claim::Done);
        assert_eq!(store.claim_now("b"), Claim::Acquired);
        store.check();
    }

    #[test]
    fn a_full_store_counts_the_ids_it_forgets_early() {
        let store = InMemoryStore::new(2, Duration::from_secs(60));
        assert_eq!(store.claim_observed("a"), (Claim::Acquired, 1, false));
        assert_eq!(store.claim_observed("b"), (Claim::Acquired, 2, false));
        assert_eq!(store.claim_observed("c"), (Claim::Acquired, 2, true));
        assert_eq!(store.evictions(), 1);
        // Expired ids make room without counting as evictions.
        store.advance(Duration::from_secs(61));
        assert_eq!(store.claim_observed("d"), (Claim::Acquired, 1, false));
        assert_eq!(store.evictions(), 1);
        store.check();
    }

    #[test]
    fn a_released_claim_can_be_acquired_again() {
        let store = InMemoryStore::default();
        assert_eq!(store.claim_now("a"), Claim::Acquired);
        store.release_now("a");
        assert_eq!(store.len(), 0);
        assert_eq!(store.claim_now("a"), Claim::Acquired);
        store.check();
    }

    #[test]
    fn entries_expire_after_their_ttl_and_not_before() {
        let store = InMemoryStore::new(10, Duration::from_millis(1500));
        store.advance(Duration::ZERO);
        assert_eq!(store.claim_now("a"), Claim::Acquired);
        store.complete_now("a");
        store.advance(Duration::from_millis(1400));
        assert_eq!(store.claim_now("a"), Claim::Done, "not before its ttl");
        store.advance(Duration::from_millis(1600));
        assert_eq!(
            store.claim_now("a"),
            Claim::Acquired,
            "at most a second late"
        );
        store.check();
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
            if i % 97 == 0 {
                store.check();
            }
        }
        // The newest ids are remembered, the oldest forgotten.
        assert_eq!(store.claim_now("id-9998"), Claim::Done);
        assert_eq!(store.claim_now("id-1"), Claim::Acquired);
        store.check();
    }

    #[test]
    fn churn_of_many_times_the_capacity_never_reallocates() {
        let store = InMemoryStore::new(10_000, Duration::from_secs(3600));
        let before = {
            let inner = store.lock();
            (inner.ring.as_ptr(), inner.index.as_ptr())
        };
        assert_eq!(store.memory_bytes(), 10_000 * InMemoryStore::BYTES_PER_ID);
        for i in 0..100_000 {
            let id = format!("{i:08}");
            assert_eq!(store.claim_now(&id), Claim::Acquired);
            store.complete_now(&id);
        }
        assert_eq!(store.len(), 10_000);
        assert_eq!(store.memory_bytes(), 10_000 * InMemoryStore::BYTES_PER_ID);
        let inner = store.lock();
        assert_eq!((inner.ring.as_ptr(), inner.index.as_ptr()), before);
        drop(inner);
        store.check();
    }

    #[test]
    fn the_default_store_takes_24_bytes_per_id() {
        assert_eq!(InMemoryStore::BYTES_PER_ID, 24);
        assert_eq!(InMemoryStore::default().memory_bytes(), 2_400_000);
        assert_eq!(InMemoryStore::new(0, Duration::ZERO).capacity(), 1);
    }

    #[test]
    fn an_unfinished_claim_expires_after_the_in_flight_ttl_but_a_done_one_stays() {
        let store = InMemoryStore::new(10, Duration::from_secs(3600))
            .with_in_flight_ttl(Duration::from_secs(1));
        store.advance(Duration::ZERO);
        assert_eq!(store.claim_now("stuck"), Claim::Acquired);
        assert_eq!(store.claim_now("done"), Claim::Acquired);
        store.complete_now("done");
        store.advance(Duration::from_secs(3));
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
        store.check();
    }

    /// The store against a plain model (a list in claim order) over random operations on a
    /// small pool of ids: the same answers every time, and the index always consistent.
    #[test]
    fn random_operations_agree_with_a_model_in_claim_order() {
        #[derive(Clone, Copy)]
        struct Modelled {
            id: usize,
            done: bool,
            expires: u64,
        }
        for seed in 0..20 {
            let mut rng = fastrand::Rng::with_seed(seed);
            let capacity = rng.usize(1..12);
            let store = InMemoryStore::new(capacity, Duration::from_secs(5))
                .with_in_flight_ttl(Duration::from_secs(2));
            store.advance(Duration::ZERO);
            // Places of the ring in claim order: None where an id was released or expired.
            let mut model: std::collections::VecDeque<Option<Modelled>> = Default::default();
            let mut now = 0u64;
            for _ in 0..3_000 {
                let id = rng.usize(0..(capacity * 3));
                let name = format!("id-{id}");
                let place = model.iter().position(|m| m.is_some_and(|m| m.id == id));
                match rng.u8(0..10) {
                    0..=4 => {
                        while model
                            .front()
                            .is_some_and(|m| m.is_none_or(|m| m.expires <= now))
                        {
                            model.pop_front();
                        }
                        let place = model.iter().position(|m| m.is_some_and(|m| m.id == id));
                        let expected = match place.and_then(|p| model[p]) {
                            Some(m) if m.expires > now && m.done => Claim::Done,
                            Some(m) if m.expires > now => Claim::InFlight,
                            _ => Claim::Acquired,
                        };
                        if expected == Claim::Acquired {
                            if let Some(p) = place {
                                model[p] = None;
                            }
                            if model.len() == capacity {
                                model.pop_front();
                            }
                            model.push_back(Some(Modelled {
                                id,
                                done: false,
                                expires: now + 2,
                            }));
                        }
                        assert_eq!(store.claim_now(&name), expected, "seed {seed}");
                    }
                    5..=6 => {
                        if let Some(p) = place
                            && let Some(m) = model[p].as_mut()
                        {
                            m.done = true;
                            m.expires = now + 5;
                        }
                        store.complete_now(&name);
                    }
                    7 => {
                        if let Some(p) = place {
                            model[p] = None;
                        }
                        store.release_now(&name);
                    }
                    _ => {
                        now += 1;
                        store.advance(Duration::from_secs(1));
                    }
                }
                store.check();
                let live = model.iter().filter(|m| m.is_some()).count();
                assert_eq!(store.len(), live, "seed {seed}");
            }
        }
    }
}
