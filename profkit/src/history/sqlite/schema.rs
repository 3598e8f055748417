//! The schema: its tables, one migration per `PRAGMA user_version` step, the vetting of a file.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::{Store, sql_error};
use crate::history::error::{HistoryError, HistoryErrorKind};

/// `PRAGMA application_id` of a profkit history ("pkhs"): tells it from other SQLite files.
const APPLICATION_ID: i64 = 0x706b_6873;

/// The schema, one step per version: step `i` takes a database from version `i` to `i + 1`.
/// A step never changes once released; a new column is a new step.
const MIGRATIONS: &[&str] = &[
    // 1: runs, their labels and profiles, functions, and per-function samples.
    "CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        commit_sha TEXT NOT NULL,
        branch TEXT NOT NULL,
        machine TEXT NOT NULL,
        recorded_unix_ns INTEGER NOT NULL,
        program TEXT,
        clock TEXT,
        profkit_version TEXT NOT NULL,
        function_count INTEGER NOT NULL,
        total_ns INTEGER NOT NULL,
        wall_ns INTEGER
    );
    -- A check reads the latest runs of one branch and machine.
    CREATE INDEX runs_by_series ON runs (branch, machine, id);
    CREATE INDEX runs_by_commit ON runs (commit_sha);
    CREATE TABLE labels (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE profiles (
        run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
        encoding TEXT NOT NULL,
        data BLOB NOT NULL
    );
    CREATE TABLE functions (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        file TEXT NOT NULL,
        ordinal INTEGER NOT NULL,
        UNIQUE (name, file, ordinal)
    );
    CREATE TABLE samples (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        function_id INTEGER NOT NULL REFERENCES functions (id),
        line INTEGER NOT NULL,
        ncalls INTEGER,
        tottime_ns INTEGER,
        cumtime_ns INTEGER,
        p50_ns INTEGER,
        p90_ns INTEGER,
        p99_ns INTEGER,
        max_ns INTEGER,
        PRIMARY KEY (run_id, function_id)
    ) WITHOUT ROWID;
    -- The trend of one function reads its samples across runs.
    CREATE INDEX samples_by_function ON samples (function_id, run_id);",
    // 2: the process's memory figures, NULL for a profile without them.
    "ALTER TABLE runs ADD COLUMN peak_heap_bytes INTEGER;
    ALTER TABLE runs ADD COLUMN max_rss_bytes INTEGER;",
    // 3: each function's memory figures, NULL for a profile without them.
    "ALTER TABLE samples ADD COLUMN bytes INTEGER;
    ALTER TABLE samples ADD COLUMN allocs INTEGER;
    ALTER TABLE samples ADD COLUMN cum_bytes INTEGER;
    ALTER TABLE samples ADD COLUMN peak_bytes INTEGER;",
    // 4: each function's CPU and waiting time (NULL for a profile without CPU figures), the
    // bytes it allocated that were still live (profkit::Alloc; NULL without memory figures) and
    // its growth exponent in thousandths and class (the rank in ComplexityClass::ALL: 0 O(1),
    // 2 O(n), 4 O(n^2); both NULL without a fit: no `#[profile(size = ..)]`).
    "ALTER TABLE samples ADD COLUMN cum_cpu_ns INTEGER;
    ALTER TABLE samples ADD COLUMN wait_ns INTEGER;
    ALTER TABLE samples ADD COLUMN live_bytes INTEGER;
    ALTER TABLE samples ADD COLUMN exponent_milli INTEGER;
    ALTER TABLE samples ADD COLUMN growth_class INTEGER;

    -- The run's sampled-timing rate (issue 27; NULL: every call timed).
    ALTER TABLE runs ADD COLUMN sampling INTEGER;",
];

/// The schema version this build writes, and the newest it reads.
///
/// ```
/// assert!(profkit::history::SCHEMA_VERSION >= 2);
/// ```
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The steps, for the test that holds the PostgreSQL steps to the same columns.
#[cfg(all(test, feature = "history-postgres"))]
pub(crate) fn migrations() -> &'static [&'static str] {
    MIGRATIONS
}

/// Reads `(application_id, user_version)`.
pub(super) fn versions(conn: &Connection, path: Option<&Path>) -> Result<(i64, i64), HistoryError> {
    let get = |pragma: &str| {
        conn.query_row(&format!("PRAGMA {pragma}"), [], |r| r.get::<_, i64>(0))
            .map_err(|e| sql_error(path, e))
    };
    Ok((get("application_id")?, get("user_version")?))
}

/// Refuses a file that is not a profkit history of a schema this build knows.
fn vet(conn: &Connection, path: Option<&Path>, app: i64, version: i64) -> Result<(), HistoryError> {
    let error = |kind| HistoryError::new(path, kind);
    let tables = || -> Result<Vec<String>, HistoryError> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name LIMIT 5")
            .map_err(|e| sql_error(path, e))?;
        stmt.query_map([], |r| r.get::<_, String>(0))
            .and_then(Iterator::collect)
            .map_err(|e| sql_error(path, e))
    };
    if app != 0 && app != APPLICATION_ID {
        return Err(error(HistoryErrorKind::NotAHistory { tables: tables()? }));
    }
    if version == 0 {
        let tables = tables()?;
        if !tables.is_empty() {
            return Err(error(HistoryErrorKind::NotAHistory { tables }));
        }
    }
    if version > SCHEMA_VERSION {
        return Err(error(HistoryErrorKind::NewerSchema {
            found: version,
            supported: SCHEMA_VERSION,
        }));
    }
    if version < 0 {
        return Err(error(HistoryErrorKind::Corrupt(format!(
            "schema version {version}"
        ))));
    }
    Ok(())
}

impl Store {
    /// Brings the schema to [`SCHEMA_VERSION`], in one transaction that holds the write lock,
    /// so that two processes opening a new file at once create it once.
    pub(super) fn migrate(&mut self) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let path = path.as_deref();
        let (app, version) = versions(&self.conn, path)?;
        vet(&self.conn, path, app, version)?;
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        let err = |e| sql_error(path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        // Another process may have migrated it while this one waited for the lock.
        let (app, version) = versions(&tx, path)?;
        vet(&tx, path, app, version)?;
        for step in &MIGRATIONS[version as usize..] {
            tx.execute_batch(step).map_err(err)?;
        }
        tx.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"
        ))
        .map_err(err)?;
        tx.commit().map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::metric::Metric;

    #[test]
    fn every_metric_has_its_column() {
        let store = Store::in_memory().unwrap();
        for m in Metric::all() {
            let table = if m.is_per_function() {
                "samples"
            } else {
                "runs"
            };
            store
                .conn
                .prepare(&format!("SELECT {} FROM {table}", m.column))
                .unwrap_or_else(|e| panic!("{}: no column {}.{}: {e}", m.name(), table, m.column));
        }
    }
}
