//! [`Store`]: the history in a SQLite file. All of the history's SQL is here: the schema and
//! its migrations (`PRAGMA user_version`), WAL mode and a busy timeout so that several
//! processes can record at once, one transaction per run, the queries a check needs (each on
//! an index), and the stored profiles as deflated JSON.
//!
//! - `schema`: the tables, their migrations and the checks on opening a file.
//! - `run_store`: [`RunStore`] on SQLite: recording a run, the queries that read it back.
//! - `profiles`: the stored profiles, deflated and inflated.

pub(super) mod profiles;
mod run_store;
mod schema;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::model::Report;

use super::error::{HistoryError, HistoryErrorKind};
use super::metric::Metric;
use super::store::{RunFilter, RunId, RunInfo, RunMeta, RunStore};

pub use schema::SCHEMA_VERSION;
#[cfg(all(test, feature = "history-postgres"))]
pub(crate) use schema::migrations;

use schema::versions;

/// How long a writer waits for another one before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

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

pub(super) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(super) fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

pub(super) fn unix_ns(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
    }
}

/// The columns of per-function metrics in `samples`, and of process ones in `runs`, in the
/// order of [`Metric::all`] (each with its metric's index).
pub(super) fn columns(per_function: bool) -> Vec<(usize, &'static str)> {
    Metric::all()
        .iter()
        .enumerate()
        .filter(|(_, m)| m.is_per_function() == per_function)
        .map(|(i, m)| (i, m.column))
        .collect()
}

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
}
