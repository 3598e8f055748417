//! The table of Python's `pstats.Stats.print_stats()`, character for character.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::model::{
    CPU_BOUND, FunctionStats, Latency, MemoryStats, Report, SMALL_CALL_FACTOR, WAITS, amdahl,
    seconds,
};

use super::complexity::growth_text;

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
    /// 99th percentile of the latency, descending (`p99`; not in pstats).
    P99,
    /// Longest call, descending (`max`; not in pstats).
    Max,
    /// Bytes allocated while the function was the innermost call, descending (`bytes`; needs
    /// memory, see [`FunctionStats::memory`]).
    Bytes,
    /// Allocations while the function was the innermost call, descending (`allocs`).
    Allocs,
    /// Bytes allocated during the function's calls, callees included, descending
    /// (`cum_bytes`).
    CumBytes,
    /// The highest heap one call needed, descending (`peak`).
    Peak,
    /// Bytes allocated while the function was the innermost call and not freed yet,
    /// descending (`live_bytes`, `live`): what holds the heap now. The memory table's order
    /// when the report has live figures.
    LiveBytes,
    /// Live bytes allocated during the function's calls, callees included, descending
    /// (`cum_live_bytes`).
    CumLiveBytes,
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
             calls, ncalls, pcalls, name, filename, file, module, line, stdname, p99, max, \
             bytes, allocs, cum_bytes, peak, live_bytes, cum_live_bytes",
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
            "p99" => SortKey::P99,
            "max" => SortKey::Max,
            "bytes" => SortKey::Bytes,
            "allocs" => SortKey::Allocs,
            "cum_bytes" | "cumbytes" => SortKey::CumBytes,
            "peak" => SortKey::Peak,
            "live_bytes" | "live" => SortKey::LiveBytes,
            "cum_live_bytes" => SortKey::CumLiveBytes,
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
            SortKey::P99 => "99th percentile latency",
            SortKey::Max => "maximum latency",
            SortKey::Bytes => "bytes allocated",
            SortKey::Allocs => "allocations",
            SortKey::CumBytes => "cumulative bytes allocated",
            SortKey::Peak => "peak heap per call",
            SortKey::LiveBytes => "live bytes",
            SortKey::CumLiveBytes => "cumulative live bytes",
        }
    }

    /// Whether the key orders by memory figures (the memory table's keys).
    ///
    /// ```
    /// assert!(profkit::SortKey::Bytes.is_memory());
    /// assert!(!profkit::SortKey::TotTime.is_memory());
    /// ```
    pub fn is_memory(self) -> bool {
        matches!(
            self,
            SortKey::Bytes
                | SortKey::Allocs
                | SortKey::CumBytes
                | SortKey::Peak
                | SortKey::LiveBytes
                | SortKey::CumLiveBytes
        )
    }

    pub(crate) fn compare(self, a: &FunctionStats, b: &FunctionStats) -> Ordering {
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
            SortKey::P99 => latency_of(b, |l| l.p99()).cmp(&latency_of(a, |l| l.p99())),
            SortKey::Max => latency_of(b, |l| l.max()).cmp(&latency_of(a, |l| l.max())),
            SortKey::Bytes => memory_of(b, |m| m.bytes()).cmp(&memory_of(a, |m| m.bytes())),
            SortKey::Allocs => memory_of(b, |m| m.allocs()).cmp(&memory_of(a, |m| m.allocs())),
            SortKey::CumBytes => {
                memory_of(b, |m| m.cum_bytes()).cmp(&memory_of(a, |m| m.cum_bytes()))
            }
            SortKey::Peak => {
                memory_of(b, |m| m.peak_bytes()).cmp(&memory_of(a, |m| m.peak_bytes()))
            }
            SortKey::LiveBytes => {
                live_of(b, |m| m.live_bytes()).cmp(&live_of(a, |m| m.live_bytes()))
            }
            SortKey::CumLiveBytes => {
                live_of(b, |m| m.cum_live_bytes()).cmp(&live_of(a, |m| m.cum_live_bytes()))
            }
        }
    }
}

/// A signed memory figure; functions without memory sort after all others.
fn live_of(f: &FunctionStats, stat: impl Fn(&MemoryStats) -> i64) -> Option<i64> {
    f.memory().map(stat)
}

/// A memory figure; functions without memory sort after all others.
fn memory_of(f: &FunctionStats, stat: impl Fn(&MemoryStats) -> u64) -> Option<u64> {
    f.memory().map(stat)
}

