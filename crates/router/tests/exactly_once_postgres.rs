//! Exactly-once effects on Postgres: two receiver processes on one database, 2,000 deliveries
//! (30% of them duplicated across the replicas) retried like HighLevel, handlers failing 20%
//! of first attempts, and one receiver SIGKILLed while a handler sits between its write and
//! the commit. A handler registered with `on_in_transaction` leaves exactly one row per
//! acknowledged delivery in the app's table; a plain handler writing through its own
//! connection leaves the duplicate the guarantees table documents.
#![cfg(all(feature = "postgres", feature = "sqlite"))]

mod common;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::time::{Duration, Instant};

use common::exactly_once::{resend_bound, send_copies};
use ghl_webhook_router::journal::{PostgresConfig, PostgresJournal};
use ghl_webhook_router::types::association::AssociationDelete;
use ghl_webhook_router::{BoxError, Delivery, DurableConfig, WebhookRouter};
use ghl_webhook_test_support::{MockSender, RetryPolicy, TestKeys};
use ghl_webhook_testkit::child::ChildReceiver;
use ghl_webhook_testkit::postgres_server::PostgresServer;

const SCHEMA: &str = "exactly_once";

/// The app's own table, in the same database as the journal.
const APP_TABLE: &str = "CREATE TABLE effects (webhook_id text NOT NULL, pid int NOT NULL)";

/// How the child's handler writes its effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `on_in_transaction`: in the transaction that completes the entry.
    Transactional,
    /// `on`: through the pool, committed at once, before the entry is completed.
    Plain,
}

/// Every 25th delivery holds its handler 300 ms between the write and the commit: the window
/// the kill aims at.
fn wide(id: &str) -> bool {
    number(id).is_multiple_of(25)
}

/// A fifth of the deliveries fail their first attempt.
fn fails_first(id: &str) -> bool {
    number(id) % 5 == 1
}

