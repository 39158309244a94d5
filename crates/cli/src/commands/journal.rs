//! `journal SUBCOMMAND --journal FILE | --redis URL | --postgres URL`: inspect and repair a
//! durable receiver's journal.
//!
//! A SQLite journal is opened with `SqliteJournal::open_existing`, so a missing file is an
//! error and nothing is created; a file that is not a journal, or one of a newer schema, is
//! refused before anything is written to it. The journal is closed (its WAL checkpointed)
//! before the command returns, whatever happened. A Redis journal must answer, accept the
//! password and hold a journal under its prefix before anything is done; a Postgres journal
//! must answer, accept the user, password and database, and hold the journal's tables (of a
//! version this SDK knows) in its schema: nothing is created in the database.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use ghl_webhook_router::IdentifiedBy;
use ghl_webhook_router::journal::{
    Entry, EntryState, Journal, JournalError, ListFilter, ReplaySelector, Stats,
};
use ghl_webhook_router::types::{EventKind, Probe};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::commands::{parse_event, runtime};
use crate::error::{CliError, JournalUse};
use crate::journal_args::{JournalArgs, JournalCommand, JournalFile, ListArgs, ReplayArgs};
use crate::journal_at::Target;
use crate::output;

/// What a subcommand does, its arguments checked (before the file is opened).
enum Operation {
    Stats,
    List(ListFilter),
    Show(String),
    Replay(ReplaySelector),
    Purge(Duration),
}

/// Runs one `journal` subcommand.
pub(crate) fn run(args: JournalArgs) -> Result<ExitCode, CliError> {
    // Everything that can be checked is checked before the file is opened.
    let (operation, file) = match args.command {
        JournalCommand::Stats(args) => (Operation::Stats, args.file),
        JournalCommand::List(args) => (Operation::List(filter(&args)?), args.file),
        JournalCommand::Show(args) => (Operation::Show(args.key), args.file),
        JournalCommand::Replay(args) => (Operation::Replay(selector(&args)?), args.file),
        JournalCommand::Purge(args) => (Operation::Purge(args.older_than), args.file),
    };
    file.options().check()?;
    let runtime = runtime()?;
    let target = file.target();
    runtime.block_on(async {
        let opened = target.open_existing().await?;
        let journal = opened.journal();
        let result = match operation {
            Operation::Stats => stats(journal, &file).await,
            Operation::List(filter) => list(journal, &filter, &file).await,
            Operation::Show(key) => show(journal, &key, &file).await,
            Operation::Replay(selector) => replay(journal, &selector, &file).await,
            Operation::Purge(older_than) => purge(journal, older_than, &file).await,
        };
        // Closed whatever happened: a SQLite WAL is checkpointed into the file and removed.
        opened.close().await;
        result.map(|()| ExitCode::SUCCESS)
    })
}

/// The error of a journal operation on the journal `file` names.
fn failed(file: &JournalFile) -> impl Fn(JournalError) -> CliError {
    let target: Target = file.target();
    move |err| CliError::journal(err, &target, JournalUse::Inspect)
}

// ---------------------------------------------------------------------------------------------
// stats

/// `journal stats`'s JSON.
#[derive(Debug, Serialize)]
struct StatsJson {
    pending: u64,
    in_progress: u64,
    done: u64,
    dead: u64,
    total: u64,
    oldest_pending_at: Option<String>,
    oldest_pending_age_ms: Option<u64>,
}

async fn stats(journal: &dyn Journal, file: &JournalFile) -> Result<(), CliError> {
    let stats = journal.stats().await.map_err(failed(file))?;
    let now = SystemTime::now();
    let age = stats.oldest_pending.map(|at| age(at, now));
    if file.json {
        let json = StatsJson {
            pending: stats.pending,
            in_progress: stats.in_progress,
            done: stats.done,
            dead: stats.dead,
            total: total(&stats),
            oldest_pending_at: stats.oldest_pending.map(time),
            oldest_pending_age_ms: age
                .map(|age| u64::try_from(age.as_millis()).unwrap_or(u64::MAX)),
        };
        return output::line(to_json(&json));
    }
    for (state, count) in [
        (EntryState::Pending, stats.pending),
        (EntryState::InProgress, stats.in_progress),
        (EntryState::Done, stats.done),
        (EntryState::Dead, stats.dead),
    ] {
        output::line(format!("{:<12} {count}", state.as_str()))?;
    }
    output::line(format!("{:<12} {}", "total", total(&stats)))?;
    match (stats.oldest_pending, age) {
        (Some(at), Some(age)) => output::line(format!(
            "oldest pending: received {}, {} ago",
            time(at),
            humantime::format_duration(Duration::from_secs(age.as_secs()))
        )),
        _ => output::line("oldest pending: none"),
    }
}