/// A latency statistic; functions without a distribution sort after all others.
fn latency_of(f: &FunctionStats, stat: impl Fn(&Latency) -> Duration) -> Option<Duration> {
    f.latency().map(stat)
}

/// The pstats table of a [`Report`], with a chosen order and restrictions. `Display` prints
/// it; [`callers`](StatsTable::callers) and [`callees`](StatsTable::callees) print the same
/// selection as pstats' `print_callers` and `print_callees`.
///
/// Restrictions apply in the order they are given, as the arguments of `print_stats` do.
///
/// ```
/// use profkit::SortKey;
/// # #[profkit::profile] fn a() {}
/// let (_, report) = profkit::record(a);
/// print!("{}", report.stats().sort(SortKey::Calls).filter("db::").limit(5));
/// ```
#[derive(Clone, Debug)]
pub struct StatsTable<'a> {
    report: &'a Report,
    sort: SortKey,
    restrictions: Vec<Restriction>,
    /// Add the column "if free": the overall speedup if the row's function took no time.
    what_if: bool,
    /// Print full names rather than short ones.
    full_names: bool,
}

/// One argument of pstats' `print_stats(*amount)`.
#[derive(Clone, Debug)]
enum Restriction {
    /// An int: the first n rows.
    Count(usize),
    /// A float in [0, 1): that fraction of the rows, rounded.
    Fraction(f64),
    /// A string: rows whose `file:line(name)` matches this regular expression.
    Pattern(String),
}

impl<'a> StatsTable<'a> {
    pub(super) fn new(report: &'a Report) -> Self {
        StatsTable {
            report,
            sort: SortKey::Cumulative,
            restrictions: Vec::new(),
            what_if: false,
            full_names: false,
        }
    }

    /// Shows each function's full name (`<serde_json::value::Value as
    /// serde_core::de::Deserialize>::deserialize`) rather than the short form tables show by
    /// default (`<Value as Deserialize>::deserialize`; see
    /// [`FunctionStats::short_name`](crate::FunctionStats::short_name)). Files keep the full
    /// name either way.
    ///
    /// ```
    /// let _ = profkit::Report::default().stats().full_names(true);
    /// ```
    #[must_use]
    pub fn full_names(mut self, full: bool) -> Self {
        self.full_names = full;
        self
    }

    pub(super) fn shows_full_names(&self) -> bool {
        self.full_names
    }

    /// Adds the column `if free` before the function: the overall speedup if that function
    /// (with what it calls) took no time, by Amdahl's law over its share of the total
    /// ([`Report::what_if`] with an infinite factor, `1 / (1 - share)`). The function worth
    /// a week of work is the one with the high ceiling, not merely the high tottime.
    ///
    /// ```
    /// use std::time::Duration;
    /// use profkit::testing::{TestClock, advance};
    ///
    /// #[profkit::profile]
    /// fn parse() { advance(Duration::from_millis(30)); }
    /// #[profkit::profile]
    /// fn run() { advance(Duration::from_millis(70)); parse(); }
    ///
    /// let _clock = TestClock::install().unwrap();
    /// let (_, report) = profkit::record(run);
    /// let text = report.stats().what_if().to_string();
    /// let parse_row = text.lines().find(|l| l.ends_with("parse)")).unwrap();
    /// assert!(parse_row.contains("   1.43x "), "{text}"); // 1 / (1 - 0.3)
    /// ```
    #[must_use]
    pub fn what_if(mut self) -> Self {
        self.what_if = true;
        self
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

    /// Keeps the first `n` rows, as `print_stats(n)` does (`None`: no restriction).
    ///
    /// ```
    /// let report = profkit::Report::default();
    /// let _ = report.stats().limit(10);
    /// ```
    #[must_use]
    pub fn limit(mut self, n: impl Into<Option<usize>>) -> Self {
        if let Some(n) = n.into() {
            self.restrictions.push(Restriction::Count(n));
        }
        self
    }

    /// Keeps this fraction of the rows (rounded), as `print_stats(0.1)` does; a fraction
    /// outside [0, 1) keeps every row.
    ///
    /// ```
    /// let report = profkit::Report::default();
    /// let _ = report.stats().fraction(0.25);
    /// ```
    #[must_use]
    pub fn fraction(mut self, fraction: f64) -> Self {
        self.restrictions.push(Restriction::Fraction(fraction));
        self
    }

    /// Keeps the rows whose `file:line(name)` matches the regular expression `pattern`, as
    /// `print_stats("pattern")` does; an invalid expression keeps every row and says so.
    ///
    /// ```
    /// let report = profkit::Report::default();
    /// let _ = report.stats().filter("fetch_.*");
    /// ```
    #[must_use]
    pub fn filter(mut self, pattern: &str) -> Self {
        self.restrictions
            .push(Restriction::Pattern(pattern.to_owned()));
        self
    }

    /// The rows this table prints, in its order and after its restrictions: what tools that
    /// need the numbers of the table rather than its text (JSON output) iterate.
    ///
    /// ```
    /// use profkit::SortKey;
    /// # #[profkit::profile] fn a() {}
    /// # #[profkit::profile] fn b() { a(); a() }
    /// let (_, report) = profkit::record(b);
    /// let rows = report.stats().sort(SortKey::Calls).limit(1).rows();
    /// assert_eq!(rows.len(), 1);
    /// assert_eq!(rows[0].ncalls(), 2);
    /// ```
    pub fn rows(&self) -> Vec<&'a FunctionStats> {
        self.selection().0
    }

