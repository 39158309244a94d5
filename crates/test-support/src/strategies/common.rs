//! Building blocks shared by the per-family strategies.

use proptest::prelude::*;

/// A HighLevel-style identifier: 20 to 24 alphanumerics.
pub fn id() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9]{20,24}"
}

/// Free text as users type it: any printable characters, including quotes, backslashes and
/// non-ASCII, so escaping is exercised on every run.
pub fn free_text() -> impl Strategy<Value = String> {
    "\\PC{0,24}"
}

/// A value of an open string enum: a documented one, or (one time in four) an undocumented
/// one that must land in `Other`. Undocumented values start with `X_`, which no documented
/// value does, so the generated value is always the canonical decoding of its string.
pub fn open_value<T>(known: &'static [&'static str]) -> impl Strategy<Value = T>
where
    T: From<String> + std::fmt::Debug + Clone,
{
    prop_oneof![
        3 => proptest::sample::select(known).prop_map(|s| T::from(s.to_owned())),
        1 => "X_[A-Z_]{1,12}".prop_map(T::from),
    ]
}

/// An envelope field (`timestamp`, `webhookId`, `appId`, `versionId`) that an event type also
/// models: always present, because HighLevel always sends it (and `MockSender` adds it when it
/// is missing, so an absent one would not survive a delivery unchanged).
pub fn envelope<S: Strategy>(value: S) -> impl Strategy<Value = Option<S::Value>> {
    value.prop_map(Some)
}
