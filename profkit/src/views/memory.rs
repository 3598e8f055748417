//! The memory table: per function its allocations and bytes (own and cumulative), the blocks
//! it allocated that are still live, frees, what it retained and the peak one call needed, with the rows outside profiled calls and of
//! profkit's own bookkeeping, and the process figures in its header.

use std::fmt;

use crate::model::{FunctionStats, MemoryStats, Report};

use super::text::SortKey;

/// The memory table of a report (tracemalloc's statistics, on the call tree): sorted by live
/// bytes (what each function's allocations still hold) when the report has live figures, else
/// by own bytes, unless told otherwise. Empty, with a line that says why, when the report has no memory.
///
/// ```rust,standalone_crate
/// #[global_allocator]
/// static ALLOC: profkit::Alloc = profkit::Alloc::system();
///
/// #[profkit::profile]
/// fn load() -> Vec<u64> { (0..1000).collect() }
///
/// let (_, report) = profkit::record(load);
/// let text = report.memory().to_string();
/// assert!(text.contains("memory_table_doc::load") || text.contains("load"));
/// assert!(text.contains("7.81 KiB"), "{text}"); // 8,000 bytes
/// ```
#[derive(Clone, Debug)]
pub struct MemoryTable<'a> {
    report: &'a Report,
    sort: SortKey,
    filter: Option<String>,
    limit: Option<usize>,
    full_names: bool,
}

impl<'a> MemoryTable<'a> {
    fn new(report: &'a Report) -> Self {
        MemoryTable {
            report,
            sort: default_sort(report),
            filter: None,
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
    /// let _ = profkit::Report::default().memory().full_names(true);
    /// ```
    #[must_use]
    pub fn full_names(mut self, full: bool) -> Self {
        self.full_names = full;
        self
    }

    /// Orders the rows by `key`: [`SortKey::LiveBytes`] (the default when the report has live
    /// figures), [`SortKey::Bytes`] (the default otherwise), [`SortKey::Allocs`],
    /// [`SortKey::CumBytes`], [`SortKey::CumLiveBytes`], [`SortKey::Peak`], or any other key of
    /// the pstats table.
    ///
    /// ```
    /// let _ = profkit::Report::default().memory().sort(profkit::SortKey::Peak);
    /// ```
    #[must_use]
    pub fn sort(mut self, key: SortKey) -> Self {
        self.sort = key;
        self
    }

    /// The order of the rows: the key given to [`sort`](MemoryTable::sort), or the default.
    ///
    /// ```
    /// assert_eq!(profkit::Report::default().memory().sort_key(), profkit::SortKey::Bytes);
    /// ```
    pub fn sort_key(&self) -> SortKey {
        self.sort
    }

    /// Keeps the functions whose `file:line(name)` matches the regular expression `pattern`,
    /// as [`StatsTable::filter`](crate::StatsTable::filter) does (before
    /// [`limit`](MemoryTable::limit)); an invalid expression keeps every function.
    ///
    /// ```
    /// let _ = profkit::Report::default().memory().filter("db::");
    /// ```
    #[must_use]
    pub fn filter(mut self, pattern: &str) -> Self {
        self.filter = Some(pattern.to_owned());
        self
    }

    /// Prints only the first `n` functions (the two rows that are not functions always
    /// follow).
    ///
    /// ```
    /// let _ = profkit::Report::default().memory().limit(10);
    /// ```
    #[must_use]
    pub fn limit(mut self, n: impl Into<Option<usize>>) -> Self {
        self.limit = n.into();
        self
    }

    /// The functions this table prints, in its order.
    ///
    /// ```
    /// assert!(profkit::Report::default().memory().rows().is_empty());
    /// ```
    pub fn rows(&self) -> Vec<&'a FunctionStats> {
        let mut rows: Vec<&FunctionStats> = self
            .report
            .functions()
            .filter(|f| f.memory().is_some())
            .collect();
        rows.sort_by(|a, b| self.sort.compare(a, b));
        if let Some(Ok(re)) = self.filter.as_deref().map(regex_lite::Regex::new) {
            rows.retain(|f| re.is_match(&f.std_name()) || re.is_match(&f.label(false)));
        }
        if let Some(n) = self.limit {
            rows.truncate(n);
        }
        rows
    }
}

/// The memory table's order when none is asked for: by live bytes when any row has live
/// figures (the allocator wrapper tracked them), by bytes allocated otherwise.
pub(crate) fn default_sort(report: &Report) -> SortKey {
    let live = |m: &MemoryStats| m.live_allocs() != 0 || m.cum_live_allocs() != 0;
    let any = report.functions().filter_map(|f| f.memory()).any(live)
        || report.memory_outside().is_some_and(|m| live(&m));
    if any {
        SortKey::LiveBytes
    } else {
        SortKey::Bytes
    }
}

/// Bytes with three significant digits and a binary unit: `812 B`, `7.81 KiB`, `1.50 MiB`.
pub(crate) fn human_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    let (value, unit) = if b < 1024.0 {
        return format!("{bytes} B");
    } else if b < 1024.0 * 1024.0 {
        (b / 1024.0, "KiB")
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        (b / (1024.0 * 1024.0), "MiB")
    } else {
        (b / (1024.0 * 1024.0 * 1024.0), "GiB")
    };
    let decimals = if value < 10.0 {
        2
    } else if value < 100.0 {
        1
    } else {
        0
    };
    format!("{value:.decimals$} {unit}")
}

