//! Entry points for the coverage-guided fuzz targets (`fuzz/` at the repository root) into
//! steps that are not public: feature `fuzzing`, hidden from the docs, no stability promise.
//! Each runs the very function the pipeline runs, nothing more.

use ghl_webhook_types::{EventKind, Probe, ProbeError};

use crate::IdentifiedBy;
use crate::identify::{Binding, identify_body, kind_from_path};

/// How the route a delivery arrives on binds its kind, as the service is mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mount {
    /// `into_service()`: identified by the `type` field.
    Plain,
    /// `bind(kind)`: every delivery is `kind`.
    Bound(EventKind),
    /// `bind_by_path()`: the last path segment, when it names a kind.
    ByPath,
}

/// The pipeline's identification of `body` arriving on `path` under `mount`: the probe and
/// the kind, exactly as a delivery is identified before deduplication.
pub fn identify(
    mount: Mount,
    path: &str,
    body: &[u8],
) -> Result<(Probe, Option<(EventKind, IdentifiedBy)>), ProbeError> {
    let binding = match mount {
        Mount::Plain => Binding::None,
        Mount::Bound(kind) => Binding::Kind(kind),
        Mount::ByPath => Binding::PathSegment,
    };
    let identified = identify_body(binding, path, body)?;
    Ok((identified.probe, identified.kind))
}

/// The kind a path's last segment names (`bind_by_path`).
pub fn kind_of_path(path: &str) -> Option<EventKind> {
    kind_from_path(path)
}

/// The Redis journal's reading of an entry's hash, as `HGETALL` returns it (field, value,
/// field, value, …): the entry, or the error naming the field that is missing or malformed
/// (which the journal returns as a [`JournalError`](crate::journal::JournalError)).
#[cfg(feature = "redis")]
pub fn redis_entry(flat: Vec<Vec<u8>>) -> Result<crate::journal::Entry, String> {
    crate::journal::redis::fields::read_entry(flat)
}
