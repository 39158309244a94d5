pub(crate) mod fields;
mod scripts;

use std::time::{Duration, SystemTime};

use futures_util::future::BoxFuture;
use redis::aio::ConnectionManager;
use redis::{RedisError, Script};

use super::address::redact;
use super::{
    Appended, Entry, Journal, JournalError, LeaseToken, Leased, ListFilter, NewEntry,
    ReplaySelector, Settlement, Stats,
};
use fields::{from_ms, ms_after, new_entry_fields, read_entry, to_ms};

/// At most this many entries are leased by one call, and looked at per kind of candidate.
const LEASE_BATCH: usize = 1000;

/// How many keys one replay, list or delete step handles (one script call or one pipeline).
const STEP: usize = 500;

/// Settings of a [`RedisJournal`]. Needs the `redis` cargo feature.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RedisJournalConfig {
    /// The prefix of every key of this journal (default `ghl-webhooks:journal:`). Give each
    /// app, and each journal of an app, a prefix of its own.
    pub key_prefix: String,
    /// The stream's consumer group (default `ghl-webhooks`). Every replica of one app uses the
    /// same group, so that each entry goes to one of them.
    pub group: String,
    /// This process's consumer name in the group (default `consumer-<pid>-<random>`): what
    /// `XPENDING` shows as the holder of an entry. Make it unique per replica.
    pub consumer: String,
    /// Timeout of one connection attempt (default 1 s).
    pub connection_timeout: Duration,
    /// Timeout of one command (default 2 s). An append that times out is answered 503; if it
    /// did reach Redis, HighLevel's retry is a duplicate and answered 200.
    pub response_timeout: Duration,
}

impl Default for RedisJournalConfig {
    fn default() -> Self {
        Self {
            key_prefix: Self::DEFAULT_PREFIX.to_owned(),
            group: "ghl-webhooks".to_owned(),
            consumer: format!("consumer-{}-{:08x}", std::process::id(), fastrand::u32(..)),
            connection_timeout: Duration::from_secs(1),
            response_timeout: Duration::from_secs(2),
        }
    }
}

impl RedisJournalConfig {
    /// The key prefix unless another is set.
    pub const DEFAULT_PREFIX: &'static str = "ghl-webhooks:journal:";

