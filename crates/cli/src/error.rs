//! The CLI's errors and their exit codes (the table is [`crate::cli::EXIT_CODES`]).

use std::io;
use std::path::PathBuf;

use ghl_webhook_router::journal::JournalError;

use crate::journal_at::Target;
use crate::json_set::SetError;

/// Exit code: unusable arguments, files or input.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: an I/O failure (network, listening, output).
pub const EXIT_IO: u8 = 3;

/// Why a command could not run. Outcomes that are answers (a non-2xx status, an invalid
/// signature) are not errors: they are reported and give exit code 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
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
    /// A `--journal` file that cannot be used: missing, not a journal, read-only, of a newer
    /// schema, or not openable. The journal's message names the file and what to do.
    #[error("{source}{hint}")]
    JournalFile {
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
    /// The journal failed while in use (its engine, a lock held too long by another process).
    #[error("{0}")]
    Journal(JournalError),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::ReadFile { .. }
            | Self::Key { .. }
            | Self::FixtureNotJson { .. }
            | Self::Stdin(_)
            | Self::EmptyStdin(_)
            | Self::UnknownEvent { .. }
            | Self::Set { .. }
            | Self::Usage(_)
            | Self::JournalFile { .. }
            | Self::NoSuchEntry { .. }
            | Self::NoRedisJournal { .. } => EXIT_USAGE,
            Self::NoAnswer { .. } | Self::Listen { .. } | Self::Io { .. } | Self::Journal(_) => {
                EXIT_IO
            }
        }
    }

    /// True for a write to a closed pipe (`ghl-webhook list | head`): not worth a message.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Self::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }

    /// An error writing the command's output.
    pub fn output(source: io::Error) -> Self {
        Self::Io {
            what: "cannot write the output",
            source,
        }
    }
}

/// Who opens a journal, for the advice that goes with an unusable one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalUse {
    /// `listen --journal`: a receiver, which creates the file when it is missing.
    Receive,
    /// `journal ...`: inspection and repair of an existing journal.
    Inspect,
}

impl CliError {
    /// The error for `err`, met using the journal at `at` as `usage`.
    ///
    /// The file's problems (missing, not a journal, read-only, newer schema, cannot be opened),
    /// a malformed Redis URL, a refused password, foreign data under the prefix and an unknown
    /// key are unusable arguments (exit 2); the engine failing or unreachable, a lost lease or
    /// a closed journal are I/O failures (exit 3).
    pub fn journal(err: JournalError, at: &Target, usage: JournalUse) -> Self {
        match err {
            JournalError::Missing { .. } => Self::JournalFile {
                source: err,
                hint: " (e.g. `ghl-webhook listen --journal FILE`)",
            },
            JournalError::ReadOnly { .. } if usage == JournalUse::Inspect => Self::JournalFile {
                source: err,
                hint: "; the journal commands need write access even to inspect it",
            },
            JournalError::NewerSchema { .. } => Self::JournalFile {
                source: err,
                hint: "; for this command, upgrade ghl-webhook-cli",
            },
            JournalError::ReadOnly { .. }
            | JournalError::NotAJournal { .. }
            | JournalError::CannotOpen { .. } => Self::JournalFile {
                source: err,
                hint: "",
            },
            JournalError::Refused { .. }
            | JournalError::Foreign { .. }
            | JournalError::InvalidAddress { .. } => Self::JournalFile {
                source: err,
                hint: "",
            },
            JournalError::NotFound(key) => Self::NoSuchEntry { key, at: at.args() },
            JournalError::Engine(_) | JournalError::LeaseLost(_) | JournalError::Closed => {
                Self::Journal(err)
            }
            // `JournalError` is non-exhaustive: what it may add is taken as a failure in use.
            _ => Self::Journal(err),
        }
    }
}

/// `error` and its sources, joined with `: ` (hyper's errors keep the cause in the chain).
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
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
