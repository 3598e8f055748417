//! [`Store`]: the history in a SQLite file. All of the history's SQL is here: the schema and
//! its migrations (`PRAGMA user_version`), WAL mode and a busy timeout so that several
//! processes can record at once, one transaction per run, the queries a check needs (each on
//! an index), and the stored profiles as deflated JSON.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::model::Report;

use super::error::{HistoryError, HistoryErrorKind};
use super::metric::Metric;
use super::store::{
    FunctionKey, RunFilter, RunId, RunInfo, RunMeta, RunSamples, RunStore, Values, extract,
};

/// `PRAGMA application_id` of a profkit history ("pkhs"): tells it from other SQLite files.
const APPLICATION_ID: i64 = 0x706b_6873;

/// How long a writer waits for another one before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// A stored profile inflates to at most this (the limit of a profile file).
const MAX_PROFILE_BYTES: u64 = 1 << 30;

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
];

/// The schema version this build writes, and the newest it reads.
///
/// ```
/// assert!(profkit::history::SCHEMA_VERSION >= 2);
/// ```
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// A history of runs in a SQLite file.
///
/// Opening migrates an older schema; several processes may record into one file at once
/// (WAL mode, a 60-second busy timeout, one transaction per run), and a process killed while
/// recording leaves the file as it was before that run.
///
/// ```
/// # #[profkit::profile] fn parse() {}
/// use profkit::history::{CheckOptions, RunFilter, RunMeta, Store};
///
/// let dir = std::env::temp_dir().join(format!("profkit-doc-store-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let mut store = Store::open(dir.join("runs.db")).unwrap();
/// for commit in ["c1", "c2", "c3"] {
///     let (_, report) = profkit::record(parse);
///     store.record(&report, &RunMeta::new(commit)).unwrap();
/// }
/// let runs = store.runs(&RunFilter::new().limit(2)).unwrap();
/// assert_eq!(runs[0].commit(), "c3"); // newest first
///
/// let (_, report) = profkit::record(parse);
/// let verdict = store.check(&report, &CheckOptions::default()).unwrap();
/// assert!(!verdict.blocked()); // three runs are too few to judge: insufficient data
/// # drop(store);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// The error of a SQLite call on the file at `path`.
fn sql_error(path: Option<&Path>, e: rusqlite::Error) -> HistoryError {
    let kind = match &e {
        rusqlite::Error::SqliteFailure(f, msg) => {
            let detail = msg.clone().unwrap_or_else(|| f.to_string());
            match f.code {
                ErrorCode::NotADatabase => HistoryErrorKind::NotADatabase,
                ErrorCode::DatabaseCorrupt => HistoryErrorKind::Corrupt(detail),
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                    HistoryErrorKind::Access(format!(
                        "the database stayed locked by another process for more than {} s",
                        BUSY_TIMEOUT.as_secs()
                    ))
                }
                ErrorCode::CannotOpen => {
                    HistoryErrorKind::Access(format!("cannot open the file: {detail}"))
                }
                ErrorCode::ReadOnly => {
                    HistoryErrorKind::Access(format!("cannot write the file: {detail}"))
                }
                _ => HistoryErrorKind::Access(detail),
            }
        }
        other => HistoryErrorKind::Access(other.to_string()),
    };
    HistoryError::new(path, kind)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn unix_ns(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
    }
}