    /// The prefix of every key of this journal: one per app, and per journal of an app.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// The stream's consumer group: the same for every replica of one app.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = group.into();
        self
    }

    /// This process's consumer name in the group, unique per replica.
    ///
    /// ```
    /// use ghl_webhook_router::journal::RedisJournalConfig;
    ///
    /// let config = RedisJournalConfig::default()
    ///     .key_prefix("my-app:journal:")
    ///     .consumer("replica-1");
    /// assert_eq!(config.consumer, "replica-1");
    /// ```
    pub fn consumer(mut self, consumer: impl Into<String>) -> Self {
        self.consumer = consumer.into();
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

/// The durable journal on Redis Streams, shared by every replica that opens it with the same
/// URL and key prefix. Needs the `redis` cargo feature.
///
/// Every replica appends to, and leases from, the same journal: a delivery acknowledged by
/// one replica may be handled by a worker of another, each entry by one worker at a time, and
/// the entries of a replica that died are taken over by the others once their leases expire.
///
/// # Layout
///
/// Under the key prefix `P` ([`RedisJournalConfig::key_prefix`], so that several apps, or
/// several journals, share one Redis):
///
/// | key | type | holds |
/// |---|---|---|
/// | `P:log` | stream | one entry per append (`ghl 1 key <key>`), in arrival order; its consumer group ([`RedisJournalConfig::group`]) hands each new entry to one lease |
/// | `P:e:<key>` | hash | the entry: its state, attempts, last error, due time, lease and generation, order key, kind, received time and the raw body |
/// | `P:seq` | string | the arrival counter |
/// | `P:bodies-to` | string | when the done entries whose bodies were dropped last finished ([`Journal::drop_done_bodies`] goes on from there) |
/// | `P:all`, `P:open` | sorted sets | every entry, and the pending and in-progress ones, by arrival |
/// | `P:due` | sorted set | pending entries already read from the stream (retried, released, replayed or waiting for their order key), by due time |
/// | `P:leases` | sorted set | in-progress entries, by the end of their lease |
/// | `P:done`, `P:dead` | sorted sets | done entries and dead letters, by when they finished |
/// | `P:o:<order key>` | sorted set | the open entries of an order key, by arrival: only the first is leased |
/// | `P:dead-letters` | stream | a log of the entries that became dead letters, with their error |
///
/// (`P:` stands for the whole prefix, which ends with `:` by default.) The body lives in the
/// hash, not in the stream entry, so that the stream can be trimmed by age
/// ([`Journal::prune_done`], with `XTRIM MINID`, never below its oldest open entry) while dead
/// letters and slow entries keep their bytes.
///
/// Each operation is one Lua script, so each transition is atomic: the append is the dedupe
/// check, the `XADD`, the hash and its places in the sorted sets together (no crash leaves a
/// key deduplicated but not journaled, or journaled twice); a lease reads new entries with
/// `XREADGROUP … >` (each goes to exactly one consumer of the group), expired leases from
/// `P:leases` and due retries from `P:due`, and `XCLAIM`s what it takes so that `XPENDING`
/// shows which replica holds which entry; complete and dead `XACK`. The lease's end and a
/// retry's due time are in the sorted sets rather than in the pending-entries list's idle
/// times, because leases may differ in length and retries wait for a `not_before`. Tokens
/// carry the hash's generation, so a stale token fails as [`JournalError::LeaseLost`].
///
/// One lease call takes at most 1000 entries and looks at no more than 1000 expired leases,
/// 1000 due entries and 1000 new stream entries: with more than 1000 due entries all waiting
/// for an earlier entry of their order key, due entries behind them wait for a later call.
/// `list`, `replay` of a kind or of every dead letter, and `purge` read the sorted sets and
/// work in steps of 500 keys, so they do not block Redis for long but are not one atomic
/// step (each entry's transition is).
///
/// All keys of a journal must be on one Redis node: a single Redis (with replicas and
/// Sentinel), not Redis Cluster, unless the prefix holds a hash tag such as `{app}:`.
///
/// # The Redis settings the 200 needs
///
/// The edge answers 200 once the append script returned, and from then on HighLevel does not
/// send the delivery again: the journal is the only copy. So Redis must persist it:
///
/// - **`appendonly yes` with `appendfsync always`**: Redis writes and fsyncs the append-only
///   file before it answers, so every acknowledged delivery survives a crash of Redis or of
///   the machine. The cost is one fsync per write batch (see BENCHMARKS.md).
/// - **`appendfsync everysec`** (Redis's default for AOF): a crash of Redis or of the machine
///   loses up to about a second of writes — deliveries already answered 200, which HighLevel
///   will not send again. Choose it only if losing that second is acceptable.
/// - **No persistence** (`appendonly no`, RDB snapshots only): a restart loses everything
///   since the last snapshot. Do not use it for a journal.
/// - `maxmemory-policy noeviction`: an evicting policy deletes entries silently. With
///   `noeviction`, a full Redis refuses appends and the edge answers 503.
///
/// # Failover
///
/// Redis replication is asynchronous. When a primary dies and Sentinel (or a managed service)
/// promotes a replica, the writes the replica had not yet received are gone: deliveries
/// acknowledged 200 in that window are lost, and leases or completions in it are undone (an
/// entry may then be handled again; the handlers' idempotency on the `webhookId` covers that).
/// `appendfsync always` on the primary does not help here, since the primary's disk is not
/// the one that survives. Nothing in one Redis is atomic across a failover. What each
/// script does is atomic on the node that ran it; what a replica shows is a prefix of that.
///
/// # Clocks
///
/// Due times and leases are compared with the clock of the replica that leases, so the
/// replicas' clocks must agree (NTP) to within a small fraction of the lease.
#[derive(Clone)]
pub struct RedisJournal {
    connection: ConnectionManager,
    config: RedisJournalConfig,
    location: String,
    scripts: Scripts,
}

#[derive(Clone)]
struct Scripts {
    append: Script,
    lease: Script,
    settle: Script,
    replay: Script,
    delete: Script,
    drop_bodies: Script,
    stats: Script,
}

impl std::fmt::Debug for RedisJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisJournal")
            .field("location", &self.location)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// How a lease ends, as the settle script names it.
#[derive(Clone, Copy)]
enum Settle {
    Complete,
    Retry,
    Dead,
    Hold,
    Release,
}

impl Settle {
    fn name(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Retry => "retry",
            Self::Dead => "dead",
            Self::Hold => "hold",
            Self::Release => "release",
        }
    }
}

