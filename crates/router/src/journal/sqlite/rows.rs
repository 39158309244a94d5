//! Rows read back as entries, and values written.

use super::*;

/// A row of [`columns!`] as an entry, and its lease generation.
pub(super) fn read_entry(row: &Row<'_>) -> rusqlite::Result<(Entry, i64)> {
    let state: String = row.get(8)?;
    let state: EntryState = state.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(8, rusqlite::types::Type::Text, Box::new(e))
    })?;
    let kind: Option<String> = row.get(2)?;
    let identified_by: Option<String> = row.get(3)?;
    let entry = Entry {
        key: row.get(0)?,
        raw: Bytes::from(row.get::<_, Vec<u8>>(1)?),
        // A kind this SDK does not know (written by a newer one) reads as unknown.
        kind: kind.as_deref().and_then(EventKind::from_name),
        identified_by: identified_by.and_then(|by| by.parse::<IdentifiedBy>().ok()),
        type_field: row.get(4)?,
        verified_by: {
            let text: String = row.get(5)?;
            text.parse::<VerifiedBy>().map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    5,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?
        },
        order_key: row.get(6)?,
        received_at: from_ms(row.get(7)?),
        state,
        attempts: u32::try_from(row.get::<_, i64>(9)?).unwrap_or(0),
        last_error: row.get(10)?,
        next_attempt_at: from_ms(row.get(11)?),
        lease_until: row.get::<_, Option<i64>>(12)?.map(from_ms),
        updated_at: from_ms(row.get(13)?),
    };
    Ok((entry, row.get(14)?))
}

/// A `LIMIT` value: -1 is none.
pub(super) fn to_sql_limit(limit: Option<usize>) -> i64 {
    limit.map_or(-1, |limit| i64::try_from(limit).unwrap_or(i64::MAX))
}
