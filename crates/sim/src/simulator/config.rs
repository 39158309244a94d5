//! The simulator's settings: HighLevel's app settings (default URL, subscribed events with an
//! optional URL each), the retry policy, the time scale, the per-attempt timeout, the log's
//! retention, the circuit breaker's thresholds and HighLevel's delivery habits.
//!
//! Every field has a default, so a config file (JSON) names only what it changes; unknown
//! fields are rejected so a typo does not silently fall back to a default.

use std::time::Duration;

use ghl_webhook_types::EventKind;
use serde::{Deserialize, Serialize};

use crate::keys::TestKeys;
#[cfg(feature = "legacy-rsa")]
use crate::keys::rsa_keys::RsaSigner;
use crate::retry::RetryPolicy;
use crate::simulator::target::{self, TargetError};

/// One simulated day, in seconds.
pub const DAY_SECS: f64 = 86_400.0;

/// Why a configuration cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An event name that HighLevel does not document.
    #[error("`{0}` is not a HighLevel event name (names are case-sensitive, e.g. `ContactCreate`)")]
    UnknownEvent(String),
    /// A URL that is not a usable target.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// A number outside its range.
    #[error("`{field}` is {value}: it must be {rule}")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The value given.
        value: f64,
        /// The allowed range, in words.
        rule: &'static str,
    },
    /// A private key that cannot sign.
    #[error("the signing key is not usable: {0}")]
    Key(String),
}

/// Which of HighLevel's retry policies the simulator follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum PolicyName {
    /// Any non-2xx or no answer: up to 12 retries, exponential backoff with jitter.
    #[default]
    Current,
    /// Only `429`: 6 retries, 10 minutes apart.
    Legacy,
    /// One attempt, never retried.
    None,
}

impl PolicyName {
    /// The policy, at `time_scale`.
    pub fn policy(self, time_scale: f64) -> RetryPolicy {
        match self {
            Self::Current => RetryPolicy::highlevel(),
            Self::Legacy => RetryPolicy::legacy(),
            Self::None => RetryPolicy::none(),
        }
        .time_scale(time_scale)
    }
}

/// One subscribed event: its name and, optionally, the URL its deliveries go to instead of the
/// default URL (HighLevel's `subscribedEvents` entries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    /// The event name, e.g. `ContactCreate`.
    pub event: String,
    /// The event-specific URL; `None`: the default URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Subscription {
    /// A subscription to `kind` delivered to the default URL.
    pub fn to_default(kind: EventKind) -> Self {
        Self {
            event: kind.as_str().to_owned(),
            url: None,
        }
    }

    /// A subscription to `kind` delivered to `url`.
    pub fn to_url(kind: EventKind, url: impl Into<String>) -> Self {
        Self {
            event: kind.as_str().to_owned(),
            url: Some(url.into()),
        }
    }
}

/// The circuit breaker's thresholds, in simulated seconds. The defaults are HighLevel's: a URL
/// with more than 10,000 deliveries in the trailing 3 days and under 90% success is warned at
/// a check (every 3 days); flagged again at the next check, it is paused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct BreakerConfig {
    /// A URL is judged only when it received more than this many attempts in the window.
    pub min_deliveries: u64,
    /// Success rate (0.0 to 1.0) under which a judged URL is flagged.
    pub min_success_rate: f64,
    /// The trailing window the rate is computed over, in simulated seconds.
    pub window_secs: f64,
    /// Time between two checks, in simulated seconds.
    pub check_every_secs: f64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            min_deliveries: ghl_webhook_router::BREAKER_MIN_DELIVERIES,
            min_success_rate: ghl_webhook_router::BREAKER_MIN_RATIO,
            window_secs: 3.0 * DAY_SECS,
            check_every_secs: 3.0 * DAY_SECS,
        }
    }
}

impl BreakerConfig {
    /// Sets `min_deliveries` (see the field).
    pub fn min_deliveries(mut self, deliveries: u64) -> Self {
        self.min_deliveries = deliveries;
        self
    }

    /// Sets `min_success_rate` (see the field).
    pub fn min_success_rate(mut self, rate: f64) -> Self {
        self.min_success_rate = rate;
        self
    }

