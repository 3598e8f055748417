//! The numbers a history keeps, in one table: [`Metric::all`]. Each row names a metric, its
//! unit, the column that stores it and how to read it from a profile. A new metric is one row
//! here, plus a migration step of the same number in `sqlite` and in `postgres` when it needs
//! a new column.

use std::fmt;

use crate::model::{ComplexityClass, FunctionStats, Report};
use crate::views::human_bytes;

/// What a metric's values count.
///
/// ```
/// use profkit::history::{Metric, Unit};
///
/// assert_eq!(Metric::named("p99").unwrap().unit(), Unit::Nanoseconds);
/// assert_eq!(Metric::named("ncalls").unwrap().unit(), Unit::Calls);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Unit {
    /// A duration in nanoseconds.
    Nanoseconds,
    /// A number of calls.
    Calls,
    /// A size in bytes.
    Bytes,
    /// A number of events (allocations).
    Count,
    /// A growth exponent (the log-log slope of time against input size), in thousandths:
    /// 1000 is linear growth, 2000 quadratic.
    Exponent,
    /// A growth class, by its rank in [`ComplexityClass::ALL`]: 0 is `O(1)`, 2 `O(n)`, 4
    /// `O(n^2)`.
    Class,
}

impl Unit {
    /// The unit's short name, as JSON output gives it: `ns`, `calls` or `bytes`.
    ///
    /// ```
    /// assert_eq!(profkit::history::Unit::Nanoseconds.name(), "ns");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Unit::Nanoseconds => "ns",
            Unit::Calls => "calls",
            Unit::Bytes => "bytes",
            Unit::Count => "count",
            Unit::Exponent => "exponent",
            Unit::Class => "class",
        }
    }

    /// `value` for people: `812 ns`, `12.4 us`, `1.50 s`; `1234 calls`; `1.5 MiB`; an
    /// exponent as `1.97`; a class as `O(n^2)` (a median between two classes as `O(n)..O(n^2)`).
    ///
    /// ```
    /// use profkit::history::Unit;
    /// assert_eq!(Unit::Nanoseconds.show(12_400.0), "12.4 us");
    /// assert_eq!(Unit::Calls.show(7.0), "7");
    /// assert_eq!(Unit::Bytes.show(1536.0), "1.50 KiB");
    /// assert_eq!(Unit::Exponent.show(1970.0), "1.97");
    /// assert_eq!(Unit::Class.show(4.0), "O(n^2)");
    /// ```
    pub fn show(self, value: f64) -> String {
        let sign = if value < 0.0 { "-" } else { "" };
        let v = value.abs();
        let steps: &[(f64, &str)] = match self {
            Unit::Calls | Unit::Count => return format!("{value:.0}"),
            Unit::Exponent => return format!("{:.2}", value / 1000.0),
            Unit::Class => return class_text(value),
            Unit::Nanoseconds => &[(1.0, "ns"), (1e3, "us"), (1e6, "ms"), (1e9, "s")],
            // The memory table's own format, so a history and a table show the same figure.
            Unit::Bytes => return format!("{sign}{}", human_bytes(v.round() as u64)),
        };
        let (scale, unit) = steps
            .iter()
            .rev()
            .find(|(scale, _)| v >= scale * 0.9995 && *scale > 1.0)
            .copied()
            .unwrap_or(steps[0]);
        if scale == 1.0 {
            return format!("{sign}{v:.0} {unit}");
        }
        let x = v / scale;
        let decimals = if x < 9.995 {
            2
        } else if x < 99.95 {
            1
        } else {
            0
        };
        format!("{sign}{x:.decimals$} {unit}")
    }
}

/// The class of rank `rank` (see [`Unit::Class`]); between two ranks, both.
fn class_text(rank: f64) -> String {
    let at = |r: f64| {
        ComplexityClass::ALL
            .get(r.clamp(0.0, 6.0) as usize)
            .map_or("?", |c| c.notation())
    };
    if rank.fract() == 0.0 {
        at(rank).to_owned()
    } else {
        format!("{}..{}", at(rank.floor()), at(rank.ceil()))
    }
}

/// The rank of `class` in [`ComplexityClass::ALL`], as the history stores it.
pub(crate) fn class_rank(class: ComplexityClass) -> u64 {
    ComplexityClass::ALL
        .iter()
        .position(|c| *c == class)
        .unwrap_or(0) as u64
}

