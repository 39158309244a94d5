//! HighLevel's view of the URL: the share of deliveries answered 2xx over a sliding window,
//! the figure its circuit breaker judges (it warns, then pauses, a URL that received more than
//! 10,000 webhooks over the trailing 3 days with under 90% success).

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::outcome::Outcome;

/// HighLevel's window: the trailing 3 days. The default of
/// [`WebhookRouter::success_window`](crate::WebhookRouter::success_window).
pub const DEFAULT_SUCCESS_WINDOW: Duration = Duration::from_secs(3 * 24 * 3600);

/// The deliveries over the window above which HighLevel's breaker judges a URL.
pub const BREAKER_MIN_DELIVERIES: u64 = 10_000;

/// The success share under which HighLevel's breaker warns, then pauses, a URL.
pub const BREAKER_MIN_RATIO: f64 = 0.9;

/// HighLevel's breaker rule on a window's figures: a URL that received more than
/// `min_deliveries` with a 2xx share under `min_ratio` is flagged (warned at a check, paused
/// when flagged again at the next). HighLevel's thresholds are [`BREAKER_MIN_DELIVERIES`] and
/// [`BREAKER_MIN_RATIO`]; the simulator takes others to judge a short run.
///
/// ```
/// use ghl_webhook_router::{BREAKER_MIN_DELIVERIES, BREAKER_MIN_RATIO, breaker_flags};
///
/// assert!(breaker_flags(10_001, 8_900, BREAKER_MIN_DELIVERIES, BREAKER_MIN_RATIO));
/// assert!(!breaker_flags(10_000, 0, BREAKER_MIN_DELIVERIES, BREAKER_MIN_RATIO), "too few to judge");
/// assert!(!breaker_flags(20_000, 18_000, BREAKER_MIN_DELIVERIES, BREAKER_MIN_RATIO), "90% is enough");
/// ```
pub fn breaker_flags(deliveries: u64, successes: u64, min_deliveries: u64, min_ratio: f64) -> bool {
    deliveries > min_deliveries && (successes as f64) < min_ratio * deliveries as f64
}

/// The window slides in this many steps.
const SLOTS: usize = 60;

/// The answers to verified deliveries over the success window, as HighLevel counts them.
///
/// Only requests whose signature verified are counted: anyone can send the others, and
/// HighLevel's breaker counts only its own deliveries. (A wrong key turns every one of
/// HighLevel's deliveries into a 401 and so out of this count: watch
/// `ghl_webhook_signature_rejections_total` too.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SuccessRate {
    /// The length of the window.
    pub window: Duration,
    /// Verified deliveries answered within the window.
    pub answers: u64,
    /// Of those, the ones answered 2xx.
    pub successes: u64,
}

impl SuccessRate {
    /// The 2xx share, from 0 to 1; `None` before any answer in the window.
    pub fn ratio(&self) -> Option<f64> {
        (self.answers > 0).then(|| self.successes as f64 / self.answers as f64)
    }

    /// Whether HighLevel's breaker would flag the URL on these figures: more than 10,000
    /// deliveries in the window, under 90% of them 2xx. Meant for the default 3-day window.
    ///
    /// ```
    /// use ghl_webhook_router::SuccessRate;
    ///
    /// # fn check(rate: SuccessRate) {
    /// if rate.at_risk() {
    ///     eprintln!("HighLevel would pause this URL: {:?} of 2xx", rate.ratio());
    /// }
    /// # }
    /// ```
    pub fn at_risk(&self) -> bool {
        breaker_flags(
            self.answers,
            self.successes,
            BREAKER_MIN_DELIVERIES,
            BREAKER_MIN_RATIO,
        )
    }
}

/// Whether HighLevel counts the answer of `outcome`: every outcome of a request whose
/// signature verified. No wildcard: a new outcome must say which side it is on.
pub(crate) fn counts(outcome: &Outcome) -> bool {
    match outcome {
        Outcome::Handled
        | Outcome::Journaled
        | Outcome::AlreadyJournaled
        | Outcome::JournalUnavailable(_)
        | Outcome::Unknown
        | Outcome::NoHandler(_)
        | Outcome::Duplicate
        | Outcome::DuplicateInFlight
        | Outcome::StoreUnavailable(_)
        | Outcome::Undecodable(_)
        | Outcome::HandlerFailed(_)
        | Outcome::HandlerPanicked(_)
        | Outcome::HandlerTimedOut(_)
        | Outcome::NotJson(_) => true,
        Outcome::InvalidSignature(_)
        | Outcome::BodyTooLarge { .. }
        | Outcome::BodyTimedOut(_)
        | Outcome::BodyUnreadable(_)
        | Outcome::MethodNotAllowed
        | Outcome::UnsupportedMediaType => false,
    }
}

/// The counts of one step of the window.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// Which step since the epoch these counts are of.
    step: u64,
    answers: u64,
    successes: u64,
}

