//! [`RetryAt`]: a handler's say in when its entry is attempted again.

use std::time::SystemTime;

/// A handler error that sets the earliest time of its entry's next attempt (durable mode).
///
/// A handler that returns this error (boxed, as any other) fails its attempt as usual, and
/// the entry is retried **no earlier than** [`not_before`](Self::not_before): the later of
/// that time and the workers' own backoff. For a handler that calls a service which answered
/// `429 Too Many Requests` with `Retry-After`, or that knows its downstream is paused.
///
/// [`RetryAt::hold`] keeps the entry instead ([`Journal::hold`](crate::journal::Journal::hold)):
/// it is retried at that time, the held attempt is not counted in
/// [`Entry::attempts`](crate::journal::Entry::attempts), so however long or often it waits, its
/// attempts are left for real failures, and the hold is logged at debug level rather than as
/// a handler failure. Inline, the error is a handler failure like any other.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use ghl_webhook_router::{Delivery, RetryAt, WebhookRouter};
/// use ghl_webhook_router::types::contact::ContactCreate;
///
/// let router = WebhookRouter::new().on(|_: ContactCreate, _: Delivery| async {
///     // The service said "Retry-After: 30".
///     Err::<(), _>(RetryAt::after(Duration::from_secs(30), "rate limited (429)"))
/// });
/// # let _ = router;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct RetryAt {
    /// The entry's next attempt is not earlier than this.
    pub not_before: SystemTime,
    /// Whether the entry is held: never dead-lettered for this failure.
    pub hold: bool,
    /// Why, recorded as the attempt's error.
    pub reason: String,
}

impl RetryAt {
    /// A failure whose retry is not earlier than `not_before`.
    pub fn at(not_before: SystemTime, reason: impl Into<String>) -> Self {
        Self {
            not_before,
            hold: false,
            reason: reason.into(),
        }
    }

    /// A failure whose retry is not earlier than `delay` from now.
    pub fn after(delay: std::time::Duration, reason: impl Into<String>) -> Self {
        Self::at(SystemTime::now() + delay, reason)
    }

    /// An entry kept for later: retried at `until`, the attempt not counted.
    pub fn hold(until: SystemTime, reason: impl Into<String>) -> Self {
        Self {
            not_before: until,
            hold: true,
            reason: reason.into(),
        }
    }
}
