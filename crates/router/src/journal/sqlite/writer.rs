//! The writer thread: every change, in batches of one transaction each, flushed as the
//! batch needs.

use super::*;

pub(super) type Reply<T> = oneshot::Sender<Result<T, JournalError>>;

pub(super) enum WriteMsg {
    Op(WriteOp),
    /// Stop after what is queued before this; answer once the connection is closed.
    Close(Option<oneshot::Sender<()>>),
}

pub(super) enum WriteOp {
    Append {
        entry: NewEntry,
        reply: Reply<Appended>,
    },
    /// An append whose new entry is leased to the caller at once.
    AppendLeased {
        entry: NewEntry,
        lease_for: Duration,
        reply: Reply<(Appended, Option<Leased>)>,
    },
    Lease {
        max: usize,
        lease_for: Duration,
        reply: Reply<Vec<Leased>>,
    },
    Settle {
        token: LeaseToken,
        how: Settlement,
        reply: Reply<()>,
    },
    /// Several settlements in one transaction: all commit or none does.
    SettleMany {
        batch: Vec<(LeaseToken, Settlement)>,
        reply: oneshot::Sender<Vec<Result<(), JournalError>>>,
    },
    Replay {
        selector: ReplaySelector,
        reply: Reply<usize>,
    },
    Delete {
        older_than: SystemTime,
        dead_too: bool,
        reply: Reply<usize>,
    },
    DropBodies {
        older_than: SystemTime,
        reply: Reply<usize>,
    },
}

/// Answers one caller once its transaction ended: with its own result if the transaction
/// committed (`None`), else with the transaction's error.
pub(super) type Answer = Box<dyn FnOnce(Option<&TxFailure>) + Send>;

/// The error that ended a transaction, shared by all its callers.
pub(super) struct TxFailure {
    err: Arc<rusqlite::Error>,
    path: Arc<Path>,
}

impl TxFailure {
    fn for_caller(&self) -> JournalError {
        classify_shared(&self.path, &self.err)
    }
}

pub(super) fn answer<T: Send + 'static>(
    reply: Reply<T>,
    result: Result<T, JournalError>,
) -> Answer {
    Box::new(move |failure| {
        // A caller that stopped waiting is no error.
        let _ = reply.send(match failure {
            None => result,
            Some(failure) => Err(failure.for_caller()),
        });
    })
}

/// An answer for an operation whose transaction failed: only ever called with the failure.
pub(super) fn answer_failed<T: Send + 'static>(reply: Reply<T>) -> Answer {
    answer(reply, Err(JournalError::Closed))
}

/// Answers a caller of several settlements: with `results` if the transaction committed,
/// else with the transaction's error for each of the `count`.
fn answer_each(
    reply: oneshot::Sender<Vec<Result<(), JournalError>>>,
    results: Vec<Result<(), JournalError>>,
    count: usize,
) -> Answer {
    Box::new(move |failure| {
        let _ = reply.send(match failure {
            None => results,
            Some(failure) => (0..count).map(|_| Err(failure.for_caller())).collect(),
        });
    })
}

/// Splits an operation's outcome into its answer and, on a SQLite error, the error that
/// aborts the transaction.
pub(super) fn outcome<T: Send + 'static>(
    reply: Reply<T>,
    result: rusqlite::Result<Result<T, JournalError>>,
) -> (Answer, Option<rusqlite::Error>) {
    match result {
        Ok(result) => (answer(reply, result), None),
        Err(err) => (answer_failed(reply), Some(err)),
    }
}

