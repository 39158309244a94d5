//! [`ServeConfig`]: the limits [`serve_with`](super::serve_with) holds every connection to, so
//! that a public URL survives slow, idle and too many clients.

use std::time::Duration;

/// Request headers must be complete this long after a connection opens, or after the first
/// byte of a later request on a kept-alive connection.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A kept-alive connection with no request in progress is closed after this long.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The most connections served at once by default, however high the open-file limit: about
/// 16 KiB each while they wait for a head, so 1 GiB at most.
pub const MAX_CONNECTIONS_CEILING: usize = 65_536;

/// The default connection cap where the open-file limit cannot be read.
const FALLBACK_MAX_CONNECTIONS: usize = 1024;

/// Above this share of the connection cap (one half) the head and idle timeouts tighten.
pub const PRESSURE_SHARE: (usize, usize) = (1, 2);

/// The head timeout at a full server (see [`ServeConfig`]'s `loaded_header_read_timeout`).
pub const DEFAULT_LOADED_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(2);

/// The idle timeout at a full server (see [`ServeConfig`]'s `loaded_idle_timeout`).
pub const DEFAULT_LOADED_IDLE_TIMEOUT: Duration = Duration::from_secs(1);

/// The largest request head (request line and headers) accepted: 16 KiB. Past it the request
/// is answered `431 Request Header Fields Too Large` and the connection closed.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 * 1024;

/// The most header fields accepted in one request (past it: `431`).
pub const DEFAULT_MAX_HEADERS: usize = 100;

/// How long requests in flight may run once shutdown is asked for, by default.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The limits of [`serve_with`](super::serve_with). [`Default`] is safe for a public URL; each
/// field documents its default, and has a setter of its name.
///
/// The body read timeout is not here: it belongs to the service
/// ([`WebhookRouter::body_timeout`](crate::WebhookRouter::body_timeout), default 30 s, answered
/// `408` with `Connection: close`), so that it holds in any host server too.
///
/// ```
/// use std::time::Duration;
/// use ghl_webhook_router::serve::ServeConfig;
///
/// let config = ServeConfig::default()
///     .header_read_timeout(Duration::from_secs(5))
///     .max_connections(256);
/// assert_eq!(config.max_connections, 256);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServeConfig {
    /// How long a client has to send a complete request head (default 10 s): counted from the
    /// accept for a connection's first request, and from the first byte of each later one.
    /// Past it the connection is closed without an answer (no request was read to answer).
    pub header_read_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request (default 60 s); past it
    /// the connection is closed cleanly.
    pub idle_timeout: Duration,
    /// The head timeout once the server is full (default 2 s, never more than
    /// `header_read_timeout`). Above half the connection cap the head timeout shrinks in steps
    /// from `header_read_timeout` towards this, so that connections that dribble their heads
    /// free their slots sooner the fuller the server is.
    pub loaded_header_read_timeout: Duration,
    /// The idle keep-alive timeout once the server is full (default 1 s, never more than
    /// `idle_timeout`); it tightens above half the cap as the head timeout does.
    pub loaded_idle_timeout: Duration,
    /// How many connections are served at once (at least 1). The default follows the
    /// process's open-file limit: see [`default_max_connections`].
    ///
    /// At the cap a new connection is still admitted: the server closes the least useful
    /// connections to make room, those waiting longest for their request head or idle the
    /// longest between requests, never one whose request is being served. Only when every
    /// connection is serving a request do new ones wait in the kernel's listen backlog.
    pub max_connections: usize,
    /// The largest request head (request line and headers) in bytes (default 16 KiB, at least
    /// 1); larger heads are answered `431` and the connection closed.
    pub max_header_bytes: usize,
    /// The most header fields in one request (default 100, at least 1); more are answered
    /// `431`.
    pub max_headers: usize,
    /// How long requests in flight may run once shutdown is asked for (default 30 s); past it
    /// their connections are dropped unanswered, so HighLevel retries them.
    pub shutdown_grace: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            loaded_header_read_timeout: DEFAULT_LOADED_HEADER_READ_TIMEOUT,
            loaded_idle_timeout: DEFAULT_LOADED_IDLE_TIMEOUT,
            max_connections: default_max_connections(),
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            max_headers: DEFAULT_MAX_HEADERS,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

