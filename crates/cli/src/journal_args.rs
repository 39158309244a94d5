//! The command line of `journal`: clap definitions, kept beside `cli.rs` (which names them).
//! The doc comments here are the `--help` text.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use ghl_webhook_router::journal::EntryState;

use crate::cli::EXIT_CODES;
use crate::journal_at::{JournalOptions, Target};

/// `journal`'s arguments: a subcommand.
#[derive(Debug, Args)]
pub(crate) struct JournalArgs {
    /// What to do with the journal.
    #[command(subcommand)]
    pub command: JournalCommand,
}

/// `journal`'s subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum JournalCommand {
    /// Count the entries by state, and tell how long the oldest pending one has waited.
    ///
    /// Prints one `STATE COUNT` line per state, `total COUNT`, and `oldest pending: ...`.
    /// With --json: one object with `pending`, `in_progress`, `done`, `dead`, `total`,
    /// `oldest_pending_at` (RFC 3339 or null) and `oldest_pending_age_ms` (or null).
    #[command(after_help = EXIT_CODES)]
    Stats(StatsArgs),
    /// Print the entries, in arrival order, one line each:
    /// `KEY STATE KIND ATTEMPTS RECEIVED_AT LAST_ERROR`.
    ///
    /// KIND is the event name; for an event this SDK does not know, its payload's `type` in
    /// parentheses, or `-` when it has none. LAST_ERROR is `-` when no attempt failed. The
    /// number of entries printed goes to stderr. With --json: one object per line (JSON
    /// Lines), the fields of `show --json` without the body.
    #[command(after_help = EXIT_CODES)]
    List(ListArgs),
    /// Print everything the journal holds of one entry: its state, kind, attempts, times,
    /// last error and the exact body it received (as text).
    ///
    /// With --json: one object with `key`, `state`, `kind`, `type_field`, `identified_by`,
    /// `verified_by`, `order_key`, `received_at`, `attempts`, `last_error`,
    /// `next_attempt_at`, `lease_until`, `updated_at` and `body` (the body as JSON, exactly as
    /// received; `body_text` instead when it is not JSON; `body_dropped: true` instead for a
    /// done entry whose body was dropped after the body retention).
    #[command(after_help = EXIT_CODES)]
    Show(ShowArgs),
    /// Put done or dead entries back to pending, their attempts reset: a receiver's workers
    /// handle them again (e.g. after an upgrade that decodes a payload that was undecodable).
    ///
    /// Give exactly one of KEY, --dead, --kind. Pending and in-progress entries are left
    /// alone (they run anyway). Prints how many entries were replayed (--json:
    /// `{"replayed": N}`). Safe while a receiver runs on the journal.
    #[command(after_help = EXIT_CODES)]
    #[command(group(
        ArgGroup::new("selector")
            .args(["key", "dead", "kind"])
            .required(true)
            .multiple(false)
    ))]
    Replay(ReplayArgs),
    /// Delete the done and dead entries that have not changed for longer than DURATION.
    ///
    /// Pending and in-progress entries are never deleted. A purged `webhookId` is no longer
    /// recognised as a duplicate. Prints how many entries were deleted (--json:
    /// `{"purged": N}`).
    #[command(after_help = EXIT_CODES)]
    Purge(PurgeArgs),
}

/// The journal and the output format, common to every `journal` subcommand.
#[derive(Debug, Args)]
pub(crate) struct JournalFile {
    #[command(flatten)]
    pub at: JournalAtArgs,
    /// The key prefix of the Redis journal (default `ghl-webhooks:journal:`, the SDK's).
    #[arg(long = "redis-prefix", value_name = "PREFIX", requires = "redis")]
    pub redis_prefix: Option<String>,
    /// The schema of the Postgres journal's tables (default `ghl_webhooks`, the SDK's).
    #[arg(long = "postgres-schema", value_name = "SCHEMA", requires = "postgres")]
    pub postgres_schema: Option<String>,
    /// Print JSON instead of text (see this subcommand's description).
    #[arg(long)]
    pub json: bool,
}

/// Which journal: exactly one of `--journal FILE`, `--redis URL` and `--postgres URL`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct JournalAtArgs {
    /// The journal: the SQLite file a durable receiver writes (`ghl-webhook listen --journal
    /// FILE`). It must exist; nothing is created. A receiver may be running on it.
    #[arg(long = "journal", value_name = "FILE")]
    pub path: Option<PathBuf>,
    /// The journal in Redis that durable receivers share (`ghl-webhook listen --redis URL`):
    /// `redis://[user:password@]host:port/db`. It must hold a journal under the prefix;
    /// nothing is created. Receivers may be running on it.
    #[arg(long = "redis", value_name = "URL")]
    pub redis: Option<String>,
    /// The journal in Postgres that durable receivers share (`ghl-webhook listen --postgres
    /// URL`): `postgres://[user[:password]@]host[:port]/database`. The database must hold the
    /// journal's tables in the schema; nothing is created. Receivers may be running on it.
    #[arg(long = "postgres", value_name = "URL")]
    pub postgres: Option<String>,
}

impl JournalFile {
    /// The journal options as given.
    pub(crate) fn options(&self) -> JournalOptions {
        JournalOptions {
            file: self.at.path.clone(),
            redis: self.at.redis.clone(),
            redis_prefix: self.redis_prefix.clone(),
            postgres: self.at.postgres.clone(),
            postgres_schema: self.postgres_schema.clone(),
        }
    }