/// Signed bytes, for retained figures.
fn human_signed(bytes: i64) -> String {
    let text = human_bytes(bytes.unsigned_abs());
    if bytes < 0 { format!("-{text}") } else { text }
}

fn row(f: &mut fmt::Formatter<'_>, m: &MemoryStats, name: &str) -> fmt::Result {
    writeln!(
        f,
        "{:>9} {:>10} {:>7} {:>10} {:>9} {:>10} {:>10} {:>9} {:>10} {:>10} {:>10}  {name}",
        m.allocs(),
        human_bytes(m.bytes()),
        m.live_allocs(),
        human_signed(m.live_bytes()),
        m.cum_allocs(),
        human_bytes(m.cum_bytes()),
        human_signed(m.cum_live_bytes()),
        m.frees(),
        human_bytes(m.freed_bytes()),
        human_signed(m.retained_bytes()),
        human_bytes(m.peak_bytes()),
    )
}

impl fmt::Display for MemoryTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = self.report;
        let Some(heap) = report.heap() else {
            return writeln!(
                f,
                "No memory figures: profkit::Alloc was not the global allocator (cargo feature \
                 `memory`), or the profile was read from a file without them."
            );
        };
        let rss = report
            .max_rss_bytes()
            .map_or(String::new(), |r| format!("; max RSS {}", human_bytes(r)));
        writeln!(
            f,
            "Memory: {} allocations, {} ({} frees, {}); heap now {}, peak {}{rss}",
            heap.total_allocs(),
            human_bytes(heap.total_bytes()),
            heap.total_frees(),
            human_bytes(heap.total_freed_bytes()),
            human_bytes(heap.current()),
            human_bytes(heap.peak()),
        )?;
        writeln!(f, "   Ordered by: {}", self.sort.description())?;
        let rows = self.rows();
        writeln!(
            f,
            "{:>9} {:>10} {:>7} {:>10} {:>9} {:>10} {:>10} {:>9} {:>10} {:>10} {:>10}  function",
            "allocs",
            "bytes",
            "live",
            "livebytes",
            "cumallocs",
            "cumbytes",
            "cumlive",
            "frees",
            "freed",
            "retained",
            "peak/call"
        )?;
        for s in rows {
            if let Some(m) = s.memory() {
                if self.full_names {
                    row(f, m, s.name())?;
                } else {
                    row(f, m, &s.short_name())?;
                }
            }
        }
        if let Some(m) = report.memory_outside() {
            row(f, &m, "<outside profiled calls>")?;
        }
        if let Some(m) = report.memory_overhead() {
            row(f, &m, "<profkit bookkeeping>")?;
        }
        Ok(())
    }
}

impl Report {
    /// The memory table: per function allocations, bytes, frees, retained bytes and the peak
    /// of one call, own and cumulative, sorted by bytes; then the heap activity outside
    /// profiled calls and profkit's own (see [`MemoryTable`]).
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// println!("{}", report.memory().limit(20));
    /// ```
    pub fn memory(&self) -> MemoryTable<'_> {
        MemoryTable::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_with_three_digits_and_a_binary_unit() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(8_000), "7.81 KiB");
        assert_eq!(human_bytes(1 << 20), "1.00 MiB");
        assert_eq!(human_bytes(150 << 20), "150 MiB");
        assert_eq!(human_bytes(3 << 30), "3.00 GiB");
        assert_eq!(human_signed(-2048), "-2.00 KiB");
    }
}