/// The class of a stored rank.
pub(crate) fn class_of_rank(rank: u64) -> Option<ComplexityClass> {
    ComplexityClass::ALL
        .get(usize::try_from(rank).ok()?)
        .copied()
}

/// Where a metric's value comes from.
#[derive(Clone, Copy)]
pub(crate) enum Source {
    /// One value per function of a profile; `None` when the profile does not have it (no
    /// latency in a `.prof` file).
    Function(fn(&FunctionStats) -> Option<u64>),
    /// One value per run.
    Process(fn(&Report) -> Option<u64>),
}

/// A number the history records for every run: per function (`cumtime`, `p99`, ...) or for
/// the whole process (`wall`).
///
/// Metrics are looked up by name; [`Metric::all`] lists them.
///
/// ```
/// use profkit::history::Metric;
///
/// let p99 = Metric::named("p99").unwrap();
/// assert!(p99.is_per_function());
/// assert!(!Metric::named("wall").unwrap().is_per_function());
/// assert!(Metric::named("p42").is_none());
/// let names: Vec<&str> = Metric::all().iter().map(|m| m.name()).collect();
/// assert_eq!(
///     names,
///     [
///         "ncalls", "tottime", "cumtime", "p50", "p90", "p99", "max", "bytes", "allocs",
///         "cum_bytes", "peak", "cpu", "wait", "live_bytes", "exponent", "growth", "wall",
///         "peak_heap", "max_rss", "sampling",
///     ]
/// );
/// ```
pub struct Metric {
    name: &'static str,
    unit: Unit,
    about: &'static str,
    /// The column that stores it: in `samples` for a per-function metric, in `runs` for a
    /// process one.
    pub(crate) column: &'static str,
    pub(crate) source: Source,
}

