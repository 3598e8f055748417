//! The table of Python's `pstats.Stats.print_stats()`, character for character.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::{FunctionStats, Report};

/// An order for the pstats table, named as in `pstats.Stats.sort_stats`.
///
/// Descending for counts and times, ascending for names; ties keep the report's
/// (file, line, name) order, as pstats' stable sort keeps its input order.
///
/// ```
/// use profkit::SortKey;
/// assert_eq!("cumtime".parse::<SortKey>().unwrap(), SortKey::Cumulative);
/// assert_eq!(SortKey::TotTime.description(), "internal time");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SortKey {
    /// Inclusive time, descending (`cumulative`, `cumtime`).
    #[default]
    Cumulative,
    /// Own time, descending (`tottime`, `time`).
    TotTime,
    /// Total calls, descending (`calls`, `ncalls`).
    Calls,
    /// Primitive calls, descending (`pcalls`).
    PrimitiveCalls,
    /// Function name, ascending (`name`).
    Name,
    /// File name, ascending (`filename`, `file`, `module`).
    File,
    /// Line number, ascending (`line`).
    Line,
    /// The `file:line(name)` label as a string, ascending (`stdname`).
    StdName,
}

/// A sort key name that pstats does not know.
///
/// ```
/// assert!("fastest".parse::<profkit::SortKey>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseSortKeyError {
    given: String,
}

impl fmt::Display for ParseSortKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown sort key {:?}: expected one of cumulative, cumtime, tottime, time, \
             calls, ncalls, pcalls, name, filename, file, module, line, stdname",
            self.given
        )
    }
}

impl std::error::Error for ParseSortKeyError {}

impl FromStr for SortKey {
    type Err = ParseSortKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "cumulative" | "cumtime" => SortKey::Cumulative,
            "tottime" | "time" => SortKey::TotTime,
            "calls" | "ncalls" => SortKey::Calls,
            "pcalls" => SortKey::PrimitiveCalls,
            "name" => SortKey::Name,
            "filename" | "file" | "module" => SortKey::File,
            "line" => SortKey::Line,
            "stdname" => SortKey::StdName,
            _ => {
                return Err(ParseSortKeyError {
                    given: s.to_owned(),
                });
            }
        })
    }
}

impl SortKey {
    /// The text pstats prints after "Ordered by:".
    ///
    /// ```
    /// assert_eq!(profkit::SortKey::Cumulative.description(), "cumulative time");
    /// ```
    pub fn description(self) -> &'static str {
        match self {
            SortKey::Cumulative => "cumulative time",
            SortKey::TotTime => "internal time",
            SortKey::Calls => "call count",
            SortKey::PrimitiveCalls => "primitive call count",
            SortKey::Name => "function name",
            SortKey::File => "file name",
            SortKey::Line => "line number",
            SortKey::StdName => "standard name",
        }
    }

    fn compare(self, a: &FunctionStats, b: &FunctionStats) -> Ordering {
        let desc = |x: f64, y: f64| y.partial_cmp(&x).unwrap_or(Ordering::Equal);
        match self {
            SortKey::Cumulative => desc(seconds(a.cumtime_ns), seconds(b.cumtime_ns)),
            SortKey::TotTime => desc(seconds(a.tottime_ns), seconds(b.tottime_ns)),
            SortKey::Calls => b.ncalls.cmp(&a.ncalls),
            SortKey::PrimitiveCalls => b.primitive_calls.cmp(&a.primitive_calls),
            SortKey::Name => a.name.cmp(&b.name),
            SortKey::File => a.file.cmp(&b.file),
            SortKey::Line => a.line.cmp(&b.line),
            SortKey::StdName => a.std_name().cmp(&b.std_name()),
        }
    }
}

/// Seconds as pstats holds them: a float made from integer nanoseconds, as `_lsprof` does.
pub(crate) fn seconds(ns: u64) -> f64 {
    ns as f64 * 1e-9
}

