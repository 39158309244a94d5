//! Wakes idle workers when any replica appends: `LISTEN` on the journal's channel, which each
//! append batch (and each replay) notifies when it commits.

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::Notify;

/// The workers to wake.
#[derive(Default)]
pub(super) struct Wakers {
    wakers: Mutex<Vec<Weak<Notify>>>,
}

impl Wakers {
    pub(super) fn add(&self, wake: &Arc<Notify>) {
        self.wakers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(wake));
    }

    /// Wakes every worker still there (a stored permit if it is busy: it looks again once
    /// free), and forgets the gone ones.
    fn wake(&self) {
        self.wakers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|weak| match weak.upgrade() {
                Some(wake) => {
                    wake.notify_one();
                    true
                }
                None => false,
            });
    }
}

/// The pause before listening again after the connection failed.
const RECONNECT: Duration = Duration::from_secs(1);

/// Listens on `channel` until aborted, reconnecting after failures. After each (re)connection
/// the workers are woken once, since notifications sent meanwhile were missed.
pub(super) async fn listen(pool: PgPool, channel: String, wakers: Arc<Wakers>) {
    loop {
        let listener = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(&channel).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = match listener.await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::debug!(error = %err, "cannot listen for appends; retrying");
                tokio::time::sleep(RECONNECT).await;
                continue;
            }
        };
        wakers.wake();
        loop {
            match listener.try_recv().await {
                Ok(Some(_)) => wakers.wake(),
                // Reconnected after losing the connection: look for what was missed.
                Ok(None) => wakers.wake(),
                Err(err) => {
                    tracing::debug!(error = %err, "lost the listening connection; retrying");
                    tokio::time::sleep(RECONNECT).await;
                    break;
                }
            }
        }
    }
}