/// A duration in whole nanoseconds, saturating.
pub(crate) fn ns(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// An exponent in whole thousandths, 0 for a shrinking time (a history keeps integers).
pub(crate) fn milli(exponent: f64) -> u64 {
    if exponent.is_finite() && exponent > 0.0 {
        (exponent * 1000.0).round() as u64
    } else {
        0
    }
}

/// The metrics, in the order tables list them. Per-function metrics first.
static METRICS: [Metric; 20] = [
    Metric {
        name: "ncalls",
        unit: Unit::Calls,
        about: "calls of the function",
        column: "ncalls",
        source: Source::Function(|f| Some(f.ncalls())),
    },
    Metric {
        name: "tottime",
        unit: Unit::Nanoseconds,
        about: "time in the function's own code (pstats tottime)",
        column: "tottime_ns",
        source: Source::Function(|f| Some(ns(f.tottime()))),
    },
    Metric {
        name: "cumtime",
        unit: Unit::Nanoseconds,
        about: "time in the function and what it called (pstats cumtime)",
        column: "cumtime_ns",
        source: Source::Function(|f| Some(ns(f.cumtime()))),
    },
    Metric {
        name: "p50",
        unit: Unit::Nanoseconds,
        about: "median call latency",
        column: "p50_ns",
        source: Source::Function(|f| f.latency().map(|l| ns(l.p50()))),
    },
    Metric {
        name: "p90",
        unit: Unit::Nanoseconds,
        about: "90th percentile call latency",
        column: "p90_ns",
        source: Source::Function(|f| f.latency().map(|l| ns(l.p90()))),
    },
    Metric {
        name: "p99",
        unit: Unit::Nanoseconds,
        about: "99th percentile call latency",
        column: "p99_ns",
        source: Source::Function(|f| f.latency().map(|l| ns(l.p99()))),
    },
    Metric {
        name: "max",
        unit: Unit::Nanoseconds,
        about: "longest call",
        column: "max_ns",
        source: Source::Function(|f| f.latency().map(|l| ns(l.max()))),
    },
    // Memory: NULL (no sample) for a profile without memory figures.
    Metric {
        name: "bytes",
        unit: Unit::Bytes,
        about: "bytes the function allocated itself (own, over the run)",
        column: "bytes",
        source: Source::Function(|f| f.memory().map(|m| m.bytes())),
    },
    Metric {
        name: "allocs",
        unit: Unit::Count,
        about: "allocations the function made itself (own, over the run)",
        column: "allocs",
        source: Source::Function(|f| f.memory().map(|m| m.allocs())),
    },
    Metric {
        name: "cum_bytes",
        unit: Unit::Bytes,
        about: "bytes allocated in the function and what it called",
        column: "cum_bytes",
        source: Source::Function(|f| f.memory().map(|m| m.cum_bytes())),
    },
    Metric {
        name: "peak",
        unit: Unit::Bytes,
        about: "the most heap one call needed",
        column: "peak_bytes",
        source: Source::Function(|f| f.memory().map(|m| m.peak_bytes())),
    },
    // CPU: NULL (no sample) for a profile without CPU figures.
    Metric {
        name: "cpu",
        unit: Unit::Nanoseconds,
        about: "CPU time in the function and what it called (PROFKIT_CPU=1)",
        column: "cum_cpu_ns",
        source: Source::Function(|f| f.cum_cpu_time().map(ns)),
    },
    Metric {
        name: "wait",
        unit: Unit::Nanoseconds,
        about: "time waiting in the function and what it called: cumtime minus cpu",
        column: "wait_ns",
        source: Source::Function(|f| f.wait_time().map(ns)),
    },
    Metric {
        name: "live_bytes",
        unit: Unit::Bytes,
        about: "bytes the function allocated that were still live at the end (a leak grows it)",
        column: "live_bytes",
        // A window in which the function's blocks went down holds none of them: 0.
        source: Source::Function(|f| {
            f.memory()
                .map(|m| u64::try_from(m.live_bytes()).unwrap_or(0))
        }),
    },
    // Growth: NULL for a function without a fit (no `#[profile(size = ..)]`, too few sizes).
    Metric {
        name: "exponent",
        unit: Unit::Exponent,
        about: "how the time grows with the input size: the log-log slope (1 linear, 2 quadratic)",
        column: "exponent_milli",
        source: Source::Function(|f| f.complexity().map(|c| milli(c.exponent()))),
    },
    Metric {
        name: "growth",
        unit: Unit::Class,
        about: "how the time grows with the input size: the fitted class (O(1) .. O(2^n))",
        column: "growth_class",
        source: Source::Function(|f| f.complexity().map(|c| class_rank(c.class()))),
    },
    Metric {
        name: "wall",
        unit: Unit::Nanoseconds,
        about: "wall time of the recording (Report::duration)",
        column: "wall_ns",
        source: Source::Process(|r| r.duration().map(ns)),
    },
    Metric {
        name: "peak_heap",
        unit: Unit::Bytes,
        about: "the process's peak heap (profkit::Alloc)",
        column: "peak_heap_bytes",
        source: Source::Process(|r| r.heap().map(|h| h.peak())),
    },
    Metric {
        name: "max_rss",
        unit: Unit::Bytes,
        about: "the process's peak resident memory (the OS's figure)",
        column: "max_rss_bytes",
        source: Source::Process(|r| r.max_rss_bytes()),
    },
    // Sampled timing: the rate, NULL for a run that timed every call. `history check` does
    // not compare the times of sampled runs with exact ones.
    Metric {
        name: "sampling",
        unit: Unit::Calls,
        about: "sampled timing: about one call in this many was timed (absent: every call)",
        column: "sampling",
        source: Source::Process(|r| r.sampling().map(u64::from)),
    },
];

impl Metric {
    /// Every metric, per-function ones first.
    ///
    /// ```
    /// assert!(profkit::history::Metric::all().len() >= 8);
    /// ```
    pub fn all() -> &'static [Metric] {
        &METRICS
    }

    /// The metric called `name` (`ncalls`, `tottime`, `cumtime`, `p50`, `p90`, `p99`, `max`,
    /// `wall`).
    ///
    /// ```
    /// assert_eq!(profkit::history::Metric::named("cumtime").unwrap().name(), "cumtime");
    /// ```
    pub fn named(name: &str) -> Option<&'static Metric> {
        METRICS.iter().find(|m| m.name == name)
    }

    /// Its name.
    ///
    /// ```
    /// assert_eq!(profkit::history::Metric::all()[0].name(), "ncalls");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The column that stores it: in the `samples` table for a per-function metric, in
    /// `runs` for a process one; the same in SQLite and PostgreSQL.
    ///
    /// ```
    /// assert_eq!(profkit::history::Metric::named("p99").unwrap().column_name(), "p99_ns");
    /// ```
    pub fn column_name(&self) -> &'static str {
        self.column
    }

    /// What its values count.
    ///
    /// ```
    /// use profkit::history::{Metric, Unit};
    /// assert_eq!(Metric::named("wall").unwrap().unit(), Unit::Nanoseconds);
    /// ```
    pub fn unit(&self) -> Unit {
        self.unit
    }

    /// One line on what it measures.
    ///
    /// ```
    /// assert!(profkit::history::Metric::named("p99").unwrap().about().contains("99th"));
    /// ```
    pub fn about(&self) -> &'static str {
        self.about
    }

    /// Whether it has a value per function (`cumtime`) rather than one per run (`wall`).
    ///
    /// ```
    /// assert!(profkit::history::Metric::named("tottime").unwrap().is_per_function());
    /// ```
    pub fn is_per_function(&self) -> bool {
        matches!(self.source, Source::Function(_))
    }

    /// The value of a per-function metric for `f`; `None` for a process metric or when the
    /// profile lacks it (latency in a `.prof` file).
    ///
    /// ```
    /// # #[profkit::profile] fn step() {}
    /// use profkit::history::Metric;
    /// let (_, report) = profkit::record(step);
    /// let f = report.function("step").unwrap();
    /// assert_eq!(Metric::named("ncalls").unwrap().of_function(f), Some(1));
    /// assert!(Metric::named("p99").unwrap().of_function(f).is_some());
    /// assert_eq!(Metric::named("wall").unwrap().of_function(f), None);
    /// ```
    pub fn of_function(&self, f: &FunctionStats) -> Option<u64> {
        match self.source {
            Source::Function(read) => read(f),
            Source::Process(_) => None,
        }
    }

    /// The value of a process metric for `report`; `None` for a per-function metric or when
    /// the report lacks it.
    ///
    /// ```
    /// # #[profkit::profile] fn step() {}
    /// use profkit::history::Metric;
    /// let (_, report) = profkit::record(step);
    /// assert!(Metric::named("wall").unwrap().of_report(&report).is_some());
    /// assert_eq!(Metric::named("cumtime").unwrap().of_report(&report), None);
    /// ```
    pub fn of_report(&self, report: &Report) -> Option<u64> {
        match self.source {
            Source::Process(read) => read(report),
            Source::Function(_) => None,
        }
    }

    /// Its position in [`Metric::all`], the index of its value in a row of values.
    pub(crate) fn index(&self) -> usize {
        METRICS
            .iter()
            .position(|m| std::ptr::eq(m, self))
            .unwrap_or(0)
    }
}