    pub(super) fn report(&self) -> &'a Report {
        self.report
    }

    /// The rows in print order after sorting and the restrictions, and the lines pstats'
    /// `get_print_list` prints before them ("Ordered by", "List reduced", ...).
    pub(super) fn selection(&self) -> (Vec<&'a FunctionStats>, String) {
        let mut rows: Vec<&FunctionStats> = self.report.functions.iter().collect();
        // Stable: ties keep the report's order, like pstats' list.sort.
        rows.sort_by(|a, b| self.sort.compare(a, b));
        let mut msg = format!("   Ordered by: {}\n", self.sort.description());
        for r in &self.restrictions {
            let before = rows.len();
            let shown = match r {
                Restriction::Count(n) => {
                    if *n < rows.len() {
                        rows.truncate(*n);
                    }
                    n.to_string()
                }
                Restriction::Fraction(x) => {
                    if (0.0..1.0).contains(x) {
                        // Python: int(count * sel + .5)
                        rows.truncate((rows.len() as f64 * x + 0.5) as usize);
                    }
                    py_float_repr(*x)
                }
                Restriction::Pattern(p) => {
                    match regex_lite::Regex::new(p) {
                        // The full label or the one printed (short names by default).
                        Ok(re) => rows.retain(|f| {
                            re.is_match(&f.std_name()) || re.is_match(&f.label(self.full_names))
                        }),
                        Err(_) => {
                            msg.push_str(&format!(
                                "   <Invalid regular expression {}>\n",
                                py_str_repr(p)
                            ));
                            continue;
                        }
                    }
                    py_str_repr(p)
                }
            };
            if rows.len() != before {
                msg.push_str(&format!(
                    "   List reduced from {before} to {} due to restriction <{shown}>\n",
                    rows.len()
                ));
            }
        }
        (rows, msg)
    }
}

/// Python's `repr()` of a float: the shortest digits that read back, positional for
/// 1e-4 <= |x| < 1e16, scientific with a two-digit exponent otherwise.
fn py_float_repr(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "nan".into()
        } else if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let sci = format!("{x:e}"); // shortest round-trip digits, e.g. "1.5e-5"
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        let s = format!("{x}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

/// Python's `repr()` of a str.
fn py_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::new();
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `"%8.3f" % x`.
pub(super) struct F8(pub(super) f64);

impl fmt::Display for F8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:8.3}", self.0)
    }
}

/// A speedup in 8 columns: `   1.43x`, `     inf` for a function that is all of the time.
struct Speedup(f64);