fn total(stats: &Stats) -> u64 {
    stats
        .pending
        .saturating_add(stats.in_progress)
        .saturating_add(stats.done)
        .saturating_add(stats.dead)
}

/// How long ago `at` was (zero for a time after `now`: a clock that went back).
fn age(at: SystemTime, now: SystemTime) -> Duration {
    now.duration_since(at).unwrap_or(Duration::ZERO)
}

// ---------------------------------------------------------------------------------------------
// list

fn filter(args: &ListArgs) -> Result<ListFilter, CliError> {
    let mut filter = ListFilter::default();
    filter.state = args.state.map(EntryState::from);
    filter.kind = args.kind.as_deref().map(parse_event).transpose()?;
    filter.since = args.since.map(|since| since.as_of(SystemTime::now()));
    filter.limit = args
        .limit
        .map(|limit| usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(filter)
}

async fn list(
    journal: &dyn Journal,
    filter: &ListFilter,
    file: &JournalFile,
) -> Result<(), CliError> {
    let entries = journal.list(filter).await.map_err(failed(file))?;
    for entry in &entries {
        if file.json {
            output::line(to_json(&EntryJson::of(entry, false)))?;
        } else {
            output::line(list_line(entry))?;
        }
    }
    output::note(count(entries.len()));
    Ok(())
}

/// `KEY STATE KIND ATTEMPTS RECEIVED_AT LAST_ERROR`.
fn list_line(entry: &Entry) -> String {
    format!(
        "{} {} {} {} {} {}",
        word(&entry.key),
        entry.state,
        kind_text(entry),
        entry.attempts,
        time(entry.received_at),
        entry.last_error.as_deref().map_or("-".into(), one_line)
    )
}

/// The kind's name; for an event this SDK does not know, `(TYPE)`; `-` without either.
fn kind_text(entry: &Entry) -> String {
    match (entry.kind, entry.type_field.as_deref()) {
        (Some(kind), _) => kind.as_str().to_owned(),
        (None, Some(type_field)) => format!("({})", one_line(type_field)),
        (None, None) => "-".to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// show

async fn show(journal: &dyn Journal, key: &str, file: &JournalFile) -> Result<(), CliError> {
    let entry = journal
        .get(key)
        .await
        .map_err(failed(file))?
        .ok_or_else(|| CliError::NoSuchEntry {
            key: key.to_owned(),
            at: file.target().args(),
        })?;
    if file.json {
        return output::line(to_json(&EntryJson::of(&entry, true)));
    }
    let optional = |value: Option<&str>| value.map_or("-".to_owned(), one_line);
    let fields = [
        ("key", entry.key.clone()),
        ("state", entry.state.to_string()),
        ("kind", kind_text(&entry)),
        ("type", optional(entry.type_field.as_deref())),
        (
            "identified by",
            optional(entry.identified_by.map(IdentifiedBy::as_str)),
        ),
        ("verified by", one_line(&entry.verified_by.to_string())),
        ("trace id", optional(trace_id(&entry).as_deref())),
        ("order key", optional(entry.order_key.as_deref())),
        ("received at", time(entry.received_at)),
        ("attempts", entry.attempts.to_string()),
        ("next attempt", time(entry.next_attempt_at)),
        (
            "lease until",
            optional(entry.lease_until.map(time).as_deref()),
        ),
        ("updated at", time(entry.updated_at)),
        ("last error", optional(entry.last_error.as_deref())),
    ];
    for (name, value) in fields {
        output::line(format!("{:<15}{value}", format!("{name}:")))?;
    }
    if entry.body_dropped() {
        return output::line(
            "body:          dropped after the body retention (the key is kept for deduplication)",
        );
    }
    output::line(format!("body ({} bytes):", entry.raw.len()))?;
    let body = String::from_utf8_lossy(&entry.raw);
    if std::str::from_utf8(&entry.raw).is_err() {
        output::note("note: the body is not UTF-8; invalid bytes are shown as U+FFFD");
    }
    output::line(body)
}

// ---------------------------------------------------------------------------------------------
// replay and purge

fn selector(args: &ReplayArgs) -> Result<ReplaySelector, CliError> {
    // clap's group makes exactly one of them present.
    Ok(match (&args.key, args.dead, &args.kind) {
        (Some(key), _, _) => ReplaySelector::One(key.clone()),
        (None, true, _) => ReplaySelector::AllDead,
        (None, false, Some(kind)) => ReplaySelector::Kind(parse_event(kind)?),
        (None, false, None) => {
            return Err(CliError::Usage(
                "give the entry to replay: KEY, --dead or --kind EVENT".into(),
            ));
        }
    })
}

#[derive(Debug, Serialize)]
struct Replayed {
    replayed: usize,
}

async fn replay(
    journal: &dyn Journal,
    selector: &ReplaySelector,
    file: &JournalFile,
) -> Result<(), CliError> {
    let replayed = journal.replay(selector).await.map_err(failed(file))?;
    if let (ReplaySelector::One(key), 0) = (selector, replayed) {
        // Known (else the replay was NotFound), but pending or in progress: it runs anyway.
        if let Ok(Some(entry)) = journal.get(key).await {
            output::note(format!(
                "entry `{key}` is {}, not done or dead: left alone (it runs anyway)",
                entry.state
            ));
        }
    }
    if file.json {
        return output::line(to_json(&Replayed { replayed }));
    }
    output::line(match replayed {
        0 => "replayed 0 entries: no done or dead entry matched".to_owned(),
        1 => "replayed 1 entry: pending again, a receiver running on this journal handles it"
            .to_owned(),
        n => format!(
            "replayed {n} entries: pending again, a receiver running on this journal handles them"
        ),
    })
}

#[derive(Debug, Serialize)]
struct Purged {
    purged: usize,
}

async fn purge(
    journal: &dyn Journal,
    older_than: Duration,
    file: &JournalFile,
) -> Result<(), CliError> {
    let cutoff = SystemTime::now()
        .checked_sub(older_than)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let purged = journal.purge(cutoff).await.map_err(failed(file))?;
    if file.json {
        return output::line(to_json(&Purged { purged }));
    }
    output::line(format!(
        "purged {} (done or dead, unchanged for more than {})",
        count(purged),
        humantime::format_duration(older_than)
    ))
}

fn count(n: usize) -> String {
    match n {
        1 => "1 entry".to_owned(),
        n => format!("{n} entries"),
    }
}

// ---------------------------------------------------------------------------------------------
// Entries as JSON, and values as text

/// An entry as JSON; `body` (the exact body, when it is JSON) or `body_text` only for `show`.
#[derive(Debug, Serialize)]
struct EntryJson<'a> {
    key: &'a str,
    state: &'static str,
    kind: Option<&'static str>,
    type_field: Option<&'a str>,
    identified_by: Option<&'static str>,
    verified_by: String,
    order_key: Option<&'a str>,
    received_at: String,
    attempts: u32,
    last_error: Option<&'a str>,
    next_attempt_at: String,
    lease_until: Option<String>,
    updated_at: String,
    /// HighLevel's `traceId`, read from the body while the journal keeps it.
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_id: Option<String>,
    /// Done, and its body dropped after the body retention.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    body_dropped: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_text: Option<String>,
}

impl<'a> EntryJson<'a> {
    fn of(entry: &'a Entry, with_body: bool) -> Self {
        let (body, body_text) = if with_body && !entry.body_dropped() {
            body_json(&entry.raw)
        } else {
            (None, None)
        };
        Self {
            key: &entry.key,
            state: entry.state.as_str(),
            kind: entry.kind.map(EventKind::as_str),
            type_field: entry.type_field.as_deref(),
            identified_by: entry.identified_by.map(IdentifiedBy::as_str),
            body_dropped: entry.body_dropped(),
            verified_by: entry.verified_by.to_string(),
            order_key: entry.order_key.as_deref(),
            received_at: time(entry.received_at),
            attempts: entry.attempts,
            last_error: entry.last_error.as_deref(),
            next_attempt_at: time(entry.next_attempt_at),
            lease_until: entry.lease_until.map(time),
            updated_at: time(entry.updated_at),
            trace_id: trace_id(entry),
            body,
            body_text,
        }
    }
}

/// HighLevel's `traceId` of an entry, from its body (`None` once the body is dropped).
fn trace_id(entry: &Entry) -> Option<String> {
    if entry.body_dropped() {
        return None;
    }
    Probe::read(&entry.raw).ok()?.envelope.trace_id
}

/// The body as it is when it is JSON (key order, numbers and spacing kept), else as text.
fn body_json(raw: &[u8]) -> (Option<Box<RawValue>>, Option<String>) {
    match std::str::from_utf8(raw)
        .ok()
        .and_then(|text| RawValue::from_string(text.trim().to_owned()).ok())
    {
        Some(json) => (Some(json), None),
        None => (None, Some(String::from_utf8_lossy(raw).into_owned())),
    }
}

/// Serializes a value of this module (strings, numbers and checked JSON: never fails).
fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|e| format!(r#"{{"error":"cannot serialize the output: {e}"}}"#))
}

/// A time as RFC 3339 UTC, to the millisecond (as the journal keeps it).
fn time(at: SystemTime) -> String {
    humantime::format_rfc3339_millis(at).to_string()
}

/// Text on one line: control characters (newlines, tabs) become spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A value as one column: quoted (Rust string syntax) when it is empty or holds whitespace or
/// control characters, so that every line keeps its columns.
fn word(text: &str) -> String {
    if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        format!("{text:?}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use ghl_webhook_router::VerifiedBy;
    use std::time::UNIX_EPOCH;

    fn entry() -> Entry {
        let at = UNIX_EPOCH + Duration::from_millis(1_796_119_200_123);
        Entry {
            key: "wh-1".into(),
            raw: Bytes::from_static(b"{\"type\":\"ContactDelete\",\"b\":1,\"a\":2}\n"),
            kind: Some(EventKind::ContactDelete),
            identified_by: Some(IdentifiedBy::TypeField),
            type_field: Some("ContactDelete".into()),
            verified_by: VerifiedBy::Ed25519("test-primary".into()),
            order_key: None,
            received_at: at,
            state: EntryState::Dead,
            attempts: 1,
            last_error: Some("undecodable payload:\nid".into()),
            next_attempt_at: at,
            lease_until: None,
            updated_at: at,
        }
    }

    #[test]
    fn a_list_line_has_every_column_on_one_line() {
        assert_eq!(
            list_line(&entry()),
            "wh-1 dead ContactDelete 1 2026-12-01T10:00:00.123Z undecodable payload: id"
        );
        let unknown = Entry {
            key: "with space".into(),
            kind: None,
            type_field: Some("SomethingNew".into()),
            last_error: None,
            ..entry()
        };
        assert_eq!(
            list_line(&unknown),
            "\"with space\" dead (SomethingNew) 1 2026-12-01T10:00:00.123Z -"
        );
        let untyped = Entry {
            type_field: None,
            ..unknown
        };
        assert_eq!(kind_text(&untyped), "-");
    }

    #[test]
    fn the_json_body_is_the_exact_body() {
        let entry = entry();
        let json = to_json(&EntryJson::of(&entry, true));
        assert!(
            json.contains(r#""body":{"type":"ContactDelete","b":1,"a":2}"#),
            "{json}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        assert_eq!(parsed["state"], "dead");
        assert_eq!(parsed["received_at"], "2026-12-01T10:00:00.123Z");
        assert_eq!(parsed["lease_until"], serde_json::Value::Null);
        assert!(parsed.get("body_text").is_none());
        let listed: serde_json::Value =
            serde_json::from_str(&to_json(&EntryJson::of(&entry, false))).expect("JSON");
        assert!(listed.get("body").is_none());
        assert_eq!(
            body_json(b"not json\xff").1.as_deref(),
            Some("not json\u{fffd}")
        );
    }

    #[test]
    fn ages_never_go_negative() {
        let now = UNIX_EPOCH + Duration::from_secs(100);
        assert_eq!(age(now + Duration::from_secs(5), now), Duration::ZERO);
        assert_eq!(age(UNIX_EPOCH, now), Duration::from_secs(100));
    }
}
