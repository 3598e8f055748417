//! [`HistoryError`]: what went wrong with a history database, and which file.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{LookupError, ReadError};

/// Why a history could not be opened, written or read: the database's path (or, for a
/// PostgreSQL history, its server, database and schema, never the password), and the reason.
///
/// `Display` gives one line, `PATH: reason` (`postgres://USER@HOST:PORT/DB schema S: reason`).
///
/// ```
/// use profkit::history::{HistoryErrorKind, Store};
///
/// let path = std::env::temp_dir().join(format!("profkit-doc-notdb-{}.db", std::process::id()));
/// std::fs::write(&path, b"these are not the pages of a database, whatever the name says")
///     .unwrap();
/// let err = Store::open(&path).unwrap_err();
/// assert!(matches!(err.kind(), HistoryErrorKind::NotADatabase));
/// assert_eq!(err.path(), Some(path.as_path()));
/// assert!(err.to_string().ends_with(": not a SQLite database"), "{err}");
/// # std::fs::remove_file(&path).unwrap();
/// ```
#[derive(Debug)]
pub struct HistoryError {
    // Boxed: the error stays small however a history is named.
    at: Option<Box<At>>,
    kind: HistoryErrorKind,
}

/// Where the history of an error is (one field for both, so that the error stays small).
#[derive(Debug)]
enum At {
    File(PathBuf),
    /// `postgres://USER@HOST:PORT/DB`, without a password.
    #[cfg_attr(not(feature = "history-postgres"), allow(dead_code))]
    Server(String),
}

/// What went wrong, without the path.
///
/// ```
/// use profkit::history::{HistoryErrorKind, RunId, Store};
/// let err = Store::in_memory().unwrap().profile(RunId(7)).unwrap_err();
/// assert!(matches!(err.kind(), HistoryErrorKind::UnknownRun(_)));
/// assert_eq!(err.to_string(), "no run 7 in this history");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum HistoryErrorKind {
    /// The file is not a SQLite database.
    NotADatabase,
    /// A SQLite database of another program: it has tables and is not a profkit history.
    NotAHistory {
        /// Some of the tables it has.
        tables: Vec<String>,
    },
    /// A PostgreSQL schema of another program: it has tables and is not a profkit history.
    ForeignSchema {
        /// The schema.
        schema: String,
        /// Some of the tables it has.
        tables: Vec<String>,
    },
    /// A history written by a newer profkit, in a schema this one does not know.
    NewerSchema {
        /// The schema version of the file.
        found: i64,
        /// The newest version this build reads.
        supported: i64,
    },
    /// The database is damaged (SQLite's "database disk image is malformed", or a stored
    /// profile that no longer decompresses or parses).
    Corrupt(String),
    /// The file could not be opened, read or written (permissions, a missing directory, a
    /// full disk, a lock held too long).
    Access(String),
    /// A run that is not in the history.
    UnknownRun(String),
    /// A function name that names no function of the history, or several.
    Function(LookupError),
    /// A run or a request that cannot be recorded or answered: an empty commit, a label
    /// without a key, rules that cannot work.
    Invalid(String),
    /// A stored profile that could not be read back.
    Profile(ReadError),
}

impl HistoryError {
    pub(crate) fn new(path: Option<&Path>, kind: HistoryErrorKind) -> HistoryError {
        HistoryError {
            at: path.map(|p| Box::new(At::File(p.to_owned()))),
            kind,
        }
    }

    /// An error of the PostgreSQL history at `server` (a label without the password).
    #[cfg(feature = "history-postgres")]
    pub(crate) fn at_server(server: &str, kind: HistoryErrorKind) -> HistoryError {
        HistoryError {
            at: Some(Box::new(At::Server(server.to_owned()))),
            kind,
        }
    }

    /// An error of a request, not of a file.
    pub(crate) fn invalid(message: impl Into<String>) -> HistoryError {
        HistoryError::new(None, HistoryErrorKind::Invalid(message.into()))
    }

    /// The database file, when the error concerns one (`None` for an in-memory store or a
    /// request that was refused before any file was touched).
    pub fn path(&self) -> Option<&Path> {
        match self.at.as_deref() {
            Some(At::File(p)) => Some(p),
            _ => None,
        }
    }

    /// The PostgreSQL history the error concerns, as `postgres://USER@HOST:PORT/DB schema S`
    /// (never with a password); `None` for a SQLite file or a refused request.
    ///
    /// ```
    /// let err = profkit::history::Store::open("/nonexistent-dir/runs.db").unwrap_err();
    /// assert_eq!(err.server(), None);
    /// ```
    pub fn server(&self) -> Option<&str> {
        match self.at.as_deref() {
            Some(At::Server(s)) => Some(s),
            _ => None,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &HistoryErrorKind {
        &self.kind
    }

    /// Whether the file is not a usable profkit history at all (not a database, another
    /// program's database, a newer schema, damaged): bad input rather than a bad request.
    ///
    /// ```
    /// let err = profkit::history::Store::open("/nonexistent-dir/runs.db").unwrap_err();
    /// assert!(!err.is_bad_file());
    /// ```
    pub fn is_bad_file(&self) -> bool {
        matches!(
            self.kind,
            HistoryErrorKind::NotADatabase
                | HistoryErrorKind::NotAHistory { .. }
                | HistoryErrorKind::ForeignSchema { .. }
                | HistoryErrorKind::NewerSchema { .. }
                | HistoryErrorKind::Corrupt(_)
        )
    }
}

impl fmt::Display for HistoryErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryErrorKind::NotADatabase => f.write_str("not a SQLite database"),
            HistoryErrorKind::NotAHistory { tables } => write!(
                f,
                "a SQLite database, but not a profkit history (it has the tables {})",
                tables.join(", ")
            ),
            HistoryErrorKind::ForeignSchema { schema, tables } => write!(
                f,
                "the schema {schema:?} holds another program's tables ({}), not a profkit \
                 history (choose another with --schema)",
                tables.join(", ")
            ),
            HistoryErrorKind::NewerSchema { found, supported } => write!(
                f,
                "written by a newer profkit: schema version {found}, this profkit reads up to \
                 {supported} (upgrade profkit)"
            ),
            HistoryErrorKind::Corrupt(what) => write!(f, "the database is damaged: {what}"),
            HistoryErrorKind::Access(what) => f.write_str(what),
            HistoryErrorKind::UnknownRun(what) => write!(f, "no run {what} in this history"),
            HistoryErrorKind::Function(LookupError::Unknown { query, close }) => {
                write!(f, "no function named `{query}` in this history")?;
                if !close.is_empty() {
                    write!(f, "; close matches: {}", close.join(", "))?;
                }
                Ok(())
            }
            HistoryErrorKind::Function(e) => write!(f, "{e}"),
            HistoryErrorKind::Invalid(what) => f.write_str(what),
            HistoryErrorKind::Profile(e) => write!(f, "a stored profile: {e}"),
        }
    }
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at.as_deref() {
            Some(At::File(path)) => write!(f, "{}: ", path.display())?,
            Some(At::Server(server)) => write!(f, "{server}: ")?,
            None => {}
        }
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for HistoryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            HistoryErrorKind::Function(e) => Some(e),
            HistoryErrorKind::Profile(e) => Some(e),
            _ => None,
        }
    }
}