impl WriteOp {
    fn apply(self, tx: &Transaction<'_>, now: i64) -> (Answer, Option<rusqlite::Error>) {
        match self {
            WriteOp::Append { entry, reply } => outcome(reply, append(tx, &entry, now)),
            WriteOp::AppendLeased {
                entry,
                lease_for,
                reply,
            } => outcome(reply, append_leased(tx, entry, lease_for, now)),
            WriteOp::Lease {
                max,
                lease_for,
                reply,
            } => outcome(reply, lease(tx, max, lease_for, now)),
            WriteOp::Settle { token, how, reply } => outcome(reply, settle(tx, &token, &how, now)),
            WriteOp::SettleMany { batch, reply } => {
                let settled: rusqlite::Result<Vec<_>> = batch
                    .iter()
                    .map(|(token, how)| settle(tx, token, how, now))
                    .collect();
                match settled {
                    Ok(results) => (answer_each(reply, results, batch.len()), None),
                    Err(err) => (answer_each(reply, Vec::new(), batch.len()), Some(err)),
                }
            }
            WriteOp::Replay { selector, reply } => outcome(reply, replay(tx, &selector, now)),
            WriteOp::Delete {
                older_than,
                dead_too,
                reply,
            } => outcome(reply, delete(tx, older_than, dead_too)),
            WriteOp::DropBodies { older_than, reply } => {
                outcome(reply, drop_bodies(tx, older_than))
            }
        }
    }

    /// Whether the operation's commit must be on the disk before it is answered: appends (a
    /// 200 depends on them) and the operator's replays and deletions. The workers' leases and
    /// settlements need not be: a crash that loses one makes a handler run again, which the
    /// guarantees allow, and the next durable commit flushes them with it (the WAL is written
    /// in order), so they share the appends' `fsync` instead of paying their own.
    fn needs_flush(&self) -> bool {
        !matches!(
            self,
            WriteOp::Lease { .. } | WriteOp::Settle { .. } | WriteOp::SettleMany { .. }
        )
    }

    /// The answer of an operation not run because its transaction failed before it.
    fn skipped(self) -> Answer {
        match self {
            WriteOp::Append { reply, .. } => answer_failed(reply),
            WriteOp::AppendLeased { reply, .. } => answer_failed(reply),
            WriteOp::Lease { reply, .. } => answer_failed(reply),
            WriteOp::Settle { reply, .. } => answer_failed(reply),
            WriteOp::SettleMany { batch, reply } => answer_each(reply, Vec::new(), batch.len()),
            WriteOp::Replay { reply, .. }
            | WriteOp::Delete { reply, .. }
            | WriteOp::DropBodies { reply, .. } => answer_failed(reply),
        }
    }
}

pub(super) fn write_loop(
    mut conn: Connection,
    queue: &mpsc::Receiver<WriteMsg>,
    path: &Arc<Path>,
    commits: &AtomicU64,
    max_batch: usize,
    synchronous: Synchronous,
) {
    let mut flushing = Flushing::new(synchronous);
    // Ends when a close is received or every sender is gone.
    while let Ok(first) = queue.recv() {
        let mut batch = Vec::new();
        let mut close = None;
        match first {
            WriteMsg::Op(op) => batch.push(op),
            WriteMsg::Close(done) => close = Some(done),
        }
        while close.is_none() && batch.len() < max_batch {
            match queue.try_recv() {
                Ok(WriteMsg::Op(op)) => batch.push(op),
                Ok(WriteMsg::Close(done)) => close = Some(done),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            match flushing.prepare(&conn, &batch) {
                Ok(()) => run_batch(&mut conn, batch, path, commits),
                Err(err) => fail_batch(batch.into_iter().map(WriteOp::skipped), err, path),
            }
        }
        if let Some(done) = close {
            close_connection(conn, path);
            if let Some(done) = done {
                let _ = done.send(());
            }
            return;
        }
    }
    close_connection(conn, path);
}

/// Whether the writer's commits wait for the disk: always under [`Synchronous::Full`], except
/// for batches of the workers' operations only (see [`WriteOp::needs_flush`]), which commit
/// as under [`Synchronous::Normal`].
pub(super) struct Flushing {
    configured: Synchronous,
    now: Synchronous,
}

impl Flushing {
    fn new(configured: Synchronous) -> Self {
        Self {
            configured,
            now: configured,
        }
    }

    /// Sets the connection's `synchronous` for `batch`'s commit, when it changes. An error
    /// means the batch must not run: its commit would not be flushed as it needs.
    fn prepare(&mut self, conn: &Connection, batch: &[WriteOp]) -> rusqlite::Result<()> {
        let wanted =
            if self.configured == Synchronous::Full && batch.iter().any(WriteOp::needs_flush) {
                Synchronous::Full
            } else {
                Synchronous::Normal
            };
        if wanted != self.now {
            conn.pragma_update(None, "synchronous", wanted.pragma())?;
            self.now = wanted;
        }
        Ok(())
    }
}

/// Runs `batch` in one transaction and answers every caller after it ended (counting a
/// commit in `commits` before answering).
pub(super) fn run_batch(
    conn: &mut Connection,
    batch: Vec<WriteOp>,
    path: &Arc<Path>,
    commits: &AtomicU64,
) {
    let now = to_ms(SystemTime::now());
    let mut answers = Vec::with_capacity(batch.len());
    let ended = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Err(err) => {
            answers.extend(batch.into_iter().map(WriteOp::skipped));
            Err(err)
        }
        Ok(tx) => {
            let mut failed = None;
            for op in batch {
                if failed.is_some() {
                    answers.push(op.skipped());
                    continue;
                }
                let (answer, err) = op.apply(&tx, now);
                answers.push(answer);
                failed = err;
            }
            match failed {
                None => tx.commit(),
                Some(err) => {
                    let _ = tx.rollback();
                    Err(err)
                }
            }
        }
    };
    // A failed COMMIT may leave the transaction open (rusqlite rolls back on drop; make sure).
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    match ended {
        Ok(()) => {
            commits.fetch_add(1, Ordering::Relaxed);
            for answer in answers {
                answer(None);
            }
        }
        Err(err) => fail_batch(answers, err, path),
    }
}

