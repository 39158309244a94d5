//! The transaction that completes a leased entry, in which a handler writes to the app's own
//! tables: the writes and the completion commit together or not at all.

use sqlx::{AssertSqlSafe, PgConnection, Postgres, Transaction};

use super::{PostgresJournal, settle_query, settled};
use crate::journal::{JournalError, LeaseToken};

/// An open transaction holding a leased entry, from [`PostgresJournal::begin_completion`].
///
/// Dropping it without [`commit`](Self::commit) rolls back everything written in it, and the
/// entry stays leased (its lease expires, or the worker retries it).
pub struct Completion {
    transaction: Transaction<'static, Postgres>,
    token: LeaseToken,
    complete: std::sync::Arc<super::Statements>,
    errors: super::Classify,
}

impl std::fmt::Debug for Completion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Completion")
            .field("key", &self.token.key())
            .finish_non_exhaustive()
    }
}

pub(super) async fn begin(
    journal: &PostgresJournal,
    token: &LeaseToken,
) -> Result<Completion, JournalError> {
    let errors = &journal.errors;
    let mut transaction = journal
        .pool
        .begin()
        .await
        .map_err(|err| errors.error(err))?;
    let generation = i64::try_from(token.generation()).unwrap_or(-1);
    // Also forces synchronous_commit on for this transaction: "done" is on disk once committed.
    let locked = sqlx::query(AssertSqlSafe(journal.statements.lock_lease.as_str()))
        .bind(token.key().as_bytes())
        .bind(generation)
        .fetch_optional(&mut *transaction)
        .await
        .map_err(|err| errors.error(err))?;
    if locked.is_none() {
        let row = settle_query(&journal.statements.complete, token)
            .fetch_one(&mut *transaction)
            .await
            .map_err(|err| errors.error(err))?;
        // The lease is not current, so this changed nothing: say why.
        return settled(&row, token).and(Err(JournalError::LeaseLost(token.key().to_owned())));
    }
    Ok(Completion {
        transaction,
        token: token.clone(),
        complete: std::sync::Arc::clone(&journal.statements),
        errors: errors.clone(),
    })
}

impl Completion {
    /// The transaction's connection: run the handler's queries on it.
    pub fn connection(&mut self) -> &mut PgConnection {
        &mut self.transaction
    }

    /// Marks the entry done in the transaction and commits: the handler's writes and the
    /// completion are durable together. On an error nothing was committed.
    pub async fn commit(mut self) -> Result<(), JournalError> {
        let row = settle_query(&self.complete.complete, &self.token)
            .fetch_one(&mut *self.transaction)
            .await
            .map_err(|err| self.errors.error(err))?;
        settled(&row, &self.token)?;
        self.transaction
            .commit()
            .await
            .map_err(|err| self.errors.error(err))
    }
}
