//! A property of every engine: random interleavings of append, lease (with leases that expire
//! at once or never), complete, retry, dead, hold, release, batched settles and the body retention's
//! drop, with tokens old and new, checked step by step against a model of the journal (what each operation answers, and
//! the counts by state after it).
#![cfg(feature = "sqlite")]

mod common;
mod journal_support;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime};

use common::journal::{Engine, scratch};
use ghl_webhook_router::journal::{
    Appended, EntryState, Journal, JournalError, LeaseToken, Settlement,
};
use journal_support::entry;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// One step of a run.
#[derive(Debug, Clone)]
enum Op {
    Append(u8),
    /// Lease up to `max`; `expiring`: a lease that has run out as soon as it is taken.
    Lease {
        max: u8,
        expiring: bool,
    },
    /// Settle the `token`-th token ever handed out (old ones included).
    Settle {
        token: u8,
        how: How,
    },
    /// Settle up to three tokens in one batch.
    SettleMany(Vec<(u8, How)>),
    /// Drop the bodies of every done entry (the body retention passed).
    DropBodies,
}

#[derive(Debug, Clone, Copy)]
enum How {
    Complete,
    RetryNow,
    RetryLater,
    Dead,
    Hold,
    Release,
}

impl How {
    fn settlement(self) -> Settlement {
        let far = SystemTime::UNIX_EPOCH + Duration::from_secs(100 * 365 * 24 * 3600);
        match self {
            How::Complete => Settlement::Complete,
            How::RetryNow => Settlement::Retry {
                error: "now".into(),
                not_before: SystemTime::UNIX_EPOCH,
            },
            How::RetryLater => Settlement::Retry {
                error: "later".into(),
                not_before: far,
            },
            How::Dead => Settlement::Dead {
                error: "dead".into(),
            },
            How::Hold => Settlement::Hold {
                error: "held".into(),
                until: far,
            },
            How::Release => Settlement::Release,
        }
    }
}

fn how() -> impl Strategy<Value = How> {
    prop_oneof![
        3 => Just(How::Complete),
        1 => Just(How::RetryNow),
        1 => Just(How::RetryLater),
        1 => Just(How::Dead),
        1 => Just(How::Hold),
        1 => Just(How::Release),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..6).prop_map(Op::Append),
        3 => (0u8..4, any::<bool>()).prop_map(|(max, expiring)| Op::Lease { max, expiring }),
        3 => (any::<u8>(), how()).prop_map(|(token, how)| Op::Settle { token, how }),
        1 => proptest::collection::vec((any::<u8>(), how()), 1..4).prop_map(Op::SettleMany),
        1 => Just(Op::DropBodies),
    ]
}

/// What the model knows of an entry.
#[derive(Debug, Clone)]
struct Model {
    state: EntryState,
    /// Whether a pending entry is due (a retry "later" is not).
    due: bool,
    /// Whether an in-progress entry's lease has run out.
    expired: bool,
    /// The generation of the current lease.
    generation: Option<u64>,
    /// Done, and its body dropped.
    stripped: bool,
    /// Leases counted: a hold or a release takes its lease's back.
    attempts: u32,
}

#[derive(Default)]
struct Expected {
    entries: HashMap<String, Model>,
}

impl Expected {
    fn leasable(&self) -> HashSet<String> {
        self.entries
            .iter()
            .filter(|(_, m)| {
                (m.state == EntryState::Pending && m.due)
                    || (m.state == EntryState::InProgress && m.expired)
            })
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// What settling `token` should answer, and the change.
    fn settle(&mut self, token: &LeaseToken, how: How) -> Result<(), &'static str> {
        let Some(model) = self.entries.get_mut(token.key()) else {
            return Err("not found");
        };
        if model.state != EntryState::InProgress || model.generation != Some(token.generation()) {
            return Err("lease lost");
        }
        if matches!(how, How::Hold | How::Release) {
            model.attempts = model.attempts.saturating_sub(1);
        }
        match how {
            How::Complete => model.state = EntryState::Done,
            How::RetryNow | How::Release => {
                model.state = EntryState::Pending;
                model.due = true;
            }
            How::RetryLater | How::Hold => {
                model.state = EntryState::Pending;
                model.due = false;
            }
            How::Dead => model.state = EntryState::Dead,
        }
        Ok(())
    }

    fn counts(&self) -> (u64, u64, u64, u64) {
        let count = |state| self.entries.values().filter(|m| m.state == state).count() as u64;
        (
            count(EntryState::Pending),
            count(EntryState::InProgress),
            count(EntryState::Done),
            count(EntryState::Dead),
        )
    }
}

fn kind_of(result: &Result<(), JournalError>) -> Result<(), &'static str> {
    match result {
        Ok(()) => Ok(()),
        Err(JournalError::LeaseLost(_)) => Err("lease lost"),
        Err(JournalError::NotFound(_)) => Err("not found"),
        Err(_) => Err("other error"),
    }
}

const LONG: Duration = Duration::from_secs(3600);

