//! Group commit: appends that arrive together share one statement and one commit (one WAL
//! flush), like the SQLite engine's writer. A few writers take turns at the queue, so a batch
//! forms while the previous one is being flushed.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::{AssertSqlSafe, PgPool};
use tokio::sync::{Mutex, mpsc, oneshot};

use super::errors::Classify;
use super::rows::AppendColumns;
use crate::journal::millis::to_ms;
use crate::journal::{Appended, JournalError, NewEntry};

/// How many times a batch is sent when Postgres aborts it to break a deadlock.
const DEADLOCK_TRIES: u32 = 5;

/// Whether Postgres aborted the statement to break a deadlock (`40P01`).
fn is_deadlock(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("40P01"))
}

/// One append waiting for its batch.
pub(super) struct Append {
    pub(super) entry: NewEntry,
    pub(super) reply: oneshot::Sender<Result<Appended, JournalError>>,
}

/// What the writers share.
pub(super) struct Writer {
    pub(super) pool: PgPool,
    pub(super) statement: String,
    pub(super) channel: String,
    pub(super) errors: Classify,
    pub(super) max_batch: usize,
}

/// Starts `writers` tasks draining `queue`; they end once every sender is gone and the queue
/// is empty.
pub(super) fn spawn(writer: Arc<Writer>, queue: mpsc::Receiver<Append>, writers: usize) {
    let queue = Arc::new(Mutex::new(queue));
    for _ in 0..writers.max(1) {
        let writer = Arc::clone(&writer);
        let queue = Arc::clone(&queue);
        tokio::spawn(async move {
            while let Some(batch) = next_batch(&queue, writer.max_batch).await {
                writer.write(batch).await;
            }
        });
    }
}

/// Waits for one append, then takes whatever else is queued, up to `max`.
async fn next_batch(queue: &Mutex<mpsc::Receiver<Append>>, max: usize) -> Option<Vec<Append>> {
    let mut queue = queue.lock().await;
    let first = queue.recv().await?;
    let mut batch = vec![first];
    while batch.len() < max {
        match queue.try_recv() {
            Ok(append) => batch.push(append),
            Err(_) => break,
        }
    }
    Some(batch)
}

impl Writer {
    /// Appends a batch in one statement and answers each caller. Of several appends of one
    /// key in the batch, the first is sent and the others are duplicates.
    async fn write(&self, batch: Vec<Append>) {
        let mut first_of_key: HashMap<&str, usize> = HashMap::with_capacity(batch.len());
        let mut columns = AppendColumns::default();
        for (at, append) in batch.iter().enumerate() {
            if !first_of_key.contains_key(append.entry.key.as_str()) {
                first_of_key.insert(&append.entry.key, at);
                columns.push(&append.entry);
            }
        }
        let now = to_ms(std::time::SystemTime::now());
        // Two batches in flight that share keys can each wait for the other's unique-index
        // entries (in arrival order, which the sequence keeps, not key order): Postgres then
        // aborts one of them. Its keys are the other's now, or free again: try it once more.
        let mut tries = 0;
        let inserted = loop {
            tries += 1;
            let inserted = sqlx::query_scalar::<_, Vec<u8>>(AssertSqlSafe(self.statement.as_str()))
                .bind(&columns.keys)
                .bind(&columns.kinds)
                .bind(&columns.identified_by)
                .bind(&columns.type_fields)
                .bind(&columns.verified_by)
                .bind(&columns.order_keys)
                .bind(&columns.received_at)
                .bind(&columns.raws)
                .bind(now)
                .bind(&self.channel)
                .fetch_all(&self.pool)
                .await;
            match inserted {
                Err(err) if tries < DEADLOCK_TRIES && is_deadlock(&err) => continue,
                inserted => break inserted,
            }
        };
        let new: Vec<usize> = match inserted {
            Ok(keys) => keys
                .iter()
                .filter_map(|key| std::str::from_utf8(key).ok())
                .filter_map(|key| first_of_key.get(key).copied())
                .collect(),
            Err(err) => {
                let err = Arc::new(err);
                for append in batch {
                    let _ = append.reply.send(Err(self.errors.shared(&err)));
                }
                return;
            }
        };
        let mut is_new = vec![false; batch.len()];
        for at in new {
            is_new[at] = true;
        }
        for (append, new) in batch.into_iter().zip(is_new) {
            let appended = if new {
                Appended::New
            } else {
                Appended::Duplicate
            };
            // A caller that stopped waiting is no error: its entry is in all the same.
            let _ = append.reply.send(Ok(appended));
        }
    }
}