/// The pstats table of a [`Report`], with a chosen order and length. `Display` prints it.
///
/// ```
/// use profkit::SortKey;
/// # #[profkit::profile] fn a() {}
/// let (_, report) = profkit::record(a);
/// print!("{}", report.stats().sort(SortKey::Calls).limit(5));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct StatsTable<'a> {
    report: &'a Report,
    sort: SortKey,
    limit: Option<usize>,
}

impl<'a> StatsTable<'a> {
    pub(super) fn new(report: &'a Report) -> Self {
        StatsTable {
            report,
            sort: SortKey::Cumulative,
            limit: None,
        }
    }

    /// Orders the rows by `key` (default: cumulative time).
    ///
    /// ```
    /// let report = profkit::Report::default();
    /// let _ = report.stats().sort(profkit::SortKey::Name);
    /// ```
    #[must_use]
    pub fn sort(mut self, key: SortKey) -> Self {
        self.sort = key;
        self
    }

    /// Prints only the first `n` rows, as `print_stats(n)` does.
    ///
    /// ```
    /// let report = profkit::Report::default();
    /// let _ = report.stats().limit(10);
    /// ```
    #[must_use]
    pub fn limit(mut self, n: impl Into<Option<usize>>) -> Self {
        self.limit = n.into();
        self
    }

    /// The rows in print order, after sorting and the limit.
    fn rows(&self) -> Vec<&'a FunctionStats> {
        let mut rows: Vec<&FunctionStats> = self.report.functions.iter().collect();
        // Stable: ties keep the report's order, like pstats' list.sort.
        rows.sort_by(|a, b| self.sort.compare(a, b));
        if let Some(n) = self.limit {
            rows.truncate(n);
        }
        rows
    }
}

/// `"%8.3f" % x`.
struct F8(f64);

impl fmt::Display for F8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:8.3}", self.0)
    }
}

impl fmt::Display for StatsTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let functions = &self.report.functions;
        // Summed in the report's order, as pstats sums its dict in load order, from +0.0
        // (`Sum for f64` starts at -0.0, which prints "-0.000" for an empty report).
        let total_tt = functions
            .iter()
            .fold(0.0, |acc, s| acc + seconds(s.tottime_ns));
        let (calls, prim) = (self.report.total_calls(), self.report.primitive_calls());
        write!(f, "         {calls} function calls ")?;
        if calls != prim {
            write!(f, "({prim} primitive calls) ")?;
        }
        writeln!(f, "in {total_tt:.3} seconds")?;
        writeln!(f)?;

        let rows = self.rows();
        if rows.is_empty() {
            return Ok(());
        }
        writeln!(f, "   Ordered by: {}", self.sort.description())?;
        if rows.len() != functions.len()
            && let Some(n) = self.limit
        {
            writeln!(
                f,
                "   List reduced from {} to {} due to restriction <{n}>",
                functions.len(),
                rows.len()
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "   ncalls  tottime  percall  cumtime  percall filename:lineno(function)"
        )?;
        for s in rows {
            let ncalls = if s.ncalls == s.primitive_calls {
                s.ncalls.to_string()
            } else {
                format!("{}/{}", s.ncalls, s.primitive_calls)
            };
            let (tt, ct) = (seconds(s.tottime_ns), seconds(s.cumtime_ns));
            write!(f, "{ncalls:>9} {} ", F8(tt))?;
            if s.ncalls == 0 {
                write!(f, "{:8} ", "")?;
            } else {
                write!(f, "{} ", F8(tt / s.ncalls as f64))?;
            }
            write!(f, "{} ", F8(ct))?;
            if s.primitive_calls == 0 {
                write!(f, "{:8} ", "")?;
            } else {
                write!(f, "{} ", F8(ct / s.primitive_calls as f64))?;
            }
            writeln!(f, "{}", s.std_name())?;
        }
        writeln!(f)?;
        writeln!(f)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.stats(), f)
    }
}