async fn check(journal: &dyn Journal, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut model = Expected::default();
    let mut tokens: Vec<LeaseToken> = Vec::new();
    let pick = |tokens: &[LeaseToken], i: u8| -> Option<LeaseToken> {
        (!tokens.is_empty()).then(|| tokens[usize::from(i) % tokens.len()].clone())
    };
    for (step, op) in ops.iter().enumerate() {
        match op {
            // Checked below, with its own answer.
            Op::DropBodies => {}
            Op::Append(k) => {
                let key = format!("k{k}");
                let appended = journal.append(entry(&key)).await.expect("append");
                let expected = match model.entries.entry(key) {
                    std::collections::hash_map::Entry::Occupied(_) => Appended::Duplicate,
                    std::collections::hash_map::Entry::Vacant(vacant) => {
                        vacant.insert(Model {
                            state: EntryState::Pending,
                            due: true,
                            expired: false,
                            generation: None,
                            stripped: false,
                            attempts: 0,
                        });
                        Appended::New
                    }
                };
                prop_assert_eq!(appended, expected, "step {}: {:?}", step, op);
            }
            Op::Lease { max, expiring } => {
                let leasable = model.leasable();
                let lease_for = if *expiring { Duration::ZERO } else { LONG };
                let leased = journal
                    .lease(usize::from(*max), lease_for)
                    .await
                    .expect("lease");
                prop_assert_eq!(
                    leased.len(),
                    leasable.len().min(usize::from(*max)),
                    "step {}: {:?}",
                    step,
                    op
                );
                for lease in leased {
                    prop_assert!(
                        leasable.contains(&lease.entry.key),
                        "step {step}: leased {}",
                        lease.entry.key
                    );
                    let m = model.entries.get_mut(&lease.entry.key).expect("known");
                    m.attempts += 1;
                    prop_assert_eq!(
                        lease.entry.attempts,
                        m.attempts,
                        "step {}: attempts of {}",
                        step,
                        &lease.entry.key
                    );
                    prop_assert!(
                        m.generation < Some(lease.token.generation()),
                        "step {step}: generations grow"
                    );
                    m.state = EntryState::InProgress;
                    m.expired = *expiring;
                    m.generation = Some(lease.token.generation());
                    tokens.push(lease.token);
                }
            }
            Op::Settle { token, how } => {
                let Some(token) = pick(&tokens, *token) else {
                    continue;
                };
                let settlement = how.settlement();
                let got = match &settlement {
                    Settlement::Complete => journal.complete(&token).await,
                    Settlement::Retry { error, not_before } => {
                        journal.retry(&token, error, *not_before).await
                    }
                    Settlement::Dead { error } => journal.dead(&token, error).await,
                    Settlement::Hold { error, until } => journal.hold(&token, error, *until).await,
                    _ => journal.release(&token).await,
                };
                prop_assert_eq!(
                    kind_of(&got),
                    model.settle(&token, *how),
                    "step {}: {:?}",
                    step,
                    op
                );
            }
            Op::SettleMany(picks) => {
                // Distinct keys: two settles of one entry in a batch have no defined order.
                let mut seen = HashSet::new();
                let batch: Vec<(LeaseToken, How)> = picks
                    .iter()
                    .filter_map(|(i, how)| pick(&tokens, *i).map(|t| (t, *how)))
                    .filter(|(token, _)| seen.insert(token.key().to_owned()))
                    .collect();
                let settles: Vec<(LeaseToken, Settlement)> = batch
                    .iter()
                    .map(|(token, how)| (token.clone(), how.settlement()))
                    .collect();
                let got = journal.settle_many(&settles).await;
                prop_assert_eq!(got.len(), batch.len());
                for ((token, how), got) in batch.iter().zip(&got) {
                    prop_assert_eq!(
                        kind_of(got),
                        model.settle(token, *how),
                        "step {}: {:?}",
                        step,
                        op
                    );
                }
            }
        }
        if let Op::DropBodies = op {
            let dropped = journal
                .drop_done_bodies(SystemTime::now() + LONG)
                .await
                .expect("drop bodies");
            let mut expected = 0;
            for m in model.entries.values_mut() {
                if m.state == EntryState::Done && !m.stripped {
                    m.stripped = true;
                    expected += 1;
                }
            }
            prop_assert_eq!(dropped, expected, "step {}: {:?}", step, op);
            for (key, m) in &model.entries {
                let entry = journal.get(key).await.expect("get").expect("kept");
                prop_assert_eq!(entry.body_dropped(), m.stripped, "step {}: {}", step, key);
            }
        }
        let stats = journal.stats().await.expect("stats");
        prop_assert_eq!(
            (stats.pending, stats.in_progress, stats.done, stats.dead),
            model.counts(),
            "step {}: {:?}",
            step,
            op
        );
    }
    Ok(())
}

#[test]
fn every_engine_behaves_as_the_model_of_the_journal_under_random_interleavings() {
    let runtime = journal_support::runtime();
    for engine in Engine::all() {
        eprintln!("--- engine {engine:?}");
        let dir = scratch();
        let case = std::sync::atomic::AtomicUsize::new(0);
        let mut runner = TestRunner::new(Config::with_cases(32));
        runner
            .run(&proptest::collection::vec(op(), 1..48), |ops| {
                let case = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                runtime.block_on(async {
                    let journal = engine.open(&dir, &format!("model{case}")).await;
                    check(&*journal, &ops).await
                })
            })
            .unwrap_or_else(|err| panic!("{engine:?}: {err}"));
    }
}
