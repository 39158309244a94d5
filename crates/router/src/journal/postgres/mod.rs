//! The journal in Postgres, in a schema of its own in the app's database.
//!
//! - **Append**: one `INSERT … ON CONFLICT (key) DO NOTHING` per batch of concurrent appends
//!   (group commit: one round trip and one WAL flush for the batch), with
//!   `synchronous_commit` forced on for it whatever the database's setting.
//! - **Lease**: one `UPDATE … FROM (SELECT … FOR UPDATE SKIP LOCKED)` takes many entries in
//!   one round trip; replicas on one database never take the same entry.
//! - **Wake-ups**: each append batch sends a `NOTIFY` on commit; every replica `LISTEN`s and
//!   wakes its idle workers, so an entry appended on one replica is picked up within
//!   milliseconds on any replica, not at the next poll.
//! - **Transactions shared with the app**: a handler registered with
//!   [`WebhookRouter::on_in_transaction`](crate::WebhookRouter::on_in_transaction) runs inside
//!   the transaction that completes its entry.
//!
//! The tables, in the configured schema (`ghl_webhooks` by default):
//!
//! | table | what |
//! |---|---|
//! | `schema_version` | one row: the version of the tables and who wrote them |
//! | `entries` | one row per entry; `key` and `order_key` are `bytea`, times are milliseconds since the Unix epoch |
//!
//! Inspecting them with `psql`:
//!
//! ```sql
//! -- counts by state, and the oldest pending delivery
//! SELECT state, count(*), to_timestamp(min(received_at) / 1000.0) AS oldest
//!   FROM ghl_webhooks.entries GROUP BY state;
//! -- the dead letters and why
//! SELECT convert_from(key, 'UTF8') AS key, kind, attempts, last_error,
//!        to_timestamp(updated_at / 1000.0) AS died
//!   FROM ghl_webhooks.entries WHERE state = 'dead' ORDER BY seq;
//! -- one delivery's body
//! SELECT convert_from(raw, 'UTF8') FROM ghl_webhooks.entries
//!  WHERE key = convert_to('3f1c0b5e-8d2a-4c7e-9f10-2b6d4a8e1c33', 'UTF8');
//! ```

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::future::BoxFuture;
use ghl_webhook_types::EventKind;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool, Row};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::AbortHandle;

use super::address::redact;
use super::millis::{ms_after, to_ms};
use super::{
    Appended, Entry, EntryState, Journal, JournalError, LeaseToken, Leased, ListFilter, NewEntry,
    ReplaySelector, Settlement, Stats,
};

mod appends;
mod completion;
mod errors;
mod listen;
mod rows;
mod schema;
mod sql;

pub use completion::Completion;

use errors::Classify;
use listen::Wakers;
use schema::Prepare;
use sql::Statements;

/// Settings of a [`PostgresJournal`]. Needs the `postgres` cargo feature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PostgresConfig {
    /// The schema of the journal's tables (default `ghl_webhooks`): one per app sharing a
    /// database. Lowercase letters, digits and underscores, at most 50 bytes.
    pub schema: String,
    /// The most appends one statement takes from the queue (default 512).
    pub max_batch: usize,
    /// How many batches of appends may be in flight at once (default 2): one forms while
    /// another is flushed.
    pub writers: usize,
    /// Whether missing tables are created and older ones upgraded (default `true`, for
    /// receivers). [`PostgresJournal::open_existing`] sets it to `false`.
    pub create: bool,
    /// For [`PostgresJournal::connect`]: the most connections of the pool it makes (default
    /// 10; the journal keeps one of them to listen for appends).
    pub max_connections: u32,
    /// For [`PostgresJournal::connect`]: how long an operation waits for a connection
    /// (default 5 s) before it fails as unavailable.
    pub acquire_timeout: Duration,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        Self {
            schema: Self::DEFAULT_SCHEMA.to_owned(),
            max_batch: 512,
            writers: 2,
            create: true,
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

impl PostgresConfig {
    /// The schema of the journal's tables unless another is set.
    pub const DEFAULT_SCHEMA: &'static str = "ghl_webhooks";

    /// The journal's tables in `schema`.
    ///
    /// ```
    /// use ghl_webhook_router::journal::PostgresConfig;
    ///
    /// let config = PostgresConfig::default().schema("billing_webhooks");
    /// assert_eq!(config.schema, "billing_webhooks");
    /// ```
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    /// The most appends one statement takes (at least 1).
    pub fn max_batch(mut self, appends: usize) -> Self {
        self.max_batch = appends.max(1);
        self
    }

    /// How many batches of appends may be in flight at once (at least 1).
    pub fn writers(mut self, writers: usize) -> Self {
        self.writers = writers.max(1);
        self
    }

    /// Whether missing tables are created.
    pub fn create(mut self, create: bool) -> Self {
        self.create = create;
        self
    }

    /// The most connections of the pool [`PostgresJournal::connect`] makes (at least 2).
    pub fn max_connections(mut self, connections: u32) -> Self {
        self.max_connections = connections.max(2);
        self
    }

    /// How long an operation waits for a connection of the pool `connect` makes.
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }
}