impl ServeConfig {
    /// Sets `header_read_timeout` (see the field).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Sets `idle_timeout` (see the field).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets `loaded_header_read_timeout` (see the field).
    pub fn loaded_header_read_timeout(mut self, timeout: Duration) -> Self {
        self.loaded_header_read_timeout = timeout;
        self
    }

    /// Sets `loaded_idle_timeout` (see the field).
    pub fn loaded_idle_timeout(mut self, timeout: Duration) -> Self {
        self.loaded_idle_timeout = timeout;
        self
    }

    /// Sets `max_connections` (see the field), at least 1.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// Sets `max_header_bytes` (see the field), at least 1.
    pub fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.max_header_bytes = bytes.max(1);
        self
    }

    /// Sets `max_headers` (see the field), at least 1.
    pub fn max_headers(mut self, count: usize) -> Self {
        self.max_headers = count.max(1);
        self
    }

    /// Sets `shutdown_grace` (see the field).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// The head and idle timeouts for a server with `open` connections: the configured ones
    /// up to half the cap, then shrinking in eight steps over the upper half towards the
    /// loaded ones (never above the configured ones), reached at the cap.
    pub fn timeouts_at(&self, open: usize) -> (Duration, Duration) {
        let step = pressure_step(open, self.connection_cap());
        (
            tighten(
                self.header_read_timeout,
                self.loaded_header_read_timeout
                    .min(self.header_read_timeout),
                step,
            ),
            tighten(
                self.idle_timeout,
                self.loaded_idle_timeout.min(self.idle_timeout),
                step,
            ),
        )
    }

    /// The connection cap in force: `max_connections`, at least 1.
    pub(crate) fn connection_cap(&self) -> usize {
        self.max_connections.max(1)
    }
}

/// Steps of pressure: 0 up to half the cap, then one more per eighth of the upper half,
/// [`PRESSURE_STEPS`] at the cap and above.
pub(crate) fn pressure_step(open: usize, cap: usize) -> u32 {
    let (num, den) = PRESSURE_SHARE;
    let threshold = cap.saturating_mul(num) / den;
    if open <= threshold {
        return 0;
    }
    let span = cap.saturating_sub(threshold).max(1);
    let over = (open - threshold).min(span);
    // `over / span` in PRESSURE_STEPS steps, rounding up: one connection over is step 1.
    let step = (over.saturating_mul(PRESSURE_STEPS as usize)).div_ceil(span);
    u32::try_from(step).unwrap_or(PRESSURE_STEPS)
}

/// How many steps the timeouts take from their configured values to their loaded ones.
pub(crate) const PRESSURE_STEPS: u32 = 8;

/// `relaxed` moved towards `loaded` by `step` of [`PRESSURE_STEPS`].
fn tighten(relaxed: Duration, loaded: Duration, step: u32) -> Duration {
    let step = step.min(PRESSURE_STEPS);
    let gap = relaxed.saturating_sub(loaded);
    relaxed.saturating_sub(gap / PRESSURE_STEPS * step)
}

/// The default connection cap: the process's soft limit on open files (`RLIMIT_NOFILE`), less
/// an eighth of it (at least 64) for everything else the process opens (the journal, Redis or
/// Postgres connections, files), and at most [`MAX_CONNECTIONS_CEILING`]; 1,024 where the
/// limit cannot be read. Read when the [`ServeConfig`] is made: raise `ulimit -n` before
/// starting the server to serve more connections.
///
/// ```
/// let cap = ghl_webhook_router::serve::default_max_connections();
/// assert!(cap >= 1 && cap <= ghl_webhook_router::serve::MAX_CONNECTIONS_CEILING);
/// ```
pub fn default_max_connections() -> usize {
    open_files_limit().map_or(FALLBACK_MAX_CONNECTIONS, cap_for_open_files)
}