impl RedisJournal {
    /// The journal at `url` (e.g. `redis://:password@127.0.0.1:6379/0`).
    ///
    /// Does not wait for Redis: the connection is made on first use and remade after
    /// failures, so a receiver can start while Redis is down (its edge answers 503 meanwhile).
    /// Call [`check`](Self::check) to find out at once whether Redis answers. Must be called
    /// inside a tokio runtime. A malformed URL is [`JournalError::InvalidAddress`].
    pub fn open(url: &str, config: RedisJournalConfig) -> Result<Self, JournalError> {
        let location = format!("{} (key prefix `{}`)", redact(url), config.key_prefix);
        let connection =
            crate::redis_connection::lazy(url, config.connection_timeout, config.response_timeout)
                .map_err(|err| JournalError::InvalidAddress {
                    address: redact(url),
                    detail: err.to_string(),
                    expected: "redis://[user:password@]host:port/db",
                })?;
        Ok(Self {
            connection,
            config,
            location,
            scripts: Scripts {
                append: Script::new(scripts::APPEND),
                lease: Script::new(scripts::LEASE),
                settle: Script::new(scripts::SETTLE),
                replay: Script::new(scripts::REPLAY),
                delete: Script::new(scripts::DELETE),
                drop_bodies: Script::new(scripts::DROP_BODIES),
                stats: Script::new(scripts::STATS),
            },
        })
    }

    /// Whether anything was ever appended under this prefix (`false` for a typo in the prefix
    /// or the database number).
    pub async fn exists(&self) -> Result<bool, JournalError> {
        let mut connection = self.connection.clone();
        redis::cmd("EXISTS")
            .arg(self.key("seq"))
            .query_async::<bool>(&mut connection)
            .await
            .map_err(|err| self.classify(err))
    }

    /// Checks that Redis answers, accepts this client, and that the journal's keys hold what
    /// this SDK writes (or nothing yet): [`JournalError::Unavailable`], [`JournalError::Refused`]
    /// or [`JournalError::Foreign`] otherwise.
    pub async fn check(&self) -> Result<(), JournalError> {
        let mut connection = self.connection.clone();
        redis::cmd("PING")
            .query_async::<()>(&mut connection)
            .await
            .map_err(|err| self.classify(err))?;
        let expected = [
            ("log", "stream"),
            ("dead-letters", "stream"),
            ("seq", "string"),
            ("all", "zset"),
            ("open", "zset"),
            ("due", "zset"),
            ("leases", "zset"),
            ("done", "zset"),
            ("dead", "zset"),
        ];
        let mut pipe = redis::pipe();
        for (name, _) in expected {
            pipe.cmd("TYPE").arg(self.key(name));
        }
        let types: Vec<String> = pipe
            .query_async(&mut connection)
            .await
            .map_err(|err| self.classify(err))?;
        for ((name, want), found) in expected.iter().zip(&types) {
            if found != "none" && found != want {
                return Err(self.foreign(format!(
                    "`{}` is a {found}, where the journal keeps a {want}",
                    self.key(name)
                )));
            }
        }
        Ok(())
    }

