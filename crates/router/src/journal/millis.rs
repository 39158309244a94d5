//! Times as the SQL engines store them: milliseconds since the Unix epoch, in a signed 64-bit
//! integer, clamped rather than wrapped.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch; earlier times are the epoch, later than `i64::MAX` ms
/// is `i64::MAX`.
pub(super) fn to_ms(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
    })
}

/// The time `ms` milliseconds after the Unix epoch; negative values are the epoch.
pub(super) fn from_ms(ms: i64) -> SystemTime {
    let since = Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    UNIX_EPOCH.checked_add(since).unwrap_or(UNIX_EPOCH)
}

/// `now` plus `length`, in milliseconds, saturating.
pub(super) fn ms_after(now: i64, length: Duration) -> i64 {
    now.saturating_add(i64::try_from(length.as_millis()).unwrap_or(i64::MAX))
}
