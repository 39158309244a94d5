//! The journal contract, run against every engine (SQLite on a real file, Redis on a real
//! redis-server started for the test): dedupe, the lease life cycle, order keys, replay,
//! retention, stats and list, reopening, odd keys and extreme times.
#![cfg(feature = "sqlite")]

mod common;
mod journal_support;

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::journal::{Engine, scratch};
use ghl_webhook_router::journal::{
    Appended, EntryState, Journal, JournalError, LeaseToken, ListFilter, NewEntry, ReplaySelector,
    entry_key,
};
use ghl_webhook_router::types::EventKind;
use ghl_webhook_router::{IdentifiedBy, VerifiedBy};
use journal_support::{entry, kinded, ordered, runtime};

const HOUR: Duration = Duration::from_secs(3600);

/// A lease long enough never to expire during a test.
const LONG: Duration = HOUR;

/// Runs `test` on a fresh journal of every engine.
fn each_engine<F, Fut>(test: F)
where
    F: Fn(Arc<dyn Journal>) -> Fut,
    Fut: Future<Output = ()>,
{
    for engine in Engine::all() {
        eprintln!("--- engine {engine:?}");
        let dir = scratch();
        runtime().block_on(async {
            let journal = engine.open(&dir, "contract").await;
            test(journal).await;
        });
    }
}

#[test]
fn concurrent_appends_of_one_key_are_new_exactly_once() {
    for engine in Engine::all() {
        eprintln!("--- engine {engine:?}");
        let dir = scratch();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let journal = engine.open(&dir, "concurrent").await;
            let mut tasks = tokio::task::JoinSet::new();
            for i in 0..200 {
                let journal = Arc::clone(&journal);
                tasks.spawn(async move {
                    let key = format!("key-{}", i % 50);
                    (key.clone(), journal.append(entry(&key)).await.unwrap())
                });
            }
            let outcomes = tasks.join_all().await;
            let new: Vec<_> = outcomes
                .iter()
                .filter(|(_, appended)| *appended == Appended::New)
                .map(|(key, _)| key.clone())
                .collect();
            assert_eq!(new.len(), 50, "{engine:?}");
            assert_eq!(
                new.iter().collect::<HashSet<_>>().len(),
                50,
                "one New per key"
            );
            assert_eq!(journal.stats().await.unwrap().pending, 50);
        });
    }
}

#[test]
fn reopening_a_journal_keeps_every_entry_and_its_state() {
    for engine in Engine::all() {
        eprintln!("--- engine {engine:?}");
        let dir = scratch();
        let rt = runtime();
        let (done_token, in_progress_token) = rt.block_on(async {
            let journal = engine.open(&dir, "reopen").await;
            for key in ["done", "dead", "leased", "pending"] {
                journal.append(entry(key)).await.unwrap();
            }
            let mut leased = journal.lease(3, LONG).await.unwrap().into_iter();
            let done = leased.next().unwrap();
            journal.complete(&done.token).await.unwrap();
            journal
                .dead(&leased.next().unwrap().token, "boom")
                .await
                .unwrap();
            (done.token, leased.next().unwrap().token)
        });
        rt.block_on(async {
            let journal = engine.reopen(&dir, "reopen").await;
            let stats = journal.stats().await.unwrap();
            assert_eq!(
                (stats.pending, stats.in_progress, stats.done, stats.dead),
                (1, 1, 1, 1)
            );
            assert_eq!(
                journal
                    .get("dead")
                    .await
                    .unwrap()
                    .unwrap()
                    .last_error
                    .as_deref(),
                Some("boom")
            );
            assert_eq!(
                journal.append(entry("done")).await.unwrap(),
                Appended::Duplicate
            );
            assert!(matches!(
                journal.complete(&done_token).await,
                Err(JournalError::LeaseLost(_))
            ));
            // A lease survives a restart: its token still settles the entry.
            journal.complete(&in_progress_token).await.unwrap();
            assert_eq!(journal.stats().await.unwrap().done, 2);
        });
    }
}