    /// Where the journal is: the URL without its password, and the key prefix.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The settings in force.
    pub fn config(&self) -> &RedisJournalConfig {
        &self.config
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.config.key_prefix)
    }

    fn entry_key(&self, key: &str) -> Vec<u8> {
        let mut full = self.config.key_prefix.as_bytes().to_vec();
        full.extend_from_slice(b"e:");
        full.extend_from_slice(key.as_bytes());
        full
    }

    fn foreign(&self, detail: String) -> JournalError {
        JournalError::Foreign {
            location: self.location.clone(),
            detail,
        }
    }

    /// The journal error for a Redis error.
    fn classify(&self, err: RedisError) -> JournalError {
        let code = err.code().unwrap_or_default().to_owned();
        let text = err.to_string();
        if err.kind() == redis::ErrorKind::AuthenticationFailed
            || matches!(code.as_str(), "WRONGPASS" | "NOAUTH" | "NOPERM")
            || ["WRONGPASS", "NOAUTH", "NOPERM", "unauthenticated"]
                .iter()
                .any(|refusal| text.contains(refusal))
        {
            return JournalError::Refused {
                location: self.location.clone(),
                detail: err.to_string(),
            };
        }
        if code == "FOREIGN" {
            return self.foreign(err.detail().unwrap_or("a key of another kind").to_owned());
        }
        if code == "WRONGTYPE" {
            return self.foreign(format!(
                "a key under the prefix has another type than the journal's ({err})"
            ));
        }
        if err.is_io_error()
            || err.is_connection_refusal()
            || err.is_connection_dropped()
            || err.is_timeout()
            || code == "LOADING"
            || code == "MASTERDOWN"
            || code == "READONLY"
        {
            return JournalError::Unavailable {
                location: self.location.clone(),
                source: Box::new(err),
            };
        }
        JournalError::Engine(Box::new(err))
    }

    async fn append_inner(&self, entry: NewEntry) -> Result<Appended, JournalError> {
        let mut connection = self.connection.clone();
        let mut invocation = self.scripts.append.prepare_invoke();
        invocation
            .arg(&self.config.key_prefix)
            .arg(&self.config.group)
            .arg(entry.key.as_bytes())
            .arg(to_ms(SystemTime::now()));
        for (field, value) in new_entry_fields(&entry) {
            invocation.arg(field).arg(value);
        }
        let new: i64 = invocation
            .invoke_async(&mut connection)
            .await
            .map_err(|err| self.classify(err))?;
        Ok(if new == 1 {
            Appended::New
        } else {
            Appended::Duplicate
        })
    }

    async fn lease_inner(
        &self,
        max: usize,
        lease_for: Duration,
    ) -> Result<Vec<Leased>, JournalError> {
        let max = max.min(LEASE_BATCH);
        if max == 0 {
            return Ok(Vec::new());
        }
        let now = to_ms(SystemTime::now());
        let mut connection = self.connection.clone();
        let (foreign, hashes): (Vec<String>, Vec<Vec<Vec<u8>>>) = self
            .scripts
            .lease
            .arg(&self.config.key_prefix)
            .arg(&self.config.group)
            .arg(&self.config.consumer)
            .arg(now)
            .arg(max)
            .arg(ms_after(now, lease_for))
            .arg(LEASE_BATCH)
            .invoke_async(&mut connection)
            .await
            .map_err(|err| self.classify(err))?;
        if !foreign.is_empty() {
            tracing::warn!(
                location = %self.location,
                ids = ?foreign,
                "skipped stream entries this SDK did not write (acknowledged, left in the stream); give the journal a key prefix of its own"
            );
        }
        let mut leased = Vec::with_capacity(hashes.len());
        for hash in hashes {
            let generation = fields::generation(&hash);
            let entry = read_entry(hash).map_err(|detail| self.foreign(detail))?;
            let generation = generation.ok_or_else(|| {
                self.foreign(format!("entry `{}` has no lease generation", entry.key))
            })?;
            let token = LeaseToken::new(entry.key.clone(), generation);
            leased.push(Leased { entry, token });
        }
        Ok(leased)
    }

    async fn settle_by(
        &self,
        token: &LeaseToken,
        how: Settle,
        error: &str,
        not_before: SystemTime,
    ) -> Result<(), JournalError> {
        let mut connection = self.connection.clone();
        let answer: String = self
            .scripts
            .settle
            .arg(&self.config.key_prefix)
            .arg(&self.config.group)
            .arg(token.key().as_bytes())
            .arg(token.generation())
            .arg(how.name())
            .arg(to_ms(SystemTime::now()))
            .arg(error.as_bytes())
            .arg(to_ms(not_before))
            .invoke_async(&mut connection)
            .await
            .map_err(|err| self.classify(err))?;
        match answer.as_str() {
            "ok" => Ok(()),
            "lost" => Err(JournalError::LeaseLost(token.key().to_owned())),
            "not_found" => Err(JournalError::NotFound(token.key().to_owned())),
            other => Err(JournalError::Engine(
                format!("the settle script answered `{other}`").into(),
            )),
        }
    }

    async fn stats_inner(&self) -> Result<Stats, JournalError> {
        let mut connection = self.connection.clone();
        let (pending, in_progress, done, dead, oldest): (u64, u64, u64, u64, String) = self
            .scripts
            .stats
            .arg(&self.config.key_prefix)
            .invoke_async(&mut connection)
            .await
            .map_err(|err| self.classify(err))?;
        let oldest_pending = if oldest.is_empty() {
            None
        } else {
            let ms = oldest.parse::<u64>().map_err(|_| {
                self.foreign(format!(
                    "an entry's received time is `{oldest}`, not a number"
                ))
            })?;
            Some(from_ms(ms))
        };
        Ok(Stats {
            pending,
            in_progress,
            done,
            dead,
            oldest_pending,
        })
    }

    async fn get_inner(&self, key: &str) -> Result<Option<Entry>, JournalError> {
        let mut connection = self.connection.clone();
        let hash: Vec<Vec<u8>> = redis::cmd("HGETALL")
            .arg(self.entry_key(key))
            .query_async(&mut connection)
            .await
            .map_err(|err| self.classify(err))?;
        if hash.is_empty() {
            return Ok(None);
        }
        let entry = read_entry(hash).map_err(|detail| self.foreign(detail))?;
        if entry.key != key {
            return Err(self.foreign(format!(
                "the hash of entry `{key}` names the key `{}`",
                entry.key
            )));
        }
        Ok(Some(entry))
    }

    /// The hashes of `keys`, in their order; keys whose hash is gone are left out.
    async fn hashes(&self, keys: &[Vec<u8>]) -> Result<Vec<Entry>, JournalError> {
        let mut connection = self.connection.clone();
        let mut pipe = redis::pipe();
        for key in keys {
            let mut full = self.config.key_prefix.as_bytes().to_vec();
            full.extend_from_slice(b"e:");
            full.extend_from_slice(key);
            pipe.cmd("HGETALL").arg(full);
        }
        let hashes: Vec<Vec<Vec<u8>>> = pipe
            .query_async(&mut connection)
            .await
            .map_err(|err| self.classify(err))?;
        hashes
            .into_iter()
            .filter(|hash| !hash.is_empty())
            .map(|hash| read_entry(hash).map_err(|detail| self.foreign(detail)))
            .collect()
    }

    async fn members(&self, set: &str) -> Result<Vec<Vec<u8>>, JournalError> {
        let mut connection = self.connection.clone();
        redis::cmd("ZRANGE")
            .arg(self.key(set))
            .arg(0)
            .arg(-1)
            .query_async(&mut connection)
            .await
            .map_err(|err| self.classify(err))
    }

    async fn list_inner(&self, filter: &ListFilter) -> Result<Vec<Entry>, JournalError> {
        let limit = filter.limit.unwrap_or(usize::MAX);
        let mut found = Vec::new();
        if limit == 0 {
            return Ok(found);
        }
        let keys = self.members("all").await?;
        for chunk in keys.chunks(STEP) {
            for entry in self.hashes(chunk).await? {
                let wanted = filter.state.is_none_or(|state| entry.state == state)
                    && filter.kind.is_none_or(|kind| entry.kind == Some(kind))
                    && filter.since.is_none_or(|since| entry.received_at >= since);
                if wanted {
                    found.push(entry);
                    if found.len() >= limit {
                        return Ok(found);
                    }
                }
            }
        }
        Ok(found)
    }

    async fn replay_keys(
        &self,
        mode: &str,
        kind: &str,
        keys: &[Vec<u8>],
    ) -> Result<i64, JournalError> {
        let mut connection = self.connection.clone();
        let mut invocation = self.scripts.replay.prepare_invoke();
        invocation
            .arg(&self.config.key_prefix)
            .arg(to_ms(SystemTime::now()))
            .arg(mode)
            .arg(kind);
        for key in keys {
            invocation.arg(key.as_slice());
        }
        invocation
            .invoke_async(&mut connection)
            .await
            .map_err(|err| self.classify(err))
    }

    async fn replay_inner(&self, selector: &ReplaySelector) -> Result<usize, JournalError> {
        let (mode, kind, keys) = match selector {
            ReplaySelector::One(key) => {
                let n = self
                    .replay_keys("one", "", &[key.as_bytes().to_vec()])
                    .await?;
                return match n {
                    -1 => Err(JournalError::NotFound(key.clone())),
                    -2 => Err(JournalError::BodyDropped(key.clone())),
                    n => Ok(usize::try_from(n).unwrap_or(0)),
                };
            }
            ReplaySelector::AllDead => ("dead", "", self.members("dead").await?),
            ReplaySelector::Kind(kind) => {
                let mut keys = self.members("done").await?;
                keys.extend(self.members("dead").await?);
                ("kind", kind.as_str(), keys)
            }
        };
        let mut replayed = 0;
        for chunk in keys.chunks(STEP) {
            let n = self.replay_keys(mode, kind, chunk).await?;
            replayed += usize::try_from(n).unwrap_or(0);
        }
        Ok(replayed)
    }

    async fn drop_bodies(&self, older_than: SystemTime) -> Result<usize, JournalError> {
        let cutoff = to_ms(older_than);
        let mut dropped = 0;
        loop {
            let mut connection = self.connection.clone();
            let (n, moved): (usize, u8) = self
                .scripts
                .drop_bodies
                .arg(&self.config.key_prefix)
                .arg(cutoff)
                .arg(STEP)
                .invoke_async(&mut connection)
                .await
                .map_err(|err| self.classify(err))?;
            dropped += n;
            if moved == 0 {
                return Ok(dropped);
            }
        }
    }

    async fn delete(&self, older_than: SystemTime, dead_too: bool) -> Result<usize, JournalError> {
        let cutoff = to_ms(older_than);
        let mut deleted = 0;
        loop {
            let mut connection = self.connection.clone();
            let n: usize = self
                .scripts
                .delete
                .arg(&self.config.key_prefix)
                .arg(cutoff)
                .arg(if dead_too { "1" } else { "0" })
                .arg(STEP)
                .invoke_async(&mut connection)
                .await
                .map_err(|err| self.classify(err))?;
            deleted += n;
            if n < STEP {
                return Ok(deleted);
            }
        }
    }
}

