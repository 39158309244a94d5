//! Scenario runs for CI: a bounded stream of events (rate, duration, event mix, duplicate and
//! pairing ratios, time scale) against one receiver, then one report whose verdict says what
//! HighLevel's circuit breaker would do to that URL: `ok`, `warned` or `paused`.
//!
//! A scenario file is JSON; every field but `events` has a default:
//!
//! ```json
//! {
//!   "rate_per_sec": 50, "duration_secs": 5,
//!   "events": {"ContactCreate": 3, "OpportunityCreate": 1},
//!   "duplicate_ratio": 0.02, "pairing_ratio": 1.0,
//!   "time_scale": 0.0001, "retry_policy": "current", "attempt_timeout_ms": 2000,
//!   "breaker": {"min_deliveries": 100},
//!   "drain_timeout_secs": 60
//! }
//! ```
//!
//! Without `breaker.window_secs`/`check_every_secs`, the breaker checks three times over the
//! sending phase (at a third, two thirds and its end, in simulated time) with a window of a
//! third of it, so a URL failing from the start is warned and then paused within the run.

use std::collections::BTreeMap;
use std::time::Duration;

use ghl_webhook_types::EventKind;
use serde::{Deserialize, Serialize};

use crate::simulator::breaker::{BreakerState, UrlBreaker};
use crate::simulator::config::{
    BreakerConfig, ConfigError, Habits, PolicyName, SigningKey, SimulatorConfig, parse_event,
};
use crate::simulator::engine::{SimError, Simulator};
use crate::simulator::log::{AttemptTrigger, DeliveryState};

/// Why a scenario cannot run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file is not a scenario.
    #[error("the scenario is not valid JSON of the expected shape: {0}")]
    Parse(#[from] serde_json::Error),
    /// A value out of range.
    #[error("the scenario's `{field}` {problem}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// A bad setting of the simulator it sets up.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The simulator refused something during the run.
    #[error(transparent)]
    Sim(#[from] SimError),
}

/// The breaker thresholds a scenario may set; unset ones get the scenario's defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScenarioBreaker {
    /// Default 100 (HighLevel: 10,000).
    pub min_deliveries: Option<u64>,
    /// Default 0.9.
    pub min_success_rate: Option<f64>,
    /// Default: a third of the sending phase, in simulated seconds.
    pub window_secs: Option<f64>,
    /// Default: a third of the sending phase, in simulated seconds.
    pub check_every_secs: Option<f64>,
}

/// A scenario, as read from its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Events sent per real second.
    pub rate_per_sec: f64,
    /// How long events are sent, in real seconds.
    pub duration_secs: f64,
    /// The event mix: name → weight.
    pub events: BTreeMap<String, u32>,
    /// Fraction of deliveries sent twice with one `webhookId`.
    pub duplicate_ratio: f64,
    /// Fraction of opportunity changes that also fire `OpportunityUpdate`.
    pub pairing_ratio: f64,
    /// Real seconds per simulated second.
    pub time_scale: f64,
    /// The retry policy.
    pub retry_policy: PolicyName,
    /// How long one attempt waits, in real milliseconds.
    pub attempt_timeout_ms: u64,
    /// The breaker's thresholds.
    pub breaker: ScenarioBreaker,
    /// How long (real seconds) to wait after the sending phase for retries to settle.
    pub drain_timeout_secs: f64,
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            rate_per_sec: 20.0,
            duration_secs: 5.0,
            events: BTreeMap::new(),
            duplicate_ratio: 0.0,
            pairing_ratio: 0.0,
            time_scale: 0.0001,
            retry_policy: PolicyName::Current,
            attempt_timeout_ms: 2000,
            breaker: ScenarioBreaker::default(),
            drain_timeout_secs: 60.0,
        }
    }
}

/// The outcome of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// The breaker would leave the URL alone.
    Ok,
    /// The URL was flagged at the last check: one more and it is paused.
    Warned,
    /// HighLevel would pause the URL.
    Paused,
}

impl Verdict {
    /// What the verdict means for the URL, in a sentence.
    pub fn meaning(&self) -> &'static str {
        match self {
            Verdict::Ok => "ok: HighLevel would keep delivering to this URL",
            Verdict::Warned => "warned: one more flagged check and HighLevel pauses this URL",
            Verdict::Paused => "paused: HighLevel would stop delivering to this URL",
        }
    }
}

