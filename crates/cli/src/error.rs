//! The CLI's errors and their exit codes (the table is [`crate::cli::EXIT_CODES`]).

use std::io;
use std::path::PathBuf;

use ghl_webhook_router::journal::JournalError;

use crate::journal_at::{DEFAULT_SCHEMA, Target};
use crate::json_set::SetError;

/// Exit code: unusable arguments, files or input.
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit code: an I/O failure (network, listening, output).
pub(crate) const EXIT_IO: u8 = 3;

/// Why a command could not run. Outcomes that are answers (a non-2xx status, an invalid
/// signature) are not errors: they are reported and give exit code 1.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// A file that cannot be read.
    #[error("cannot read `{}`: {source}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A key file that holds no usable key.
    #[error("`{}`: {reason}", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A fixture file that is not JSON.
    #[error("`{}` is not JSON: {source}", path.display())]
    FixtureNotJson {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// Stdin could not be read.
    #[error("cannot read stdin: {0}")]
    Stdin(io::Error),
    /// Stdin was empty.
    #[error("stdin is empty: pipe the exact body bytes in, e.g. `ghl-webhook {0} ... < body.json`")]
    EmptyStdin(&'static str),
    /// An event name that is not documented.
    #[error("`{name}` is not a HighLevel event name{hint}; `ghl-webhook list` prints them all")]
    UnknownEvent {
        /// The name given.
        name: String,
        /// ` (did you mean ...?)` when a name matches ignoring case, else empty.
        hint: String,
    },
    /// A `--set` that cannot be applied.
    #[error("--set {arg}: {source}")]
    Set {
        /// The argument as given.
        arg: String,
        /// Why.
        source: SetError,
    },
    /// Any other unusable argument (the message says which and why).
    #[error("{0}")]
    Usage(String),
    /// The gateway's settings cannot be used (the message names the key and the fix).
    #[error(transparent)]
    GatewayConfig(#[from] crate::commands::gateway::config::ConfigError),
    /// No answer from the receiver.
    #[error("no answer from {url}: {reason}")]
    NoAnswer {
        /// The URL posted to.
        url: String,
        /// Why (the error chain).
        reason: String,
    },
    /// The address could not be listened on.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        source: io::Error,
    },
    /// Any other I/O failure (the runtime, the server, writing the output).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// Why.
        source: io::Error,
    },
    /// A journal that cannot be used: a `--journal` file that is missing, not a journal,
    /// read-only, of a newer schema, or not openable; a `--redis` or `--postgres` URL that is
    /// malformed or refused; an invalid `--postgres-schema`. The journal's message names the
    /// journal and what to do.
    #[error("{flag}{source}{hint}")]
    JournalFile {
        /// The option at fault, as `--postgres: `, when the journal's message does not name
        /// it; else empty.
        flag: &'static str,
        /// What the journal reported.
        source: JournalError,
        /// More advice for this command, or empty.
        hint: &'static str,
    },
    /// An entry key that the journal does not hold.
    #[error(
        "the journal has no entry with key `{key}`; `ghl-webhook journal list {at}` prints the keys"
    )]
    NoSuchEntry {
        /// The key given.
        key: String,
        /// The arguments naming the journal.
        at: String,
    },
    /// A Redis journal to inspect that was never written: nothing is under its key prefix.
    #[error(
        "there is no journal at {location} (nothing was created); check --redis-prefix and the database number in the URL: a receiver creates its journal with its first delivery"
    )]
    NoRedisJournal {
        /// The URL (without password) and the prefix.
        location: String,
    },
    /// A Postgres journal to inspect that is not there: the schema holds no journal's tables
    /// (nothing was created).
    #[error(
        "--postgres: there is no journal at {location} (nothing was created); check the database in the URL and --postgres-schema (default `{DEFAULT_SCHEMA}`): a receiver (`ghl-webhook listen --postgres URL`) creates the journal's tables when it starts"
    )]
    NoPostgresJournal {
        /// The URL (without password) and the schema.
        location: String,
    },
    /// A Postgres journal's schema holding tables this SDK did not write (another app's):
    /// nothing was changed.
    #[error(
        "--postgres: {location} holds tables this SDK did not write ({detail}); nothing was changed: give the journal a schema of its own with --postgres-schema SCHEMA (the same for its receivers and for the journal commands), or move those tables away"
    )]
    ForeignPostgres {
        /// The URL (without password) and the schema.
        location: String,
        /// What was found.
        detail: String,
    },
    /// The journal failed while in use (its engine, a lock held too long by another process).
    #[error("{0}")]
    Journal(JournalError),
}