impl fmt::Display for Speedup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_finite() {
            write!(f, "{:>7.2}x", self.0)
        } else {
            write!(f, "{:>8}", "inf")
        }
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
        if let Some(c) = self.report.compensation()
            && (c.own_ns() > 0.0 || c.caller_ns() > 0.0)
        {
            write!(
                f,
                "   profkit's own cost taken out: {:.1} ns per call from the call, {:.1} ns \
                 from its caller",
                c.own_ns(),
                c.caller_ns()
            )?;
            // Sampled timing: what an untimed call cost its caller, taken out too (exact
            // mode's line stays as it was).
            if self.report.sampling().is_some() && c.untimed_ns() > 0.0 {
                write!(
                    f,
                    "; sampled: {:.1} ns per timed call from the call, {:.1} ns per untimed \
                     call from its caller",
                    c.sampled_own_ns(),
                    c.untimed_ns()
                )?;
            }
            writeln!(f)?;
        }
        if let Some(rate) = self.report.sampling() {
            writeln!(
                f,
                "   sampled timing: about 1 call in {rate} timed per call path and thread; \
                 counts exact, times estimated"
            )?;
        }
        let cpu = self.report.has_cpu();
        if cpu {
            writeln!(
                f,
                "   cpu% = cumulative CPU time / cumtime; the rest waited: cpu over {:.0}%, \
                 waits under {:.0}%, else mixed",
                CPU_BOUND * 100.0,
                WAITS * 100.0
            )?;
        }
        writeln!(f)?;

        let (rows, msg) = self.selection();
        if rows.is_empty() {
            return Ok(());
        }
        // The growth column appears only when some function has sized calls, so the plain
        // table stays pstats' own, character for character.
        let growth = functions.iter().any(|s| s.scaling().is_some());
        let growth_head = if growth { "     growth" } else { "" };
        if self.what_if {
            write!(f, "{msg}")?;
            writeln!(
                f,
                "   if free: the overall speedup if the function took no time, \
                 1 / (1 - cumtime / {total_tt:.3})\n"
            )?;
            writeln!(
                f,
                "   ncalls  tottime  percall  cumtime  percall  if free{growth_head} \
                 filename:lineno(function)"
            )?;
        } else {
            writeln!(f, "{msg}")?;
            let cpu_columns = if cpu { "    cpu% verdict " } else { "" };
            let growth_column = if growth { "    growth " } else { "" };
            writeln!(
                f,
                "   ncalls  tottime  percall  cumtime  percall {cpu_columns}{growth_column}\
                 filename:lineno(function)"
            )?;
        }
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
            if self.what_if {
                let ceiling = amdahl(self.report.share_of(s), f64::INFINITY);
                write!(f, "{} ", Speedup(ceiling))?;
            } else if cpu {
                match (s.cpu_share(), s.verdict()) {
                    (Some(share), Some(word)) => {
                        write!(f, "{:>7.1}% {word:<7} ", share * 100.0)?;
                    }
                    _ => write!(f, "{:8} {:7} ", "", "")?,
                }
            }
            if growth {
                write!(f, "{:>10} ", growth_text(s))?;
            }
            let small = if self.report.is_too_small_to_time(s) {
                " ~"
            } else {
                ""
            };
            writeln!(f, "{}{small}", s.label(self.full_names))?;
        }
        writeln!(f)?;
        if let Some(c) = self.report.compensation() {
            let small = functions
                .iter()
                .filter(|s| self.report.is_too_small_to_time(s))
                .count();
            if small > 0 {
                let cost = c.own_ns() + c.caller_ns();
                let (plural, verb) = if small == 1 { ("", "s") } else { ("s", "") };
                writeln!(
                    f,
                    "   ~ {small} function{plural} take{verb} under {SMALL_CALL_FACTOR}x profkit's own \
                     cost per call ({cost:.1} ns) a call: their times are mostly profkit's; \
                     #[profile(skip)] leaves them out"
                )?;
            }
        }
        writeln!(f)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.stats(), f)
    }
}

impl Report {
    /// The pstats table with a chosen order and length; `Display` prints it.
    ///
    /// ```
    /// use profkit::SortKey;
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// let text = report.stats().sort(SortKey::TotTime).limit(10).to_string();
    /// assert!(text.contains("Ordered by: internal time"));
    /// ```
    pub fn stats(&self) -> StatsTable<'_> {
        StatsTable::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::{py_float_repr, py_str_repr};

    #[test]
    fn python_reprs() {
        assert_eq!(py_float_repr(0.1), "0.1");
        assert_eq!(py_float_repr(0.5), "0.5");
        assert_eq!(py_float_repr(1e-5), "1e-05");
        assert_eq!(py_float_repr(0.0001), "0.0001");
        assert_eq!(py_float_repr(2.0), "2.0");
        assert_eq!(py_float_repr(1e16), "1e+16");
        assert_eq!(py_str_repr("fetch"), "'fetch'");
        assert_eq!(py_str_repr("it's"), "\"it's\"");
        assert_eq!(py_str_repr("a\\b"), "'a\\\\b'");
    }
}
