//! The workers' periodic upkeep: pruning done entries and reading the journal's gauges.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::journal::Journal;
use crate::metrics;

/// How often done entries older than the retention are pruned, at most.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// When the next prune and the next reading of the gauges are due.
pub(super) struct Upkeep {
    retention: Duration,
    body_retention: Duration,
    prune_every: Duration,
    gauges_every: Duration,
    next_prune: Instant,
    next_gauges: Instant,
}

impl Upkeep {
    pub(super) fn new(
        retention: Duration,
        body_retention: Duration,
        gauges_every: Duration,
    ) -> Self {
        let now = Instant::now();
        Self {
            retention,
            body_retention,
            // A short retention (tests, small disks) is pruned at its own pace.
            prune_every: retention
                .min(body_retention)
                .clamp(Duration::from_millis(10), PRUNE_EVERY),
            gauges_every,
            next_prune: now,
            next_gauges: now,
        }
    }

    /// Does what is due.
    pub(super) async fn run_due(&mut self, journal: &dyn Journal) {
        let now = Instant::now();
        if now >= self.next_prune {
            if self.body_retention < self.retention {
                drop_bodies(journal, self.body_retention).await;
            }
            prune(journal, self.retention).await;
            self.next_prune = Instant::now() + self.prune_every;
        }
        if cfg!(feature = "metrics") && now >= self.next_gauges {
            record_journal(journal).await;
            self.next_gauges = Instant::now() + self.gauges_every;
        }
    }
}

/// Reads the journal's counts into the journal gauges.
async fn record_journal(journal: &dyn Journal) {
    match journal.stats().await {
        Ok(stats) => metrics::journal(&stats, stats.oldest_pending_age()),
        Err(err) => tracing::warn!(error = %err, "could not read the journal's counts"),
    }
}

/// Drops the bodies of done entries older than the body retention.
async fn drop_bodies(journal: &dyn Journal, body_retention: Duration) {
    let Some(cutoff) = SystemTime::now().checked_sub(body_retention) else {
        return;
    };
    match journal.drop_done_bodies(cutoff).await {
        Ok(0) => {}
        Ok(dropped) => tracing::debug!(
            dropped,
            "dropped the bodies of done entries past the body retention"
        ),
        Err(err) => tracing::warn!(error = %err, "could not drop the bodies of done entries"),
    }
}

/// Deletes done entries older than the retention.
async fn prune(journal: &dyn Journal, retention: Duration) {
    let Some(cutoff) = SystemTime::now().checked_sub(retention) else {
        return;
    };
    match journal.prune_done(cutoff).await {
        Ok(0) => {}
        Ok(pruned) => tracing::info!(pruned, "pruned done entries past the retention"),
        Err(err) => tracing::warn!(error = %err, "could not prune done entries"),
    }
}
