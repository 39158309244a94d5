//! HighLevel's circuit breaker: at every check (every 3 days), a URL that received more than
//! 10,000 deliveries in the trailing 3 days with under 90% success is warned; flagged again at
//! the next check, it is paused and receives nothing until re-enabled. Each attempt counts as
//! one delivery to its URL (a retry is one more webhook the URL received). Thresholds and
//! times come from [`BreakerConfig`], in simulated seconds.

use std::collections::{BTreeMap, VecDeque};

use ghl_webhook_router::breaker_flags;
use serde::Serialize;

use crate::simulator::config::BreakerConfig;

/// A URL's standing with the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BreakerState {
    /// Delivered to normally.
    #[default]
    Healthy,
    /// Flagged at the last check: paused if flagged again at the next one.
    Warned,
    /// Receives nothing until re-enabled
    /// ([`Simulator::reset_breaker`](crate::simulator::Simulator::reset_breaker)).
    Paused,
}

/// What one check found for a URL.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    /// When the check ran, in simulated seconds.
    pub sim_secs: f64,
    /// Attempts in the window.
    pub deliveries: u64,
    /// Of which answered 2xx.
    pub successes: u64,
    /// Whether the URL was flagged (over the minimum and under the rate).
    pub flagged: bool,
}

/// One URL's breaker, as the control API and the dashboard show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UrlBreaker {
    /// The URL.
    pub url: String,
    /// Its standing.
    pub state: BreakerState,
    /// Attempts in the trailing window now.
    pub window_deliveries: u64,
    /// Of which answered 2xx.
    pub window_successes: u64,
    /// `window_successes / window_deliveries`; `None` without deliveries.
    pub success_rate: Option<f64>,
    /// The last check, if one ran since the URL's first delivery or its re-enabling.
    pub last_check: Option<CheckResult>,
}

#[derive(Debug, Default)]
struct Url {
    /// (simulated time, answered 2xx), oldest first.
    samples: VecDeque<(f64, bool)>,
    state: BreakerState,
    last_check: Option<CheckResult>,
}

impl Url {
    fn counts(&self, from: f64, to: f64) -> (u64, u64) {
        self.samples
            .iter()
            .filter(|(t, _)| *t > from && *t <= to)
            .fold((0, 0), |(n, ok), (_, s)| (n + 1, ok + u64::from(*s)))
    }
}

/// Every URL's breaker, and the check schedule.
#[derive(Debug)]
pub(super) struct Breakers {
    config: BreakerConfig,
    next_check: f64,
    urls: BTreeMap<String, Url>,
}

impl Breakers {
    /// Breakers with these thresholds; the first check is one interval after time 0.
    pub(super) fn new(config: BreakerConfig) -> Self {
        Self {
            next_check: config.check_every_secs,
            config,
            urls: BTreeMap::new(),
        }
    }

    /// Runs every check due by `now` (simulated seconds). When many are due at once (a long
    /// idle stretch), only the last two run: their results are all an earlier one could
    /// have changed (warned, then paused).
    pub(super) fn advance(&mut self, now: f64) {
        let every = self.config.check_every_secs;
        if self.next_check > now {
            return;
        }
        let due = ((now - self.next_check) / every).floor();
        if due > 1.0 {
            self.next_check += (due - 1.0) * every;
        }
        while self.next_check <= now {
            let at = self.next_check;
            self.check(at);
            self.next_check += every;
        }
    }

    fn check(&mut self, at: f64) {
        let from = at - self.config.window_secs;
        for url in self.urls.values_mut() {
            while url.samples.front().is_some_and(|(t, _)| *t <= from) {
                url.samples.pop_front();
            }
            let (deliveries, successes) = url.counts(from, at);
            let flagged = breaker_flags(
                deliveries,
                successes,
                self.config.min_deliveries,
                self.config.min_success_rate,
            );
            url.state = match (url.state, flagged) {
                (BreakerState::Paused, _) => BreakerState::Paused,
                (BreakerState::Healthy, true) => BreakerState::Warned,
                (BreakerState::Warned, true) => BreakerState::Paused,
                (_, false) => BreakerState::Healthy,
            };
            url.last_check = Some(CheckResult {
                sim_secs: at,
                deliveries,
                successes,
                flagged,
            });
        }
    }

    /// Records an attempt to `url` at `now`, after running the checks due before it.
    pub(super) fn record(&mut self, url: &str, now: f64, ok: bool) {
        self.advance(now);
        self.urls
            .entry(url.to_owned())
            .or_default()
            .samples
            .push_back((now, ok));
    }

