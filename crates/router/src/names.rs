//! The error of reading back a name this SDK writes (a journal row's state, how a delivery
//! was identified, which key verified it): `FromStr` of each of those types.

/// A name that is none of its type's names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not {what}; expected one of: {expected}")]
#[non_exhaustive]
pub struct UnknownName {
    /// What was being read, e.g. "an entry state".
    pub what: &'static str,
    /// The names it could have been.
    pub expected: &'static str,
    /// The text that was read.
    pub name: String,
}

impl UnknownName {
    pub(crate) fn new(what: &'static str, expected: &'static str, name: &str) -> Self {
        Self {
            what,
            expected,
            name: name.to_owned(),
        }
    }
}
