//! The latency table (hotpath's: calls, min, p50, p90, p99, p99.9, max, mean, std dev) and the
//! short latency text the assertions print.

use std::fmt;

use crate::model::{Latency, Report};

use super::complexity::growth_text;
use super::text::SortKey;
use super::units::human;

/// p50, p99 and max, 9 columns each, or a dash when there is no distribution.
pub(crate) fn latency_text(latency: Option<&Latency>) -> String {
    match latency {
        Some(l) => format!(
            "{:>9} {:>9} {:>9}",
            human(l.p50()),
            human(l.p99()),
            human(l.max())
        ),
        None => format!("{:>9}", "-"),
    }
}

/// The latency distribution of every function that has one, like hotpath's table: calls, min,
/// p50, p90, p99, p99.9, max, mean and standard deviation. Sorted by p99 unless told otherwise.
///
/// ```
/// # #[profkit::profile] fn step() {}
/// let (_, report) = profkit::record(step);
/// let text = report.latency().to_string();
/// assert!(text.contains("p99.9"));
/// ```
#[derive(Clone, Debug)]
pub struct LatencyTable<'a> {
    report: &'a Report,
    sort: SortKey,
    limit: Option<usize>,
    full_names: bool,
}

impl<'a> LatencyTable<'a> {
    pub(super) fn new(report: &'a Report) -> Self {
        LatencyTable {
            report,
            sort: SortKey::P99,
            limit: None,
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
    /// let _ = profkit::Report::default().latency().full_names(true);
    /// ```
    #[must_use]
    pub fn full_names(mut self, full: bool) -> Self {
        self.full_names = full;
        self
    }

    /// Orders the rows by `key` (default: p99).
    ///
    /// ```
    /// let _ = profkit::Report::default().latency().sort(profkit::SortKey::Max);
    /// ```
    #[must_use]
    pub fn sort(mut self, key: SortKey) -> Self {
        self.sort = key;
        self
    }

    /// Prints only the first `n` rows.
    ///
    /// ```
    /// let _ = profkit::Report::default().latency().limit(10);
    /// ```
    #[must_use]
    pub fn limit(mut self, n: impl Into<Option<usize>>) -> Self {
        self.limit = n.into();
        self
    }
}

impl fmt::Display for LatencyTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rows: Vec<_> = self
            .report
            .functions
            .iter()
            .filter_map(|s| s.latency().map(|l| (s, l)))
            .collect();
        rows.sort_by(|a, b| self.sort.compare(a.0, b.0));
        if let Some(n) = self.limit {
            rows.truncate(n);
        }
        let clock = self.report.clock().map_or("mixed", |c| c.name());
        writeln!(
            f,
            "Latency per call (clock: {clock}; sync: outermost calls, async: first poll to \
             completion), ordered by {}",
            self.sort.description()
        )?;
        let name = |s: &crate::model::FunctionStats| -> String {
            if self.full_names {
                s.name().to_owned()
            } else {
                s.short_name().into_owned()
            }
        };
        let width = rows
            .iter()
            .map(|(s, _)| name(s).chars().count())
            .max()
            .unwrap_or(8)
            .max(8);
        // A growth column only when some row has sized calls (`#[profile(size = ..)]`).
        let growth = rows.iter().any(|(s, _)| s.scaling().is_some());
        let growth_head = if growth { "      growth" } else { "" };
        writeln!(
            f,
            "{:<width$} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}{growth_head}",
            "function", "calls", "min", "p50", "p90", "p99", "p99.9", "max", "mean", "std dev"
        )?;
        for (s, l) in rows {
            let growth = if growth {
                format!(" {:>11}", growth_text(s))
            } else {
                String::new()
            };
            writeln!(
                f,
                "{:<width$} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}{growth}",
                name(s),
                l.count(),
                human(l.min()),
                human(l.p50()),
                human(l.p90()),
                human(l.p99()),
                human(l.p999()),
                human(l.max()),
                human(l.mean()),
                human(l.stdev()),
            )?;
        }
        Ok(())
    }
}

impl Report {
    /// The latency table: per function, calls, min, p50, p90, p99, p99.9, max, mean and
    /// standard deviation.
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// println!("{}", report.latency().limit(20));
    /// ```
    pub fn latency(&self) -> LatencyTable<'_> {
        LatencyTable::new(self)
    }
}
