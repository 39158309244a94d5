//! The Redis idempotency store: deduplication shared by every replica behind a load balancer.
//!
//! One key per `webhookId` (`<prefix><webhookId>`), holding `inflight` while a handler runs and
//! `done` once the delivery was answered 2xx. A claim is one atomic Lua script (`SET NX PX`,
//! else read the state), so of two replicas claiming the same id at once exactly one wins.
//! Completion overwrites the key with `done` and the long TTL; release deletes it only while
//! it is still `inflight`.
//!
//! The connection is a [`ConnectionManager`]: multiplexed, reconnecting in the background after
//! Redis restarts. While Redis is unreachable every operation fails fast (connection and
//! response timeouts) and the router answers the retryable status; HighLevel's retries are
//! processed once Redis is back.
//!
//! Keep the in-flight TTL above the router's handler timeout (the defaults: 60 s vs 30 s):
//! a claim that expires while its handler still runs lets a duplicate run concurrently. For
//! "none doubled" across a Redis restart, run Redis with persistence (`appendonly yes`).

use std::time::Duration;

use futures_util::future::BoxFuture;
use redis::aio::ConnectionManager;

use super::{Claim, IdempotencyStore, StoreError};

/// Settings of a [`RedisStore`]. Needs the `redis` cargo feature.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RedisStoreConfig {
    /// Prefix of every key (default `ghl-webhooks:dedupe:`).
    pub key_prefix: String,
    /// How long a handled id is remembered (default 24 h).
    pub done_ttl: Duration,
    /// How long an unfinished claim blocks duplicates (default 60 s). Keep it above the
    /// router's handler timeout (30 s by default), and not much above: a claim whose outcome
    /// was lost (Redis died mid-command, the process crashed) blocks retries until it expires.
    pub in_flight_ttl: Duration,
    /// Timeout of one connection attempt (default 1 s).
    pub connection_timeout: Duration,
    /// Timeout of one command (default 2 s).
    pub response_timeout: Duration,
}

impl Default for RedisStoreConfig {
    fn default() -> Self {
        Self {
            key_prefix: "ghl-webhooks:dedupe:".to_owned(),
            done_ttl: Duration::from_secs(24 * 60 * 60),
            in_flight_ttl: Duration::from_secs(60),
            connection_timeout: Duration::from_secs(1),
            response_timeout: Duration::from_secs(2),
        }
    }
}

impl RedisStoreConfig {
    /// The prefix of every key, so that several apps share one Redis.
    ///
    /// ```
    /// use ghl_webhook_router::RedisStoreConfig;
    /// use std::time::Duration;
    ///
    /// let config = RedisStoreConfig::default()
    ///     .key_prefix("my-app:dedupe:")
    ///     .in_flight_ttl(Duration::from_secs(45));
    /// assert_eq!(config.key_prefix, "my-app:dedupe:");
    /// ```
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// How long a handled id is remembered.
    pub fn done_ttl(mut self, ttl: Duration) -> Self {
        self.done_ttl = ttl;
        self
    }

    /// How long an unfinished claim blocks duplicates.
    pub fn in_flight_ttl(mut self, ttl: Duration) -> Self {
        self.in_flight_ttl = ttl;
        self
    }

    /// The timeout of one connection attempt.
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// The timeout of one command.
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }
}

/// Deduplication in Redis, shared by several router instances.
///
/// Needs the `redis` cargo feature.
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    config: RedisStoreConfig,
    claim_script: redis::Script,
    release_script: redis::Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// `SET key inflight NX PX ttl`; when the key exists, its state.
const CLAIM: &str = r"
if redis.call('SET', KEYS[1], 'inflight', 'NX', 'PX', ARGV[1]) then
  return 'acquired'
end
local state = redis.call('GET', KEYS[1])
if state then
  return state
end
redis.call('SET', KEYS[1], 'inflight', 'PX', ARGV[1])
return 'acquired'
";

/// Deletes the key only while it is still `inflight`.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == 'inflight' then
  return redis.call('DEL', KEYS[1])
end
return 0
";

impl RedisStore {
    /// A store on the Redis at `url` (e.g. `redis://127.0.0.1:6379/0`).
    ///
    /// Does not wait for Redis: the connection is made on first use and remade after failures,
    /// so a router can start while Redis is down (and answers the retryable status meanwhile).
    /// Must be called inside a tokio runtime. A malformed URL is an error here.
    pub fn new(url: &str, config: RedisStoreConfig) -> Result<Self, StoreError> {
        let connection =
            crate::redis_connection::lazy(url, config.connection_timeout, config.response_timeout)
                .map_err(StoreError::new)?;
        Ok(Self {
            connection,
            config,
            claim_script: redis::Script::new(CLAIM),
            release_script: redis::Script::new(RELEASE),
        })
    }

    /// The settings in force.
    pub fn config(&self) -> &RedisStoreConfig {
        &self.config
    }

    fn key(&self, webhook_id: &str) -> String {
        format!("{}{webhook_id}", self.config.key_prefix)
    }

    async fn claim_inner(&self, webhook_id: &str) -> Result<Claim, StoreError> {
        let mut connection = self.connection.clone();
        let state: String = self
            .claim_script
            .key(self.key(webhook_id))
            .arg(millis(self.config.in_flight_ttl))
            .invoke_async(&mut connection)
            .await
            .map_err(StoreError::new)?;
        match state.as_str() {
            "acquired" => Ok(Claim::Acquired),
            "inflight" => Ok(Claim::InFlight),
            "done" => Ok(Claim::Done),
            other => Err(StoreError::new(format!(
                "unexpected value `{other}` under the dedupe key; is the key prefix shared with something else?"
            ))),
        }
    }

    async fn complete_inner(&self, webhook_id: &str) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        redis::cmd("SET")
            .arg(self.key(webhook_id))
            .arg("done")
            .arg("PX")
            .arg(millis(self.config.done_ttl))
            .query_async::<()>(&mut connection)
            .await
            .map_err(StoreError::new)
    }

    async fn release_inner(&self, webhook_id: &str) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        self.release_script
            .key(self.key(webhook_id))
            .invoke_async::<i64>(&mut connection)
            .await
            .map(drop)
            .map_err(StoreError::new)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl IdempotencyStore for RedisStore {
    fn claim<'a>(&'a self, webhook_id: &'a str) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(self.claim_inner(webhook_id))
    }

    fn complete<'a>(&'a self, webhook_id: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.complete_inner(webhook_id))
    }

    fn release<'a>(&'a self, webhook_id: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.release_inner(webhook_id))
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            redis::cmd("PING")
                .query_async::<()>(&mut connection)
                .await
                .map_err(StoreError::new)
        })
    }
}