impl Journal for RedisJournal {
    fn append(&self, entry: NewEntry) -> BoxFuture<'_, Result<Appended, JournalError>> {
        Box::pin(self.append_inner(entry))
    }

    fn lease(
        &self,
        max: usize,
        lease_for: Duration,
    ) -> BoxFuture<'_, Result<Vec<Leased>, JournalError>> {
        Box::pin(self.lease_inner(max, lease_for))
    }

    fn settle<'a>(
        &'a self,
        token: &'a LeaseToken,
        how: &'a Settlement,
    ) -> BoxFuture<'a, Result<(), JournalError>> {
        let never = SystemTime::UNIX_EPOCH;
        Box::pin(match how {
            Settlement::Complete => self.settle_by(token, Settle::Complete, "", never),
            Settlement::Retry { error, not_before } => {
                self.settle_by(token, Settle::Retry, error, *not_before)
            }
            Settlement::Dead { error } => self.settle_by(token, Settle::Dead, error, never),
            Settlement::Hold { error, until } => self.settle_by(token, Settle::Hold, error, *until),
            Settlement::Release => self.settle_by(token, Settle::Release, "", never),
        })
    }

    fn stats(&self) -> BoxFuture<'_, Result<Stats, JournalError>> {
        Box::pin(self.stats_inner())
    }

    fn list<'a>(
        &'a self,
        filter: &'a ListFilter,
    ) -> BoxFuture<'a, Result<Vec<Entry>, JournalError>> {
        Box::pin(self.list_inner(filter))
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Entry>, JournalError>> {
        Box::pin(self.get_inner(key))
    }

    fn replay<'a>(
        &'a self,
        selector: &'a ReplaySelector,
    ) -> BoxFuture<'a, Result<usize, JournalError>> {
        Box::pin(self.replay_inner(selector))
    }

    fn purge(&self, older_than: SystemTime) -> BoxFuture<'_, Result<usize, JournalError>> {
        Box::pin(self.delete(older_than, true))
    }

    fn prune_done(&self, older_than: SystemTime) -> BoxFuture<'_, Result<usize, JournalError>> {
        Box::pin(self.delete(older_than, false))
    }

    fn drop_done_bodies(
        &self,
        older_than: SystemTime,
    ) -> BoxFuture<'_, Result<usize, JournalError>> {
        Box::pin(self.drop_bodies(older_than))
    }
}
