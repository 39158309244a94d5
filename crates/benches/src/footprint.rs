//! What a delivery costs a journal on disk at each stage of its life: pending (just appended),
//! done with its body, and done with only its key (after the body retention). Printed by
//! `ghl-bench-server journal-footprint`.
//!
//! Each stage is measured on a compacted journal, so that the figure is what the entries
//! take, not the free space a busy journal keeps for reuse: SQLite after a WAL checkpoint and
//! `VACUUM` (file bytes), Postgres after `VACUUM FULL` (`pg_total_relation_size` of the entries
//! table, with its indexes and TOAST).

use std::path::Path;
use std::time::{Duration, SystemTime};

use ghl_webhook_router::journal::{
    Journal, LeaseToken, NewEntry, PostgresJournal, Settlement, SqliteJournal,
};
use ghl_webhook_router::types::EventKind;
use ghl_webhook_router::{IdentifiedBy, VerifiedBy};

use crate::payloads::contact_create_deliveries;

/// Bytes per entry at each stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Footprint {
    /// Appended, not yet handled.
    pub pending: f64,
    /// Done, with its body.
    pub done: f64,
    /// Done, its body dropped: only the key and the counts.
    pub key_only: f64,
}

/// Measures `entries` ContactCreate deliveries through the stages in a fresh SQLite journal
/// at `path` (removed first).
pub async fn sqlite(path: &Path, entries: usize) -> Result<Footprint, String> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let journal = SqliteJournal::open(path).map_err(|e| e.to_string())?;
    let size = || async {
        // Compacted on a connection of its own; the journal's writer is idle meanwhile.
        let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
        conn.execute_batch(
            "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);",
        )
        .map_err(|e| format!("compacting {}: {e}", path.display()))?;
        std::fs::metadata(path)
            .map(|m| m.len())
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    stages(&journal, entries, size).await
}

/// Measures `entries` ContactCreate deliveries through the stages in a fresh Postgres journal
/// in `schema` of the database at `url`.
pub async fn postgres(url: &str, schema: &str, entries: usize) -> Result<Footprint, String> {
    let journal = PostgresJournal::connect(
        url,
        ghl_webhook_router::journal::PostgresConfig::default().schema(schema),
    )
    .await
    .map_err(|e| e.to_string())?;
    let table = format!("\"{schema}\".entries");
    let size = || async {
        let pool = journal.pool();
        sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM FULL {table}")))
            .execute(pool)
            .await
            .map_err(|e| format!("VACUUM FULL: {e}"))?;
        let bytes: i64 = sqlx::query_scalar(
            "SELECT pg_total_relation_size(format('%I.entries', $1::text)::regclass)",
        )
        .bind(schema)
        .fetch_one(pool)
        .await
        .map_err(|e| format!("table size: {e}"))?;
        Ok(u64::try_from(bytes).unwrap_or(0))
    };
    stages(&journal, entries, size).await
}

/// Appends, completes and strips `entries` entries, reading the journal's size (over its
/// empty size) after each stage.
async fn stages<F, Fut>(journal: &dyn Journal, entries: usize, size: F) -> Result<Footprint, String>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<u64, String>>,
{
    let empty = size().await?;
    let deliveries = contact_create_deliveries(entries);
    for chunk in deliveries.chunks(256) {
        let appends = chunk.iter().map(|d| {
            journal.append(NewEntry {
                kind: Some(EventKind::ContactCreate),
                identified_by: Some(IdentifiedBy::TypeField),
                type_field: Some("ContactCreate".into()),
                ..NewEntry::new(
                    d.webhook_id.clone(),
                    d.body.clone(),
                    VerifiedBy::Ed25519("highlevel".into()),
                )
            })
        });
        for appended in futures_util::future::join_all(appends).await {
            appended.map_err(|e| format!("append: {e}"))?;
        }
    }
    let per_entry = |bytes: u64| bytes.saturating_sub(empty) as f64 / entries.max(1) as f64;
    let pending = per_entry(size().await?);
    loop {
        let leased = journal
            .lease(512, Duration::from_secs(600))
            .await
            .map_err(|e| format!("lease: {e}"))?;
        if leased.is_empty() {
            break;
        }
        let settles: Vec<(LeaseToken, Settlement)> = leased
            .into_iter()
            .map(|l| (l.token, Settlement::Complete))
            .collect();
        for done in journal.settle_many(&settles).await {
            done.map_err(|e| format!("complete: {e}"))?;
        }
    }
    let done = per_entry(size().await?);
    journal
        .drop_done_bodies(SystemTime::now() + Duration::from_secs(1))
        .await
        .map_err(|e| format!("drop bodies: {e}"))?;
    let key_only = per_entry(size().await?);
    Ok(Footprint {
        pending,
        done,
        key_only,
    })
}