impl CliError {
    /// The process exit code for this error.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::ReadFile { .. }
            | Self::Key { .. }
            | Self::FixtureNotJson { .. }
            | Self::Stdin(_)
            | Self::EmptyStdin(_)
            | Self::UnknownEvent { .. }
            | Self::Set { .. }
            | Self::Usage(_)
            | Self::GatewayConfig(_)
            | Self::JournalFile { .. }
            | Self::NoSuchEntry { .. }
            | Self::NoRedisJournal { .. }
            | Self::NoPostgresJournal { .. }
            | Self::ForeignPostgres { .. } => EXIT_USAGE,
            Self::NoAnswer { .. } | Self::Listen { .. } | Self::Io { .. } | Self::Journal(_) => {
                EXIT_IO
            }
        }
    }

    /// True for a write to a closed pipe (`ghl-webhook list | head`): not worth a message.
    pub(crate) fn is_broken_pipe(&self) -> bool {
        matches!(self, Self::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }

    /// An error writing the command's output.
    pub(crate) fn output(source: io::Error) -> Self {
        Self::Io {
            what: "cannot write the output",
            source,
        }
    }
}

/// Who opens a journal, for the advice that goes with an unusable one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JournalUse {
    /// `listen --journal`: a receiver, which creates the file when it is missing.
    Receive,
    /// `journal ...`: inspection and repair of an existing journal.
    Inspect,
}

/// The advice added to a journal of a newer schema version.
const NEWER_SCHEMA_HINT: &str = "; for this command, upgrade ghl-webhook-cli";

impl CliError {
    /// The error for `err`, met using the journal at `at` as `usage`.
    ///
    /// The file's problems (missing, not a journal, read-only, newer schema, cannot be opened),
    /// a malformed Redis or Postgres URL, a refused password, an invalid schema name, foreign
    /// data under the prefix or in the schema and an unknown key are unusable arguments (exit
    /// 2); the engine failing or unreachable, a lost lease or a closed journal are I/O failures
    /// (exit 3).
    pub(crate) fn journal(err: JournalError, at: &Target, usage: JournalUse) -> Self {
        match at {
            Target::Postgres { .. } => Self::postgres_journal(err, at, usage),
            Target::Sqlite(_) | Target::Redis { .. } => Self::any_journal(err, at, usage),
        }
    }

    /// A Postgres journal's problems, each naming the option to fix: the driver's messages
    /// speak of URLs and schemas, not of this command line.
    fn postgres_journal(err: JournalError, at: &Target, usage: JournalUse) -> Self {
        let flagged = |flag, source, hint| Self::JournalFile { flag, source, hint };
        match err {
            JournalError::InvalidName { .. } => flagged("--postgres-schema: ", err, ""),
            JournalError::InvalidAddress { .. } | JournalError::Refused { .. } => {
                flagged("--postgres: ", err, "")
            }
            JournalError::NewerSchema { .. } => flagged("--postgres: ", err, NEWER_SCHEMA_HINT),
            JournalError::Missing { path } => Self::NoPostgresJournal {
                location: path.display().to_string(),
            },
            JournalError::Foreign { location, detail } => {
                Self::ForeignPostgres { location, detail }
            }
            _ => Self::any_journal(err, at, usage),
        }
    }

    /// The problems any engine may report, with the advice of a SQLite file's.
    fn any_journal(err: JournalError, at: &Target, usage: JournalUse) -> Self {
        let unusable = |source, hint| Self::JournalFile {
            flag: "",
            source,
            hint,
        };
        match err {
            JournalError::Missing { .. } => {
                unusable(err, " (e.g. `ghl-webhook listen --journal FILE`)")
            }
            JournalError::ReadOnly { .. } if usage == JournalUse::Inspect => unusable(
                err,
                "; the journal commands need write access even to inspect it",
            ),
            JournalError::NewerSchema { .. } => unusable(err, NEWER_SCHEMA_HINT),
            JournalError::ReadOnly { .. }
            | JournalError::NotAJournal { .. }
            | JournalError::CannotOpen { .. }
            | JournalError::Refused { .. }
            | JournalError::Foreign { .. }
            | JournalError::InvalidAddress { .. }
            | JournalError::InvalidName { .. } => unusable(err, ""),
            JournalError::NotFound(key) => Self::NoSuchEntry { key, at: at.args() },
            JournalError::Engine(_) | JournalError::LeaseLost(_) | JournalError::Closed => {
                Self::Journal(err)
            }
            // `Unavailable`, and what the non-exhaustive `JournalError` may add: failures in
            // use.
            _ => Self::Journal(err),
        }
    }
}

/// `error` and its sources, joined with `: ` (hyper's errors keep the cause in the chain).
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
