use std::borrow::Cow;
use std::time::Duration;

use ghl_webhook_types::{DecodeError, EventKind, ProbeError};
use http::StatusCode;
use tracing::Level;

use crate::BoxError;
use crate::body::BodyError;
use crate::dedupe::StoreError;
use crate::journal::JournalError;
use crate::verify::SignatureError;

/// The configurable status codes (see the table on [`Outcome`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusPolicy {
    /// Handler error, panic or timeout. Default 500.
    pub failure: StatusCode,
    /// Duplicate in flight, store unavailable. Default 503.
    pub busy: StatusCode,
    /// Known kind whose payload does not decode. Default 200.
    pub decode_failure: StatusCode,
}

impl Default for StatusPolicy {
    fn default() -> Self {
        Self {
            failure: StatusCode::INTERNAL_SERVER_ERROR,
            busy: StatusCode::SERVICE_UNAVAILABLE,
            decode_failure: StatusCode::OK,
        }
    }
}

impl StatusPolicy {
    /// HighLevel's old retry policy retried only `429`: use it for every retryable outcome.
    pub fn legacy_429() -> Self {
        Self {
            failure: StatusCode::TOO_MANY_REQUESTS,
            busy: StatusCode::TOO_MANY_REQUESTS,
            decode_failure: StatusCode::OK,
        }
    }

    /// The status of a handler error, panic or timeout.
    ///
    /// ```
    /// use ghl_webhook_router::StatusPolicy;
    /// use http::StatusCode;
    ///
    /// let strict = StatusPolicy::default().decode_failure(StatusCode::UNPROCESSABLE_ENTITY);
    /// assert_eq!(strict.failure, StatusCode::INTERNAL_SERVER_ERROR);
    /// ```
    pub fn failure(mut self, status: StatusCode) -> Self {
        self.failure = status;
        self
    }

    /// The status of a duplicate in flight or an unavailable store.
    pub fn busy(mut self, status: StatusCode) -> Self {
        self.busy = status;
        self
    }

    /// The status of a known kind whose payload does not decode.
    pub fn decode_failure(mut self, status: StatusCode) -> Self {
        self.decode_failure = status;
        self
    }
}

/// How one delivery ended, with the status that makes HighLevel do the right thing: what the
/// pipeline answers, logs and reports to observers.
///
/// Each step of the pipeline returns the value the next step needs or an `Outcome`; the outcome
/// alone decides the status (under a [`StatusPolicy`]), the response text and the log level.
/// The table below is checked against the enum by the tests of its module.
///
/// | outcome (`code`) | default status | `legacy_429` | why |
/// |---|---|---|---|
/// | `handled` | 200 | 200 | done |
/// | `journaled` | 200 | 200 | durable mode: on disk, the workers handle it |
/// | `already_journaled` | 200 | 200 | durable mode: a delivery with this `webhookId` is already journaled |
/// | `journal_unavailable` | 503 | 429 | durable mode: the journal cannot be written; nothing was kept, HighLevel retries |
/// | `unknown` | 200 | 200 | unknown kind, no handler for it: acknowledged and logged; a retry cannot help |
/// | `no_handler` | 200 | 200 | known kind, no handler registered: acknowledged and logged |
/// | `duplicate` | 200 | 200 | a delivery with this `webhookId` was already handled |
/// | `duplicate_in_flight` | 503 | 429 | retryable: HighLevel comes back when the first one's outcome is known |
/// | `store_unavailable` | 503 | 429 | the idempotency store cannot answer: retryable, nothing processed twice |
/// | `undecodable` | 200 | 200 | known kind that does not decode: retries cannot fix it, and failures trip HighLevel's circuit breaker |
/// | `handler_failed` | 500 | 429 | HighLevel retries |
/// | `handler_panicked` | 500 | 429 | HighLevel retries |
/// | `handler_timed_out` | 500 | 429 | HighLevel retries |
/// | `invalid_signature` | 401 | 401 | missing, `N/A`, malformed or not verifying: not from HighLevel |
/// | `body_too_large` | 413 | 413 | over the body limit |
/// | `body_timeout` | 408 | 408 | the body did not arrive within the body timeout; the connection is closed |
/// | `body_unreadable` | 400 | 400 | the connection failed while the body was read |
/// | `not_json` | 400 | 400 | the body is not JSON |
/// | `method_not_allowed` | 405 | 405 | only `POST` is accepted |
/// | `unsupported_media_type` | 415 | 415 | a `Content-Type` that is not JSON |
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// The handler ran and succeeded.
    Handled,
    /// Durable mode: the delivery is in the journal, durably; a worker will handle it.
    Journaled,
    /// Durable mode: a delivery with this key is already in the journal.
    AlreadyJournaled,
    /// Durable mode: the journal could not be written, and nothing of the delivery was kept.
    JournalUnavailable(JournalError),
    /// The kind is unknown and no handler takes unknown events.
    Unknown,
    /// The kind is known but no handler is registered for it (and no catch-all).
    NoHandler(EventKind),
    /// A delivery with this `webhookId` was already handled.
    Duplicate,
    /// A delivery with this `webhookId` is being handled right now.
    DuplicateInFlight,
    /// The idempotency store could not answer.
    StoreUnavailable(StoreError),
    /// The payload of a known kind does not decode into its type.
    Undecodable(DecodeError),
    /// The handler returned an error.
    HandlerFailed(BoxError),
    /// The handler panicked, with this message.
    HandlerPanicked(String),
    /// The handler did not finish within this timeout.
    HandlerTimedOut(Duration),
    /// The signature is missing, `N/A`, malformed or does not verify.
    InvalidSignature(SignatureError),
    /// The body is larger than the limit of this many bytes.
    BodyTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The whole body did not arrive within this timeout.
    BodyTimedOut(Duration),
    /// The connection failed while the body was being read.
    BodyUnreadable(BoxError),
    /// The body is not JSON.
    NotJson(ProbeError),
    /// The request is not a `POST`.
    MethodNotAllowed,
    /// The request has a `Content-Type` that is not JSON.
    UnsupportedMediaType,
}

