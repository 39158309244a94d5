//! Where a journal is: a SQLite file (`--journal FILE`) or a Redis journal (`--redis URL`,
//! with `--redis-prefix PREFIX`), and opening it for a receiver or for inspection.

use std::path::PathBuf;
use std::sync::Arc;

use ghl_webhook_router::journal::redact_url as redact;
use ghl_webhook_router::journal::{Journal, RedisJournal, RedisJournalConfig, SqliteJournal};

use crate::error::{CliError, JournalUse};

/// The key prefix of a Redis journal when `--redis-prefix` is not given (the SDK's default).
pub const DEFAULT_PREFIX: &str = "ghl-webhooks:journal:";

/// A journal's address, as the command line gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A Redis journal: the URL and the key prefix.
    Redis {
        /// `redis://[user:password@]host:port/db`.
        url: String,
        /// The journal's key prefix.
        prefix: String,
    },
}

impl Target {
    /// The target of `--journal FILE` or `--redis URL [--redis-prefix PREFIX]` (clap makes
    /// them exclusive); `None` when neither was given.
    pub fn from_args(
        file: Option<PathBuf>,
        redis: Option<String>,
        prefix: Option<String>,
    ) -> Option<Self> {
        match (file, redis) {
            (Some(path), _) => Some(Self::Sqlite(path)),
            (None, Some(url)) => Some(Self::Redis {
                url,
                prefix: prefix.unwrap_or_else(|| DEFAULT_PREFIX.to_owned()),
            }),
            (None, None) => None,
        }
    }

    /// The arguments that name this journal again (the password left out), for advice.
    pub fn args(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("--journal {}", path.display()),
            Self::Redis { url, prefix } => {
                format!("--redis {} --redis-prefix {prefix}", redact(url))
            }
        }
    }

    /// The journal for a receiver: a SQLite file is created when missing; a Redis journal
    /// must answer now (a receiver that cannot journal would answer 503 to everything).
    /// Needs a tokio runtime.
    pub async fn open_for_receiver(&self) -> Result<Opened, CliError> {
        match self {
            Self::Sqlite(path) => SqliteJournal::open(path)
                .map(Opened::Sqlite)
                .map_err(|err| CliError::journal(err, self, JournalUse::Receive)),
            Self::Redis { .. } => self.open_redis(JournalUse::Receive).await,
        }
    }

    /// The journal for inspection: it must exist; nothing is created. Needs a tokio runtime.
    pub async fn open_existing(&self) -> Result<Opened, CliError> {
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
        }
    }

    async fn open_redis(&self, usage: JournalUse) -> Result<Opened, CliError> {
        let Self::Redis { url, prefix } = self else {
            unreachable!("called for Redis targets only");
        };
        let journal = RedisJournal::open(url, RedisJournalConfig::with_prefix(prefix.clone()))
            .map_err(|err| CliError::journal(err, self, usage))?;
        journal
            .check()
            .await
            .map_err(|err| CliError::journal(err, self, usage))?;
        Ok(Opened::Redis(Box::new(journal)))
    }
}

/// An open journal of either engine.
#[derive(Debug)]
pub enum Opened {
    /// A SQLite file.
    Sqlite(SqliteJournal),
    /// A Redis journal (boxed: its connection manager is large).
    Redis(Box<RedisJournal>),
}

impl Opened {
    /// The journal.
    pub fn journal(&self) -> &dyn Journal {
        match self {
            Self::Sqlite(journal) => journal,
            Self::Redis(journal) => &**journal,
        }
    }

    /// The journal, to hand to a router.
    pub fn into_shared(self) -> Arc<dyn Journal> {
        match self {
            Self::Sqlite(journal) => Arc::new(journal),
            Self::Redis(journal) => Arc::new(*journal),
        }
    }

    /// Closes the journal: a SQLite file is checkpointed; a Redis connection just goes.
    pub async fn close(self) {
        if let Self::Sqlite(journal) = self {
            journal.close().await;
        }
    }
}