/// Reads `(application_id, user_version)`.
fn versions(conn: &Connection, path: Option<&Path>) -> Result<(i64, i64), HistoryError> {
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

/// The columns of per-function metrics in `samples`, and of process ones in `runs`, in the
/// order of [`Metric::all`] (each with its metric's index).
fn columns(per_function: bool) -> Vec<(usize, &'static str)> {
    Metric::all()
        .iter()
        .enumerate()
        .filter(|(_, m)| m.is_per_function() == per_function)
        .map(|(i, m)| (i, m.column))
        .collect()
}

const RUN_COLUMNS: &str = "id, commit_sha, branch, machine, recorded_unix_ns, program, clock, \
                           profkit_version, function_count, total_ns";

impl Store {
    /// Opens the history at `path`, creating the file when there is none and migrating an
    /// older schema.
    ///
    /// # Errors
    /// [`HistoryError`] with the path and the reason: not a SQLite database, another
    /// program's database, a newer schema, a damaged file, a directory that does not exist.
    ///
    /// ```
    /// let err = profkit::history::Store::open("/nonexistent-dir/runs.db").unwrap_err();
    /// assert!(err.to_string().starts_with("/nonexistent-dir/runs.db: cannot open"), "{err}");
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Store, HistoryError> {
        Store::open_with(path.as_ref(), true)
    }

    /// Opens the history at `path`, which must exist (a check or a listing should not leave
    /// an empty database behind a mistyped path).
    ///
    /// # Errors
    /// As [`Store::open`]; a missing file is an
    /// [`Access`](HistoryErrorKind::Access) error.
    ///
    /// ```
    /// let err = profkit::history::Store::open_existing("/nonexistent/runs.db").unwrap_err();
    /// assert_eq!(err.to_string(), "/nonexistent/runs.db: no such file");
    /// ```
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Store, HistoryError> {
        let path = path.as_ref();
        if !path.exists() {
            return Err(HistoryError::new(
                Some(path),
                HistoryErrorKind::Access("no such file".into()),
            ));
        }
        Store::open_with(path, false)
    }

    /// An empty history in memory, gone when dropped: for tests and one-off comparisons.
    ///
    /// # Errors
    /// Only if SQLite cannot allocate it.
    ///
    /// ```
    /// let store = profkit::history::Store::in_memory().unwrap();
    /// assert!(store.path().is_none());
    /// ```
    pub fn in_memory() -> Result<Store, HistoryError> {
        let conn = Connection::open_in_memory().map_err(|e| sql_error(None, e))?;
        let mut store = Store { conn, path: None };
        store.migrate()?;
        Ok(store)
    }

    fn open_with(path: &Path, create: bool) -> Result<Store, HistoryError> {
        if path.is_dir() {
            return Err(HistoryError::new(
                Some(path),
                HistoryErrorKind::Access("is a directory, not a database file".into()),
            ));
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let err = |e| sql_error(Some(path), e);
        let conn = Connection::open_with_flags(path, flags).map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        let mut store = Store {
            conn,
            path: Some(path.to_owned()),
        };
        // The first read of the file: a file that is not a database fails here.
        store.set_wal()?;
        store.migrate()?;
        Ok(store)
    }

    /// The file, or `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn err(&self, e: rusqlite::Error) -> HistoryError {
        sql_error(self.path.as_deref(), e)
    }

    fn error(&self, kind: HistoryErrorKind) -> HistoryError {
        HistoryError::new(self.path.as_deref(), kind)
    }

    /// WAL mode: readers never wait for the writer, and a writer killed mid-run leaves only
    /// uncommitted frames, which the next opener ignores. Persistent in the file.
    fn set_wal(&self) -> Result<(), HistoryError> {
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if mode.eq_ignore_ascii_case("wal") {
            return Ok(());
        }
        // Switching needs the file to itself; a busy handler does not cover it, so retry while
        // another process holds it (several recorders creating one file at once).
        let start = std::time::Instant::now();
        loop {
            match self
                .conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
            {
                Ok(_) => return Ok(()),
                Err(rusqlite::Error::SqliteFailure(f, _))
                    if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
                        && start.elapsed() < BUSY_TIMEOUT =>
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(self.err(e)),
            }
        }
    }

    /// Brings the schema to [`SCHEMA_VERSION`], in one transaction that holds the write lock,
    /// so that two processes opening a new file at once create it once.
    fn migrate(&mut self) -> Result<(), HistoryError> {
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

    /// The schema version of the open database (after migration: [`SCHEMA_VERSION`]).
    ///
    /// # Errors
    /// SQLite's reason.
    ///
    /// ```
    /// use profkit::history::{SCHEMA_VERSION, Store};
    /// assert_eq!(Store::in_memory().unwrap().schema_version().unwrap(), SCHEMA_VERSION);
    /// ```
    pub fn schema_version(&self) -> Result<i64, HistoryError> {
        Ok(versions(&self.conn, self.path.as_deref())?.1)
    }

    /// Stores `report` as one run: see [`RunStore::record`].
    ///
    /// # Errors
    /// As [`RunStore::record`].
    pub fn record(&mut self, report: &Report, meta: &RunMeta) -> Result<RunInfo, HistoryError> {
        RunStore::record(self, report, meta)
    }

    /// The runs that match `filter`, newest first: see [`RunStore::runs`].
    ///
    /// # Errors
    /// As [`RunStore::runs`].
    pub fn runs(&self, filter: &RunFilter) -> Result<Vec<RunInfo>, HistoryError> {
        RunStore::runs(self, filter)
    }

    /// The whole profile of a run: see [`RunStore::profile`].
    ///
    /// # Errors
    /// As [`RunStore::profile`].
    ///
    /// ```
    /// # #[profkit::profile] fn step() {}
    /// use profkit::history::{RunId, RunMeta, Store};
    /// let (_, report) = profkit::record(step);
    /// let mut store = Store::in_memory().unwrap();
    /// let run = store.record(&report, &RunMeta::new("c1")).unwrap();
    /// assert_eq!(store.profile(run.id()).unwrap(), report);
    /// assert!(store.profile(RunId(99)).is_err());
    /// ```
    pub fn profile(&self, run: RunId) -> Result<Report, HistoryError> {
        RunStore::profile(self, run)
    }

    /// Judges `report` against this history: see [`check`](super::check).
    ///
    /// # Errors
    /// As [`check`](super::check).
    pub fn check(
        &self,
        report: &Report,
        options: &super::CheckOptions,
    ) -> Result<super::Verdict, HistoryError> {
        super::check(self, report, options)
    }

    fn run_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RunInfo> {
        let mut process: Values = vec![None; Metric::all().len()];
        for (k, (i, _)) in columns(false).into_iter().enumerate() {
            process[i] = row.get::<_, Option<i64>>(10 + k)?.map(to_u64);
        }
        Ok(RunInfo {
            id: RunId(row.get(0)?),
            commit: row.get(1)?,
            branch: row.get(2)?,
            machine: row.get(3)?,
            recorded_unix_ns: row.get(4)?,
            program: row.get(5)?,
            clock: row.get(6)?,
            profkit_version: row.get(7)?,
            function_count: to_u64(row.get(8)?),
            total_ns: to_u64(row.get(9)?),
            process,
            labels: BTreeMap::new(),
        })
    }

    fn labels_of(&self, run: RunId) -> Result<BTreeMap<String, String>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key, value FROM labels WHERE run_id = ?1")
            .map_err(|e| self.err(e))?;
        stmt.query_map([run.0], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }
}

fn deflate(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = DeflateEncoder::new(Vec::with_capacity(bytes.len() / 8), Compression::fast());
    enc.write_all(bytes)?;
    enc.finish()
}

fn inflate(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() * 8);
    DeflateDecoder::new(bytes)
        .take(MAX_PROFILE_BYTES + 1)
        .read_to_end(&mut out)?;
    if out.len() as u64 > MAX_PROFILE_BYTES {
        return Err(std::io::Error::other("it inflates to more than 1 GiB"));
    }
    Ok(out)
}

impl RunStore for Store {
    fn record(&mut self, report: &Report, meta: &RunMeta) -> Result<RunInfo, HistoryError> {
        meta.validate()?;
        // Everything that takes time happens before the write lock is taken.
        let numbers = extract(report);
        let profile = deflate(report.to_json().as_bytes())
            .map_err(|e| self.error(HistoryErrorKind::Access(format!("deflate: {e}"))))?;
        let clock = report.clock().map(|c| c.name().to_owned());
        let recorded = unix_ns(meta.time().unwrap_or_else(SystemTime::now));
        let process_cols = columns(false);
        let sample_cols = columns(true);
        let path = self.path.clone();
        let err = |e| sql_error(path.as_deref(), e);

        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let id = {
            let names: Vec<&str> = process_cols.iter().map(|(_, c)| *c).collect();
            let marks: Vec<String> = (0..names.len()).map(|k| format!("?{}", 10 + k)).collect();
            let sql = format!(
                "INSERT INTO runs (commit_sha, branch, machine, recorded_unix_ns, program, clock, \
                 profkit_version, function_count, total_ns{}{}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9{}{})",
                if names.is_empty() { "" } else { ", " },
                names.join(", "),
                if marks.is_empty() { "" } else { ", " },
                marks.join(", ")
            );
            let mut values: Vec<Box<dyn rusqlite::ToSql>> = vec![
                Box::new(meta.commit().trim().to_owned()),
                Box::new(meta.branch_name().trim().to_owned()),
                Box::new(meta.machine_name().trim().to_owned()),
                Box::new(recorded),
                Box::new(report.program().map(str::to_owned)),
                Box::new(clock.clone()),
                Box::new(env!("CARGO_PKG_VERSION")),
                Box::new(to_i64(numbers.functions.len() as u64)),
                Box::new(to_i64(numbers.total_ns)),
            ];
            for (i, _) in &process_cols {
                values.push(Box::new(numbers.process[*i].map(to_i64)));
            }
            tx.execute(&sql, rusqlite::params_from_iter(values.iter()))
                .map_err(err)?;
            tx.last_insert_rowid()
        };
        {
            let mut label = tx
                .prepare_cached("INSERT INTO labels (run_id, key, value) VALUES (?1, ?2, ?3)")
                .map_err(err)?;
            for (k, v) in meta.labels() {
                label.execute(params![id, k, v]).map_err(err)?;
            }
            let mut add_function = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO functions (name, file, ordinal) VALUES (?1, ?2, ?3)",
                )
                .map_err(err)?;
            let mut function_id = tx
                .prepare_cached(
                    "SELECT id FROM functions WHERE name = ?1 AND file = ?2 AND ordinal = ?3",
                )
                .map_err(err)?;
            let names: Vec<&str> = sample_cols.iter().map(|(_, c)| *c).collect();
            let marks: Vec<String> = (0..names.len()).map(|k| format!("?{}", 4 + k)).collect();
            let mut sample = tx
                .prepare(&format!(
                    "INSERT INTO samples (run_id, function_id, line, {}) VALUES (?1, ?2, ?3, {})",
                    names.join(", "),
                    marks.join(", ")
                ))
                .map_err(err)?;
            for row in &numbers.functions {
                let key = &row.key;
                let (name, file, ordinal) = (key.name(), key.file(), key.ordinal());
                add_function
                    .execute(params![name, file, ordinal])
                    .map_err(err)?;
                let fid: i64 = function_id
                    .query_row(params![name, file, ordinal], |r| r.get(0))
                    .map_err(err)?;
                let mut values: Vec<Option<i64>> = vec![Some(id), Some(fid), Some(row.line.into())];
                values.extend(sample_cols.iter().map(|(i, _)| row.values[*i].map(to_i64)));
                sample
                    .execute(rusqlite::params_from_iter(values.iter()))
                    .map_err(err)?;
            }
            tx.execute(
                "INSERT INTO profiles (run_id, encoding, data) VALUES (?1, 'json+deflate', ?2)",
                params![id, profile],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;

        Ok(RunInfo {
            id: RunId(id),
            commit: meta.commit().trim().to_owned(),
            branch: meta.branch_name().trim().to_owned(),
            machine: meta.machine_name().trim().to_owned(),
            recorded_unix_ns: recorded,
            program: report.program().map(str::to_owned),
            clock,
            profkit_version: env!("CARGO_PKG_VERSION").to_owned(),
            function_count: numbers.functions.len() as u64,
            total_ns: numbers.total_ns,
            process: numbers.process,
            labels: meta.labels().clone(),
        })
    }

    fn runs(&self, filter: &RunFilter) -> Result<Vec<RunInfo>, HistoryError> {
        let mut conditions: Vec<String> = Vec::new();
        let mut values: Vec<String> = Vec::new();
        let mut add = |sql: String, value: &Option<String>| {
            if let Some(v) = value {
                conditions.push(sql);
                values.push(v.clone());
            }
        };
        add("branch = ?".into(), &filter.branch);
        add("machine = ?".into(), &filter.machine);
        add("commit_sha != ?".into(), &filter.exclude_commit);
        if let Some(p) = &filter.commit_prefix {
            add(
                format!("substr(commit_sha, 1, {}) = ?", p.chars().count()),
                &filter.commit_prefix,
            );
        }
        let process: Vec<&str> = columns(false).iter().map(|(_, c)| *c).collect();
        let sql = format!(
            "SELECT {RUN_COLUMNS}{}{} FROM runs{}{} ORDER BY id DESC{}",
            if process.is_empty() { "" } else { ", " },
            process.join(", "),
            if conditions.is_empty() { "" } else { " WHERE " },
            conditions.join(" AND "),
            filter
                .limit
                .map(|n| format!(" LIMIT {}", n.min(i64::MAX as usize)))
                .unwrap_or_default(),
        );
        let mut runs: Vec<RunInfo> = {
            let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
            stmt.query_map(
                rusqlite::params_from_iter(values.iter()),
                Store::run_from_row,
            )
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?
        };
        for run in &mut runs {
            run.labels = self.labels_of(run.id)?;
        }
        Ok(runs)
    }

    fn samples(
        &self,
        runs: &[RunId],
        function: Option<&FunctionKey>,
    ) -> Result<Vec<RunSamples>, HistoryError> {
        let cols = columns(true);
        let names: Vec<String> = cols.iter().map(|(_, c)| format!("s.{c}")).collect();
        let base = format!(
            "SELECT f.name, f.file, f.ordinal, {} FROM samples s JOIN functions f ON f.id = \
             s.function_id WHERE s.run_id = ?1",
            names.join(", ")
        );
        let function_id: Option<i64> = match function {
            None => None,
            Some(key) => {
                let id = self
                    .conn
                    .query_row(
                        "SELECT id FROM functions WHERE name = ?1 AND file = ?2 AND ordinal = ?3",
                        params![key.name(), key.file(), key.ordinal()],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(|e| self.err(e))?;
                match id {
                    Some(id) => Some(id),
                    // A function no run has: every run lacks it.
                    None => {
                        return Ok(runs
                            .iter()
                            .map(|&run| RunSamples {
                                run,
                                functions: HashMap::new(),
                            })
                            .collect());
                    }
                }
            }
        };
        let sql = match function_id {
            Some(_) => format!("{base} AND s.function_id = ?2"),
            None => base,
        };
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(runs.len());
        for &run in runs {
            let read = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(FunctionKey, Values)> {
                let key = FunctionKey::with_ordinal(
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                );
                let mut values: Values = vec![None; Metric::all().len()];
                for (k, (i, _)) in cols.iter().enumerate() {
                    values[*i] = r.get::<_, Option<i64>>(3 + k)?.map(to_u64);
                }
                Ok((key, values))
            };
            let rows: HashMap<FunctionKey, Values> = match function_id {
                Some(fid) => stmt.query_map(params![run.0, fid], read),
                None => stmt.query_map(params![run.0], read),
            }
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
            out.push(RunSamples {
                run,
                functions: rows,
            });
        }
        Ok(out)
    }

    fn functions(&self) -> Result<Vec<FunctionKey>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT name, file, ordinal FROM functions ORDER BY name, file, ordinal",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| {
            Ok(FunctionKey::with_ordinal(
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
            ))
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    fn profile(&self, run: RunId) -> Result<Report, HistoryError> {
        let row: Option<(String, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT encoding, data FROM profiles WHERE run_id = ?1",
                [run.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((encoding, data)) = row else {
            return Err(self.error(HistoryErrorKind::UnknownRun(run.to_string())));
        };
        if encoding != "json+deflate" {
            return Err(self.error(HistoryErrorKind::Corrupt(format!(
                "run {run}: its profile is stored as {encoding:?}, which this profkit cannot read"
            ))));
        }
        let json = inflate(&data).map_err(|e| {
            self.error(HistoryErrorKind::Corrupt(format!(
                "run {run}: its profile does not inflate: {e}"
            )))
        })?;
        Report::from_json_bytes(&json).map_err(|e| self.error(HistoryErrorKind::Profile(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_deflate_and_inflate() {
        let text = b"{\"format\":\"profkit\"}".repeat(100);
        let packed = deflate(&text).unwrap();
        assert!(packed.len() < text.len() / 10);
        assert_eq!(inflate(&packed).unwrap(), text);
        assert!(inflate(b"\xff\xff not deflate").is_err());
    }

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

    #[test]
    fn the_checks_queries_use_indexes() {
        let store = Store::in_memory().unwrap();
        let plan = |sql: &str| -> String {
            let mut stmt = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let rows: Vec<String> = stmt
                .query_map([], |r| r.get::<_, String>(3))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            rows.join("; ")
        };
        let window = plan(
            "SELECT * FROM runs WHERE branch = 'main' AND machine = 'ci' ORDER BY id DESC LIMIT 21",
        );
        assert!(
            window.contains("INDEX runs_by_series (branch=? AND machine=?)"),
            "{window}"
        );
        assert!(!window.contains("TEMP B-TREE"), "{window}");
        let samples = plan(
            "SELECT f.name FROM samples s JOIN functions f ON f.id = s.function_id WHERE s.run_id = 3",
        );
        assert!(
            samples.contains("USING PRIMARY KEY (run_id=?)"),
            "{samples}"
        );
        let one = plan("SELECT * FROM samples WHERE run_id = 3 AND function_id = 4");
        assert!(
            one.contains("USING PRIMARY KEY (run_id=? AND function_id=?)"),
            "{one}"
        );
    }
}