    /// Sets `window_secs` (see the field).
    pub fn window_secs(mut self, secs: f64) -> Self {
        self.window_secs = secs;
        self
    }

    /// Sets `check_every_secs` (see the field).
    pub fn check_every_secs(mut self, secs: f64) -> Self {
        self.check_every_secs = secs;
        self
    }
}

/// HighLevel's delivery habits, off by default.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct Habits {
    /// Fraction (0.0 to 1.0) of opportunity changes (create, delete, stage, status, value,
    /// assignee) that also fire `OpportunityUpdate` (HighLevel: all of them, 1.0), delivered
    /// when `OpportunityUpdate` is subscribed.
    pub opportunity_pair_ratio: f64,
    /// Fraction (0.0 to 1.0) of deliveries HighLevel sends twice with the same `webhookId`.
    pub duplicate_ratio: f64,
}

impl Habits {
    /// Sets `opportunity_pair_ratio` (see the field).
    pub fn opportunity_pair_ratio(mut self, ratio: f64) -> Self {
        self.opportunity_pair_ratio = ratio;
        self
    }

    /// Sets `duplicate_ratio` (see the field).
    pub fn duplicate_ratio(mut self, ratio: f64) -> Self {
        self.duplicate_ratio = ratio;
        self
    }
}

/// The key deliveries are signed with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SigningKey {
    /// `X-GHL-Signature` with this Ed25519 key (the default: [`TestKeys::primary`]).
    Ed25519(TestKeys),
    /// `X-WH-Signature` only, with this RSA key (HighLevel's legacy scheme).
    #[cfg(feature = "legacy-rsa")]
    Rsa(RsaSigner),
}

impl Default for SigningKey {
    fn default() -> Self {
        Self::Ed25519(TestKeys::primary())
    }
}

impl SigningKey {
    /// The key in a PKCS#8 PEM (Ed25519; with `legacy-rsa` also RSA, PKCS#8 or PKCS#1).
    pub fn from_private_key_pem(pem: &str) -> Result<Self, ConfigError> {
        let ed = TestKeys::from_private_key_pem(pem);
        match ed {
            Ok(keys) => Ok(Self::Ed25519(keys)),
            #[cfg(feature = "legacy-rsa")]
            Err(ed_err) => RsaSigner::from_private_key_pem(pem)
                .map(Self::Rsa)
                .map_err(|rsa_err| {
                    ConfigError::Key(format!(
                        "neither an Ed25519 key ({ed_err}) nor an RSA key ({rsa_err})"
                    ))
                }),
            #[cfg(not(feature = "legacy-rsa"))]
            Err(err) => Err(ConfigError::Key(err.to_string())),
        }
    }

    /// `ed25519` or `rsa`: the scheme the key signs with.
    pub fn scheme_name(&self) -> &'static str {
        match self {
            Self::Ed25519(_) => "ed25519",
            #[cfg(feature = "legacy-rsa")]
            Self::Rsa(_) => "rsa",
        }
    }
}

/// Everything the simulator is set up with. Build it in Rust (`Default` or [`new`](Self::new),
/// then a setter per field) or read it from JSON ([`SimulatorConfig::from_json`]); [`SimulatorConfig::validate`] runs before use.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct SimulatorConfig {
    /// The app's default webhook URL (INSTALL/UNINSTALL always go there).
    pub webhook_url: Option<String>,
    /// The subscribed events.
    pub subscriptions: Vec<Subscription>,
    /// The retry policy.
    pub retry_policy: PolicyName,
    /// Real seconds per simulated second: `0.001` runs a simulated day in 86.4 s. Retry
    /// delays, the breaker's window and checks, and the retention are all simulated time.
    pub time_scale: f64,
    /// How long one attempt waits for an answer, in real milliseconds.
    pub attempt_timeout_ms: u64,
    /// How long deliveries stay in the log, in simulated days (HighLevel: 30).
    pub retention_days: f64,
    /// The circuit breaker's thresholds.
    pub breaker: BreakerConfig,
    /// HighLevel's habits (paired opportunity events, duplicate deliveries).
    pub habits: Habits,
    /// Allows URLs that are not loopback addresses. Off: the simulator refuses to send
    /// anywhere but `localhost`, `127.0.0.0/8` and `[::1]`.
    pub allow_remote: bool,
    /// The `appId` of the envelope.
    pub app_id: String,
    /// The `versionId` of the envelope.
    pub version_id: String,
    /// The signing key (not part of a config file: the CLI takes `--key`).
    #[serde(skip)]
    pub signing_key: SigningKey,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            webhook_url: None,
            subscriptions: Vec::new(),
            retry_policy: PolicyName::Current,
            time_scale: 1.0,
            attempt_timeout_ms: 10_000,
            retention_days: 30.0,
            breaker: BreakerConfig::default(),
            habits: Habits::default(),
            allow_remote: false,
            app_id: crate::sender::TEST_APP_ID.to_owned(),
            version_id: crate::sender::TEST_VERSION_ID.to_owned(),
            signing_key: SigningKey::default(),
        }
    }
}

