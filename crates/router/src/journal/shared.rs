//! A journal shared by reference: the router and the app (or a test) can hold the same one.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::future::BoxFuture;
use tokio::sync::Notify;

use super::{
    Appended, Entry, Journal, JournalError, LeaseToken, Leased, ListFilter, NewEntry,
    ReplaySelector, Settlement, Stats,
};

/// `Arc<J>` is a journal: keep a clone to inspect or replay the journal a router writes to.
impl<J: Journal + ?Sized> Journal for Arc<J> {
    fn append(&self, entry: NewEntry) -> BoxFuture<'_, Result<Appended, JournalError>> {
        (**self).append(entry)
    }
    fn append_leased(
        &self,
        entry: NewEntry,
        lease_for: Duration,
    ) -> BoxFuture<'_, Result<(Appended, Option<Leased>), JournalError>> {
        (**self).append_leased(entry, lease_for)
    }
    fn lease(
        &self,
        max: usize,
        lease_for: Duration,
    ) -> BoxFuture<'_, Result<Vec<Leased>, JournalError>> {
        (**self).lease(max, lease_for)
    }
    fn settle<'a>(
        &'a self,
        token: &'a LeaseToken,
        how: &'a Settlement,
    ) -> BoxFuture<'a, Result<(), JournalError>> {
        (**self).settle(token, how)
    }
    fn settle_many<'a>(
        &'a self,
        batch: &'a [(LeaseToken, Settlement)],
    ) -> BoxFuture<'a, Vec<Result<(), JournalError>>> {
        (**self).settle_many(batch)
    }
    fn stats(&self) -> BoxFuture<'_, Result<Stats, JournalError>> {
        (**self).stats()
    }
    fn list<'a>(
        &'a self,
        filter: &'a ListFilter,
    ) -> BoxFuture<'a, Result<Vec<Entry>, JournalError>> {
        (**self).list(filter)
    }
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Entry>, JournalError>> {
        (**self).get(key)
    }
    fn replay<'a>(
        &'a self,
        selector: &'a ReplaySelector,
    ) -> BoxFuture<'a, Result<usize, JournalError>> {
        (**self).replay(selector)
    }
    fn purge(&self, older_than: SystemTime) -> BoxFuture<'_, Result<usize, JournalError>> {
        (**self).purge(older_than)
    }
    fn prune_done(&self, older_than: SystemTime) -> BoxFuture<'_, Result<usize, JournalError>> {
        (**self).prune_done(older_than)
    }
    fn drop_done_bodies(
        &self,
        older_than: SystemTime,
    ) -> BoxFuture<'_, Result<usize, JournalError>> {
        (**self).drop_done_bodies(older_than)
    }
    fn wake_on_appends(&self, wake: Arc<Notify>) {
        (**self).wake_on_appends(wake);
    }
    #[cfg(feature = "postgres")]
    fn as_postgres(&self) -> Option<&super::PostgresJournal> {
        (**self).as_postgres()
    }
}