impl fmt::Debug for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Metric({})", self.name)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Metric {
    fn eq(&self, other: &Metric) -> bool {
        self.name == other.name
    }
}

impl Eq for Metric {}

/// Parses a comma-separated list of metric names (`p50,p99,cumtime`).
///
/// # Errors
/// The first unknown name, with the names there are.
pub(crate) fn parse_list(text: &str) -> Result<Vec<&'static Metric>, String> {
    let mut out: Vec<&'static Metric> = Vec::new();
    for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let m = Metric::named(name).ok_or_else(|| {
            let known: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
            format!(
                "unknown metric {name:?}; the metrics are {}",
                known.join(", ")
            )
        })?;
        if !out.contains(&m) {
            out.push(m);
        }
    }
    if out.is_empty() {
        return Err("no metric named".to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_columns_are_unique() {
        for (i, a) in METRICS.iter().enumerate() {
            assert_eq!(a.index(), i);
            for b in &METRICS[i + 1..] {
                assert_ne!(a.name, b.name);
                assert_ne!(a.column, b.column);
            }
        }
    }

    #[test]
    fn units_show_three_digits() {
        assert_eq!(Unit::Nanoseconds.show(812.0), "812 ns");
        assert_eq!(Unit::Nanoseconds.show(999.9), "1.00 us");
        assert_eq!(Unit::Nanoseconds.show(-1_500_000_000.0), "-1.50 s");
        assert_eq!(Unit::Nanoseconds.show(123_456_789.0), "123 ms");
        assert_eq!(Unit::Bytes.show(100.0), "100 B");
        assert_eq!(Unit::Bytes.show(3.0 * 1024.0 * 1024.0), "3.00 MiB");
    }

    #[test]
    fn lists_parse_in_order_without_repeats() {
        let l = parse_list("p99, cumtime,p99").unwrap();
        let names: Vec<&str> = l.iter().map(|m| m.name()).collect();
        assert_eq!(names, ["p99", "cumtime"]);
        assert!(
            parse_list("p42")
                .unwrap_err()
                .contains("unknown metric \"p42\"")
        );
        assert!(parse_list(" , ").is_err());
    }
}