impl SimulatorConfig {
    /// The defaults with `url` as the default webhook URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            webhook_url: Some(url.into()),
            ..Self::default()
        }
    }

    /// Reads a JSON config; every field is optional. The result is validated.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Subscribes `kind` to the default URL.
    pub fn subscribe(mut self, kind: EventKind) -> Self {
        self.subscriptions.push(Subscription::to_default(kind));
        self
    }

    /// Subscribes `kind` with its own URL.
    pub fn subscribe_to(mut self, kind: EventKind, url: impl Into<String>) -> Self {
        self.subscriptions.push(Subscription::to_url(kind, url));
        self
    }

    /// Sets `retry_policy` (see the field).
    pub fn retry_policy(mut self, policy: PolicyName) -> Self {
        self.retry_policy = policy;
        self
    }

    /// Sets `time_scale` (see the field).
    pub fn time_scale(mut self, scale: f64) -> Self {
        self.time_scale = scale;
        self
    }

    /// Sets `attempt_timeout_ms` (see the field).
    pub fn attempt_timeout_ms(mut self, ms: u64) -> Self {
        self.attempt_timeout_ms = ms;
        self
    }

    /// Sets `retention_days` (see the field).
    pub fn retention_days(mut self, days: f64) -> Self {
        self.retention_days = days;
        self
    }

    /// Sets `breaker` (see the field).
    pub fn breaker(mut self, breaker: BreakerConfig) -> Self {
        self.breaker = breaker;
        self
    }

    /// Sets `habits` (see the field).
    pub fn habits(mut self, habits: Habits) -> Self {
        self.habits = habits;
        self
    }

    /// Sets `app_id` (see the field).
    pub fn app_id(mut self, id: impl Into<String>) -> Self {
        self.app_id = id.into();
        self
    }

    /// Sets `version_id` (see the field).
    pub fn version_id(mut self, id: impl Into<String>) -> Self {
        self.version_id = id.into();
        self
    }

    /// Sets `signing_key` (see the field).
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.signing_key = key;
        self
    }

    /// Sets `allow_remote` (see the field).
    pub fn allow_remote(mut self, allow: bool) -> Self {
        self.allow_remote = allow;
        self
    }

    /// The retry policy at the configured time scale.
    pub fn policy(&self) -> RetryPolicy {
        self.retry_policy.policy(self.time_scale)
    }

    /// How long one attempt waits for an answer.
    pub(crate) fn attempt_timeout(&self) -> Duration {
        Duration::from_millis(self.attempt_timeout_ms)
    }

    /// Checks every field: known event names, usable URLs (loopback unless allowed), numbers
    /// in range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.webhook_url {
            target::check(url, self.allow_remote)?;
        }
        for sub in &self.subscriptions {
            parse_event(&sub.event)?;
            if let Some(url) = &sub.url {
                target::check(url, self.allow_remote)?;
            }
        }
        let positive = |field, value: f64, max: f64, rule| {
            if value.is_finite() && value > 0.0 && value <= max {
                Ok(())
            } else {
                Err(ConfigError::OutOfRange { field, value, rule })
            }
        };
        let ratio = |field, value: f64| {
            if (0.0..=1.0).contains(&value) {
                Ok(())
            } else {
                Err(ConfigError::OutOfRange {
                    field,
                    value,
                    rule: "between 0 and 1",
                })
            }
        };
        positive(
            "time_scale",
            self.time_scale,
            1000.0,
            "over 0 and at most 1000",
        )?;
        positive(
            "attempt_timeout_ms",
            self.attempt_timeout_ms as f64,
            3_600_000.0,
            "from 1 to 3600000 (one hour)",
        )?;
        positive(
            "retention_days",
            self.retention_days,
            3650.0,
            "over 0 and at most 3650",
        )?;
        positive(
            "breaker.window_secs",
            self.breaker.window_secs,
            3650.0 * DAY_SECS,
            "over 0 and at most ten years",
        )?;
        positive(
            "breaker.check_every_secs",
            self.breaker.check_every_secs,
            3650.0 * DAY_SECS,
            "over 0 and at most ten years",
        )?;
        ratio("breaker.min_success_rate", self.breaker.min_success_rate)?;
        ratio("habits.duplicate_ratio", self.habits.duplicate_ratio)?;
        ratio(
            "habits.opportunity_pair_ratio",
            self.habits.opportunity_pair_ratio,
        )?;
        Ok(())
    }
}

