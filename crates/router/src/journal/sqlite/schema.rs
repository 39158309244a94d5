//! The file's schema: its versions and migrations, and opening a connection to it.

use super::*;

/// The schema version this SDK writes, and the newest it can open.
pub(super) const SCHEMA_VERSION: u32 = 2;

/// `MIGRATIONS[n]` takes a journal from schema version `n` to `n + 1`.
pub(super) const MIGRATIONS: &[&str] = &[V1, V2];

/// Version 1. `raw` comes last so that reading the other columns never touches its overflow
/// pages. The indexes keep the writer's queries O(log n): the next due pending entries
/// (`entries_due`), expired leases (`entries_lease`), the earlier open entry of an order key
/// (`entries_order`), finished entries to purge (`entries_finished`).
pub(super) const V1: &str = include_str!("migrations/1.sql");

/// Version 2: one index per state, holding only that state's entries (partial indexes), so
/// that a state change touches the indexes of the two states it moves between rather than
/// every index, and a done entry sits in `entries_done` and the key's index only. The entry's
/// `seq` (its rowid) orders ties in every index without being stored twice. A query names its
/// state with `=` (SQLite uses a partial index only for the very term it was made with), and
/// the counts name their index (`INDEXED BY`), so that none of them scans the table.
pub(super) const V2: &str = include_str!("migrations/2.sql");

/// Opens one connection: read-write for the writer (creating the file if `config.create`),
/// read-only for the reader.
pub(super) fn connect(
    path: &Path,
    config: &SqliteConfig,
    writable: bool,
) -> Result<Connection, JournalError> {
    let mut flags = OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if writable {
        flags |= OpenFlags::SQLITE_OPEN_READ_WRITE;
        if config.create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
    } else {
        flags |= OpenFlags::SQLITE_OPEN_READ_ONLY;
    }
    let conn =
        Connection::open_with_flags(path, flags).map_err(|err| match classify(path, err) {
            JournalError::Engine(source) => JournalError::CannotOpen {
                path: path.to_path_buf(),
                source,
            },
            other => other,
        })?;
    conn.busy_timeout(config.busy_timeout)
        .map_err(|err| classify(path, err))?;
    // SQLite opens a file it may not write read-only rather than failing.
    if writable
        && conn
            .is_readonly(MAIN_DB)
            .map_err(|err| classify(path, err))?
    {
        return Err(JournalError::ReadOnly {
            path: path.to_path_buf(),
        });
    }
    Ok(conn)
}

/// The file's schema version, reading only: 0 for an empty database.
pub(super) fn schema_version(conn: &Connection, path: &Path) -> Result<u32, JournalError> {
    let not_a_journal = |detail: &str| JournalError::NotAJournal {
        path: path.to_path_buf(),
        detail: detail.to_owned(),
    };
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
        .map_err(|err| classify(path, err))?;
    if objects == 0 {
        return Ok(0);
    }
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' \
             AND name IN ('schema_version', 'entries')",
            [],
            |row| row.get(0),
        )
        .map_err(|err| classify(path, err))?;
    if tables != 2 {
        return Err(not_a_journal(
            "a SQLite database without the journal's schema_version and entries tables",
        ));
    }
    let mut stmt = conn
        .prepare("SELECT version FROM schema_version")
        .map_err(|err| classify(path, err))?;
    let versions = stmt
        .query_map([], |row| row.get::<_, rusqlite::types::Value>(0))
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|err| classify(path, err))?;
    match versions.as_slice() {
        [rusqlite::types::Value::Integer(version)] => u32::try_from(*version)
            .ok()
            .filter(|version| *version >= 1)
            .ok_or_else(|| not_a_journal("schema_version holds an invalid version")),
        _ => Err(not_a_journal(
            "schema_version does not hold exactly one version",
        )),
    }
}

pub(super) fn check_not_newer(version: u32, path: &Path) -> Result<(), JournalError> {
    if version > SCHEMA_VERSION {
        return Err(JournalError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Brings the file to [`SCHEMA_VERSION`] in one transaction, reading the version again under
/// the write lock (another process may have migrated it meanwhile).
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), JournalError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|err| classify(path, err))?;
    let version = schema_version(&tx, path)?;
    check_not_newer(version, path)?;
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    let pending = usize::try_from(version).unwrap_or(usize::MAX);
    let run = || -> rusqlite::Result<()> {
        for migration in MIGRATIONS.iter().skip(pending) {
            tx.execute_batch(migration)?;
        }
        tx.execute("DELETE FROM schema_version", [])?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [SCHEMA_VERSION],
        )?;
        Ok(())
    };
    run().map_err(|err| classify(path, err))?;
    tx.commit().map_err(|err| classify(path, err))
}

/// What a SQLite error means for the journal at `path`.
pub(super) fn classify(path: &Path, err: rusqlite::Error) -> JournalError {
    classify_shared(path, &Arc::new(err))
}

pub(super) fn classify_shared(path: &Path, err: &Arc<rusqlite::Error>) -> JournalError {
    match err.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => JournalError::NotAJournal {
            path: path.to_path_buf(),
            detail: err.to_string(),
        },
        Some(ErrorCode::ReadOnly) => JournalError::ReadOnly {
            path: path.to_path_buf(),
        },
        Some(ErrorCode::CannotOpen) => JournalError::CannotOpen {
            path: path.to_path_buf(),
            source: Box::new(Arc::clone(err)),
        },
        _ => JournalError::Engine(Box::new(Arc::clone(err))),
    }
}
