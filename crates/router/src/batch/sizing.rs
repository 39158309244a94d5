//! How many signatures to verify per batch, given how many recent ones were forged.
//!
//! A batch of n costs about `(a + b·n)` single verifications (a = [`FIXED`], b = [`PER_SIGNATURE`],
//! fitted to the instruction counts of `ghl-instructions --batch n` in BENCHMARKS.md: a coalesced
//! batch against a lone delivery's fixed-key verification), and when any member is forged the whole batch is
//! wasted and every member is verified alone. With a forged fraction f, the expected cost per
//! signature of batches of n is
//!
//! ```text
//! E(n) = (a + b·n) / n + (1 − (1 − f)ⁿ)        (in single verifications)
//! ```
//!
//! and E(1) = 1 (alone: no batch, nothing wasted). The size used is the n ≤ [`MAX_BATCH`]
//! minimizing E(n), so at the estimated f batching never costs more than verifying alone: when
//! forgeries are frequent enough that no batch pays, every signature is verified alone, and the
//! extra work an attacker can cause is the batches wasted while the estimate catches up.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

/// The largest batch: beyond it the cost per signature hardly falls (see the curve in
/// BENCHMARKS.md).
pub const MAX_BATCH: usize = 64;

/// The fixed cost of one batch, in single verifications: mostly the 256 doublings of the
/// multiscalar multiplication, whatever the batch size.
const FIXED: f64 = 1.28;

/// The cost per member of a batch, in single verifications: its SHA-512, the decompression of
/// its `R` and its share of the multiplication.
const PER_SIGNATURE: f64 = 0.53;

/// The forged fraction is kept in units of 1/[`RATE_ONE`].
const RATE_ONE: u32 = 1 << 16;

/// The size table has one entry per 1/[`STEPS`] of forged fraction.
const STEPS: usize = 1024;

/// Each verified signature moves the estimate this far towards its own verdict (0 or 1): the
/// estimate follows roughly the last 64 signatures, so one failed batch is enough to shrink the
/// next ones.
const WEIGHT: f64 = 1.0 / 64.0;

/// The best batch size for each forged fraction `i / STEPS`.
static SIZES: LazyLock<Vec<u8>> = LazyLock::new(|| {
    (0..=STEPS)
        .map(|i| best_size(i as f64 / STEPS as f64) as u8)
        .collect()
});

/// The n minimizing the expected cost per signature when a fraction `forged` is forged.
pub(crate) fn best_size(forged: f64) -> usize {
    let mut best = (1, 1.0);
    for n in 2..=MAX_BATCH {
        let cost = expected_cost(n, forged);
        if cost < best.1 {
            best = (n, cost);
        }
    }
    best.0
}

/// E(n): the expected cost per signature of batches of `n`, in single verifications.
pub(crate) fn expected_cost(n: usize, forged: f64) -> f64 {
    if n <= 1 {
        return 1.0;
    }
    let n_f = n as f64;
    let wasted = 1.0 - (1.0 - forged).powi(n as i32);
    (FIXED + PER_SIGNATURE * n_f) / n_f + wasted
}

/// The running estimate of the forged fraction and the batch size it gives.
#[derive(Debug)]
pub(crate) struct Sizing {
    /// Forged fraction × [`RATE_ONE`].
    rate: AtomicU32,
    /// `SIZES` at the current rate.
    size: AtomicUsize,
}

impl Default for Sizing {
    fn default() -> Self {
        Self {
            rate: AtomicU32::new(0),
            size: AtomicUsize::new(best_size(0.0)),
        }
    }
}

impl Sizing {
    /// The batch size to use now (1: verify alone).
    pub(crate) fn size(&self) -> usize {
        self.size.load(Ordering::Relaxed)
    }

    /// The current estimate of the forged fraction.
    pub(crate) fn forged_fraction(&self) -> f64 {
        f64::from(self.rate.load(Ordering::Relaxed)) / f64::from(RATE_ONE)
    }

    /// Records `members` verified signatures of which `forged` were forged.
    pub(crate) fn record(&self, members: usize, forged: usize) {
        if members == 0 {
            return;
        }
        let keep = (1.0 - WEIGHT).powi(members.min(4096) as i32);
        let observed = forged.min(members) as f64 / members as f64;
        // Concurrent updates may lose one another's step: the estimate stays an estimate.
        let old = self.forged_fraction();
        let new = old * keep + observed * (1.0 - keep);
        let rate = (new * f64::from(RATE_ONE))
            .round()
            .clamp(0.0, f64::from(RATE_ONE)) as u32;
        self.rate.store(rate, Ordering::Relaxed);
        let step = (new * STEPS as f64).round().clamp(0.0, STEPS as f64) as usize;
        let size = SIZES.get(step).map_or(1, |&s| usize::from(s));
        self.size.store(size.max(1), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_forgeries_batches_are_as_large_as_allowed() {
        assert_eq!(best_size(0.0), MAX_BATCH);
        assert_eq!(Sizing::default().size(), MAX_BATCH);
    }

    #[test]
    fn batch_size_falls_as_forgeries_rise_and_ends_at_one() {
        let mut last = MAX_BATCH;
        for i in 0..=100 {
            let size = best_size(f64::from(i) / 100.0);
            assert!(size <= last, "{i}%: {size} after {last}");
            last = size;
        }
        assert_eq!(best_size(0.5), 1, "half forged: no batch pays");
        assert_eq!(best_size(1.0), 1);
    }

    #[test]
    fn the_chosen_size_never_costs_more_than_verifying_alone() {
        for i in 0..=STEPS {
            let forged = i as f64 / STEPS as f64;
            let n = best_size(forged);
            assert!(expected_cost(n, forged) <= 1.0, "{forged}: n = {n}");
        }
    }

    #[test]
    fn the_estimate_follows_the_forged_fraction_both_ways() {
        let sizing = Sizing::default();
        for _ in 0..200 {
            sizing.record(10, 5);
        }
        assert!((sizing.forged_fraction() - 0.5).abs() < 0.01);
        assert_eq!(sizing.size(), 1);
        for _ in 0..200 {
            sizing.record(10, 0);
        }
        assert!(sizing.forged_fraction() < 0.01);
        assert!(sizing.size() > 16);
        sizing.record(0, 0);
        sizing.record(3, 7);
        assert!(sizing.forged_fraction() <= 1.0);
    }
}
