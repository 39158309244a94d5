//! Where a journal is: a SQLite file (`--journal FILE`), a Redis journal (`--redis URL`, with
//! `--redis-prefix PREFIX`) or a Postgres journal (`--postgres URL`, with `--postgres-schema
//! SCHEMA`), and opening it for a receiver or for inspection.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ghl_webhook_router::journal::redact_url as redact;
use ghl_webhook_router::journal::{
    Journal, PostgresConfig, PostgresJournal, RedisJournal, RedisJournalConfig, SqliteJournal,
};

use crate::error::{CliError, JournalUse};

/// The key prefix of a Redis journal when `--redis-prefix` is not given (the SDK's default).
pub(crate) const DEFAULT_PREFIX: &str = RedisJournalConfig::DEFAULT_PREFIX;

/// The schema of a Postgres journal when `--postgres-schema` is not given (the SDK's default).
pub(crate) const DEFAULT_SCHEMA: &str = PostgresConfig::DEFAULT_SCHEMA;

/// How long closing a Postgres journal waits for its connections to end cleanly: the process
/// exits right after, so a connection still busy is simply dropped.
const POSTGRES_CLOSE: Duration = Duration::from_secs(2);

/// A journal's address, as the command line gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A Redis journal: the URL and the key prefix.
    Redis {
        /// `redis://[user:password@]host:port/db`.
        url: String,
        /// The journal's key prefix.
        prefix: String,
    },
    /// A Postgres journal: the URL and the schema of its tables.
    Postgres {
        /// `postgres://[user[:password]@]host[:port]/database`.
        url: String,
        /// The schema of the journal's tables.
        schema: String,
    },
}

/// The journal options of a command line, as given: clap makes the three addresses
/// exclusive and ties each companion option to its address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JournalOptions {
    /// `--journal FILE`.
    pub file: Option<PathBuf>,
    /// `--redis URL`.
    pub redis: Option<String>,
    /// `--redis-prefix PREFIX`.
    pub redis_prefix: Option<String>,
    /// `--postgres URL`.
    pub postgres: Option<String>,
    /// `--postgres-schema SCHEMA`.
    pub postgres_schema: Option<String>,
}

