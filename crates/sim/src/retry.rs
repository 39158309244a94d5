//! HighLevel's retry policies, for [`MockSender`](crate::MockSender).
//!
//! Current policy (guide, 2026-08): any non-2xx answer or no answer is retried up to 12 times,
//! exponential backoff with jitter. Old policy (help center): only `429`, 6 retries, 10 minutes
//! apart. Delays are scaled by [`RetryPolicy::time_scale`] so tests run in seconds.

use std::time::Duration;

use http::StatusCode;

/// Which answers are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryOn {
    /// Any non-2xx answer and any connection error (the current policy).
    AnyFailure,
    /// Only `429 Too Many Requests` (the old policy).
    TooManyRequestsOnly,
}

/// How a mock delivery is retried.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Which answers are retried.
    pub retry_on: RetryOn,
    /// Delay before the first retry (unscaled).
    pub base_delay: Duration,
    /// Each retry's delay is the previous one times this.
    pub multiplier: f64,
    /// Upper bound on one delay (unscaled).
    pub max_delay: Duration,
    /// Random part of each delay, as a fraction of it (0.0 to 1.0): "full jitter" when 1.0.
    pub jitter: f64,
    /// Multiplies every delay: 1.0 is real time, 0.001 turns minutes into tens of milliseconds.
    pub time_scale: f64,
}

impl RetryPolicy {
    /// No retries: one attempt.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            retry_on: RetryOn::AnyFailure,
            base_delay: Duration::ZERO,
            multiplier: 1.0,
            max_delay: Duration::ZERO,
            jitter: 0.0,
            time_scale: 1.0,
        }
    }

    /// HighLevel's current policy: up to 12 retries on any non-2xx or connection error,
    /// exponential backoff from 10 s, doubling, capped at 1 h, half of each delay jittered.
    pub fn highlevel() -> Self {
        Self {
            max_retries: 12,
            retry_on: RetryOn::AnyFailure,
            base_delay: Duration::from_secs(10),
            multiplier: 2.0,
            max_delay: Duration::from_secs(3600),
            jitter: 0.5,
            time_scale: 1.0,
        }
    }

    /// HighLevel's old policy: only `429`, 6 retries, 10 minutes apart.
    pub fn legacy() -> Self {
        Self {
            max_retries: 6,
            retry_on: RetryOn::TooManyRequestsOnly,
            base_delay: Duration::from_secs(600),
            multiplier: 1.0,
            max_delay: Duration::from_secs(600),
            jitter: 0.0,
            time_scale: 1.0,
        }
    }

    /// The same policy with every delay multiplied by `scale` (clamped to be non-negative).
    pub fn time_scale(mut self, scale: f64) -> Self {
        self.time_scale = if scale.is_finite() {
            scale.max(0.0)
        } else {
            1.0
        };
        self
    }

    /// Whether an answer with `status` (or no answer, `None`) is retried.
    pub fn retries(&self, status: Option<StatusCode>) -> bool {
        match (self.retry_on, status) {
            (_, Some(s)) if s.is_success() => false,
            (RetryOn::AnyFailure, _) => true,
            (RetryOn::TooManyRequestsOnly, Some(s)) => s == StatusCode::TOO_MANY_REQUESTS,
            (RetryOn::TooManyRequestsOnly, None) => false,
        }
    }

    /// The delay before retry number `retry` (1-based), scaled and jittered.
    pub fn delay(&self, retry: u32) -> Duration {
        let exp = self.multiplier.powi(retry.saturating_sub(1).min(64) as i32);
        let unjittered = (self.base_delay.as_secs_f64() * exp).min(self.max_delay.as_secs_f64());
        let jitter = self.jitter.clamp(0.0, 1.0);
        let secs = unjittered * (1.0 - jitter) + unjittered * jitter * fastrand::f64();
        Duration::from_secs_f64((secs * self.time_scale).max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_policy_retries_every_failure_but_not_success() {
        let p = RetryPolicy::highlevel();
        assert!(p.retries(None));
        assert!(p.retries(Some(StatusCode::INTERNAL_SERVER_ERROR)));
        assert!(p.retries(Some(StatusCode::UNAUTHORIZED)));
        assert!(p.retries(Some(StatusCode::TOO_MANY_REQUESTS)));
        assert!(!p.retries(Some(StatusCode::OK)));
        assert!(!p.retries(Some(StatusCode::NO_CONTENT)));
    }

    #[test]
    fn legacy_policy_retries_only_429() {
        let p = RetryPolicy::legacy();
        assert!(p.retries(Some(StatusCode::TOO_MANY_REQUESTS)));
        assert!(!p.retries(Some(StatusCode::INTERNAL_SERVER_ERROR)));
        assert!(!p.retries(None));
        assert_eq!(p.max_retries, 6);
    }

    #[test]
    fn delays_grow_exponentially_within_their_jitter_and_cap() {
        let p = RetryPolicy::highlevel();
        for retry in 1..=12u32 {
            let full = (10.0 * 2f64.powi(retry as i32 - 1)).min(3600.0);
            let d = p.delay(retry).as_secs_f64();
            assert!(
                d >= full * 0.5 - 1e-9 && d <= full + 1e-9,
                "retry {retry}: {d}"
            );
        }
    }

    #[test]
    fn time_scale_shrinks_delays() {
        let p = RetryPolicy::legacy().time_scale(0.001);
        assert_eq!(p.delay(3), Duration::from_secs_f64(0.6));
        assert_eq!(RetryPolicy::legacy().time_scale(f64::NAN).time_scale, 1.0);
    }
}
