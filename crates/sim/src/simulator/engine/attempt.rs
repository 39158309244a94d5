//! One attempt: a POST of the delivery's exact bytes through [`MockSender`], signed with the
//! configured key, bounded by the per-attempt timeout, reduced to status, latency and error.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::sender::{MockSender, Scheme};
use crate::simulator::config::SigningKey;

/// What one POST gave.
pub(super) struct Outcome {
    pub(super) status: Option<u16>,
    pub(super) latency_ms: f64,
    pub(super) error: Option<String>,
}

/// One POST of `body` to the sender's URL, signed with `key`, bounded by `timeout`.
pub(super) async fn post(
    sender: &MockSender,
    body: &Bytes,
    timeout: Duration,
    key: &SigningKey,
) -> Outcome {
    let scheme = match key {
        SigningKey::Ed25519(_) => Scheme::Ed25519,
        #[cfg(feature = "legacy-rsa")]
        SigningKey::Rsa(_) => Scheme::Rsa,
    };
    let started = Instant::now();
    let result =
        tokio::time::timeout(timeout, sender.raw(body.clone()).scheme(scheme).send()).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(Ok(sent)) => Outcome {
            status: Some(sent.status.as_u16()),
            latency_ms,
            error: None,
        },
        Ok(Err(err)) => Outcome {
            status: None,
            latency_ms,
            error: Some(error_chain(&err)),
        },
        Err(_) => Outcome {
            status: None,
            latency_ms,
            error: Some(format!(
                "no answer within {} ms (the attempt timeout)",
                timeout.as_millis()
            )),
        },
    }
}

/// An error and its sources, `: `-separated.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
