//! The growth table: the functions whose live bytes rose through the run's snapshots, with
//! the rate and how steadily.

use std::fmt;

use crate::model::{Growth, MIN_SNAPSHOTS, Report, snapshot_span};

use super::memory::human_bytes;

/// The functions whose live heap rose through a run (a leak seen as a trend), from the
/// snapshots taken by [`snapshot`](crate::snapshot) or `PROFKIT_SNAPSHOT_EVERY=10s`: per
/// function its rate (`+1.20 MiB/min`, the least-squares slope), the share of intervals in
/// which it rose, and its live bytes at the first and last snapshot. A function that allocates
/// and frees at a steady level is not listed.
///
/// ```rust,standalone_crate
/// #[global_allocator]
/// static ALLOC: profkit::Alloc = profkit::Alloc::system();
///
/// #[profkit::profile]
/// fn remember(cache: &mut Vec<Vec<u8>>) { cache.push(vec![0; 1024]); }
///
/// let mut cache = Vec::with_capacity(8);
/// for second in 0..5 {
///     remember(&mut cache);
///     profkit::snapshot_at(std::time::Duration::from_secs(10 * second));
/// }
/// let text = profkit::report().growth().to_string();
/// assert!(text.contains("+6.00 KiB/min"), "{text}");
/// assert!(text.contains("4/4"), "{text}");
/// ```
#[derive(Clone, Debug)]
pub struct GrowthTable<'a> {
    report: &'a Report,
    paths: Vec<Growth>,
}

impl GrowthTable<'_> {
    /// The growing functions, fastest first.
    ///
    /// ```
    /// assert!(profkit::Report::default().growth().paths().is_empty());
    /// ```
    pub fn paths(&self) -> &[Growth] {
        &self.paths
    }
}

/// `+1.20 MiB/min`.
fn rate(per_minute: f64) -> String {
    let sign = if per_minute < 0.0 { "-" } else { "+" };
    format!("{sign}{}/min", human_bytes(per_minute.abs().round() as u64))
}

fn signed(bytes: i64) -> String {
    let text = human_bytes(bytes.unsigned_abs());
    if bytes < 0 { format!("-{text}") } else { text }
}

impl fmt::Display for GrowthTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let snapshots = self.report.snapshots();
        if snapshots.len() < MIN_SNAPSHOTS {
            return writeln!(
                f,
                "Live heap growth: {} snapshots, at least {MIN_SNAPSHOTS} needed \
                 (PROFKIT_SNAPSHOT_EVERY=10s, or profkit::snapshot())",
                snapshots.len()
            );
        }
        let span = snapshot_span(snapshots).as_secs_f64();
        if self.paths.is_empty() {
            return writeln!(
                f,
                "Live heap growth over {} snapshots in {span:.1} s: no function's live bytes \
                 rose through the run",
                snapshots.len()
            );
        }
        writeln!(
            f,
            "Live heap growth over {} snapshots in {span:.1} s: functions whose live bytes rose \
             through the run",
            snapshots.len()
        )?;
        writeln!(
            f,
            "{:>16} {:>7} {:>10} {:>10}  function",
            "rate", "rose", "first", "last"
        )?;
        for g in &self.paths {
            let (first, last) = g.first_and_last();
            writeln!(
                f,
                "{:>16} {:>7} {:>10} {:>10}  {}",
                rate(g.bytes_per_minute()),
                format!("{}/{}", g.rose(), g.intervals()),
                signed(first),
                signed(last),
                g.name()
            )?;
        }
        Ok(())
    }
}

impl Report {
    /// The growth table of the run's live-heap snapshots (see [`GrowthTable`]).
    ///
    /// ```
    /// let report = profkit::Report::default();
    /// assert!(report.growth().to_string().contains("0 snapshots"));
    /// ```
    pub fn growth(&self) -> GrowthTable<'_> {
        GrowthTable {
            report: self,
            paths: self.growing(),
        }
    }
}
