//! The journal's tables in Postgres: the schema they live in, their SQL, the version table,
//! and the migrations that create or upgrade them (serialised across replicas by an advisory
//! lock, and all-or-nothing: Postgres DDL is transactional).

use sqlx::{AssertSqlSafe, PgPool, Row};

use super::errors::Classify;
use crate::journal::JournalError;

/// The schema version this SDK writes, and the newest it can open.
pub(super) const SCHEMA_VERSION: i32 = 1;

/// What the version table says wrote the journal: tells our tables from another app's.
const WRITTEN_BY: &str = "ghl-webhook-router journal";

/// The longest schema name: the notification channel adds `_appended` to it, and Postgres
/// names are at most 63 bytes.
const MAX_SCHEMA_LEN: usize = 50;

/// Checks that `schema` can name the journal's schema: lowercase ASCII letters, digits and
/// underscores, starting with a letter or underscore, at most 50 bytes. Such a name needs no
/// quoting and is the same whether quoted or not.
pub(super) fn check_schema_name(schema: &str) -> Result<(), JournalError> {
    let invalid = |detail: &str| JournalError::InvalidName {
        what: "Postgres schema",
        name: schema.to_owned(),
        detail: format!(
            "{detail}; use lowercase letters, digits and underscores, starting with a letter or an underscore, at most {MAX_SCHEMA_LEN} bytes, e.g. `ghl_webhooks`"
        ),
    };
    let mut chars = schema.chars();
    match chars.next() {
        None => return Err(invalid("it is empty")),
        Some(first) if !(first.is_ascii_lowercase() || first == '_') => {
            return Err(invalid(
                "it must start with a lowercase letter or an underscore",
            ));
        }
        Some(_) => {}
    }
    if let Some(bad) = schema
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        return Err(invalid(&format!("`{bad}` is not allowed")));
    }
    if schema.len() > MAX_SCHEMA_LEN {
        return Err(invalid("it is too long"));
    }
    if schema.starts_with("pg_") {
        return Err(invalid(
            "names starting with `pg_` are reserved by Postgres",
        ));
    }
    Ok(())
}

/// `MIGRATIONS[n]` takes a journal from schema version `n` to `n + 1`; `{s}` is the schema.
const MIGRATIONS: &[&str] = &[V1];

/// Version 1. `key` and `order_key` are `bytea` (the exact UTF-8 bytes: keys are compared as
/// they are, NUL included, which `text` cannot hold). Times are milliseconds since the Unix
/// epoch. The partial indexes keep the workers' queries O(log n) whatever the number of done
/// entries: the next due pending entries (`entries_due`), expired leases (`entries_lease`),
/// the open entries of an order key (`entries_order`), finished entries to prune
/// (`entries_finished`).
const V1: &str = r#"
CREATE TABLE "{s}".schema_version (
    version    integer NOT NULL,
    written_by text    NOT NULL
);
CREATE TABLE "{s}".entries (
    seq             bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key             bytea   NOT NULL UNIQUE,
    state           text    NOT NULL CHECK (state IN ('pending', 'in_progress', 'done', 'dead')),
    kind            text,
    identified_by   text,
    type_field      text,
    verified_by     text    NOT NULL,
    order_key       bytea,
    received_at     bigint  NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    next_attempt_at bigint  NOT NULL,
    lease_until     bigint,
    lease_gen       bigint  NOT NULL DEFAULT 0,
    updated_at      bigint  NOT NULL,
    raw             bytea   NOT NULL
);
CREATE INDEX entries_due ON "{s}".entries (next_attempt_at, seq) WHERE state = 'pending';
CREATE INDEX entries_lease ON "{s}".entries (lease_until, seq) WHERE state = 'in_progress';
CREATE INDEX entries_order ON "{s}".entries (order_key, seq)
    WHERE order_key IS NOT NULL AND state IN ('pending', 'in_progress');
CREATE INDEX entries_finished ON "{s}".entries (updated_at) WHERE state IN ('done', 'dead');
"#;

/// What [`prepare`] may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Prepare {
    /// Create the schema and tables when missing, and upgrade older ones (receivers).
    Create,
    /// Only check that a journal of a known version is there (inspection): nothing is written.
    Existing,
}