/// Answers every caller of a batch whose transaction failed with its error.
pub(super) fn fail_batch(
    answers: impl IntoIterator<Item = Answer>,
    err: rusqlite::Error,
    path: &Arc<Path>,
) {
    tracing::warn!(path = %path.display(), error = %err, "a journal transaction failed and was rolled back");
    let failure = TxFailure {
        err: Arc::new(err),
        path: Arc::clone(path),
    };
    for answer in answers {
        answer(Some(&failure));
    }
}

pub(super) fn close_connection(conn: Connection, path: &Path) {
    if let Err((_, err)) = conn.close() {
        tracing::warn!(path = %path.display(), error = %err, "closing the journal failed");
    }
}

/// Inserts `entry` (nothing for a key already there): pending, or in progress leased until
/// `lease_until` (its first attempt counted). Whether it was inserted.
fn insert(
    tx: &Transaction<'_>,
    entry: &NewEntry,
    now: i64,
    lease_until: Option<i64>,
) -> rusqlite::Result<bool> {
    let (state, first) = match lease_until {
        None => ("pending", 0),
        Some(_) => ("in_progress", i64::try_from(FIRST_LEASE).unwrap_or(1)),
    };
    let inserted = tx
        .prepare_cached(
            "INSERT INTO entries (key, state, kind, identified_by, type_field, verified_by, \
             order_key, received_at, next_attempt_at, updated_at, raw, attempts, lease_gen, \
             lease_until) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?11, ?12) \
             ON CONFLICT (key) DO NOTHING",
        )?
        .execute(params![
            entry.key,
            state,
            entry.kind.map(EventKind::as_str),
            entry.identified_by.map(IdentifiedBy::as_str),
            entry.type_field,
            entry.verified_by.to_string(),
            entry.order_key,
            to_ms(entry.received_at),
            now,
            &entry.raw[..],
            first,
            lease_until,
        ])?;
    Ok(inserted == 1)
}

pub(super) fn append(
    tx: &Transaction<'_>,
    entry: &NewEntry,
    now: i64,
) -> rusqlite::Result<Result<Appended, JournalError>> {
    let inserted = insert(tx, entry, now, None)?;
    Ok(Ok(if inserted {
        Appended::New
    } else {
        Appended::Duplicate
    }))
}

/// The generation of the lease an entry is appended with.
const FIRST_LEASE: u64 = 1;

