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

/// Why [`Report::what_if`](crate::Report::what_if) gave no estimate.
///
/// ```
/// # #[profkit::profile] fn parse() {}
/// let (_, report) = profkit::record(parse);
/// assert!(matches!(report.what_if("parse", -2.0), Err(profkit::WhatIfError::Factor(_))));
/// assert!(matches!(report.what_if("pasre", 2.0), Err(profkit::WhatIfError::Lookup(_))));
/// assert_eq!(
///     report.what_if("parse", 0.0).unwrap_err().to_string(),
///     "a speedup factor must be a positive number, not 0"
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum WhatIfError {
    /// The name does not name exactly one function of the report.
    Lookup(LookupError),
    /// The factor is not a positive number: 0, negative or NaN.
    Factor(f64),
}

impl fmt::Display for WhatIfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WhatIfError::Lookup(e) => fmt::Display::fmt(e, f),
            WhatIfError::Factor(x) => {
                write!(f, "a speedup factor must be a positive number, not {x}")
            }
        }
    }
}

impl std::error::Error for WhatIfError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WhatIfError::Lookup(e) => Some(e),
            WhatIfError::Factor(_) => None,
        }
    }
}

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

/// A profile file that could not be read: which file, where in it, and what is wrong.
///
/// ```
/// let err = profkit::Report::read_pstats("/nonexistent/profile.prof").unwrap_err();
/// assert!(err.to_string().starts_with("/nonexistent/profile.prof: "));
/// let err = profkit::Report::from_pstats_bytes(&[b'{', b'X']).unwrap_err();
/// assert_eq!(err.offset(), Some(1));
/// ```
#[derive(Debug)]
pub struct ReadError {
    path: Option<PathBuf>,
    offset: Option<usize>,
    /// Line and column (from 1), for a text format.
    line: Option<(usize, usize)>,
    message: String,
    source: Option<io::Error>,
}

impl ReadError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        ReadError {
            path: None,
            offset: None,
            line: None,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn at(offset: usize, message: impl Into<String>) -> Self {
        ReadError {
            offset: Some(offset),
            ..ReadError::new(message)
        }
    }

    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        ReadError {
            path: Some(path.to_owned()),
            message: source.to_string(),
            source: Some(source),
            offset: None,
            line: None,
        }
    }

    /// A stream that could not be read (no file name).
    pub(crate) fn from_io(source: io::Error) -> Self {
        ReadError {
            message: format!("cannot read: {source}"),
            source: Some(source),
            ..ReadError::new("")
        }
    }

    #[cfg(feature = "json")]
    pub(crate) fn at_line(line: usize, column: usize, message: impl Into<String>) -> Self {
        ReadError {
            line: Some((line, column)),
            ..ReadError::new(message)
        }
    }

    pub(crate) fn in_file(mut self, path: &Path) -> Self {
        self.path = Some(path.to_owned());
        self
    }

    /// The file, when the error came from reading one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The byte offset where the data is wrong, when it is malformed.
    pub fn offset(&self) -> Option<usize> {
        self.offset
    }

    /// The line and column (both from 1) where a text file (JSON) is wrong.
    ///
    /// ```
    /// let err = profkit::Report::from_bytes(b"{\"format\": \"profkit\",\n  \"version\": }").unwrap_err();
    /// assert_eq!(err.line_column().map(|(line, _)| line), Some(2));
    /// ```
    pub fn line_column(&self) -> Option<(usize, usize)> {
        self.line
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}: ", path.display())?;
        }
        if let Some(offset) = self.offset {
            write!(f, "at byte {offset}: ")?;
        }
        if let Some((line, column)) = self.line {
            write!(f, "at line {line}, column {column}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Why [`report_on_signals`] could not install its handlers for
/// SIGINT and SIGTERM: the operating system refused a handler, or the thread that writes the
/// report could not be started.
///
/// ```
/// let err = profkit::SignalError::from(std::io::Error::other("no more threads"));
/// assert_eq!(
///     err.to_string(),
///     "cannot report on SIGINT and SIGTERM: no more threads"
/// );
/// ```
#[cfg_attr(
    all(unix, feature = "signals"),
    doc = "\n[`report_on_signals`]: crate::report_on_signals"
)]
#[cfg_attr(
    not(all(unix, feature = "signals")),
    doc = "\n[`report_on_signals`]: https://docs.rs/profkit/latest/profkit/fn.report_on_signals.html"
)]
#[derive(Debug)]
pub struct SignalError {
    source: io::Error,
}

impl SignalError {
    /// The operating system's reason.
    pub fn io_error(&self) -> &io::Error {
        &self.source
    }
}

impl From<io::Error> for SignalError {
    fn from(source: io::Error) -> Self {
        SignalError { source }
    }
}

impl fmt::Display for SignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot report on SIGINT and SIGTERM: {}", self.source)
    }
}

impl std::error::Error for SignalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Why [`Report::since`](crate::Report::since) gave no window: the two reports are not an
/// earlier and a later report of the same running process.
///
/// ```
/// let a = profkit::report();
/// let b = profkit::report();
/// let err = a.since(&b).unwrap_err();
/// assert!(matches!(err, profkit::SinceError::WrongOrder { .. }));
/// assert!(err.to_string().starts_with("the report given as the earlier one"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SinceError {
    /// A report does not say which process made it as a whole (a `record()` window, built by
    /// merging, read from a file written before schema version 3, or from a pstats file).
    NoOrigin,
    /// The reports come from two processes (or two runs of one program).
    OtherProcess,
    /// The report given as the earlier one was made after (or is) the later one.
    WrongOrder {
        /// The earlier report's number in its process.
        earlier: u64,
        /// The later report's number.
        later: u64,
    },
    /// `profkit::reset()` ran between the two reports, so the later one does not contain the
    /// earlier one.
    ResetBetween,
    /// The later report lacks something the earlier one recorded (a call path or a count that
    /// went down): not a later report of the same recording.
    NotContained(String),
}

impl fmt::Display for SinceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SinceError::NoOrigin => f.write_str(
                "a report is not one of the whole process (a record() window, merged, or read \
                 from a file without its origin), so no window can be taken between them",
            ),
            SinceError::OtherProcess => {
                f.write_str("the two reports come from different processes: no window between them")
            }
            SinceError::WrongOrder { earlier, later } => write!(
                f,
                "the report given as the earlier one (report #{earlier} of the process) was not \
                 made before the later one (#{later}): call later.since(&earlier)"
            ),
            SinceError::ResetBetween => f.write_str(
                "profkit::reset() ran between the two reports, so the later one does not \
                 contain the earlier one",
            ),
            SinceError::NotContained(what) => write!(
                f,
                "the later report does not contain the earlier one ({what})"
            ),
        }
    }
}

impl std::error::Error for SinceError {}