    /// Whether `url` is paused at `now`.
    pub(super) fn is_paused(&mut self, url: &str, now: f64) -> bool {
        self.advance(now);
        self.urls
            .get(url)
            .is_some_and(|u| u.state == BreakerState::Paused)
    }

    /// Re-enables `url` (every URL when `None`): healthy again, its window emptied so the
    /// failures that paused it do not pause it again. Returns how many URLs were reset.
    pub(super) fn reset(&mut self, url: Option<&str>) -> usize {
        match url {
            Some(url) => self.urls.remove(url).map_or(0, |_| 1),
            None => {
                let n = self.urls.len();
                self.urls.clear();
                n
            }
        }
    }

    /// Every URL's breaker at `now`.
    pub(super) fn snapshot(&mut self, now: f64) -> Vec<UrlBreaker> {
        self.advance(now);
        let from = now - self.config.window_secs;
        self.urls
            .iter()
            .map(|(name, url)| {
                let (n, ok) = url.counts(from, now);
                UrlBreaker {
                    url: name.clone(),
                    state: url.state,
                    window_deliveries: n,
                    window_successes: ok,
                    success_rate: (n > 0).then(|| ok as f64 / n as f64),
                    last_check: url.last_check.clone(),
                }
            })
            .collect()
    }

    /// The state of `url` at `now` (healthy when it never received anything).
    pub(super) fn state(&mut self, url: &str, now: f64) -> BreakerState {
        self.advance(now);
        self.urls.get(url).map(|u| u.state).unwrap_or_default()
    }

    /// When the next check runs, in simulated seconds.
    pub(super) fn next_check(&self) -> f64 {
        self.next_check
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "http://127.0.0.1:1/h";

    fn breakers() -> Breakers {
        Breakers::new(BreakerConfig {
            min_deliveries: 100,
            min_success_rate: 0.9,
            window_secs: 300.0,
            check_every_secs: 100.0,
        })
    }

    /// `n` attempts spread over (from, from + 90], `failures` of them failed.
    fn feed(b: &mut Breakers, from: f64, n: u32, failures: u32) {
        for i in 0..n {
            b.record(
                URL,
                from + 90.0 * f64::from(i + 1) / f64::from(n),
                i >= failures,
            );
        }
    }

    #[test]
    fn a_url_under_the_rate_is_warned_then_paused_at_the_next_check() {
        let mut b = breakers();
        feed(&mut b, 0.0, 200, 40); // 80%
        assert_eq!(b.state(URL, 99.0), BreakerState::Healthy);
        assert_eq!(b.state(URL, 100.0), BreakerState::Warned);
        feed(&mut b, 100.0, 200, 40);
        assert!(!b.is_paused(URL, 199.0));
        assert!(b.is_paused(URL, 200.0));
        // Paused stays paused, whatever the rate, until re-enabled.
        feed(&mut b, 200.0, 200, 0);
        assert_eq!(b.state(URL, 1000.0), BreakerState::Paused);
        assert_eq!(b.reset(Some(URL)), 1);
        assert_eq!(b.state(URL, 1000.0), BreakerState::Healthy);
    }

    #[test]
    fn a_url_at_the_rate_or_under_the_minimum_is_never_flagged() {
        let mut b = breakers();
        feed(&mut b, 0.0, 100, 50); // 50%, but not more than 100 deliveries
        assert_eq!(b.state(URL, 100.0), BreakerState::Healthy);
        let mut b = breakers();
        feed(&mut b, 0.0, 200, 20); // exactly 90%
        assert_eq!(b.state(URL, 100.0), BreakerState::Healthy);
        let last = b.snapshot(100.0).remove(0).last_check.expect("checked");
        assert_eq!(
            (last.deliveries, last.successes, last.flagged),
            (200, 180, false)
        );
    }

    #[test]
    fn a_warned_url_that_recovers_is_healthy_again() {
        let mut b = breakers();
        feed(&mut b, 0.0, 200, 40);
        assert_eq!(b.state(URL, 100.0), BreakerState::Warned);
        // The window (300 s) still holds the bad stretch: flood it with successes.
        feed(&mut b, 100.0, 2000, 0);
        assert_eq!(b.state(URL, 200.0), BreakerState::Healthy);
    }

    #[test]
    fn the_window_forgets_old_failures() {
        let mut b = breakers();
        feed(&mut b, 0.0, 200, 200);
        let now = b.snapshot(50.0).remove(0);
        assert_eq!(now.window_deliveries, 111);
        assert_eq!(now.success_rate, Some(0.0));
        let later = b.snapshot(1000.0).remove(0);
        assert_eq!((later.window_deliveries, later.success_rate), (0, None));
    }
}