/// Inserts `entry` in progress, leased until `now + lease_for` (its first attempt counted);
/// a duplicate key inserts nothing and leases nothing.
pub(super) fn append_leased(
    tx: &Transaction<'_>,
    entry: NewEntry,
    lease_for: Duration,
    now: i64,
) -> rusqlite::Result<Result<(Appended, Option<Leased>), JournalError>> {
    if entry.order_key.is_some() {
        // An order key may have to wait for an earlier entry: pending, for the leases.
        return Ok(append(tx, &entry, now)?.map(|appended| (appended, None)));
    }
    let lease_until = ms_after(now, lease_for);
    let inserted = insert(tx, &entry, now, Some(lease_until))?;
    if !inserted {
        return Ok(Ok((Appended::Duplicate, None)));
    }
    let token = LeaseToken::new(entry.key.clone(), FIRST_LEASE);
    let leased = Leased {
        entry: Entry {
            key: entry.key,
            raw: entry.raw,
            kind: entry.kind,
            identified_by: entry.identified_by,
            type_field: entry.type_field,
            verified_by: entry.verified_by,
            order_key: None,
            received_at: entry.received_at,
            state: EntryState::InProgress,
            attempts: 1,
            last_error: None,
            next_attempt_at: from_ms(now),
            lease_until: Some(from_ms(lease_until)),
            updated_at: from_ms(now),
        },
        token,
    };
    Ok(Ok((Appended::New, Some(leased))))
}