/// The kind named `name`, or [`ConfigError::UnknownEvent`].
pub(super) fn parse_event(name: &str) -> Result<EventKind, ConfigError> {
    EventKind::from_name(name).ok_or_else(|| ConfigError::UnknownEvent(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_file_names_only_what_it_changes() {
        let config = SimulatorConfig::from_json(
            r#"{"webhook_url": "http://127.0.0.1:9/h", "retry_policy": "legacy",
                "breaker": {"min_deliveries": 100}}"#,
        )
        .expect("parses");
        assert_eq!(config.retry_policy, PolicyName::Legacy);
        assert_eq!(config.breaker.min_deliveries, 100);
        assert_eq!(config.breaker.min_success_rate, 0.9);
        assert_eq!(config.time_scale, 1.0);
        config.validate().expect("valid");
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_rejected() {
        assert!(SimulatorConfig::from_json(r#"{"webhook_ulr": "x"}"#).is_err());
        assert!(SimulatorConfig::from_json(r#"{"time_scale": "fast"}"#).is_err());
        assert!(SimulatorConfig::from_json(r#"{"retry_policy": "sometimes"}"#).is_err());
        assert!(SimulatorConfig::from_json("42").is_err());
    }

    #[test]
    fn out_of_range_numbers_and_unknown_events_are_rejected() {
        let bad = |config: SimulatorConfig| config.validate().expect_err("invalid").to_string();
        let base = SimulatorConfig::new("http://127.0.0.1:9/");
        assert!(bad(base.clone().time_scale(0.0)).contains("time_scale"));
        assert!(bad(base.clone().time_scale(f64::NAN)).contains("time_scale"));
        let mut c = base.clone();
        c.habits.duplicate_ratio = 1.5;
        assert!(bad(c).contains("duplicate_ratio"));
        let mut c = base.clone();
        c.attempt_timeout_ms = 0;
        assert!(bad(c).contains("attempt_timeout_ms"));
        let mut c = base.clone();
        c.breaker.min_success_rate = -0.1;
        assert!(bad(c).contains("min_success_rate"));
        let mut c = base.clone();
        c.subscriptions.push(Subscription {
            event: "contactcreate".into(),
            url: None,
        });
        assert!(bad(c).contains("`contactcreate` is not a HighLevel event name"));
    }

    #[test]
    fn remote_urls_need_an_explicit_allowance() {
        let remote = SimulatorConfig::new("http://example.com/hooks");
        assert!(remote.validate().is_err());
        remote.allow_remote(true).validate().expect("allowed");
        let sub = SimulatorConfig::new("http://127.0.0.1:9/")
            .subscribe_to(EventKind::ContactCreate, "http://10.0.0.1/x");
        assert!(sub.validate().is_err());
    }

    #[test]
    fn a_signing_key_is_read_from_pem_or_refused_clearly() {
        let pem = include_str!("../../keys/ed25519-test-private.pem");
        assert_eq!(
            SigningKey::from_private_key_pem(pem)
                .expect("ed25519")
                .scheme_name(),
            "ed25519"
        );
        let err = SigningKey::from_private_key_pem("not a key").expect_err("garbage");
        assert!(err.to_string().contains("not usable"), "{err}");
    }
}
