//! What the service knows of itself while it runs: requests in flight and the success window.
//! Shared by the pipeline, which moves the figures, and the health service, which reports them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::metrics;
use crate::success_rate::{SuccessRate, SuccessWindow};

#[derive(Debug)]
pub(crate) struct Vitals {
    in_flight: AtomicUsize,
    window: SuccessWindow,
}

impl Vitals {
    pub(crate) fn new(success_window: Duration) -> Self {
        Self {
            in_flight: AtomicUsize::new(0),
            window: SuccessWindow::new(success_window),
        }
    }

    /// Counts a request in flight until the guard is dropped (answered, or cancelled by a
    /// closed connection).
    pub(crate) fn enter(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        metrics::in_flight(1.0);
        InFlight(self)
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Counts an answer in the success window, and sets its gauges.
    pub(crate) fn answered(&self, success: bool) {
        metrics::success(self.window.record(success));
    }

    /// The success window now; its gauges are set to it too, so that they move on while no
    /// delivery arrives (each readiness check reads it).
    pub(crate) fn success_rate(&self) -> SuccessRate {
        let rate = self.window.snapshot();
        metrics::success(rate);
        rate
    }
}

/// A request in flight; see [`Vitals::enter`].
pub(crate) struct InFlight<'a>(&'a Vitals);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        metrics::in_flight(-1.0);
    }
}