/// The report of a run, printed by `ghl-webhook simulate --scenario ... --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Deliveries made (duplicates and paired events included).
    pub deliveries: u64,
    /// POSTs made (first attempts, retries).
    pub attempts: u64,
    /// Deliveries whose first attempt was answered 2xx, over deliveries attempted.
    pub first_attempt_success_rate: f64,
    /// Attempts answered 2xx over attempts: the rate the breaker judges.
    pub success_rate: f64,
    /// Deliveries eventually answered 2xx, over deliveries.
    pub delivered_rate: f64,
    /// Deliveries that failed for good (no retry left, or a failure the policy does not retry).
    pub retries_exhausted: u64,
    /// Deliveries never sent because the URL was paused.
    pub paused_deliveries: u64,
    /// Deliveries still pending when the drain timeout ran out.
    pub unsettled: u64,
    /// Simulated seconds the run covered.
    pub simulated_secs: f64,
    /// The breaker's view of the URL at the end.
    pub breaker: Option<UrlBreaker>,
    /// `ok`, `warned` or `paused`.
    pub verdict: Verdict,
}

impl Scenario {
    /// Reads a scenario file's text.
    pub fn from_json(text: &str) -> Result<Self, ScenarioError> {
        let scenario: Self = serde_json::from_str(text)?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Checks the ranges and the event names.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let invalid = |field, problem: &str| ScenarioError::Invalid {
            field,
            problem: problem.to_owned(),
        };
        let in_range = |v: f64, lo: f64, hi: f64| v.is_finite() && v > lo && v <= hi;
        if !in_range(self.rate_per_sec, 0.0, 10_000.0) {
            return Err(invalid("rate_per_sec", "must be over 0 and at most 10000"));
        }
        if !in_range(self.duration_secs, 0.0, 3600.0) {
            return Err(invalid("duration_secs", "must be over 0 and at most 3600"));
        }
        if !in_range(self.drain_timeout_secs, 0.0, 3600.0) {
            return Err(invalid(
                "drain_timeout_secs",
                "must be over 0 and at most 3600",
            ));
        }
        if self.events.is_empty() || self.events.values().all(|w| *w == 0) {
            return Err(invalid(
                "events",
                "must name at least one event with a weight over 0, e.g. {\"ContactCreate\": 1}",
            ));
        }
        for name in self.events.keys() {
            parse_event(name)?;
        }
        Ok(())
    }

    /// The simulator this scenario runs, delivering everything to `to`.
    pub fn simulator_config(
        &self,
        to: &str,
        allow_remote: bool,
        key: SigningKey,
    ) -> SimulatorConfig {
        let phase = self.duration_secs / self.time_scale;
        let b = &self.breaker;
        let mut config = SimulatorConfig::new(to)
            .retry_policy(self.retry_policy)
            .time_scale(self.time_scale)
            .breaker(BreakerConfig {
                min_deliveries: b.min_deliveries.unwrap_or(100),
                min_success_rate: b.min_success_rate.unwrap_or(0.9),
                window_secs: b.window_secs.unwrap_or(phase / 3.0),
                check_every_secs: b.check_every_secs.unwrap_or(phase / 3.0),
            })
            .habits(Habits {
                opportunity_pair_ratio: self.pairing_ratio,
                duplicate_ratio: self.duplicate_ratio,
            })
            .signing_key(key)
            .allow_remote(allow_remote);
        config.attempt_timeout_ms = self.attempt_timeout_ms;
        let mut kinds: Vec<EventKind> = self
            .events
            .keys()
            .filter_map(|name| EventKind::from_name(name))
            .collect();
        if self.pairing_ratio > 0.0 {
            kinds.push(EventKind::OpportunityUpdate);
        }
        for kind in kinds {
            config = config.subscribe(kind);
        }
        config
    }