impl Outcome {
    /// The status answered under `policy`.
    pub fn status(&self, policy: &StatusPolicy) -> StatusCode {
        match self {
            Self::Handled
            | Self::Journaled
            | Self::AlreadyJournaled
            | Self::Unknown
            | Self::NoHandler(_)
            | Self::Duplicate => StatusCode::OK,
            Self::DuplicateInFlight | Self::StoreUnavailable(_) | Self::JournalUnavailable(_) => {
                policy.busy
            }
            Self::Undecodable(_) => policy.decode_failure,
            Self::HandlerFailed(_) | Self::HandlerPanicked(_) | Self::HandlerTimedOut(_) => {
                policy.failure
            }
            Self::InvalidSignature(_) => StatusCode::UNAUTHORIZED,
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimedOut(_) => StatusCode::REQUEST_TIMEOUT,
            Self::BodyUnreadable(_) | Self::NotJson(_) => StatusCode::BAD_REQUEST,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }

    /// A short stable name, for logs and metrics labels (bounded: never an id or a payload).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Handled => "handled",
            Self::Journaled => "journaled",
            Self::AlreadyJournaled => "already_journaled",
            Self::JournalUnavailable(_) => "journal_unavailable",
            Self::Unknown => "unknown",
            Self::NoHandler(_) => "no_handler",
            Self::Duplicate => "duplicate",
            Self::DuplicateInFlight => "duplicate_in_flight",
            Self::StoreUnavailable(_) => "store_unavailable",
            Self::Undecodable(_) => "undecodable",
            Self::HandlerFailed(_) => "handler_failed",
            Self::HandlerPanicked(_) => "handler_panicked",
            Self::HandlerTimedOut(_) => "handler_timed_out",
            Self::InvalidSignature(_) => "invalid_signature",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::BodyTimedOut(_) => "body_timeout",
            Self::BodyUnreadable(_) => "body_unreadable",
            Self::NotJson(_) => "not_json",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::UnsupportedMediaType => "unsupported_media_type",
        }
    }

    /// The response text: names the outcome and, for rejections, the reason. Never payload
    /// contents, and nothing of a handler's error (it may hold secrets): those are logged.
    pub fn message(&self) -> Cow<'static, str> {
        match self {
            Self::Handled => "handled".into(),
            Self::Journaled => "accepted: journaled".into(),
            Self::AlreadyJournaled => "duplicate: already journaled".into(),
            Self::JournalUnavailable(_) => "journal unavailable: retry later".into(),
            Self::Unknown => "acknowledged: unknown event".into(),
            Self::NoHandler(_) => "acknowledged: no handler for this event".into(),
            Self::Duplicate => "duplicate: already handled".into(),
            Self::DuplicateInFlight => "duplicate in flight: retry later".into(),
            Self::StoreUnavailable(_) => "idempotency store unavailable: retry later".into(),
            Self::Undecodable(err) => format!("undecodable payload: {err}").into(),
            Self::HandlerFailed(_) => "handler failed".into(),
            Self::HandlerPanicked(_) => "handler panicked".into(),
            Self::HandlerTimedOut(_) => "handler timed out".into(),
            Self::InvalidSignature(err) => format!("invalid signature: {err}").into(),
            Self::BodyTooLarge { limit } => {
                BodyError::TooLarge { limit: *limit }.to_string().into()
            }
            Self::BodyTimedOut(timeout) => {
                BodyError::TimedOut { timeout: *timeout }.to_string().into()
            }
            Self::BodyUnreadable(err) => format!("the body could not be read: {err}").into(),
            Self::NotJson(err) => err.to_string().into(),
            Self::MethodNotAllowed => "only POST is accepted".into(),
            Self::UnsupportedMediaType => "the Content-Type must be application/json".into(),
        }
    }

    /// How loudly the outcome is logged: errors for failures of the app or its store, warnings
    /// for rejections worth a look, info for what is expected in normal traffic.
    pub fn level(&self) -> Level {
        match self {
            Self::Handled
            | Self::Journaled
            | Self::AlreadyJournaled
            | Self::Unknown
            | Self::NoHandler(_)
            | Self::Duplicate
            | Self::DuplicateInFlight => Level::INFO,
            Self::Undecodable(_)
            | Self::InvalidSignature(_)
            | Self::BodyTooLarge { .. }
            | Self::BodyTimedOut(_)
            | Self::NotJson(_) => Level::WARN,
            Self::StoreUnavailable(_)
            | Self::JournalUnavailable(_)
            | Self::HandlerFailed(_)
            | Self::HandlerPanicked(_)
            | Self::HandlerTimedOut(_) => Level::ERROR,
            Self::BodyUnreadable(_) | Self::MethodNotAllowed | Self::UnsupportedMediaType => {
                Level::DEBUG
            }
        }
    }

    /// Whether a retry of the same delivery could end differently (the handler or the store
    /// failed), as opposed to a final outcome.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::DuplicateInFlight
                | Self::StoreUnavailable(_)
                | Self::JournalUnavailable(_)
                | Self::HandlerFailed(_)
                | Self::HandlerPanicked(_)
                | Self::HandlerTimedOut(_)
        )
    }

    /// Logs the outcome at its [`level`](Self::level), with its details (the error, the JSON
    /// path, the panic message) as fields, in the current span.
    pub(crate) fn log(&self) {
        macro_rules! at_level {
            ($($field:tt)*) => {
                match self.level() {
                    Level::ERROR => tracing::error!(outcome = self.code(), $($field)*),
                    Level::WARN => tracing::warn!(outcome = self.code(), $($field)*),
                    Level::INFO => tracing::info!(outcome = self.code(), $($field)*),
                    Level::DEBUG => tracing::debug!(outcome = self.code(), $($field)*),
                    _ => tracing::trace!(outcome = self.code(), $($field)*),
                }
            };
        }
        match self {
            Self::StoreUnavailable(err) => at_level!(error = %err, "{}", self.message()),
            Self::JournalUnavailable(err) => at_level!(error = %err, "{}", self.message()),
            Self::Undecodable(err) => at_level!(path = %err.path, "{}", self.message()),
            Self::HandlerFailed(err) => at_level!(error = %err, "{}", self.message()),
            Self::HandlerPanicked(panic) => at_level!(panic = %panic, "{}", self.message()),
            Self::HandlerTimedOut(limit) => at_level!(timeout = ?limit, "{}", self.message()),
            Self::BodyTimedOut(limit) => at_level!(timeout = ?limit, "{}", self.message()),
            Self::InvalidSignature(err) => at_level!(reason = err.code(), "{}", self.message()),
            _ => at_level!("{}", self.message()),
        }
    }
}

