//! Journal rows read back: a row of the SQLite journal with arbitrary values in every column
//! (as a damaged file, another tool or a newer SDK could leave it) is read by `get`, `list`,
//! `stats` and `lease` as an entry or a typed `JournalError`, never a panic.
#![no_main]

use std::path::PathBuf;
use std::time::Duration;

use ghl_webhook_router::journal::{Journal as _, ListFilter, SqliteJournal};
use ghl_webhooks_fuzz::runtime;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use rusqlite::types::Value;

/// One SQLite value (the journal's columns are typed by affinity only).
#[derive(Debug, Arbitrary)]
enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    /// A value the journal writes, so that rows get past the first column.
    State(u8),
}

impl Cell {
    fn value(&self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Integer(i) => Value::Integer(*i),
            Cell::Real(f) => Value::Real(*f),
            Cell::Text(t) => Value::Text(t.clone()),
            Cell::Blob(b) => Value::Blob(b.clone()),
            Cell::State(s) => Value::Text(
                ["pending", "in_progress", "done", "dead"][usize::from(*s) % 4].to_owned(),
            ),
        }
    }
}

const COLUMNS: &str = "key, state, kind, identified_by, type_field, verified_by, order_key, \
    received_at, attempts, last_error, next_attempt_at, lease_until, lease_gen, updated_at, raw";

struct Files {
    journal: SqliteJournal,
    writer: std::sync::Mutex<rusqlite::Connection>,
    _dir: PathBuf,
}

fn files() -> &'static Files {
    static FILES: std::sync::OnceLock<Files> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ghl-fuzz-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        let path = dir.join("journal.sqlite");
        let journal = SqliteJournal::open(&path).expect("a new journal");
        let writer = rusqlite::Connection::open(&path).expect("a second connection");
        writer
            .busy_timeout(Duration::from_secs(5))
            .expect("busy timeout");
        Files {
            journal,
            writer: std::sync::Mutex::new(writer),
            _dir: dir,
        }
    })
}

fuzz_target!(|row: [Cell; 15]| {
    let files = files();
    let writer = files.writer.lock().expect("the writer");
    writer
        .execute("DELETE FROM entries", [])
        .expect("the table empties");
    let values: Vec<Value> = row.iter().map(Cell::value).collect();
    let insert = format!(
        "INSERT INTO entries ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
    );
    // The table's own constraints (NOT NULL, the states, the unique key) refuse some rows.
    if writer
        .execute(&insert, rusqlite::params_from_iter(values.iter()))
        .is_err()
    {
        return;
    }
    let key = match &values[0] {
        Value::Text(text) => text.clone(),
        _ => String::new(),
    };
    drop(writer);
    let journal = &files.journal;
    runtime().block_on(async {
        let _ = journal.get(&key).await;
        let _ = journal.list(&ListFilter::default()).await;
        let _ = journal.stats().await;
        if let Ok(leased) = journal.lease(4, Duration::from_secs(30)).await {
            for entry in &leased {
                let _ = journal.release(&entry.token).await;
            }
        }
    });
});