    /// The journal these arguments name.
    pub(crate) fn target(&self) -> Target {
        self.options()
            .target()
            .unwrap_or_else(|| Target::Sqlite(PathBuf::new()))
    }
}

/// `journal stats`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct StatsArgs {
    #[command(flatten)]
    pub file: JournalFile,
}

/// `journal list`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only entries in this state (`in_progress` is also accepted).
    #[arg(long, value_enum, value_name = "STATE")]
    pub state: Option<StateArg>,
    /// Only entries of this event kind, as `ghl-webhook list` prints it (e.g. ContactCreate).
    #[arg(long, value_name = "EVENT")]
    pub kind: Option<String>,
    /// Only entries received at or after WHEN: a duration ago (`90s`, `30min`, `2h`, `7d`) or
    /// a UTC time in RFC 3339 (`2026-12-01T10:00:00Z`).
    #[arg(long, value_name = "WHEN", value_parser = parse_since)]
    pub since: Option<Since>,
    /// At most N entries (the earliest ones).
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
    #[command(flatten)]
    pub file: JournalFile,
}

/// `journal show`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The entry's key: its `webhookId` (as `journal list` prints it).
    #[arg(value_name = "KEY")]
    pub key: String,
    #[command(flatten)]
    pub file: JournalFile,
}

/// `journal replay`'s arguments: exactly one selector.
#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    /// Replay the entry with this key (its `webhookId`).
    #[arg(value_name = "KEY")]
    pub key: Option<String>,
    /// Replay every dead letter.
    #[arg(long)]
    pub dead: bool,
    /// Replay every done or dead entry of this event kind (e.g. after fixing its handler).
    #[arg(long, value_name = "EVENT")]
    pub kind: Option<String>,
    #[command(flatten)]
    pub file: JournalFile,
}

/// `journal purge`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct PurgeArgs {
    /// Delete the done and dead entries last changed more than this long ago: `30min`, `12h`,
    /// `7d`, `1d 12h` (`0s`: every done and dead entry).
    #[arg(long, value_name = "DURATION", required = true, value_parser = parse_duration)]
    pub older_than: Duration,
    #[command(flatten)]
    pub file: JournalFile,
}

/// An entry state, as `--state` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateArg {
    /// Waiting for a worker.
    Pending,
    /// Leased by a worker.
    #[value(alias = "in_progress")]
    InProgress,
    /// Handled.
    Done,
    /// A dead letter: undecodable, or out of attempts.
    Dead,
}

impl From<StateArg> for EntryState {
    fn from(state: StateArg) -> Self {
        match state {
            StateArg::Pending => Self::Pending,
            StateArg::InProgress => Self::InProgress,
            StateArg::Done => Self::Done,
            StateArg::Dead => Self::Dead,
        }
    }
}

/// `--since`: a duration ago, or a point in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Since {
    /// This long before now.
    Ago(Duration),
    /// This time.
    At(SystemTime),
}

impl Since {
    /// The point in time, as of `now` (a duration reaching before the epoch is the epoch).
    pub(crate) fn as_of(self, now: SystemTime) -> SystemTime {
        match self {
            Self::Ago(ago) => now.checked_sub(ago).unwrap_or(SystemTime::UNIX_EPOCH),
            Self::At(at) => at,
        }
    }
}

/// A duration such as `30min`, `2h` or `1d 12h`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text)
        .map_err(|err| format!("expected a duration such as 30min, 2h or 7d ({err})"))
}

/// A duration ago, or a UTC RFC 3339 time.
pub(crate) fn parse_since(text: &str) -> Result<Since, String> {
    let looks_like_a_date = text.len() >= 5
        && text.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && text.as_bytes()[4] == b'-';
    if looks_like_a_date {
        return humantime::parse_rfc3339(text)
            .map(Since::At)
            .map_err(|err| {
                format!(
                    "expected a UTC time in RFC 3339, such as 2026-12-01T10:00:00Z (with `Z` or \
                 `+00:00`; other offsets are not supported) ({err})"
                )
            });
    }
    humantime::parse_duration(text)
        .map(Since::Ago)
        .map_err(|err| {
            format!(
                "expected a duration ago, such as 30min, 2h or 7d, or a UTC time in RFC 3339, such \
             as 2026-12-01T10:00:00Z ({err})"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_durations_and_utc_times() {
        assert_eq!(parse_since("2h"), Ok(Since::Ago(Duration::from_secs(7200))));
        assert_eq!(
            parse_since("1d 12h"),
            Ok(Since::Ago(Duration::from_secs(36 * 3600)))
        );
        let at = parse_since("2026-12-01T10:00:00Z").expect("a time");
        assert_eq!(
            at,
            Since::At(SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_119_200))
        );
        assert!(parse_since("2026-12-01T10:00:00+00:00").is_ok());
        for bad in [
            "",
            "2",
            "yesterday",
            "2x",
            "2026-12-01",
            "2026-12-01T10:00:00+02:00",
            "2026-13-01T10:00:00Z",
            "é",
        ] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
        assert!(
            parse_since("2026-12-01T10:00:00+02:00")
                .expect_err("an offset")
                .contains("RFC 3339")
        );
    }

    #[test]
    fn a_duration_before_the_epoch_is_the_epoch() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(10);
        assert_eq!(
            Since::Ago(Duration::from_secs(4)).as_of(now),
            SystemTime::UNIX_EPOCH + Duration::from_secs(6)
        );
        assert_eq!(Since::Ago(Duration::MAX).as_of(now), SystemTime::UNIX_EPOCH);
    }

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(parse_duration("30min"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
