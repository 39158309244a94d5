//! [`ServeConfig`]: the limits [`serve_with`](super::serve_with) holds every connection to, so
//! that a public URL survives slow, idle and too many clients.

use std::time::Duration;

/// Request headers must be complete this long after a connection opens, or after the first
/// byte of a later request on a kept-alive connection.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A kept-alive connection with no request in progress is closed after this long.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Connections served at once; past it, new connections wait in the listen backlog.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// The largest request head (request line and headers) accepted: 16 KiB. Past it the request
/// is answered `431 Request Header Fields Too Large` and the connection closed.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 * 1024;

/// The most header fields accepted in one request (past it: `431`).
pub const DEFAULT_MAX_HEADERS: usize = 100;

/// How long requests in flight may run once shutdown is asked for, by default.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The limits of [`serve_with`](super::serve_with). [`Default`] is safe for a public URL;
/// each setter documents its default.
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
/// assert_eq!(config.max_connections_limit(), 256);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    header_read_timeout: Duration,
    idle_timeout: Duration,
    max_connections: usize,
    max_header_bytes: usize,
    max_headers: usize,
    shutdown_grace: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            max_headers: DEFAULT_MAX_HEADERS,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

impl ServeConfig {
    /// How long a client has to send a complete request head (default 10 s): counted from the
    /// accept for a connection's first request, and from the first byte of each later one.
    /// Past it the connection is closed without an answer (no request was read to answer).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long a kept-alive connection may wait for its next request (default 60 s); past it
    /// the connection is closed cleanly.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// How many connections are served at once (default 1,024; at least 1). Past it the accept
    /// loop stops accepting: new connections wait in the kernel's listen backlog until one
    /// closes (and the header and idle timeouts make sure one does), so the connections
    /// already served are not slowed and a legitimate sender is delayed, not refused.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// The largest request head (request line and headers) in bytes (default 16 KiB); larger
    /// heads are answered `431` and the connection closed.
    pub fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.max_header_bytes = bytes.max(1);
        self
    }

    /// The most header fields in one request (default 100); more are answered `431`.
    pub fn max_headers(mut self, count: usize) -> Self {
        self.max_headers = count.max(1);
        self
    }

    /// How long requests in flight may run once shutdown is asked for (default 30 s); past it
    /// their connections are dropped unanswered, so HighLevel retries them.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// The header read timeout in force.
    pub fn header_read_timeout_limit(&self) -> Duration {
        self.header_read_timeout
    }

    /// The idle keep-alive timeout in force.
    pub fn idle_timeout_limit(&self) -> Duration {
        self.idle_timeout
    }

    /// The connection limit in force.
    pub fn max_connections_limit(&self) -> usize {
        self.max_connections
    }

    /// The request head size limit in force, bytes.
    pub fn max_header_bytes_limit(&self) -> usize {
        self.max_header_bytes
    }

    /// The header count limit in force.
    pub fn max_headers_limit(&self) -> usize {
        self.max_headers
    }

    /// The shutdown grace period in force.
    pub fn shutdown_grace_limit(&self) -> Duration {
        self.shutdown_grace
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_documented_values() {
        let config = ServeConfig::default();
        assert_eq!(config.header_read_timeout_limit(), Duration::from_secs(10));
        assert_eq!(config.idle_timeout_limit(), Duration::from_secs(60));
        assert_eq!(config.max_connections_limit(), 1024);
        assert_eq!(config.max_header_bytes_limit(), 16 * 1024);
        assert_eq!(config.max_headers_limit(), 100);
        assert_eq!(config.shutdown_grace_limit(), Duration::from_secs(30));
    }

    #[test]
    fn limits_below_their_floor_are_raised_to_it() {
        let config = ServeConfig::default()
            .max_connections(0)
            .max_header_bytes(0)
            .max_headers(0);
        assert_eq!(config.max_connections_limit(), 1);
        assert_eq!(config.max_header_bytes_limit(), 1);
        assert_eq!(config.max_headers_limit(), 1);
    }
}
