//! The reader thread: `get`, `list` and `stats` on a connection of their own.

use super::*;

pub(super) enum ReadMsg {
    Op(ReadOp),
    Close(Option<oneshot::Sender<()>>),
}

pub(super) enum ReadOp {
    Get {
        key: String,
        reply: Reply<Option<Entry>>,
    },
    List {
        filter: ListFilter,
        reply: Reply<Vec<Entry>>,
    },
    Stats {
        reply: Reply<Stats>,
    },
}

pub(super) fn read_loop(mut conn: Connection, queue: &mpsc::Receiver<ReadMsg>, path: &Path) {
    while let Ok(msg) = queue.recv() {
        let op = match msg {
            ReadMsg::Op(op) => op,
            ReadMsg::Close(done) => {
                close_connection(conn, path);
                if let Some(done) = done {
                    let _ = done.send(());
                }
                return;
            }
        };
        let errors = |err| classify(path, err);
        // A caller that stopped waiting is no error.
        match op {
            ReadOp::Get { key, reply } => {
                let _ = reply.send(get(&conn, &key).map_err(errors));
            }
            ReadOp::List { filter, reply } => {
                let _ = reply.send(list(&conn, &filter).map_err(errors));
            }
            ReadOp::Stats { reply } => {
                let _ = reply.send(stats(&mut conn).map_err(errors));
            }
        }
    }
    close_connection(conn, path);
}

pub(super) fn get(conn: &Connection, key: &str) -> rusqlite::Result<Option<Entry>> {
    Ok(conn
        .prepare_cached(GET)?
        .query_row([key], read_entry)
        .optional()?
        .map(|(entry, _)| entry))
}

pub(super) fn list(conn: &Connection, filter: &ListFilter) -> rusqlite::Result<Vec<Entry>> {
    let mut stmt = conn.prepare_cached(LIST)?;
    let rows = stmt.query_map(
        params![
            filter.state.map(EntryState::as_str),
            filter.kind.map(EventKind::as_str),
            filter.since.map(to_ms),
            to_sql_limit(filter.limit),
        ],
        read_entry,
    )?;
    rows.map(|row| row.map(|(entry, _)| entry)).collect()
}

/// The entries of each state, each counted in its state's index.
pub(super) const STATS: &str = "SELECT \
     (SELECT count(*) FROM entries INDEXED BY entries_due WHERE state = 'pending'), \
     (SELECT count(*) FROM entries INDEXED BY entries_lease WHERE state = 'in_progress'), \
     (SELECT count(*) FROM entries INDEXED BY entries_done WHERE state = 'done'), \
     (SELECT count(*) FROM entries INDEXED BY entries_dead WHERE state = 'dead')";

pub(super) fn stats(conn: &mut Connection) -> rusqlite::Result<Stats> {
    // One read transaction: the counts and the oldest pending entry of one snapshot.
    let tx = conn.transaction()?;
    let mut stats = Stats::default();
    {
        // Each count from its state's index, never a scan of the table.
        let mut stmt = tx.prepare_cached(STATS)?;
        let counts = stmt.query_row([], |row| {
            Ok([row.get::<_, i64>(0)?, row.get(1)?, row.get(2)?, row.get(3)?])
        })?;
        let [pending, in_progress, done, dead] = counts.map(|n| u64::try_from(n).unwrap_or(0));
        stats.pending = pending;
        stats.in_progress = in_progress;
        stats.done = done;
        stats.dead = dead;
        stats.oldest_pending = tx
            .prepare_cached("SELECT min(received_at) FROM entries WHERE state = 'pending'")?
            .query_row([], |row| row.get::<_, Option<i64>>(0))?
            .map(from_ms);
    }
    tx.commit()?;
    Ok(stats)
}