pub(super) fn lease(
    tx: &Transaction<'_>,
    max: usize,
    lease_for: Duration,
    now: i64,
) -> rusqlite::Result<Result<Vec<Leased>, JournalError>> {
    let mut found = Vec::new();
    // Expired leases first (their workers died), then due pending entries. The second query
    // runs after the first's entries were read, but sees them still as they were; both see
    // each other's candidates as open, so order keys hold across the two.
    for query in [LEASE_EXPIRED, LEASE_DUE] {
        let room = max.saturating_sub(found.len());
        if room == 0 {
            break;
        }
        let mut stmt = tx.prepare_cached(query)?;
        let rows = stmt.query_map(params![now, to_sql_limit(Some(room))], |row| {
            Ok((read_entry(row)?.0, row.get::<_, i64>(15)?))
        })?;
        for row in rows {
            found.push(row?);
        }
    }
    let lease_until = ms_after(now, lease_for);
    let mut take = tx.prepare_cached(TAKE_LEASE)?;
    let mut leased = Vec::with_capacity(found.len());
    for (mut entry, seq) in found {
        let (attempts, generation): (i64, i64) = take
            .query_row(params![seq, lease_until, now], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?;
        entry.state = EntryState::InProgress;
        entry.attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
        entry.lease_until = Some(from_ms(lease_until));
        entry.updated_at = from_ms(now);
        let token = LeaseToken::new(entry.key.clone(), u64::try_from(generation).unwrap_or(0));
        leased.push(Leased { entry, token });
    }
    Ok(Ok(leased))
}

pub(super) fn settle(
    tx: &Transaction<'_>,
    token: &LeaseToken,
    how: &Settlement,
    now: i64,
) -> rusqlite::Result<Result<(), JournalError>> {
    const CURRENT_LEASE: &str = " WHERE key = ?1 AND lease_gen = ?2 AND state = 'in_progress'";
    // A generation too large for SQLite matches no lease.
    let generation = i64::try_from(token.generation()).unwrap_or(-1);
    let key = token.key();
    let changed = match how {
        Settlement::Complete => tx
            .prepare_cached(&format!(
                "UPDATE entries SET state = 'done', lease_until = NULL, updated_at = ?3{CURRENT_LEASE}"
            ))?
            .execute(params![key, generation, now])?,
        Settlement::Retry { error, not_before } => tx
            .prepare_cached(&format!(
                "UPDATE entries SET state = 'pending', lease_until = NULL, last_error = ?4, \
                 next_attempt_at = ?5, updated_at = ?3{CURRENT_LEASE}"
            ))?
            .execute(params![key, generation, now, error, to_ms(*not_before)])?,
        Settlement::Dead { error } => tx
            .prepare_cached(&format!(
                "UPDATE entries SET state = 'dead', lease_until = NULL, last_error = ?4, \
                 updated_at = ?3{CURRENT_LEASE}"
            ))?
            .execute(params![key, generation, now, error])?,
        Settlement::Hold { error, until } => tx
            .prepare_cached(&format!(
                "UPDATE entries SET state = 'pending', lease_until = NULL, last_error = ?4, \
                 next_attempt_at = ?5, attempts = max(attempts - 1, 0), updated_at = ?3{CURRENT_LEASE}"
            ))?
            .execute(params![key, generation, now, error, to_ms(*until)])?,
        Settlement::Release => tx
            .prepare_cached(&format!(
                "UPDATE entries SET state = 'pending', lease_until = NULL, \
                 attempts = max(attempts - 1, 0), updated_at = ?3{CURRENT_LEASE}"
            ))?
            .execute(params![key, generation, now])?,
    };
    if changed == 1 {
        return Ok(Ok(()));
    }
    Ok(Err(if exists(tx, key)? {
        JournalError::LeaseLost(key.to_owned())
    } else {
        JournalError::NotFound(key.to_owned())
    }))
}

/// Whether `key` is in the journal (`None` if not) with its body (`Some(true)`) or without.
pub(super) fn body_state(tx: &Transaction<'_>, key: &str) -> rusqlite::Result<Option<bool>> {
    tx.prepare_cached("SELECT length(raw) > 0 FROM entries WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()
}

pub(super) fn exists(tx: &Transaction<'_>, key: &str) -> rusqlite::Result<bool> {
    tx.prepare_cached("SELECT 1 FROM entries WHERE key = ?1")?
        .exists([key])
}

pub(super) fn replay(
    tx: &Transaction<'_>,
    selector: &ReplaySelector,
    now: i64,
) -> rusqlite::Result<Result<usize, JournalError>> {
    const BACK: &str = "UPDATE entries SET state = 'pending', attempts = 0, next_attempt_at = ?1, \
         lease_until = NULL, updated_at = ?1 WHERE ";
    let changed = match selector {
        ReplaySelector::One(key) => {
            let changed = tx
                .prepare_cached(&format!(
                    "{BACK}key = ?2 AND state IN ('done', 'dead') AND length(raw) > 0"
                ))?
                .execute(params![now, key])?;
            if changed == 0 {
                match body_state(tx, key)? {
                    None => return Ok(Err(JournalError::NotFound(key.clone()))),
                    Some(false) => return Ok(Err(JournalError::BodyDropped(key.clone()))),
                    Some(true) => {}
                }
            }
            changed
        }
        ReplaySelector::AllDead => tx
            .prepare_cached(&format!("{BACK}state = 'dead'"))?
            .execute(params![now])?,
        // State by state, each through its index.
        ReplaySelector::Kind(kind) => {
            let mut changed = 0;
            for state in ["done", "dead"] {
                changed += tx
                    .prepare_cached(&format!(
                        "{BACK}state = '{state}' AND kind = ?2 AND length(raw) > 0"
                    ))?
                    .execute(params![now, kind.as_str()])?;
            }
            changed
        }
    };
    Ok(Ok(changed))
}

pub(super) fn delete(
    tx: &Transaction<'_>,
    older_than: SystemTime,
    dead_too: bool,
) -> rusqlite::Result<Result<usize, JournalError>> {
    let cutoff = to_ms(older_than);
    let mut deleted = tx
        .prepare_cached("DELETE FROM entries WHERE state = 'done' AND updated_at < ?1")?
        .execute([cutoff])?;
    if dead_too {
        deleted += tx
            .prepare_cached("DELETE FROM entries WHERE state = 'dead' AND updated_at < ?1")?
            .execute([cutoff])?;
    }
    Ok(Ok(deleted))
}

/// Drops the bodies of the done entries finished before `?1`.
pub(super) const DROP_BODIES: &str = "UPDATE entries SET raw = X'', type_field = NULL, \
     order_key = NULL, last_error = NULL WHERE state = 'done' AND updated_at < ?1 \
     AND length(raw) > 0";

pub(super) fn drop_bodies(
    tx: &Transaction<'_>,
    older_than: SystemTime,
) -> rusqlite::Result<Result<usize, JournalError>> {
    Ok(Ok(tx
        .prepare_cached(DROP_BODIES)?
        .execute([to_ms(older_than)])?))
}