/// The durable journal in Postgres. Needs the `postgres` cargo feature.
///
/// Several receivers (replicas) on one database and schema share one journal: each delivery
/// is journaled once and handled once. Open it on the app's own pool
/// ([`with_pool`](Self::with_pool)) so that handlers registered with
/// [`on_in_transaction`](crate::WebhookRouter::on_in_transaction) write in the same database,
/// or let it make a pool ([`connect`](Self::connect)).
///
/// The journal keeps one connection of the pool to `LISTEN` for appends, and its append
/// writers use up to [`PostgresConfig::writers`] more at once: give the pool room for them
/// beside the workers' concurrency.
pub struct PostgresJournal {
    pool: PgPool,
    statements: Arc<Statements>,
    channel: String,
    errors: Classify,
    appends: mpsc::Sender<appends::Append>,
    wakers: Arc<Wakers>,
    listener: AbortHandle,
    config: PostgresConfig,
}

impl std::fmt::Debug for PostgresJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresJournal")
            .field("location", &self.errors.location())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl PostgresJournal {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`,
    /// with any of Postgres's URL parameters) with a pool of its own, then opens the journal
    /// as [`with_pool`](Self::with_pool) does. Errors: a malformed URL is
    /// [`JournalError::InvalidAddress`]; a refused user, password or database
    /// [`JournalError::Refused`]; a server that does not answer [`JournalError::Unavailable`].
    pub async fn connect(url: &str, config: PostgresConfig) -> Result<Self, JournalError> {
        let errors = Classify::new(location(url, &config.schema));
        let options: PgConnectOptions =
            url.parse()
                .map_err(|err: sqlx::Error| JournalError::InvalidAddress {
                    address: redact(url),
                    detail: err.to_string(),
                    expected: errors::EXPECTED_URL,
                })?;
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(JournalError::InvalidAddress {
                address: redact(url),
                detail: "the scheme must be postgres:// or postgresql://".to_owned(),
                expected: errors::EXPECTED_URL,
            });
        }
        schema::check_schema_name(&config.schema)?;
        // One connection first, so that a refused password or a server that is down is
        // reported as such at once, not as a pool that timed out.
        let probe =
            tokio::time::timeout(config.acquire_timeout, PgConnection::connect_with(&options))
                .await
                .map_err(|_| sqlx::Error::PoolTimedOut)
                .and_then(|connected| connected)
                .map_err(|err| errors.error(err))?;
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections.max(2))
            .acquire_timeout(config.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(|err| errors.error(err))?;
        Self::open(pool, config, errors).await
    }

    /// The journal in the database of `pool` (the app's own pool): creates its schema and
    /// tables when missing, upgrades older ones, and starts listening for appends. Tables in
    /// the schema that this SDK did not write are [`JournalError::Foreign`] and a newer
    /// version [`JournalError::NewerSchema`]; nothing is changed then. Must be called inside
    /// a tokio runtime.
    pub async fn with_pool(pool: PgPool, config: PostgresConfig) -> Result<Self, JournalError> {
        let errors = Classify::new(pool_location(&pool, &config.schema));
        schema::check_schema_name(&config.schema)?;
        Self::open(pool, config, errors).await
    }

    /// The existing journal at `url`, for inspection: nothing is created, and a database
    /// without the journal's tables in the schema is [`JournalError::Missing`].
    pub async fn open_existing(url: &str, config: PostgresConfig) -> Result<Self, JournalError> {
        Self::connect(url, config.create(false)).await
    }

    async fn open(
        pool: PgPool,
        config: PostgresConfig,
        errors: Classify,
    ) -> Result<Self, JournalError> {
        let how = if config.create {
            Prepare::Create
        } else {
            Prepare::Existing
        };
        schema::prepare(&pool, &config.schema, how, &errors).await?;
        let statements = Arc::new(Statements::new(&config.schema));
        let channel = format!("{}_appended", config.schema);
        let (appends, queue) = mpsc::channel(config.max_batch.max(1) * 4);
        appends::spawn(
            Arc::new(appends::Writer {
                pool: pool.clone(),
                statement: statements.append.clone(),
                channel: channel.clone(),
                errors: errors.clone(),
                max_batch: config.max_batch.max(1),
            }),
            queue,
            config.writers,
        );
        let wakers = Arc::new(Wakers::default());
        let listener = tokio::spawn(listen::listen(
            pool.clone(),
            channel.clone(),
            Arc::clone(&wakers),
        ))
        .abort_handle();
        Ok(Self {
            pool,
            statements,
            channel,
            errors,
            appends,
            wakers,
            listener,
            config,
        })
    }

    /// The pool the journal uses (the app's, with [`with_pool`](Self::with_pool)).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Where the journal is: the URL without its password, and the schema.
    pub fn location(&self) -> &str {
        self.errors.location()
    }

    /// The settings in force.
    pub fn config(&self) -> &PostgresConfig {
        &self.config
    }

    /// Checks that the database answers and the journal's tables are there.
    pub async fn check(&self) -> Result<(), JournalError> {
        sqlx::query(AssertSqlSafe(format!(
            r#"SELECT 1 FROM "{}".schema_version"#,
            self.config.schema
        )))
        .fetch_optional(&self.pool)
        .await
        .map(drop)
        .map_err(|err| self.errors.error(err))
    }

    /// Begins the transaction that completes a leased entry: the entry is locked while its
    /// lease is current (no other worker takes it over meanwhile). Write in the transaction
    /// through [`Completion::connection`], then [`Completion::commit`]: the writes and the
    /// completion commit together, or, when the transaction is dropped or fails, not at all.
    /// A lease no longer current is [`JournalError::LeaseLost`].
    pub async fn begin_completion(&self, token: &LeaseToken) -> Result<Completion, JournalError> {
        completion::begin(self, token).await
    }

    async fn settle_by(
        &self,
        statement: &str,
        token: &LeaseToken,
        error: Option<&str>,
        not_before: Option<SystemTime>,
    ) -> Result<(), JournalError> {
        let mut query = settle_query(statement, token);
        if let Some(error) = error {
            query = query.bind(rows::storable(error));
        }
        if let Some(not_before) = not_before {
            query = query.bind(to_ms(not_before));
        }
        let row = query
            .fetch_one(&self.pool)
            .await
            .map_err(|err| self.errors.error(err))?;
        settled(&row, token)
    }

    async fn append_inner(&self, entry: NewEntry) -> Result<Appended, JournalError> {
        let (reply, answer) = oneshot::channel();
        self.appends
            .send(appends::Append { entry, reply })
            .await
            .map_err(|_| JournalError::Closed)?;
        answer.await.map_err(|_| JournalError::Closed)?
    }

    async fn lease_inner(
        &self,
        max: usize,
        lease_for: Duration,
    ) -> Result<Vec<Leased>, JournalError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let now = to_ms(SystemTime::now());
        let rows = sqlx::query(AssertSqlSafe(self.statements.lease.as_str()))
            .bind(now)
            .bind(i64::try_from(max).unwrap_or(i64::MAX))
            .bind(ms_after(now, lease_for))
            .fetch_all(&self.pool)
            .await
            .map_err(|err| self.errors.error(err))?;
        let mut leased = Vec::with_capacity(rows.len());
        for row in &rows {
            let seq: i64 = row.try_get(15).map_err(|err| self.errors.error(err))?;
            match rows::read_entry(row) {
                Ok((entry, generation)) => {
                    let generation = u64::try_from(generation).unwrap_or(0);
                    let token = LeaseToken::new(entry.key.clone(), generation);
                    leased.push((seq, Leased { entry, token }));
                }
                // A row this SDK did not write cannot be handled: it becomes a dead letter
                // (left for the operator, with why), and the other entries are leased.
                Err(err) => self.bury(seq, &err.to_string()).await?,
            }
        }
        // Arrival order, as the other engines lease.
        leased.sort_by_key(|(seq, _)| *seq);
        Ok(leased.into_iter().map(|(_, leased)| leased).collect())
    }

    /// Completes the entries of `tokens` in one statement; one result per token, in order.
    async fn complete_many(&self, tokens: &[&LeaseToken]) -> Vec<Result<(), JournalError>> {
        let keys: Vec<&[u8]> = tokens.iter().map(|token| token.key().as_bytes()).collect();
        let generations: Vec<i64> = tokens
            .iter()
            .map(|token| i64::try_from(token.generation()).unwrap_or(-1))
            .collect();
        let rows = sqlx::query(AssertSqlSafe(self.statements.complete_many.as_str()))
            .bind(keys)
            .bind(generations)
            .bind(to_ms(SystemTime::now()))
            .fetch_all(&self.pool)
            .await;
        let rows = match rows {
            Ok(rows) if rows.len() == tokens.len() => rows,
            Ok(rows) => {
                let detail = format!(
                    "a batch of {} completions answered {} rows",
                    tokens.len(),
                    rows.len()
                );
                return tokens
                    .iter()
                    .map(|_| Err(JournalError::Engine(detail.clone().into())))
                    .collect();
            }
            Err(err) => {
                let err = Arc::new(err);
                return tokens
                    .iter()
                    .map(|_| Err(self.errors.shared(&err)))
                    .collect();
            }
        };
        rows.iter()
            .zip(tokens)
            .map(|(row, token)| {
                let changed: bool = row.try_get(1).unwrap_or(false);
                let exists: bool = row.try_get(2).unwrap_or(false);
                match (changed, exists) {
                    (true, _) => Ok(()),
                    (false, true) => Err(JournalError::LeaseLost(token.key().to_owned())),
                    (false, false) => Err(JournalError::NotFound(token.key().to_owned())),
                }
            })
            .collect()
    }

    /// Makes the row `seq`, which does not read as an entry, a dead letter.
    async fn bury(&self, seq: i64, why: &str) -> Result<(), JournalError> {
        tracing::warn!(
            seq,
            error = why,
            "a journal row this SDK did not write is now a dead letter"
        );
        sqlx::query(AssertSqlSafe(self.statements.bury.as_str()))
            .bind(seq)
            .bind(format!("not a journal entry: {}", rows::storable(why)))
            .bind(to_ms(SystemTime::now()))
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(|err| self.errors.error(err))
    }

    async fn stats_inner(&self) -> Result<Stats, JournalError> {
        let row = sqlx::query(AssertSqlSafe(self.statements.stats.as_str()))
            .fetch_one(&self.pool)
            .await
            .map_err(|err| self.errors.error(err))?;
        let count = |at: usize| -> Result<u64, JournalError> {
            let count: i64 = row.try_get(at).map_err(|err| self.errors.error(err))?;
            Ok(u64::try_from(count).unwrap_or(0))
        };
        Ok(Stats {
            pending: count(0)?,
            in_progress: count(1)?,
            done: count(2)?,
            dead: count(3)?,
            oldest_pending: row
                .try_get::<Option<i64>, _>(4)
                .map_err(|err| self.errors.error(err))?
                .map(super::millis::from_ms),
        })
    }

    async fn list_inner(&self, filter: &ListFilter) -> Result<Vec<Entry>, JournalError> {
        let rows = sqlx::query(AssertSqlSafe(self.statements.list.as_str()))
            .bind(filter.state.map(EntryState::as_str))
            .bind(filter.kind.map(EventKind::as_str))
            .bind(filter.since.map(to_ms))
            .bind(
                filter
                    .limit
                    .map(|limit| i64::try_from(limit).unwrap_or(i64::MAX)),
            )
            .fetch_all(&self.pool)
            .await
            .map_err(|err| self.errors.error(err))?;
        rows.iter()
            .map(|row| rows::read_entry(row).map(|(entry, _)| entry))
            .collect::<Result<_, _>>()
            .map_err(|err| self.errors.error(err))
    }

    async fn get_inner(&self, key: &str) -> Result<Option<Entry>, JournalError> {
        let row = sqlx::query(AssertSqlSafe(self.statements.get.as_str()))
            .bind(key.as_bytes())
            .fetch_optional(&self.pool)
            .await
            .map_err(|err| self.errors.error(err))?;
        row.map(|row| rows::read_entry(&row).map(|(entry, _)| entry))
            .transpose()
            .map_err(|err| self.errors.error(err))
    }

    async fn replay_inner(&self, selector: &ReplaySelector) -> Result<usize, JournalError> {
        let now = to_ms(SystemTime::now());
        let row = match selector {
            ReplaySelector::One(key) => {
                sqlx::query(AssertSqlSafe(self.statements.replay_one.as_str()))
                    .bind(now)
                    .bind(key.as_bytes())
                    .bind(&self.channel)
                    .fetch_one(&self.pool)
                    .await
            }
            ReplaySelector::AllDead => {
                sqlx::query(AssertSqlSafe(self.statements.replay_dead.as_str()))
                    .bind(now)
                    .bind(&self.channel)
                    .fetch_one(&self.pool)
                    .await
            }
            ReplaySelector::Kind(kind) => {
                sqlx::query(AssertSqlSafe(self.statements.replay_kind.as_str()))
                    .bind(now)
                    .bind(kind.as_str())
                    .bind(&self.channel)
                    .fetch_one(&self.pool)
                    .await
            }
        }
        .map_err(|err| self.errors.error(err))?;
        let changed: i64 = row.try_get(0).map_err(|err| self.errors.error(err))?;
        if let ReplaySelector::One(key) = selector
            && changed == 0
        {
            // Whether the key is there, with its body or without.
            let body: Option<bool> = row.try_get(1).map_err(|err| self.errors.error(err))?;
            match body {
                None => return Err(JournalError::NotFound(key.clone())),
                Some(false) => return Err(JournalError::BodyDropped(key.clone())),
                Some(true) => {}
            }
        }
        Ok(usize::try_from(changed).unwrap_or(0))
    }

    /// Makes the space of pruned entries and dropped bodies reusable at once, rather than at
    /// autovacuum's next visit (a minute or more away): a journal under a sustained load then
    /// stays the size of its retention instead of growing by the dead rows in between. A
    /// failure (e.g. a role that does not own the table) only leaves it to autovacuum.
    async fn vacuum(&self) {
        if let Err(err) = sqlx::query(AssertSqlSafe(self.statements.vacuum.as_str()))
            .execute(&self.pool)
            .await
        {
            tracing::debug!(error = %err, "could not vacuum the journal; autovacuum will");
        }
    }

    /// Runs a statement whose `$1` is a cutoff time; returns the rows it changed.
    async fn delete(&self, statement: &str, older_than: SystemTime) -> Result<usize, JournalError> {
        let done = sqlx::query(AssertSqlSafe(statement))
            .bind(to_ms(older_than))
            .execute(&self.pool)
            .await
            .map_err(|err| self.errors.error(err))?;
        Ok(usize::try_from(done.rows_affected()).unwrap_or(usize::MAX))
    }
}

impl Drop for PostgresJournal {
    fn drop(&mut self) {
        // The append writers end by themselves once the queue's sender is gone.
        self.listener.abort();
    }
}

/// A settle statement with its key, generation and time bound (`$1`..`$3`).
fn settle_query<'q>(
    statement: &'q str,
    token: &'q LeaseToken,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    // A generation too large for Postgres matches no lease.
    let generation = i64::try_from(token.generation()).unwrap_or(-1);
    sqlx::query(AssertSqlSafe(statement))
        .bind(token.key().as_bytes())
        .bind(generation)
        .bind(to_ms(SystemTime::now()))
}

/// The answer of a settle statement: changed, or why not.
fn settled(row: &sqlx::postgres::PgRow, token: &LeaseToken) -> Result<(), JournalError> {
    let changed: i64 = row.try_get(0).unwrap_or(0);
    let exists: bool = row.try_get(1).unwrap_or(false);
    match (changed, exists) {
        (1, _) => Ok(()),
        (_, true) => Err(JournalError::LeaseLost(token.key().to_owned())),
        (_, false) => Err(JournalError::NotFound(token.key().to_owned())),
    }
}

/// The URL without its password, and the schema: how messages name the journal.
fn location(url: &str, schema: &str) -> String {
    format!("{} (schema `{schema}`)", redact(url))
}

/// How messages name a journal opened on an app's pool.
fn pool_location(pool: &PgPool, schema: &str) -> String {
    let options = pool.connect_options();
    format!(
        "postgres://{}@{}:{}/{} (schema `{schema}`)",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or_default()
    )
}

impl Journal for PostgresJournal {
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
        let s = &self.statements;
        Box::pin(match how {
            Settlement::Complete => self.settle_by(&s.complete, token, None, None),
            Settlement::Retry { error, not_before } => {
                self.settle_by(&s.retry, token, Some(error), Some(*not_before))
            }
            Settlement::Dead { error } => self.settle_by(&s.dead, token, Some(error), None),
            Settlement::Hold { error, until } => {
                self.settle_by(&s.hold, token, Some(error), Some(*until))
            }
            Settlement::Release => self.settle_by(&s.release, token, None, None),
        })
    }

    /// Completions (the common case) in one statement; the other settlements one by one,
    /// concurrently.
    fn settle_many<'a>(
        &'a self,
        batch: &'a [(LeaseToken, Settlement)],
    ) -> BoxFuture<'a, Vec<Result<(), JournalError>>> {
        Box::pin(async move {
            let completions: Vec<&LeaseToken> = batch
                .iter()
                .filter(|(_, how)| *how == Settlement::Complete)
                .map(|(token, _)| token)
                .collect();
            let others = futures_util::future::join_all(
                batch
                    .iter()
                    .filter(|(_, how)| *how != Settlement::Complete)
                    .map(|(token, how)| self.settle(token, how)),
            );
            let (completed, others) = if completions.is_empty() {
                (Vec::new(), others.await)
            } else {
                tokio::join!(self.complete_many(&completions), others)
            };
            let (mut completed, mut others) = (completed.into_iter(), others.into_iter());
            batch
                .iter()
                .map(|(_, how)| {
                    let next = if *how == Settlement::Complete {
                        completed.next()
                    } else {
                        others.next()
                    };
                    next.unwrap_or(Err(JournalError::Closed))
                })
                .collect()
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
        Box::pin(self.delete(&self.statements.purge, older_than))
    }

    fn prune_done(&self, older_than: SystemTime) -> BoxFuture<'_, Result<usize, JournalError>> {
        Box::pin(async move {
            let pruned = self.delete(&self.statements.prune_done, older_than).await?;
            if pruned > 0 {
                self.vacuum().await;
            }
            Ok(pruned)
        })
    }

    fn drop_done_bodies(
        &self,
        older_than: SystemTime,
    ) -> BoxFuture<'_, Result<usize, JournalError>> {
        Box::pin(async move {
            let dropped = self
                .delete(&self.statements.drop_bodies, older_than)
                .await?;
            if dropped > 0 {
                self.vacuum().await;
            }
            Ok(dropped)
        })
    }

    fn wake_on_appends(&self, wake: Arc<Notify>) {
        self.wakers.add(&wake);
    }

    fn as_postgres(&self) -> Option<&PostgresJournal> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use ghl_webhook_testkit::postgres::{PostgresCluster, bin_dir};
    use sqlx::AssertSqlSafe;

    use super::{PostgresConfig, PostgresJournal};
    use crate::journal::millis::{ms_after, to_ms};

    /// The plan of `statement` (bound to a lease's arguments) on a journal of 50,000 done
    /// entries and a few pending ones.
    async fn plan(journal: &PostgresJournal, statement: &str) -> String {
        let now = to_ms(SystemTime::now());
        let rows: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!("EXPLAIN {statement}")))
            .bind(now)
            .bind(8_i64)
            .bind(ms_after(now, Duration::from_secs(60)))
            .fetch_all(journal.pool())
            .await
            .expect("explain");
        rows.join("\n")
    }

    #[tokio::test]
    async fn leasing_searches_indexes_instead_of_scanning_the_table() {
        if bin_dir().is_none() {
            assert!(
                std::env::var_os("CI").is_none(),
                "PostgreSQL is not installed (.ci/run installs it)"
            );
            eprintln!(
                "\n*** SKIPPED: PostgreSQL is not installed: the plan test did NOT run ***\n"
            );
            return;
        }
        let dir = std::env::temp_dir().join(format!("ghl-postgres-plan-{}", std::process::id()));
        let cluster = PostgresCluster::start(&dir).expect("cluster");
        let journal =
            PostgresJournal::connect(&cluster.url(), PostgresConfig::default().schema("plan"))
                .await
                .expect("journal");
        sqlx::raw_sql(
            "INSERT INTO plan.entries (key, state, verified_by, order_key, received_at, \
             next_attempt_at, updated_at, raw) \
             SELECT convert_to('k' || i, 'UTF8'), \
                    CASE WHEN i % 5000 = 0 THEN 'pending' ELSE 'done' END, 'k', \
                    convert_to('o' || (i % 100), 'UTF8'), 0, 0, 0, '\\x00'::bytea \
             FROM generate_series(1, 50000) AS i; ANALYZE plan.entries",
        )
        .execute(journal.pool())
        .await
        .expect("fill");
        let plan = plan(&journal, &journal.statements.lease).await;
        assert!(
            !plan.contains("Seq Scan"),
            "the lease reads indexes only:\n{plan}"
        );
        assert!(plan.contains("entries_due"), "{plan}");
        assert!(plan.contains("entries_lease"), "{plan}");
    }
}