impl From<BodyError> for Outcome {
    fn from(err: BodyError) -> Self {
        match err {
            BodyError::TooLarge { limit } => Self::BodyTooLarge { limit },
            BodyError::TimedOut { timeout } => Self::BodyTimedOut(timeout),
            BodyError::Read(err) => Self::BodyUnreadable(err),
        }
    }
}

impl From<SignatureError> for Outcome {
    fn from(err: SignatureError) -> Self {
        Self::InvalidSignature(err)
    }
}

impl From<ProbeError> for Outcome {
    fn from(err: ProbeError) -> Self {
        Self::NotJson(err)
    }
}

impl From<DecodeError> for Outcome {
    fn from(err: DecodeError) -> Self {
        Self::Undecodable(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One outcome of every variant. The match below has no wildcard: a new variant does not
    /// compile until it is added here, and so to the table check.
    fn one_of_each() -> Vec<Outcome> {
        let decode = <ghl_webhook_types::association::AssociationDelete as ghl_webhook_types::WebhookEvent>::decode(b"{}")
            .expect_err("an empty object is no AssociationDelete");
        let probe = ghl_webhook_types::Probe::read(b"{").expect_err("not JSON");
        let all = vec![
            Outcome::Handled,
            Outcome::Journaled,
            Outcome::AlreadyJournaled,
            Outcome::JournalUnavailable(JournalError::Closed),
            Outcome::Unknown,
            Outcome::NoHandler(EventKind::AssociationDelete),
            Outcome::Duplicate,
            Outcome::DuplicateInFlight,
            Outcome::StoreUnavailable(StoreError::new("down")),
            Outcome::Undecodable(decode),
            Outcome::HandlerFailed("boom".into()),
            Outcome::HandlerPanicked("boom".into()),
            Outcome::HandlerTimedOut(Duration::from_secs(1)),
            Outcome::InvalidSignature(SignatureError::Missing),
            Outcome::BodyTooLarge { limit: 1 },
            Outcome::BodyTimedOut(Duration::from_secs(1)),
            Outcome::BodyUnreadable("reset".into()),
            Outcome::NotJson(probe),
            Outcome::MethodNotAllowed,
            Outcome::UnsupportedMediaType,
        ];
        for outcome in &all {
            match outcome {
                Outcome::Handled
                | Outcome::Journaled
                | Outcome::AlreadyJournaled
                | Outcome::JournalUnavailable(_)
                | Outcome::Unknown
                | Outcome::NoHandler(_)
                | Outcome::Duplicate
                | Outcome::DuplicateInFlight
                | Outcome::StoreUnavailable(_)
                | Outcome::Undecodable(_)
                | Outcome::HandlerFailed(_)
                | Outcome::HandlerPanicked(_)
                | Outcome::HandlerTimedOut(_)
                | Outcome::InvalidSignature(_)
                | Outcome::BodyTooLarge { .. }
                | Outcome::BodyTimedOut(_)
                | Outcome::BodyUnreadable(_)
                | Outcome::NotJson(_)
                | Outcome::MethodNotAllowed
                | Outcome::UnsupportedMediaType => {}
            }
        }
        all
    }

    /// The rows of the status table in `Outcome`'s docs: `(code, default status, legacy_429 status)`.
    fn documented_rows() -> Vec<(String, u16, u16)> {
        include_str!("outcome.rs")
            .lines()
            .filter_map(|line| line.strip_prefix("/// | `"))
            .map(|row| {
                let cells: Vec<&str> = row.split('|').map(str::trim).collect();
                let status = |cell: &str| cell.parse::<u16>().expect("a status in the table");
                (
                    cells[0].trim_end_matches('`').to_owned(),
                    status(cells[1]),
                    status(cells[2]),
                )
            })
            .collect()
    }

    #[test]
    fn the_status_table_in_the_docs_is_the_enum() {
        let actual: Vec<(String, u16, u16)> = one_of_each()
            .iter()
            .map(|o| {
                (
                    o.code().to_owned(),
                    o.status(&StatusPolicy::default()).as_u16(),
                    o.status(&StatusPolicy::legacy_429()).as_u16(),
                )
            })
            .collect();
        assert_eq!(documented_rows(), actual);
    }

    #[test]
    fn codes_are_unique_and_messages_never_empty() {
        let all = one_of_each();
        let mut codes: Vec<&str> = all.iter().map(Outcome::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert!(all.iter().all(|o| !o.message().is_empty()));
    }

    #[test]
    fn only_failures_of_the_app_or_its_store_are_retryable() {
        for outcome in one_of_each() {
            let busy_or_failure =
                matches!(outcome.status(&StatusPolicy::default()).as_u16(), 500 | 503);
            assert_eq!(
                outcome.is_retryable(),
                busy_or_failure,
                "{}",
                outcome.code()
            );
        }
    }

    #[test]
    fn handler_errors_stay_out_of_the_response_text() {
        let outcome = Outcome::HandlerFailed("password=hunter2".into());
        assert!(!outcome.message().contains("hunter2"));
    }
}