/// The cap for a soft open-file limit of `limit`.
fn cap_for_open_files(limit: u64) -> usize {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let reserve = (limit / 8).max(64);
    limit
        .saturating_sub(reserve)
        .clamp(1, MAX_CONNECTIONS_CEILING)
}

/// The soft limit on open files, where the platform has one.
#[cfg(unix)]
fn open_files_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

#[cfg(not(unix))]
fn open_files_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_documented_values() {
        let config = ServeConfig::default();
        assert_eq!(config.header_read_timeout, Duration::from_secs(10));
        assert_eq!(config.idle_timeout, Duration::from_secs(60));
        assert_eq!(config.max_connections, default_max_connections());
        assert_eq!(config.loaded_header_read_timeout, Duration::from_secs(2));
        assert_eq!(config.loaded_idle_timeout, Duration::from_secs(1));
        assert_eq!(config.max_header_bytes, 16 * 1024);
        assert_eq!(config.max_headers, 100);
        assert_eq!(config.shutdown_grace, Duration::from_secs(30));
    }

    #[test]
    fn limits_below_their_floor_are_raised_to_it_set_or_written() {
        let config = ServeConfig::default()
            .max_connections(0)
            .max_header_bytes(0)
            .max_headers(0);
        assert_eq!(config.max_connections, 1);
        assert_eq!(config.max_header_bytes, 1);
        assert_eq!(config.max_headers, 1);
        let written = ServeConfig {
            max_connections: 0,
            ..ServeConfig::default()
        };
        assert_eq!(written.connection_cap(), 1);
        // Loaded timeouts above the relaxed ones never loosen a full server.
        let loose = ServeConfig::default()
            .max_connections(10)
            .loaded_header_read_timeout(Duration::from_secs(99))
            .loaded_idle_timeout(Duration::from_secs(99));
        assert_eq!(
            loose.timeouts_at(10),
            (Duration::from_secs(10), Duration::from_secs(60))
        );
    }

    #[test]
    fn the_default_cap_follows_the_open_file_limit() {
        assert_eq!(cap_for_open_files(1024), 896);
        assert_eq!(cap_for_open_files(256), 192);
        assert_eq!(cap_for_open_files(20_000), 17_500);
        assert_eq!(cap_for_open_files(10), 1);
        assert_eq!(cap_for_open_files(1 << 20), MAX_CONNECTIONS_CEILING);
        assert_eq!(cap_for_open_files(u64::MAX), MAX_CONNECTIONS_CEILING);
        #[cfg(unix)]
        {
            let soft = open_files_limit().expect("unix has RLIMIT_NOFILE");
            assert_eq!(default_max_connections(), cap_for_open_files(soft));
        }
    }

    #[test]
    fn timeouts_tighten_above_half_the_cap_down_to_the_loaded_ones_at_the_cap() {
        let config = ServeConfig::default().max_connections(1000);
        let relaxed = (Duration::from_secs(10), Duration::from_secs(60));
        assert_eq!(config.timeouts_at(0), relaxed);
        assert_eq!(config.timeouts_at(500), relaxed);
        let (head, idle) = config.timeouts_at(501);
        assert!(
            head < relaxed.0 && head > Duration::from_secs(2),
            "{head:?}"
        );
        assert!(
            idle < relaxed.1 && idle > Duration::from_secs(1),
            "{idle:?}"
        );
        let (mid_head, _) = config.timeouts_at(750);
        assert!(mid_head < head, "{mid_head:?} vs {head:?}");
        let full = (Duration::from_secs(2), Duration::from_secs(1));
        assert_eq!(config.timeouts_at(1000), full);
        assert_eq!(config.timeouts_at(5000), full);
    }

    #[test]
    fn a_loaded_timeout_never_exceeds_the_configured_one() {
        let config = ServeConfig::default()
            .max_connections(10)
            .header_read_timeout(Duration::from_millis(500))
            .idle_timeout(Duration::from_millis(300));
        assert_eq!(
            config.timeouts_at(10),
            (Duration::from_millis(500), Duration::from_millis(300))
        );
    }
}