impl JournalOptions {
    /// Refuses a companion option without its address (a prefix or schema that would be
    /// silently ignored), whoever built these options.
    pub(crate) fn check(&self) -> Result<(), CliError> {
        if self.redis_prefix.is_some() && self.redis.is_none() {
            return Err(CliError::Usage(
                "--redis-prefix names a Redis journal's prefix: give it with --redis URL".into(),
            ));
        }
        if self.postgres_schema.is_some() && self.postgres.is_none() {
            return Err(CliError::Usage(
                "--postgres-schema names a Postgres journal's schema: give it with --postgres URL"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The journal these options name; `None` when no address was given.
    pub(crate) fn target(self) -> Option<Target> {
        if let Some(path) = self.file {
            return Some(Target::Sqlite(path));
        }
        if let Some(url) = self.redis {
            return Some(Target::Redis {
                url,
                prefix: self
                    .redis_prefix
                    .unwrap_or_else(|| DEFAULT_PREFIX.to_owned()),
            });
        }
        self.postgres.map(|url| Target::Postgres {
            url,
            schema: self
                .postgres_schema
                .unwrap_or_else(|| DEFAULT_SCHEMA.to_owned()),
        })
    }
}

impl Target {
    /// The arguments that name this journal again (the password left out), for advice.
    pub(crate) fn args(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("--journal {}", path.display()),
            Self::Redis { url, prefix } => {
                format!("--redis {} --redis-prefix {prefix}", redact(url))
            }
            Self::Postgres { url, schema } => {
                format!("--postgres {} --postgres-schema {schema}", redact(url))
            }
        }
    }

    /// The journal for a receiver: a SQLite file is created when missing, a Postgres journal's
    /// schema and tables too; a Redis or Postgres journal must answer now (a receiver that
    /// cannot journal would answer 503 to everything). Needs a tokio runtime.
    pub(crate) async fn open_for_receiver(&self) -> Result<Opened, CliError> {
        match self {
            Self::Sqlite(path) => SqliteJournal::open(path)
                .map(Opened::Sqlite)
                .map_err(|err| CliError::journal(err, self, JournalUse::Receive)),
            Self::Redis { .. } => self.open_redis(JournalUse::Receive).await,
            Self::Postgres { url, schema } => {
                PostgresJournal::connect(url, PostgresConfig::default().schema(schema.as_str()))
                    .await
                    .map(|journal| Opened::Postgres(Box::new(journal)))
                    .map_err(|err| CliError::journal(err, self, JournalUse::Receive))
            }
        }
    }

    /// The journal for inspection: it must exist; nothing is created. Needs a tokio runtime.
    pub(crate) async fn open_existing(&self) -> Result<Opened, CliError> {
        match self {
            Self::Sqlite(path) => SqliteJournal::open_existing(path)
                .map(Opened::Sqlite)
                .map_err(|err| CliError::journal(err, self, JournalUse::Inspect)),
            Self::Redis { .. } => {
                let opened = self.open_redis(JournalUse::Inspect).await?;
                if let Opened::Redis(journal) = &opened
                    && !journal
                        .exists()
                        .await
                        .map_err(|err| CliError::journal(err, self, JournalUse::Inspect))?
                {
                    return Err(CliError::NoRedisJournal {
                        location: journal.location().to_owned(),
                    });
                }
                Ok(opened)
            }
            // `open_existing` only reads: a database without the journal's tables in the
            // schema is `Missing`, and no schema or table is created.
            Self::Postgres { url, schema } => PostgresJournal::open_existing(
                url,
                PostgresConfig::default().schema(schema.as_str()),
            )
            .await
            .map(|journal| Opened::Postgres(Box::new(journal)))
            .map_err(|err| CliError::journal(err, self, JournalUse::Inspect)),
        }
    }

    async fn open_redis(&self, usage: JournalUse) -> Result<Opened, CliError> {
        let Self::Redis { url, prefix } = self else {
            unreachable!("called for Redis targets only");
        };
        let journal = RedisJournal::open(
            url,
            RedisJournalConfig::default().key_prefix(prefix.clone()),
        )
        .map_err(|err| CliError::journal(err, self, usage))?;
        journal
            .check()
            .await
            .map_err(|err| CliError::journal(err, self, usage))?;
        Ok(Opened::Redis(Box::new(journal)))
    }
}

/// An open journal of any engine.
#[derive(Debug)]
pub(crate) enum Opened {
    /// A SQLite file.
    Sqlite(SqliteJournal),
    /// A Redis journal (boxed: its connection manager is large).
    Redis(Box<RedisJournal>),
    /// A Postgres journal (boxed, like the Redis one: its pool and tasks are large).
    Postgres(Box<PostgresJournal>),
}

impl Opened {
    /// The journal.
    pub(crate) fn journal(&self) -> &dyn Journal {
        match self {
            Self::Sqlite(journal) => journal,
            Self::Redis(journal) => &**journal,
            Self::Postgres(journal) => &**journal,
        }
    }

    /// The journal, to hand to a router.
    pub(crate) fn into_shared(self) -> Arc<dyn Journal> {
        match self {
            Self::Sqlite(journal) => Arc::new(journal),
            Self::Redis(journal) => Arc::new(*journal),
            Self::Postgres(journal) => Arc::new(*journal),
        }
    }

    /// Closes the journal: a SQLite file is checkpointed; a Postgres journal's connections
    /// are ended cleanly (the server logs no lost client), within a bound; a Redis connection
    /// just goes.
    pub(crate) async fn close(self) {
        match self {
            Self::Sqlite(journal) => journal.close().await,
            Self::Postgres(journal) => {
                let pool = journal.pool().clone();
                // Dropped first: that stops its listening task, which holds a connection
                // the pool's close would otherwise wait for.
                drop(journal);
                let _ = tokio::time::timeout(POSTGRES_CLOSE, pool.close()).await;
            }
            Self::Redis(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_gets_its_default_companion() {
        let redis = JournalOptions {
            redis: Some("redis://127.0.0.1:6379/0".into()),
            ..JournalOptions::default()
        };
        assert_eq!(
            redis.target(),
            Some(Target::Redis {
                url: "redis://127.0.0.1:6379/0".into(),
                prefix: DEFAULT_PREFIX.into()
            })
        );
        let postgres = JournalOptions {
            postgres: Some("postgres://app@127.0.0.1/app".into()),
            ..JournalOptions::default()
        };
        assert_eq!(
            postgres.target(),
            Some(Target::Postgres {
                url: "postgres://app@127.0.0.1/app".into(),
                schema: DEFAULT_SCHEMA.into()
            })
        );
        assert_eq!(JournalOptions::default().target(), None);
    }

    #[test]
    fn a_companion_without_its_address_is_refused() {
        let schema = JournalOptions {
            file: Some("x.db".into()),
            postgres_schema: Some("billing".into()),
            ..JournalOptions::default()
        };
        let err = schema.check().expect_err("schema without --postgres");
        assert!(err.to_string().contains("--postgres URL"), "{err}");
        let prefix = JournalOptions {
            redis_prefix: Some("p:".into()),
            ..JournalOptions::default()
        };
        assert!(prefix.check().is_err());
    }

    #[test]
    fn the_arguments_of_a_postgres_journal_leave_its_password_out() {
        let target = Target::Postgres {
            url: "postgres://app:s3cret@127.0.0.1:5432/app".into(),
            schema: "billing".into(),
        };
        assert_eq!(
            target.args(),
            "--postgres postgres://app:***@127.0.0.1:5432/app --postgres-schema billing"
        );
    }
}
