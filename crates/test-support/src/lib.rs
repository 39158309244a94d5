//! Test tools for HighLevel webhooks (work in progress).
#![warn(missing_docs)]
pub mod strategies;