#[test]
fn a_second_append_of_a_key_is_a_duplicate_and_changes_nothing() {
    each_engine(|journal| async move {
        assert_eq!(journal.append(entry("a")).await.unwrap(), Appended::New);
        let mut again = entry("a");
        again.raw = "{\"other\":true}".into();
        again.verified_by = VerifiedBy::Rsa("other-key".into());
        assert_eq!(journal.append(again).await.unwrap(), Appended::Duplicate);

        let stored = journal.get("a").await.unwrap().expect("entry");
        assert_eq!(stored.raw, entry("a").raw);
        assert_eq!(
            stored.verified_by,
            VerifiedBy::Ed25519("test-primary".into())
        );
        assert_eq!(journal.stats().await.unwrap().pending, 1);
    });
}

#[test]
fn an_appended_entry_reads_back_with_every_field() {
    each_engine(|journal| async move {
        let received_at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_767_225_600_123);
        let new = NewEntry {
            key: entry_key(Some("wh-1"), b"{}"),
            raw: "{\"type\":\"ContactCreate\"}".into(),
            kind: Some(EventKind::ContactCreate),
            identified_by: Some(IdentifiedBy::TypeField),
            type_field: Some("ContactCreate".into()),
            verified_by: VerifiedBy::Ed25519("highlevel".into()),
            order_key: Some("contact-1".into()),
            received_at,
        };
        journal.append(new.clone()).await.unwrap();
        let stored = journal.get("wh-1").await.unwrap().expect("entry");
        assert_eq!(stored.key, new.key);
        assert_eq!(stored.raw, new.raw);
        assert_eq!(stored.kind, new.kind);
        assert_eq!(stored.identified_by, new.identified_by);
        assert_eq!(stored.type_field, new.type_field);
        assert_eq!(stored.verified_by, new.verified_by);
        assert_eq!(stored.order_key, new.order_key);
        assert_eq!(stored.received_at, received_at);
        assert_eq!(stored.state, EntryState::Pending);
        assert_eq!(stored.attempts, 0);
        assert_eq!(stored.last_error, None);
        assert_eq!(stored.lease_until, None);
        assert!(stored.next_attempt_at <= SystemTime::now());
        assert!(journal.get("wh-2").await.unwrap().is_none());
    });
}

#[test]
fn a_leased_entry_is_in_progress_counts_an_attempt_and_completes_once() {
    each_engine(|journal| async move {
        journal.append(entry("a")).await.unwrap();
        let leased = journal.lease(10, LONG).await.unwrap();
        assert_eq!(leased.len(), 1);
        let lease = &leased[0];
        assert_eq!(lease.token.key(), "a");
        assert_eq!(lease.entry.state, EntryState::InProgress);
        assert_eq!(lease.entry.attempts, 1);
        assert!(lease.entry.lease_until.expect("lease_until") > SystemTime::now());
        assert_eq!(
            journal.get("a").await.unwrap().unwrap().state,
            EntryState::InProgress
        );

        // Leased entries are not leased again while their lease runs.
        assert!(journal.lease(10, LONG).await.unwrap().is_empty());

        journal.complete(&lease.token).await.unwrap();
        let done = journal.get("a").await.unwrap().unwrap();
        assert_eq!(done.state, EntryState::Done);
        assert_eq!(done.lease_until, None);
        assert!(journal.lease(10, LONG).await.unwrap().is_empty());

        // Completed once: the same token cannot settle it again.
        assert!(matches!(
            journal.complete(&lease.token).await,
            Err(JournalError::LeaseLost(key)) if key == "a"
        ));
        // A duplicate of a done entry is still a duplicate.
        assert_eq!(
            journal.append(entry("a")).await.unwrap(),
            Appended::Duplicate
        );
    });
}