    /// Runs the scenario against `to` and reports.
    pub async fn run(
        &self,
        to: &str,
        allow_remote: bool,
        key: SigningKey,
    ) -> Result<Report, ScenarioError> {
        self.validate()?;
        let config = self.simulator_config(to, allow_remote, key);
        let sim = Simulator::start(config).await?;
        let mix: Vec<(EventKind, u32)> = self
            .events
            .iter()
            .filter_map(|(name, w)| EventKind::from_name(name).map(|k| (k, *w)))
            .filter(|(_, w)| *w > 0)
            .collect();
        let total_weight: u64 = mix.iter().map(|(_, w)| u64::from(*w)).sum();
        let count = (self.rate_per_sec * self.duration_secs).ceil().max(1.0) as u64;
        let start = tokio::time::Instant::now();
        for i in 0..count {
            let due = start + Duration::from_secs_f64(i as f64 / self.rate_per_sec);
            tokio::time::sleep_until(due).await;
            let mut pick = fastrand::u64(0..total_weight);
            let kind = mix
                .iter()
                .find(|(_, w)| {
                    let w = u64::from(*w);
                    if pick < w {
                        true
                    } else {
                        pick -= w;
                        false
                    }
                })
                .map_or(EventKind::ContactCreate, |(k, _)| *k);
            sim.send(kind)?;
        }
        tokio::time::sleep_until(start + Duration::from_secs_f64(self.duration_secs)).await;
        let drain = Duration::from_secs_f64(self.drain_timeout_secs);
        // A drain that times out is reported (`unsettled`), not an error.
        let _ = sim.wait_idle(drain).await;
        Ok(report(&sim, to))
    }
}

/// The report of the run so far.
fn report(sim: &Simulator, to: &str) -> Report {
    let log = sim.deliveries();
    let deliveries = log.len() as u64;
    let attempts: u64 = log.iter().map(|d| d.attempts.len() as u64).sum();
    let ok_attempts: u64 = log
        .iter()
        .map(|d| d.attempts.iter().filter(|a| a.ok).count() as u64)
        .sum();
    let firsts: Vec<bool> = log
        .iter()
        .filter_map(|d| {
            d.attempts
                .iter()
                .find(|a| a.trigger == AttemptTrigger::Initial)
                .map(|a| a.ok)
        })
        .collect();
    let count = |state| log.iter().filter(|d| d.state == state).count() as u64;
    let ratio = |num: u64, den: u64| {
        if den == 0 {
            1.0
        } else {
            num as f64 / den as f64
        }
    };
    let breaker = sim.breaker().into_iter().find(|b| b.url == to);
    let verdict = match breaker.as_ref().map_or(BreakerState::Healthy, |b| b.state) {
        BreakerState::Healthy => Verdict::Ok,
        BreakerState::Warned => Verdict::Warned,
        BreakerState::Paused => Verdict::Paused,
    };
    Report {
        deliveries,
        attempts,
        first_attempt_success_rate: ratio(
            firsts.iter().filter(|ok| **ok).count() as u64,
            firsts.len() as u64,
        ),
        success_rate: ratio(ok_attempts, attempts),
        delivered_rate: ratio(count(DeliveryState::Succeeded), deliveries),
        retries_exhausted: count(DeliveryState::Failed),
        paused_deliveries: count(DeliveryState::Paused),
        unsettled: count(DeliveryState::Pending),
        simulated_secs: sim.now_secs(),
        breaker,
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_file_needs_only_its_events() {
        let s = Scenario::from_json(r#"{"events": {"ContactCreate": 1}}"#).expect("valid");
        assert_eq!(s.rate_per_sec, 20.0);
        let config = s.simulator_config("http://127.0.0.1:9/", false, SigningKey::default());
        config.validate().expect("valid config");
        // Three checks over the sending phase.
        let phase = s.duration_secs / s.time_scale;
        assert!((config.breaker.check_every_secs - phase / 3.0).abs() < 1e-6);
        assert_eq!(config.breaker.min_deliveries, 100);
    }

    #[test]
    fn bad_scenarios_are_refused_with_the_field_named() {
        let err = |text: &str| Scenario::from_json(text).expect_err("invalid").to_string();
        assert!(err("{}").contains("`events`"));
        assert!(err(r#"{"events": {"ContactCreate": 0}}"#).contains("`events`"));
        assert!(err(r#"{"events": {"Nope": 1}}"#).contains("`Nope` is not a HighLevel event"));
        assert!(
            err(r#"{"events": {"ContactCreate": 1}, "rate_per_sec": 0}"#).contains("rate_per_sec")
        );
        assert!(
            err(r#"{"events": {"ContactCreate": 1}, "duration_secs": -1}"#)
                .contains("duration_secs")
        );
        assert!(err(r#"{"events": {"ContactCreate": 1}, "rate": 5}"#).contains("unknown field"));
        assert!(err(r#"{"events": ["ContactCreate"]}"#).contains("not valid JSON"));
        assert!(err("[").contains("not valid JSON"));
    }
}