/// Makes sure the journal's tables are in `schema`, at [`SCHEMA_VERSION`]: creates or
/// upgrades them (`Create`), or only checks (`Existing`). Tables this SDK did not write, or a
/// newer version, are an error and nothing is changed.
pub(super) async fn prepare(
    pool: &PgPool,
    schema: &str,
    how: Prepare,
    errors: &Classify,
) -> Result<(), JournalError> {
    let mut tx = pool.begin().await.map_err(|err| errors.error(err))?;
    // Replicas starting together migrate one at a time; the lock ends with the transaction.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("ghl-webhook-router journal {schema}"))
        .execute(&mut *tx)
        .await
        .map_err(|err| errors.error(err))?;
    let found = sqlx::query(
        "SELECT to_regclass(format('%I.schema_version', $1::text)) IS NOT NULL, \
                to_regclass(format('%I.entries', $1::text)) IS NOT NULL",
    )
    .bind(schema)
    .fetch_one(&mut *tx)
    .await
    .map_err(|err| errors.error(err))?;
    let (has_version, has_entries): (bool, bool) = (found.get(0), found.get(1));
    let version = if has_version {
        read_version(&mut tx, schema, errors).await?
    } else if has_entries {
        return Err(errors.foreign(format!(
            "schema `{schema}` has an `entries` table but no `schema_version` table"
        )));
    } else {
        0
    };
    if version > SCHEMA_VERSION {
        return Err(JournalError::NewerSchema {
            path: errors.location().into(),
            found: u32::try_from(version).unwrap_or(0),
            supported: u32::try_from(SCHEMA_VERSION).unwrap_or(0),
        });
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    if how == Prepare::Existing {
        return Err(JournalError::Missing {
            path: errors.location().into(),
        });
    }
    sqlx::raw_sql(AssertSqlSafe(format!(
        r#"CREATE SCHEMA IF NOT EXISTS "{schema}""#
    )))
    .execute(&mut *tx)
    .await
    .map_err(|err| errors.error(err))?;
    for migration in &MIGRATIONS[usize::try_from(version).unwrap_or(0)..] {
        sqlx::raw_sql(AssertSqlSafe(migration.replace("{s}", schema)))
            .execute(&mut *tx)
            .await
            .map_err(|err| errors.error(err))?;
    }
    sqlx::raw_sql(AssertSqlSafe(format!(
        r#"DELETE FROM "{schema}".schema_version;
           INSERT INTO "{schema}".schema_version (version, written_by) VALUES ({SCHEMA_VERSION}, '{WRITTEN_BY}')"#
    )))
    .execute(&mut *tx)
    .await
    .map_err(|err| errors.error(err))?;
    tx.commit().await.map_err(|err| errors.error(err))
}

/// The version in the version table, or `Foreign` when the table is not ours.
async fn read_version(
    tx: &mut sqlx::PgConnection,
    schema: &str,
    errors: &Classify,
) -> Result<i32, JournalError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        r#"SELECT version, written_by FROM "{schema}".schema_version"#
    )))
    .fetch_all(&mut *tx)
    .await
    .map_err(|err| match &err {
        // Another app's table of the same name, without these columns.
        sqlx::Error::Database(db) if db.code().as_deref() == Some("42703") => errors.foreign(
            format!("`{schema}.schema_version` is not a journal's version table ({db})"),
        ),
        _ => errors.error(err),
    })?;
    let [row] = rows.as_slice() else {
        return Err(errors.foreign(format!(
            "`{schema}.schema_version` holds {} rows, where a journal keeps one",
            rows.len()
        )));
    };
    let version: Result<i32, _> = row.try_get(0);
    let written_by: Result<String, _> = row.try_get(1);
    match (version, written_by) {
        (Ok(version), Ok(written_by)) if written_by == WRITTEN_BY => Ok(version),
        _ => Err(errors.foreign(format!(
            "`{schema}.schema_version` was not written by this SDK"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::check_schema_name;

    #[test]
    fn schema_names_are_plain_lowercase_identifiers() {
        for good in ["ghl_webhooks", "_j", "app2_journal", &"a".repeat(50)] {
            assert!(check_schema_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Journal",
            "2fast",
            "a-b",
            "a.b",
            "x\"; DROP SCHEMA public; --",
            "pg_journal",
            &"a".repeat(51),
            "ключ",
        ] {
            let err = check_schema_name(bad).expect_err(bad).to_string();
            assert!(err.contains("lowercase letters"), "{err}");
        }
    }
}