#[test]
fn lease_takes_at_most_max_entries_in_arrival_order() {
    each_engine(|journal| async move {
        for key in ["a", "b", "c", "d", "e"] {
            journal.append(entry(key)).await.unwrap();
        }
        assert!(journal.lease(0, LONG).await.unwrap().is_empty());
        let first: Vec<_> = journal.lease(3, LONG).await.unwrap();
        let keys: Vec<_> = first.iter().map(|l| l.token.key().to_owned()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        let rest = journal.lease(usize::MAX, LONG).await.unwrap();
        let keys: Vec<_> = rest.iter().map(|l| l.token.key().to_owned()).collect();
        assert_eq!(keys, ["d", "e"]);
    });
}

#[test]
fn a_retried_entry_is_not_leased_before_not_before_and_keeps_its_error() {
    each_engine(|journal| async move {
        journal.append(entry("a")).await.unwrap();
        let lease = journal.lease(1, LONG).await.unwrap().remove(0);
        let later = SystemTime::now() + HOUR;
        journal
            .retry(&lease.token, "handler timed out", later)
            .await
            .unwrap();

        let pending = journal.get("a").await.unwrap().unwrap();
        assert_eq!(pending.state, EntryState::Pending);
        assert_eq!(pending.last_error.as_deref(), Some("handler timed out"));
        assert_eq!(pending.attempts, 1);
        assert!(pending.next_attempt_at > SystemTime::now() + HOUR / 2);
        assert!(
            journal.lease(10, LONG).await.unwrap().is_empty(),
            "not due yet"
        );
    });
}

#[test]
fn a_retried_entry_is_leased_again_once_due() {
    each_engine(|journal| async move {
        journal.append(entry("a")).await.unwrap();
        let first = journal.lease(1, LONG).await.unwrap().remove(0);
        let due = SystemTime::now() - Duration::from_secs(1);
        journal
            .retry(&first.token, "503 from the CRM", due)
            .await
            .unwrap();

        let second = journal.lease(1, LONG).await.unwrap().remove(0);
        assert_eq!(second.entry.attempts, 2);
        assert_eq!(second.entry.last_error.as_deref(), Some("503 from the CRM"));
        assert!(second.token.generation() > first.token.generation());
        // The first lease's token is spent.
        assert!(matches!(
            journal.dead(&first.token, "late").await,
            Err(JournalError::LeaseLost(_))
        ));
    });
}

#[test]
fn a_dead_entry_is_never_leased_and_keeps_its_error() {
    each_engine(|journal| async move {
        journal.append(entry("a")).await.unwrap();
        let lease = journal.lease(1, LONG).await.unwrap().remove(0);
        journal
            .dead(&lease.token, "decode failed at $.contact")
            .await
            .unwrap();
        let dead = journal.get("a").await.unwrap().unwrap();
        assert_eq!(dead.state, EntryState::Dead);
        assert_eq!(
            dead.last_error.as_deref(),
            Some("decode failed at $.contact")
        );
        assert!(journal.lease(10, LONG).await.unwrap().is_empty());
        assert_eq!(journal.stats().await.unwrap().dead, 1);
    });
}

#[test]
fn a_held_entry_waits_until_its_time_keeps_its_reason_and_counts_no_attempt() {
    each_engine(|journal| async move {
        journal.append(entry("a")).await.unwrap();
        let first = journal.lease(1, LONG).await.unwrap().remove(0);
        journal
            .retry(&first.token, "503 from the app", SystemTime::now() - HOUR)
            .await
            .unwrap();
        let second = journal.lease(1, LONG).await.unwrap().remove(0);
        assert_eq!(second.entry.attempts, 2);
        journal
            .hold(
                &second.token,
                "the app's route is paused",
                SystemTime::now() + HOUR,
            )
            .await
            .unwrap();

        let held = journal.get("a").await.unwrap().unwrap();
        assert_eq!(held.state, EntryState::Pending);
        assert_eq!(held.attempts, 1, "the held attempt is not counted");
        assert_eq!(
            held.last_error.as_deref(),
            Some("the app's route is paused")
        );
        assert_eq!(held.lease_until, None);
        assert!(held.next_attempt_at > SystemTime::now() + HOUR / 2);
        assert!(
            journal.lease(10, LONG).await.unwrap().is_empty(),
            "not due before its time"
        );
        assert!(matches!(
            journal
                .hold(&second.token, "again", SystemTime::now())
                .await,
            Err(JournalError::LeaseLost(_))
        ));
    });
}

#[test]
fn a_released_entry_is_pending_again_without_counting_the_attempt() {
    each_engine(|journal| async move {
        journal.append(entry("a")).await.unwrap();
        let lease = journal.lease(1, LONG).await.unwrap().remove(0);
        journal.release(&lease.token).await.unwrap();
        let released = journal.get("a").await.unwrap().unwrap();
        assert_eq!(released.state, EntryState::Pending);
        assert_eq!(released.attempts, 0);
        assert_eq!(released.lease_until, None);

        let again = journal.lease(1, LONG).await.unwrap().remove(0);
        assert_eq!(again.entry.attempts, 1);
        assert!(matches!(
            journal.release(&lease.token).await,
            Err(JournalError::LeaseLost(_))
        ));
    });
}

#[test]
fn an_expired_lease_is_leased_again_and_the_old_token_is_lost() {
    each_engine(|journal| async move {
        journal.append(entry("a")).await.unwrap();
        // A zero lease expires at once: its worker "died".
        let dead_worker = journal.lease(1, Duration::ZERO).await.unwrap().remove(0);
        let next = journal.lease(1, LONG).await.unwrap();
        assert_eq!(next.len(), 1, "the expired lease is taken over");
        let next = &next[0];
        assert_eq!(next.entry.attempts, 2);
        assert_ne!(next.token, dead_worker.token);

        for outcome in [
            journal.complete(&dead_worker.token).await,
            journal
                .retry(&dead_worker.token, "late", SystemTime::now())
                .await,
            journal.dead(&dead_worker.token, "late").await,
            journal.release(&dead_worker.token).await,
        ] {
            assert!(
                matches!(&outcome, Err(JournalError::LeaseLost(key)) if key == "a"),
                "{outcome:?}"
            );
        }
        assert_eq!(
            journal.get("a").await.unwrap().unwrap().state,
            EntryState::InProgress
        );
        journal.complete(&next.token).await.unwrap();
        assert_eq!(
            journal.get("a").await.unwrap().unwrap().state,
            EntryState::Done
        );
    });
}

#[test]
fn an_expired_lease_not_yet_taken_over_can_still_be_completed() {
    each_engine(|journal| async move {
        journal.append(entry("a")).await.unwrap();
        let slow = journal.lease(1, Duration::ZERO).await.unwrap().remove(0);
        journal.complete(&slow.token).await.unwrap();
        assert_eq!(
            journal.get("a").await.unwrap().unwrap().state,
            EntryState::Done
        );
    });
}

#[test]
fn settling_with_a_token_of_an_unknown_key_is_not_found() {
    each_engine(|journal| async move {
        let forged = LeaseToken::new("nope", 1);
        assert!(matches!(
            journal.complete(&forged).await,
            Err(JournalError::NotFound(key)) if key == "nope"
        ));
        journal.append(entry("a")).await.unwrap();
        let lease = journal.lease(1, LONG).await.unwrap().remove(0);
        let wrong_generation = LeaseToken::new("a", lease.token.generation() + 1);
        assert!(matches!(
            journal.complete(&wrong_generation).await,
            Err(JournalError::LeaseLost(_))
        ));
        let huge = LeaseToken::new("a", u64::MAX);
        assert!(matches!(
            journal.complete(&huge).await,
            Err(JournalError::LeaseLost(_))
        ));
    });
}

#[test]
fn an_order_key_waits_for_its_earlier_entry_and_blocks_no_other_key() {
    each_engine(|journal| async move {
        journal
            .append(ordered("c1-first", "contact-1"))
            .await
            .unwrap();
        journal
            .append(ordered("c1-second", "contact-1"))
            .await
            .unwrap();
        journal
            .append(ordered("c2-first", "contact-2"))
            .await
            .unwrap();
        journal.append(entry("free")).await.unwrap();
        journal
            .append(ordered("c1-third", "contact-1"))
            .await
            .unwrap();

        let leased = journal.lease(10, LONG).await.unwrap();
        let keys: HashSet<_> = leased.iter().map(|l| l.token.key().to_owned()).collect();
        assert_eq!(
            keys,
            HashSet::from(["c1-first".into(), "c2-first".into(), "free".into()])
        );
        let token = |key: &str| {
            leased
                .iter()
                .find(|l| l.token.key() == key)
                .expect("leased")
                .token
                .clone()
        };

        // A retry keeps the earlier entry pending: the later ones of its key still wait, even
        // once the other keys' entries are done.
        journal
            .retry(&token("c1-first"), "busy", SystemTime::now() + HOUR)
            .await
            .unwrap();
        journal.complete(&token("c2-first")).await.unwrap();
        journal.complete(&token("free")).await.unwrap();
        assert!(journal.lease(10, LONG).await.unwrap().is_empty());
        assert_eq!(journal.stats().await.unwrap().pending, 3);
    });
}

#[test]
fn a_dead_letter_lets_the_next_entry_of_its_order_key_be_leased() {
    each_engine(|journal| async move {
        journal.append(ordered("first", "contact-1")).await.unwrap();
        journal
            .append(ordered("second", "contact-1"))
            .await
            .unwrap();
        let leased = journal.lease(10, LONG).await.unwrap();
        let keys: Vec<_> = leased.iter().map(|l| l.token.key()).collect();
        assert_eq!(keys, ["first"]);
        journal.dead(&leased[0].token, "gave up").await.unwrap();
        let leased = journal.lease(10, LONG).await.unwrap();
        let keys: Vec<_> = leased.iter().map(|l| l.token.key()).collect();
        assert_eq!(keys, ["second"]);
        journal.complete(&leased[0].token).await.unwrap();
        assert!(journal.lease(10, LONG).await.unwrap().is_empty());
    });
}

#[test]
fn a_completed_entry_lets_the_next_of_its_order_key_be_leased() {
    each_engine(|journal| async move {
        journal.append(ordered("first", "contact-1")).await.unwrap();
        journal
            .append(ordered("second", "contact-1"))
            .await
            .unwrap();
        journal.append(ordered("third", "contact-1")).await.unwrap();
        for expected in ["first", "second", "third"] {
            let leased = journal.lease(10, LONG).await.unwrap();
            let keys: Vec<_> = leased.iter().map(|l| l.token.key()).collect();
            assert_eq!(keys, [expected]);
            journal.complete(&leased[0].token).await.unwrap();
        }
        assert!(journal.lease(10, LONG).await.unwrap().is_empty());
    });
}

#[test]
fn an_expired_lease_keeps_blocking_its_order_key_until_taken_over_and_settled() {
    each_engine(|journal| async move {
        journal.append(ordered("first", "contact-1")).await.unwrap();
        journal
            .append(ordered("second", "contact-1"))
            .await
            .unwrap();
        let _dead_worker = journal.lease(10, Duration::ZERO).await.unwrap();
        let leased = journal.lease(10, LONG).await.unwrap();
        let keys: Vec<_> = leased.iter().map(|l| l.token.key()).collect();
        assert_eq!(
            keys,
            ["first"],
            "the expired first is taken over, second waits"
        );
        journal.complete(&leased[0].token).await.unwrap();
        let leased = journal.lease(10, LONG).await.unwrap();
        let keys: Vec<_> = leased.iter().map(|l| l.token.key()).collect();
        assert_eq!(keys, ["second"]);
    });
}

#[test]
fn replay_brings_back_one_entry_all_dead_letters_or_a_kind() {
    each_engine(|journal| async move {
        journal
            .append(kinded("c-done", EventKind::ContactCreate))
            .await
            .unwrap();
        journal
            .append(kinded("c-dead", EventKind::ContactCreate))
            .await
            .unwrap();
        journal
            .append(kinded("o-dead", EventKind::OpportunityCreate))
            .await
            .unwrap();
        journal
            .append(kinded("o-done", EventKind::OpportunityCreate))
            .await
            .unwrap();
        journal
            .append(kinded("pending", EventKind::ContactCreate))
            .await
            .unwrap();
        for lease in journal.lease(4, LONG).await.unwrap() {
            if lease.token.key().ends_with("dead") {
                journal.dead(&lease.token, "boom").await.unwrap();
            } else {
                journal.complete(&lease.token).await.unwrap();
            }
        }

        // One: a done entry runs again, due now, attempts reset, last error kept.
        assert_eq!(
            journal
                .replay(&ReplaySelector::One("o-done".into()))
                .await
                .unwrap(),
            1
        );
        let replayed = journal.get("o-done").await.unwrap().unwrap();
        assert_eq!(replayed.state, EntryState::Pending);
        assert_eq!(replayed.attempts, 0);
        assert!(replayed.next_attempt_at <= SystemTime::now());
        // A pending entry is left alone; an unknown key is an error.
        assert_eq!(
            journal
                .replay(&ReplaySelector::One("pending".into()))
                .await
                .unwrap(),
            0
        );
        assert!(matches!(
            journal.replay(&ReplaySelector::One("missing".into())).await,
            Err(JournalError::NotFound(key)) if key == "missing"
        ));

        // AllDead: both dead letters, nothing else.
        assert_eq!(journal.replay(&ReplaySelector::AllDead).await.unwrap(), 2);
        let dead = journal.get("c-dead").await.unwrap().unwrap();
        assert_eq!(dead.state, EntryState::Pending);
        assert_eq!(dead.attempts, 0);
        assert_eq!(dead.last_error.as_deref(), Some("boom"));
        assert_eq!(
            journal.get("c-done").await.unwrap().unwrap().state,
            EntryState::Done
        );
        assert_eq!(journal.replay(&ReplaySelector::AllDead).await.unwrap(), 0);

        // Kind: the finished entries of that kind (c-done), not pending ones.
        assert_eq!(
            journal
                .replay(&ReplaySelector::Kind(EventKind::ContactCreate))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            journal.get("c-done").await.unwrap().unwrap().state,
            EntryState::Pending
        );
        assert_eq!(
            journal
                .replay(&ReplaySelector::Kind(EventKind::AppInstall))
                .await
                .unwrap(),
            0
        );

        // Everything replayed is leased again.
        assert_eq!(journal.lease(10, LONG).await.unwrap().len(), 5);
    });
}

#[test]
fn a_replayed_entry_invalidates_the_token_of_its_earlier_lease() {
    each_engine(|journal| async move {
        journal.append(entry("a")).await.unwrap();
        let lease = journal.lease(1, LONG).await.unwrap().remove(0);
        journal.dead(&lease.token, "boom").await.unwrap();
        journal
            .replay(&ReplaySelector::One("a".into()))
            .await
            .unwrap();
        assert!(matches!(
            journal.complete(&lease.token).await,
            Err(JournalError::LeaseLost(_))
        ));
        let again = journal.lease(1, LONG).await.unwrap().remove(0);
        journal.complete(&again.token).await.unwrap();
    });
}

#[test]
fn purge_deletes_finished_entries_and_prune_done_keeps_dead_letters() {
    each_engine(|journal| async move {
        for key in ["done-1", "done-2", "dead-1", "pending"] {
            journal.append(entry(key)).await.unwrap();
        }
        for lease in journal.lease(3, LONG).await.unwrap() {
            if lease.token.key().starts_with("dead") {
                journal.dead(&lease.token, "boom").await.unwrap();
            } else {
                journal.complete(&lease.token).await.unwrap();
            }
        }
        let past = SystemTime::now() - HOUR;
        assert_eq!(
            journal.prune_done(past).await.unwrap(),
            0,
            "nothing that old"
        );
        assert_eq!(journal.purge(past).await.unwrap(), 0);

        let future = SystemTime::now() + HOUR;
        assert_eq!(journal.prune_done(future).await.unwrap(), 2);
        assert!(journal.get("done-1").await.unwrap().is_none());
        assert_eq!(
            journal.get("dead-1").await.unwrap().unwrap().state,
            EntryState::Dead
        );
        assert_eq!(journal.purge(future).await.unwrap(), 1);
        assert!(journal.get("dead-1").await.unwrap().is_none());
        // Pending (and in-progress) entries are never purged.
        assert_eq!(
            journal.get("pending").await.unwrap().unwrap().state,
            EntryState::Pending
        );
        // A purged key can be appended again.
        assert_eq!(
            journal.append(entry("done-1")).await.unwrap(),
            Appended::New
        );
    });
}

#[test]
fn done_entries_lose_their_bodies_after_the_body_retention_but_keep_their_keys() {
    each_engine(|journal| async move {
        for key in ["done-1", "done-2", "dead-1", "pending"] {
            let mut new = kinded(key, EventKind::ContactCreate);
            new.order_key = Some("contact-1".into());
            journal.append(new).await.unwrap();
        }
        // One at a time: the order key lets one of them be in progress.
        for _ in 0..3 {
            let lease = journal.lease(1, LONG).await.unwrap().remove(0);
            if lease.token.key().starts_with("dead") {
                journal.dead(&lease.token, "boom").await.unwrap();
            } else {
                journal.complete(&lease.token).await.unwrap();
            }
        }
        let past = SystemTime::now() - HOUR;
        assert_eq!(journal.drop_done_bodies(past).await.unwrap(), 0);
        assert!(!journal.get("done-1").await.unwrap().unwrap().body_dropped());

        let future = SystemTime::now() + HOUR;
        assert_eq!(journal.drop_done_bodies(future).await.unwrap(), 2);
        let stripped = journal.get("done-1").await.unwrap().expect("key kept");
        assert!(stripped.body_dropped(), "{stripped:?}");
        assert_eq!(stripped.state, EntryState::Done);
        assert_eq!(stripped.kind, Some(EventKind::ContactCreate));
        assert_eq!(stripped.verified_by, entry("x").verified_by);
        assert_eq!((stripped.type_field, stripped.order_key), (None, None));
        // Dead letters and open entries keep theirs.
        for key in ["dead-1", "pending"] {
            let kept = journal.get(key).await.unwrap().unwrap();
            assert_eq!(kept.raw, entry(key).raw, "{key}");
        }
        // Dropping again finds nothing new.
        assert_eq!(journal.drop_done_bodies(future).await.unwrap(), 0);
        // The key still deduplicates; the entry cannot be replayed, alone or by kind.
        assert_eq!(
            journal.append(entry("done-1")).await.unwrap(),
            Appended::Duplicate
        );
        let err = journal
            .replay(&ReplaySelector::One("done-1".into()))
            .await
            .expect_err("no body to replay");
        assert!(
            matches!(err, JournalError::BodyDropped(ref key) if key == "done-1"),
            "{err:?}"
        );
        assert!(err.to_string().contains("body_retention"), "{err}");
        assert_eq!(
            journal
                .replay(&ReplaySelector::Kind(EventKind::ContactCreate))
                .await
                .unwrap(),
            1,
            "only the dead letter"
        );
        // The retention then deletes the key.
        assert_eq!(journal.prune_done(future).await.unwrap(), 2);
        assert!(journal.get("done-2").await.unwrap().is_none());
    });
}

#[test]
fn stats_count_by_state_and_tell_the_oldest_pending_entry() {
    each_engine(|journal| async move {
        let empty = journal.stats().await.unwrap();
        assert_eq!(empty, Default::default());

        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        for (i, key) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
            let mut new = entry(key);
            new.received_at = t0 + Duration::from_secs(60 * i as u64);
            journal.append(new).await.unwrap();
        }
        let leased = journal.lease(3, LONG).await.unwrap();
        journal.complete(&leased[0].token).await.unwrap();
        journal.dead(&leased[1].token, "boom").await.unwrap();

        let stats = journal.stats().await.unwrap();
        assert_eq!(
            (stats.pending, stats.in_progress, stats.done, stats.dead),
            (2, 1, 1, 1)
        );
        assert_eq!(stats.oldest_pending, Some(t0 + Duration::from_secs(180)));
    });
}

