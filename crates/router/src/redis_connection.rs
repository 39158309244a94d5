//! The one way this crate connects to Redis: lazily, with bounded timeouts and quick
//! reconnects, for the dedupe store and the journal alike.

use std::time::Duration;

use redis::RedisError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// A connection to `url` made on first use and remade after failures (so a router can start
/// while Redis is down); each attempt and command bounded by its timeout. Must be called
/// inside a tokio runtime. A malformed URL is an error here.
pub(crate) fn lazy(
    url: &str,
    connection_timeout: Duration,
    response_timeout: Duration,
) -> Result<ConnectionManager, RedisError> {
    let client = redis::Client::open(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(connection_timeout))
        .set_response_timeout(Some(response_timeout))
        .set_number_of_retries(1)
        .set_min_delay(Duration::from_millis(20))
        .set_max_delay(Duration::from_millis(500));
    ConnectionManager::new_lazy_with_config(client, config)
}
