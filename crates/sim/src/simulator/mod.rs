//! A mock HighLevel that behaves like HighLevel over time: app settings with a default URL and
//! per-event URLs, deliveries shaped and signed as HighLevel sends them, HighLevel's retry
//! policies at a time scale, a delivery log with Resend, and the circuit breaker that pauses a
//! URL whose success rate stays under 90%.
//!
//! - [`Simulator`]: the engine, for Rust tests (`Simulator::start(config).await`, then
//!   [`Simulator::send`], [`Simulator::wait_settled`], [`Simulator::deliveries`], ...).
//! - [`ControlServer`]: the same engine behind a JSON control API and a live dashboard page
//!   (`ghl-webhook simulate --addr`).
//! - [`scenario`]: a bounded run against a receiver that ends in a verdict: would HighLevel
//!   pause this URL? (`ghl-webhook simulate --scenario`).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use ghl_webhook_sim::simulator::{DeliveryState, Simulator, SimulatorConfig};
//! use ghl_webhook_types::EventKind;
//!
//! let config = SimulatorConfig::new("http://127.0.0.1:3000/webhooks")
//!     .subscribe(EventKind::ContactCreate)
//!     .time_scale(0.0001); // a day of retries in under 9 s
//! let sim = Simulator::start(config).await?;
//! let ids = sim.send(EventKind::ContactCreate)?;
//! let delivery = sim.wait_settled(ids[0], Duration::from_secs(30)).await?;
//! assert_eq!(delivery.state, DeliveryState::Succeeded);
//! # Ok(()) }
//! ```

mod breaker;
mod clock;
mod config;
mod control;
mod engine;
mod log;
mod payload;
pub mod scenario;
mod target;

pub use breaker::{BreakerState, CheckResult, UrlBreaker};
pub use config::{
    BreakerConfig, ConfigError, DAY_SECS, Habits, PolicyName, SigningKey, SimulatorConfig,
    Subscription,
};
pub use control::{ControlServer, ServeError};
pub use engine::{Settings, SimError, Simulator};
pub use log::{Attempt, AttemptTrigger, Delivery, DeliveryId, DeliveryState};
pub use payload::{EventRequest, PayloadError};
pub use target::TargetError;