#[test]
fn list_filters_by_state_kind_since_and_limit_in_arrival_order() {
    each_engine(|journal| async move {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let kinds = [
            ("a", Some(EventKind::ContactCreate)),
            ("b", Some(EventKind::OpportunityCreate)),
            ("c", Some(EventKind::ContactCreate)),
            ("d", None),
        ];
        for (i, (key, kind)) in kinds.into_iter().enumerate() {
            let mut new = entry(key);
            new.kind = kind;
            new.received_at = t0 + Duration::from_secs(i as u64);
            journal.append(new).await.unwrap();
        }
        let lease = journal.lease(1, LONG).await.unwrap().remove(0);
        journal.dead(&lease.token, "boom").await.unwrap();

        let keys = |entries: Vec<ghl_webhook_router::journal::Entry>| {
            entries.into_iter().map(|e| e.key).collect::<Vec<_>>()
        };
        assert_eq!(
            keys(journal.list(&ListFilter::default()).await.unwrap()),
            ["a", "b", "c", "d"]
        );
        let dead = ListFilter::default().state(EntryState::Dead);
        assert_eq!(keys(journal.list(&dead).await.unwrap()), ["a"]);
        let contacts = ListFilter::default().kind(EventKind::ContactCreate);
        assert_eq!(keys(journal.list(&contacts).await.unwrap()), ["a", "c"]);
        let since = ListFilter::default().since(t0 + Duration::from_secs(1));
        assert_eq!(keys(journal.list(&since).await.unwrap()), ["b", "c", "d"]);
        let first_two = ListFilter::default().limit(2);
        assert_eq!(keys(journal.list(&first_two).await.unwrap()), ["a", "b"]);
        let combined = ListFilter::default()
            .state(EntryState::Pending)
            .kind(EventKind::ContactCreate)
            .since(t0)
            .limit(10);
        assert_eq!(keys(journal.list(&combined).await.unwrap()), ["c"]);
        let none = ListFilter::default().limit(0);
        assert!(journal.list(&none).await.unwrap().is_empty());
    });
}