/// The sliding window: [`SLOTS`] steps of `window / SLOTS` each, in a ring; a step's slot is
/// reset when the ring comes round to it again. So the figures cover between `window` minus
/// one step and `window`.
#[derive(Debug)]
pub(crate) struct SuccessWindow {
    window: Duration,
    step: Duration,
    epoch: Instant,
    slots: Mutex<[Slot; SLOTS]>,
}

impl SuccessWindow {
    pub(crate) fn new(window: Duration) -> Self {
        let window = window.max(Duration::from_millis(SLOTS as u64));
        Self {
            window,
            step: window / SLOTS as u32,
            epoch: Instant::now(),
            slots: Mutex::new([Slot::default(); SLOTS]),
        }
    }

    /// Counts one answer, and returns the window after it.
    pub(crate) fn record(&self, success: bool) -> SuccessRate {
        self.record_at(Instant::now(), success)
    }

    /// The window now.
    pub(crate) fn snapshot(&self) -> SuccessRate {
        self.snapshot_at(Instant::now())
    }

    fn step_at(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.epoch).as_nanos();
        u64::try_from(since / self.step.as_nanos().max(1)).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> MutexGuard<'_, [Slot; SLOTS]> {
        // Counters only: a panic elsewhere cannot leave them inconsistent.
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record_at(&self, at: Instant, success: bool) -> SuccessRate {
        let step = self.step_at(at);
        let mut slots = self.lock();
        let slot = &mut slots[(step % SLOTS as u64) as usize];
        if slot.step != step {
            *slot = Slot {
                step,
                ..Slot::default()
            };
        }
        slot.answers += 1;
        slot.successes += u64::from(success);
        self.sum(&slots, step)
    }

    fn snapshot_at(&self, at: Instant) -> SuccessRate {
        let step = self.step_at(at);
        self.sum(&self.lock(), step)
    }

    /// The counts of the slots whose step lies within the window ending at step `now`.
    fn sum(&self, slots: &[Slot; SLOTS], now: u64) -> SuccessRate {
        let mut rate = SuccessRate {
            window: self.window,
            answers: 0,
            successes: 0,
        };
        for slot in slots
            .iter()
            .filter(|slot| slot.step <= now && now - slot.step < SLOTS as u64)
        {
            rate.answers += slot.answers;
            rate.successes += slot.successes;
        }
        rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ratio_is_the_share_of_successes_in_a_known_mix() {
        let window = SuccessWindow::new(Duration::from_secs(60));
        let at = window.epoch + Duration::from_millis(1500);
        for n in 0..20 {
            window.record_at(at, n % 20 >= 3);
        }
        let rate = window.snapshot_at(at);
        assert_eq!((rate.answers, rate.successes), (20, 17));
        assert_eq!(rate.ratio(), Some(0.85));
    }

    #[test]
    fn answers_slide_out_of_the_window() {
        let window = SuccessWindow::new(Duration::from_secs(60));
        let start = window.epoch;
        // 10 failures at the start, then 10 successes 30 s later.
        for _ in 0..10 {
            window.record_at(start, false);
        }
        for _ in 0..10 {
            window.record_at(start + Duration::from_secs(30), true);
        }
        assert_eq!(
            window.snapshot_at(start + Duration::from_secs(59)).ratio(),
            Some(0.5)
        );
        // A full window after the failures, only the successes are left.
        let later = window.snapshot_at(start + Duration::from_secs(61));
        assert_eq!((later.answers, later.successes), (10, 10));
        // And a full window after those, nothing.
        let empty = window.snapshot_at(start + Duration::from_secs(91));
        assert_eq!(empty.answers, 0);
        assert_eq!(empty.ratio(), None);
    }

    #[test]
    fn a_slot_is_reset_when_the_ring_comes_round_to_it() {
        let window = SuccessWindow::new(Duration::from_secs(60));
        let start = window.epoch;
        window.record_at(start, false);
        // Same slot of the ring, one window later: the old failure is not counted twice.
        let rate = window.record_at(start + Duration::from_secs(60), true);
        assert_eq!((rate.answers, rate.successes), (1, 1));
    }

    #[test]
    fn at_risk_follows_highlevels_rule() {
        let rate = |answers, successes| SuccessRate {
            window: DEFAULT_SUCCESS_WINDOW,
            answers,
            successes,
        };
        assert!(!rate(10_000, 0).at_risk(), "10,000 or fewer are not judged");
        assert!(rate(10_001, 9_000).at_risk(), "89.99% over 10,001");
        assert!(!rate(20_000, 18_000).at_risk(), "exactly 90% passes");
        assert!(!rate(0, 0).at_risk());
    }

    #[test]
    fn only_verified_deliveries_count() {
        assert!(counts(&Outcome::Handled));
        assert!(counts(&Outcome::HandlerFailed("x".into())));
        assert!(!counts(&Outcome::InvalidSignature(
            crate::SignatureError::Missing
        )));
        assert!(!counts(&Outcome::BodyTooLarge { limit: 1 }));
    }
}
