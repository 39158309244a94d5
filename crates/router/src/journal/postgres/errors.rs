//! Postgres errors as journal errors, each saying what to do.

use std::sync::Arc;

use crate::journal::JournalError;

/// Turns driver errors into journal errors that name where the journal is.
#[derive(Debug, Clone)]
pub(super) struct Classify {
    location: Arc<str>,
}

impl Classify {
    pub(super) fn new(location: String) -> Self {
        Self {
            location: location.into(),
        }
    }

    /// The URL without its password, and the schema.
    pub(super) fn location(&self) -> &str {
        &self.location
    }

    /// Data this SDK did not write.
    pub(super) fn foreign(&self, detail: String) -> JournalError {
        JournalError::Foreign {
            location: self.location.to_string(),
            detail,
        }
    }

    /// The journal error for a driver error.
    pub(super) fn error(&self, err: sqlx::Error) -> JournalError {
        self.shared(&Arc::new(err))
    }

    /// The journal error for a driver error that several callers share (a failed batch).
    pub(super) fn shared(&self, err: &Arc<sqlx::Error>) -> JournalError {
        let location = self.location.to_string();
        let source = || -> crate::BoxError { Box::new(Arc::clone(err)) };
        match &**err {
            sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => JournalError::Closed,
            sqlx::Error::Configuration(detail) => JournalError::InvalidAddress {
                address: location,
                detail: detail.to_string(),
                expected: EXPECTED_URL,
            },
            sqlx::Error::Database(db) => {
                let code = db.code().map(|code| code.into_owned()).unwrap_or_default();
                match code.get(..2) {
                    // invalid_authorization_specification, invalid_password,
                    // insufficient_privilege, invalid_catalog_name (no such database).
                    _ if matches!(code.as_str(), "28000" | "28P01" | "42501" | "3D000") => {
                        JournalError::Refused {
                            location,
                            detail: db.to_string(),
                        }
                    }
                    // connection_exception, insufficient_resources (too many connections),
                    // operator_intervention (shutdown, starting up), system errors.
                    Some("08" | "53" | "57" | "58") => JournalError::Unavailable {
                        location,
                        source: source(),
                    },
                    _ => JournalError::Engine(source()),
                }
            }
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::BeginFailed => JournalError::Unavailable {
                location,
                source: source(),
            },
            sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::ColumnNotFound(_)
            | sqlx::Error::ColumnIndexOutOfBounds { .. }
            | sqlx::Error::TypeNotFound { .. } => JournalError::Foreign {
                location,
                detail: format!("a journal row does not read as one ({err})"),
            },
            _ => JournalError::Engine(source()),
        }
    }
}

/// The form of a Postgres journal's address, for messages.
pub(super) const EXPECTED_URL: &str = "postgres://[user[:password]@]host[:port]/database";