#[test]
fn odd_keys_and_bodies_are_stored_as_they_are() {
    each_engine(|journal| async move {
        let odd_keys = [
            "",
            "'; DROP TABLE entries; --",
            "nul\0inside",
            "ключ",
            &"k".repeat(10_000),
        ];
        for key in odd_keys {
            let mut new = entry(key);
            new.raw = vec![0u8, 255, 0, 1].into();
            new.order_key = Some(key.to_owned());
            assert_eq!(journal.append(new).await.unwrap(), Appended::New, "{key:?}");
        }
        for key in odd_keys {
            let stored = journal.get(key).await.unwrap().expect("stored");
            assert_eq!(stored.key, key);
            assert_eq!(&stored.raw[..], &[0u8, 255, 0, 1]);
        }
        assert_eq!(
            journal.lease(100, LONG).await.unwrap().len(),
            odd_keys.len()
        );
        let far = SystemTime::UNIX_EPOCH + Duration::from_secs(u32::MAX as u64 * 100);
        let all = journal.list(&ListFilter::default()).await.unwrap();
        assert_eq!(all.len(), odd_keys.len());
        assert_eq!(journal.purge(far).await.unwrap(), 0);
        assert_eq!(journal.prune_done(SystemTime::UNIX_EPOCH).await.unwrap(), 0);
    });
}

#[test]
fn extreme_times_and_durations_are_clamped_not_panics() {
    each_engine(|journal| async move {
        let mut ancient = entry("ancient");
        ancient.received_at = SystemTime::UNIX_EPOCH - Duration::from_secs(10);
        journal.append(ancient).await.unwrap();
        assert_eq!(
            journal.get("ancient").await.unwrap().unwrap().received_at,
            SystemTime::UNIX_EPOCH
        );

        let lease = journal.lease(1, Duration::MAX).await.unwrap().remove(0);
        assert!(lease.entry.lease_until.unwrap() > SystemTime::now() + HOUR);
        let far = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::from(u32::MAX) * 1000);
        journal.retry(&lease.token, "later", far).await.unwrap();
        assert!(journal.lease(1, LONG).await.unwrap().is_empty());
        assert_eq!(journal.replay(&ReplaySelector::AllDead).await.unwrap(), 0);
        let stats = journal.stats().await.unwrap();
        assert_eq!(stats.oldest_pending, Some(SystemTime::UNIX_EPOCH));
    });
}
