//! The errors profkit returns.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// A function name that does not name exactly one function of a report.
///
/// ```
/// # #[profkit::profile] fn fetch_row() {}
/// let (_, report) = profkit::record(fetch_row);
/// match report.function("fetch_rwo") {
///     Err(profkit::LookupError::Unknown { close, .. }) => assert_eq!(close.len(), 1),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookupError {
    /// No function has this name or name suffix.
    Unknown {
        /// The name asked for.
        query: String,
        /// Up to five names that look close to it.
        close: Vec<String>,
    },
    /// A name suffix that several functions share.
    Ambiguous {
        /// The name asked for.
        query: String,
        /// Every qualified name it matches.
        candidates: Vec<String>,
    },
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupError::Unknown { query, close } if close.is_empty() => {
                write!(f, "no profiled function named `{query}` in this report")
            }
            LookupError::Unknown { query, close } => write!(
                f,
                "no profiled function named `{query}` in this report; close matches: {}",
                close.join(", ")
            ),
            LookupError::Ambiguous { query, candidates } => write!(
                f,
                "`{query}` names {} functions; use one of: {}",
                candidates.len(),
                candidates.join(", ")
            ),
        }
    }
}

impl std::error::Error for LookupError {}

/// A report that could not be written to a file.
///
/// ```
/// let err = profkit::write_report("/nonexistent-dir/profile.txt").unwrap_err();
/// assert_eq!(err.path(), std::path::Path::new("/nonexistent-dir/profile.txt"));
/// assert!(err.to_string().starts_with("cannot write /nonexistent-dir/profile.txt: "));
/// ```
#[derive(Debug)]
pub struct WriteError {
    path: PathBuf,
    source: io::Error,
}

impl WriteError {
    pub(crate) fn new(path: &Path, source: io::Error) -> Self {
        WriteError {
            path: path.to_owned(),
            source,
        }
    }

    /// The path that could not be written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The operating system's reason.
    pub fn io_error(&self) -> &io::Error {
        &self.source
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write {}: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Why [`TestClock::install`](crate::testing::TestClock::install) refused.
///
/// ```
/// #[profkit::profile]
/// fn inside() -> Result<profkit::testing::TestClock, profkit::TestClockError> {
///     profkit::testing::TestClock::install()
/// }
/// assert_eq!(inside().unwrap_err(), profkit::TestClockError::CallsOpen);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TestClockError {
    /// A profiled call is open on this thread: its start was read from the other clock.
    CallsOpen,
    /// The thread is being torn down.
    Unavailable,
}

impl fmt::Display for TestClockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TestClockError::CallsOpen => {
                "cannot switch clocks while a profiled call is open on this thread"
            }
            TestClockError::Unavailable => "this thread can no longer record",
        })
    }
}

impl std::error::Error for TestClockError {}
