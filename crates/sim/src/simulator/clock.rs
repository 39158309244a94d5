//! Simulated time: real time divided by the time scale, counted from the simulator's start, so
//! that a test at scale `0.0001` lives through a day of HighLevel's retries in under 9 s.

use std::time::{Duration, Instant};

/// The simulator's clock.
#[derive(Debug, Clone, Copy)]
pub(super) struct SimClock {
    origin: Instant,
    scale: f64,
}

impl SimClock {
    /// A clock starting now; `scale` real seconds per simulated second (validated positive).
    pub(super) fn start(scale: f64) -> Self {
        Self {
            origin: Instant::now(),
            scale,
        }
    }

    /// Simulated seconds since the start.
    pub(super) fn now(&self) -> f64 {
        self.origin.elapsed().as_secs_f64() / self.scale
    }

    /// The real duration of `sim_secs` simulated seconds.
    #[cfg(test)]
    pub(super) fn real(&self, sim_secs: f64) -> Duration {
        Duration::from_secs_f64((sim_secs * self.scale).max(0.0))
    }

    /// The simulated seconds a real duration stands for.
    pub(super) fn simulated(&self, real: Duration) -> f64 {
        real.as_secs_f64() / self.scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_and_real_durations_convert_through_the_scale() {
        let clock = SimClock::start(0.001);
        assert_eq!(clock.real(600.0), Duration::from_millis(600));
        assert!((clock.simulated(Duration::from_millis(10)) - 10.0).abs() < 1e-9);
        assert!(clock.now() >= 0.0);
    }
}