fn number(id: &str) -> usize {
    id.rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Not a test of its own: the receiver of the tests below, run when `GHL_PG_CHILD` names
/// the mode.
#[test]
fn postgres_child_entry_point() {
    let Ok(mode) = std::env::var("GHL_PG_CHILD") else {
        return;
    };
    let mode = if mode == "Transactional" {
        Mode::Transactional
    } else {
        Mode::Plain
    };
    let url = std::env::var("GHL_PG_URL").expect("GHL_PG_URL");
    let log_path = std::env::var("GHL_PG_LOG").expect("GHL_PG_LOG");
    let runtime = common::runtime();
    runtime.block_on(async move {
        let journal = PostgresJournal::connect(
            &url,
            PostgresConfig::default().schema(SCHEMA).max_connections(40),
        )
        .await
        .expect("open");
        let pool = journal.pool().clone();
        let log = ghl_webhook_testkit::child::append_log(&log_path);
        // Written straight to the file (no buffer), so a SIGKILL loses no line.
        let note = move |what: &str, id: &str| {
            let line = format!("{what} {id} {}\n", std::process::id());
            log.lock()
                .expect("lock")
                .write_all(line.as_bytes())
                .expect("log");
        };
        let pid = i32::try_from(std::process::id()).expect("pid");
        let router = WebhookRouter::new().verifier(TestKeys::primary().verifier());
        let router = match mode {
            Mode::Transactional => router.on_in_transaction(
                move |_: AssociationDelete, d: Delivery, tx: &mut sqlx::PgConnection| {
                    let note = note.clone();
                    Box::pin(async move {
                        let id = d.webhook_id().unwrap_or("-").to_owned();
                        sqlx::query("INSERT INTO effects (webhook_id, pid) VALUES ($1, $2)")
                            .bind(&id)
                            .bind(pid)
                            .execute(&mut *tx)
                            .await?;
                        note("inserted", &id);
                        pause(&id).await;
                        if d.attempt() == 1 && fails_first(&id) {
                            return Err::<(), BoxError>("transient failure after the write".into());
                        }
                        Ok(())
                    })
                },
            ),
            Mode::Plain => router.on(move |_: AssociationDelete, d: Delivery| {
                let (note, pool) = (note.clone(), pool.clone());
                async move {
                    let id = d.webhook_id().unwrap_or("-").to_owned();
                    if d.attempt() == 1 && fails_first(&id) {
                        return Err::<(), BoxError>("transient failure before the write".into());
                    }
                    sqlx::query("INSERT INTO effects (webhook_id, pid) VALUES ($1, $2)")
                        .bind(&id)
                        .bind(pid)
                        .execute(&pool)
                        .await?;
                    note("inserted", &id);
                    pause(&id).await;
                    Ok(())
                }
            }),
        };
        let config = DurableConfig::default()
            .concurrency(16)
            .lease(Duration::from_secs(2))
            .backoff(Duration::from_millis(5), Duration::from_millis(50))
            .poll_interval(Duration::from_millis(50));
        let (server, _) = common::serve(router.durable(journal, config).into_service()).await;
        println!("listening on {}", server.url());
        std::future::pending::<()>().await;
    });
}

/// The time a handler spends between its write and its return.
async fn pause(id: &str) {
    let pause = if wide(id) { 300 } else { 2 };
    tokio::time::sleep(Duration::from_millis(pause)).await;
}

/// What one run left behind.
struct Run {
    acknowledged: HashSet<String>,
    /// Rows of the app table per webhook id.
    rows: HashMap<String, Vec<i32>>,
    /// Ids whose handler had written in the killed receiver when it died.
    written_by_killed: HashSet<String>,
    killed_pid: i32,
}

async fn run(server: &PostgresServer, mode: Mode, deliveries: usize) -> Run {
    let url = server.create_database();
    let database = url.rsplit('/').next().expect("database").to_owned();
    server.psql(&database, APP_TABLE);
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("handled.log");
    let start = || {
        ChildReceiver::start(
            "postgres_child_entry_point",
            &[
                ("GHL_PG_CHILD", format!("{mode:?}")),
                ("GHL_PG_URL", url.clone()),
                ("GHL_PG_LOG", log.display().to_string()),
            ],
        )
    };
    let (victim, survivor) = (start(), start());
    let killed_pid = i32::try_from(victim.pid()).expect("pid");
    // HighLevel's schedule, compressed so that the copies still aimed at the killed receiver
    // give up within a fraction of a second (behind a load balancer they would reach the
    // survivor; here they are resent to it below).
    let retry = RetryPolicy::highlevel().time_scale(0.00002);
    let senders = [&victim, &survivor].map(|receiver| {
        MockSender::new(receiver.url.clone())
            .expect("url")
            .with_retry(retry.clone())
    });
    let to_survivor = senders[1].clone();
    let sending =
        tokio::spawn(async move { send_copies(&senders, deliveries, "once", true).await });

    // The kill: once a third of the load is handled, as soon as the victim has written the
    // effect of a delivery that then holds its handler 300 ms before the commit.
    let lines = || std::fs::read_to_string(&log).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(120);
    while lines().lines().count() < deliveries / 3 {
        assert!(Instant::now() < deadline, "the load did not progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let seen = lines().lines().count();
    loop {
        let text = lines();
        let aimed = text.lines().skip(seen).any(|line| {
            let mut words = line.split(' ');
            let (_, id, pid) = (words.next(), words.next().unwrap_or(""), words.next());
            wide(id) && pid == Some(&killed_pid.to_string())
        });
        if aimed {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no wide window opened on the victim"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    victim.kill();

    let (ids, copies) = sending.await.expect("sending");
    let mut acknowledged = HashSet::new();
    let mut unanswered = HashSet::new();
    for (id, sent) in copies {
        match sent {
            Ok(sent) if sent.status == 200 => {
                acknowledged.insert(id);
            }
            _ => {
                unanswered.insert(id);
            }
        }
    }
    // HighLevel retries what was not answered; the load balancer sends it to the survivor.
    let unanswered: Vec<String> = unanswered.difference(&acknowledged).cloned().collect();
    resend_bound(&to_survivor, &unanswered).await;
    acknowledged.extend(unanswered);
    assert_eq!(
        acknowledged.len(),
        ids.len(),
        "every delivery acknowledged in the end"
    );

    let journal = PostgresJournal::connect(&url, PostgresConfig::default().schema(SCHEMA))
        .await
        .expect("open");
    let stats = common::journal::settled(&journal, Duration::from_secs(90)).await;
    assert_eq!(
        (stats.pending, stats.in_progress, stats.dead, stats.done),
        (0, 0, 0, deliveries as u64),
        "every acknowledged delivery handled, none twice in the journal"
    );
    survivor.stop();

    let mut rows: HashMap<String, Vec<i32>> = HashMap::new();
    let read: Vec<(String, i32)> = sqlx::query_as("SELECT webhook_id, pid FROM effects")
        .fetch_all(journal.pool())
        .await
        .expect("app table");
    for (id, pid) in read {
        rows.entry(id).or_default().push(pid);
    }
    let written_by_killed = lines()
        .lines()
        .filter_map(|line| {
            let mut words = line.split(' ');
            let (_, id, pid) = (words.next(), words.next()?, words.next()?);
            (pid == killed_pid.to_string()).then(|| id.to_owned())
        })
        .collect();
    Run {
        acknowledged,
        rows,
        written_by_killed,
        killed_pid,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transactional_handler_leaves_exactly_one_row_per_acknowledged_delivery_through_a_sigkill()
 {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let run = run(server, Mode::Transactional, 2_000).await;
    for id in &run.acknowledged {
        assert_eq!(
            run.rows.get(id).map(Vec::len),
            Some(1),
            "{id}: exactly one row ({:?})",
            run.rows.get(id)
        );
    }
    assert_eq!(
        run.rows.len(),
        run.acknowledged.len(),
        "no row for an id never sent"
    );
    // The kill did land inside the window: writes of the killed receiver that never
    // committed (of deliveries whose handler does not fail on purpose), rolled back with
    // their completion and done again by the survivor.
    let rolled_back: Vec<&String> = run
        .written_by_killed
        .iter()
        .filter(|id| !fails_first(id) && !run.rows[*id].contains(&run.killed_pid))
        .collect();
    assert!(
        !rolled_back.is_empty(),
        "the SIGKILL caught a handler between its write and the commit"
    );
    eprintln!(
        "{} writes of the killed receiver were rolled back and done once by the survivor",
        rolled_back.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_handler_writing_on_its_own_connection_is_run_twice_by_a_sigkill() {
    let Some(server) = PostgresServer::shared() else {
        return;
    };
    let run = run(server, Mode::Plain, 500).await;
    for id in &run.acknowledged {
        assert!(
            run.rows.get(id).is_some_and(|rows| !rows.is_empty()),
            "{id} handled"
        );
    }
    let twice: Vec<&String> = run
        .rows
        .iter()
        .filter(|(_, pids)| pids.len() > 1)
        .map(|(id, _)| id)
        .collect();
    assert!(
        !twice.is_empty(),
        "the write committed before the kill is made again when the entry is retried"
    );
    eprintln!(
        "{} deliveries wrote their row twice (as documented)",
        twice.len()
    );
}
