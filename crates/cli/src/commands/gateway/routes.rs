//! Where each kind goes (a target per kind, the default target, or nowhere), and each
//! target's pause: a target that answered 410 Gone is paused, its entries held in the journal
//! and one tried every `pause_probe` until it answers 2xx again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use ghl_webhook_router::types::EventKind;
use http::Uri;

use super::config::{Destination, Settings};

/// The paused-target gauge (1 while paused), by target.
pub(crate) const PAUSED_GAUGE: &str = "ghl_gateway_target_paused";

/// One URL the gateway forwards to.
#[derive(Debug)]
pub(crate) struct Target {
    /// The URL.
    pub url: Uri,
    /// The URL without its query, for logs, metrics and readiness.
    pub label: String,
    paused: Mutex<Option<Paused>>,
}

#[derive(Debug, Clone, Copy)]
struct Paused {
    since: SystemTime,
    next_probe: SystemTime,
}

/// Whether a forward may go to a target now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// The target is not paused.
    Open,
    /// The target is paused and this forward is its probe.
    Probe,
    /// The target is paused: hold the entry until then.
    Held(SystemTime),
}

impl Target {
    fn new(url: Uri) -> Self {
        let label = format!(
            "{}://{}{}",
            url.scheme_str().unwrap_or("http"),
            url.authority().map(|a| a.as_str()).unwrap_or_default(),
            url.path()
        );
        metrics::gauge!(PAUSED_GAUGE, "target" => label.clone()).set(0.0);
        Self {
            url,
            label,
            paused: Mutex::new(None),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Option<Paused>> {
        // A panic elsewhere cannot leave a pause half-written: the data is two times.
        self.paused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a forward may go now; a paused target lets one through per `probe`.
    pub(crate) fn gate(&self, now: SystemTime, probe: Duration) -> Gate {
        let mut state = self.state();
        match state.as_mut() {
            None => Gate::Open,
            Some(paused) if now < paused.next_probe => Gate::Held(paused.next_probe),
            Some(paused) => {
                paused.next_probe = now + probe;
                Gate::Probe
            }
        }
    }

    /// The target answered 410: paused (again), next tried after `probe`. Returns when the
    /// held entries are due.
    pub(crate) fn pause(&self, now: SystemTime, probe: Duration) -> SystemTime {
        let mut state = self.state();
        let since = state.map_or(now, |paused| paused.since);
        let next_probe = now + probe;
        *state = Some(Paused { since, next_probe });
        metrics::gauge!(PAUSED_GAUGE, "target" => self.label.clone()).set(1.0);
        next_probe
    }

    /// The target answered 2xx: no longer paused. True when it was.
    pub(crate) fn resume(&self) -> bool {
        let was = self.state().take().is_some();
        if was {
            metrics::gauge!(PAUSED_GAUGE, "target" => self.label.clone()).set(0.0);
        }
        was
    }

    /// Since when the target is paused, if it is.
    pub(crate) fn paused_since(&self) -> Option<SystemTime> {
        self.state().map(|paused| paused.since)
    }
}

/// Where a delivery goes.
#[derive(Debug, Clone)]
pub(crate) enum Route {
    /// To this target.
    Forward(Arc<Target>),
    /// Nowhere: acknowledged and dropped.
    Drop,
}

/// The routing table.
#[derive(Debug)]
pub(crate) struct Routes {
    targets: Vec<Arc<Target>>,
    by_kind: HashMap<EventKind, Route>,
    default: Route,
}

impl Routes {
    /// The table of `settings`: one [`Target`] per distinct URL.
    pub(crate) fn new(settings: &Settings) -> Self {
        let mut targets: Vec<Arc<Target>> = Vec::new();
        let mut route = |destination: &Destination| match destination {
            Destination::Drop => Route::Drop,
            Destination::Forward(url) => {
                if let Some(known) = targets.iter().find(|t| &t.url == url) {
                    return Route::Forward(Arc::clone(known));
                }
                let target = Arc::new(Target::new(url.clone()));
                targets.push(Arc::clone(&target));
                Route::Forward(target)
            }
        };
        let default = settings.target.as_ref().map_or(Route::Drop, &mut route);
        let by_kind = settings
            .routes
            .iter()
            .map(|(kind, destination)| (*kind, route(destination)))
            .collect();
        Self {
            targets,
            by_kind,
            default,
        }
    }

    /// Where a delivery of `kind` goes (`None`: unknown kinds go to the default target).
    pub(crate) fn route(&self, kind: Option<EventKind>) -> &Route {
        kind.and_then(|kind| self.by_kind.get(&kind))
            .unwrap_or(&self.default)
    }

    /// Every target.
    pub(crate) fn targets(&self) -> &[Arc<Target>] {
        &self.targets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paused_target_lets_one_probe_through_per_interval() {
        let target = Target::new(Uri::from_static("http://127.0.0.1:1/hooks?token=x"));
        assert_eq!(target.label, "http://127.0.0.1:1/hooks");
        let now = SystemTime::now();
        let probe = Duration::from_secs(30);
        assert_eq!(target.gate(now, probe), Gate::Open);
        let due = target.pause(now, probe);
        assert_eq!(target.gate(now, probe), Gate::Held(due));
        assert_eq!(target.gate(due, probe), Gate::Probe);
        assert_eq!(target.gate(due, probe), Gate::Held(due + probe));
        assert_eq!(target.paused_since(), Some(now));
        assert!(target.resume());
        assert_eq!(target.gate(due, probe), Gate::Open);
        assert!(!target.resume());
    }
}
