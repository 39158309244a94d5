//! Journal rows as entries, and entries as the columns of an append.

use bytes::Bytes;
use ghl_webhook_types::EventKind;
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::identify::IdentifiedBy;
use crate::journal::millis::{from_ms, to_ms};
use crate::journal::{Entry, EntryState, NewEntry};
use crate::verify::VerifiedBy;

/// A row of the statements' entry columns as an entry, and its lease generation. A row that
/// does not read (a state or key this SDK never writes) is a decode error.
pub(super) fn read_entry(row: &PgRow) -> Result<(Entry, i64), sqlx::Error> {
    let state: String = row.try_get(8)?;
    let state: EntryState = state.parse().map_err(|e| sqlx::Error::ColumnDecode {
        index: "state".into(),
        source: Box::new(e),
    })?;
    let kind: Option<String> = row.try_get(2)?;
    let identified_by: Option<String> = row.try_get(3)?;
    let entry = Entry {
        key: text(row.try_get(0)?, "key")?,
        raw: Bytes::from(row.try_get::<Vec<u8>, _>(1)?),
        // A kind this SDK does not know (written by a newer one) reads as unknown.
        kind: kind.as_deref().and_then(EventKind::from_name),
        identified_by: identified_by.and_then(|by| by.parse::<IdentifiedBy>().ok()),
        type_field: row.try_get(4)?,
        verified_by: {
            let text: String = row.try_get(5)?;
            text.parse::<VerifiedBy>()
                .map_err(|e| sqlx::Error::ColumnDecode {
                    index: "verified_by".into(),
                    source: Box::new(e),
                })?
        },
        order_key: row
            .try_get::<Option<Vec<u8>>, _>(6)?
            .map(|bytes| text(bytes, "order_key"))
            .transpose()?,
        received_at: from_ms(row.try_get(7)?),
        state,
        attempts: u32::try_from(row.try_get::<i32, _>(9)?).unwrap_or(0),
        last_error: row.try_get(10)?,
        next_attempt_at: from_ms(row.try_get(11)?),
        lease_until: row.try_get::<Option<i64>, _>(12)?.map(from_ms),
        updated_at: from_ms(row.try_get(13)?),
    };
    Ok((entry, row.try_get(14)?))
}

/// A `bytea` key column as the text it was written from.
fn text(bytes: Vec<u8>, column: &str) -> Result<String, sqlx::Error> {
    String::from_utf8(bytes).map_err(|err| sqlx::Error::ColumnDecode {
        index: column.into(),
        source: format!("not UTF-8 text: {err}").into(),
    })
}

/// Text for a `text` column: Postgres text cannot hold NUL, so a NUL (only ever in a
/// pathological `type` field or error message, never in a key) is stored as U+FFFD.
pub(super) fn storable(text: &str) -> String {
    if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text.to_owned()
    }
}

/// The columns of a batch of appends, one array per column.
#[derive(Debug, Default)]
pub(super) struct AppendColumns {
    pub(super) keys: Vec<Vec<u8>>,
    pub(super) kinds: Vec<Option<&'static str>>,
    pub(super) identified_by: Vec<Option<&'static str>>,
    pub(super) type_fields: Vec<Option<String>>,
    pub(super) verified_by: Vec<String>,
    pub(super) order_keys: Vec<Option<Vec<u8>>>,
    pub(super) received_at: Vec<i64>,
    pub(super) raws: Vec<Vec<u8>>,
}

impl AppendColumns {
    pub(super) fn push(&mut self, entry: &NewEntry) {
        self.keys.push(entry.key.as_bytes().to_vec());
        self.kinds.push(entry.kind.map(EventKind::as_str));
        self.identified_by
            .push(entry.identified_by.map(IdentifiedBy::as_str));
        self.type_fields
            .push(entry.type_field.as_deref().map(storable));
        self.verified_by
            .push(storable(&entry.verified_by.to_string()));
        self.order_keys
            .push(entry.order_key.as_ref().map(|key| key.as_bytes().to_vec()));
        self.received_at.push(to_ms(entry.received_at));
        self.raws.push(entry.raw.to_vec());
    }
}
