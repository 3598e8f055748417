//! pstats' `print_callers` and `print_callees`, character for character.

use std::fmt;

use crate::model::{EdgeStats, FunctionStats, seconds};

use super::text::{F8, StatsTable};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Callers,
    Callees,
}

/// Each selected function with its callers (`<-`) or callees (`->`) and the statistics of
/// every edge: `ncalls` (`nc/cc` when they differ), the callee's own time in those calls and
/// their cumulative time; with [CPU time](crate::set_cpu), a last column `cpu%`: the edge's
/// cumulative CPU time over its cumtime (the rest waited). Made by [`StatsTable::callers`] and [`StatsTable::callees`].
///
/// ```
/// # #[profkit::profile] fn child() {}
/// # #[profkit::profile] fn parent() { child(); child() }
/// let (_, report) = profkit::record(parent);
/// let text = report.stats().callees().to_string();
/// assert!(text.contains("->"));
/// ```
#[derive(Clone, Debug)]
pub struct CallsTable<'a> {
    table: StatsTable<'a>,
    direction: Direction,
}

impl<'a> CallsTable<'a> {
    fn new(table: StatsTable<'a>, direction: Direction) -> Self {
        CallsTable { table, direction }
    }
}

impl fmt::Display for CallsTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = self.table.report();
        let (rows, msg) = self.table.selection();
        if rows.is_empty() {
            return Ok(());
        }
        writeln!(f, "{msg}")?;
        // pstats: the longest label of all functions, or of the selection when it is reduced.
        let full = self.table.shows_full_names();
        let labels = |fs: &mut dyn Iterator<Item = &FunctionStats>| {
            fs.map(|s| s.label(full).chars().count()).max().unwrap_or(0)
        };
        let width = 2 + if rows.len() < report.functions.len() {
            labels(&mut rows.iter().copied())
        } else {
            labels(&mut report.functions.iter())
        };
        let (title, arrow) = match self.direction {
            Direction::Callers => ("was called by...", "<-"),
            Direction::Callees => ("called...", "->"),
        };
        writeln!(f, "{:<width$}{title}", "Function ")?;
        // Only with CPU figures: without them the table is pstats' to the character.
        let cpu = report.has_cpu();
        if report.functions.iter().any(|s| !s.callers.is_empty()) {
            let cpu_header = if cpu { "     cpu%" } else { "" };
            writeln!(f, "{:width$}    ncalls  tottime  cumtime{cpu_header}", "")?;
        }
        for s in rows {
            let edges: &[EdgeStats] = match self.direction {
                Direction::Callers => &s.callers,
                Direction::Callees => &s.callees,
            };
            write!(f, "{:<width$}{arrow} ", s.label(full))?;
            if edges.is_empty() {
                writeln!(f)?;
                continue;
            }
            // Edges are kept in (file, line, name) order: pstats' sorted(call_dict.keys()).
            for (i, e) in edges.iter().enumerate() {
                let ncalls = if e.ncalls == e.primitive_calls {
                    e.ncalls.to_string()
                } else {
                    format!("{}/{}", e.ncalls, e.primitive_calls)
                };
                let (indent, right) = if i == 0 { (0, 7) } else { (width + 1, 9) };
                let cpu_share = match (cpu, e.cpu_share()) {
                    (false, _) => String::new(),
                    (true, Some(share)) => format!(" {:>7.1}%", share * 100.0),
                    (true, None) => format!(" {:8}", ""),
                };
                writeln!(
                    f,
                    "{:indent$}{ncalls:>right$} {} {}{cpu_share}  {}",
                    "",
                    F8(seconds(e.tottime_ns)),
                    F8(seconds(e.cumtime_ns)),
                    e.label(full)
                )?;
            }
        }
        writeln!(f)?;
        writeln!(f)
    }
}

impl<'a> StatsTable<'a> {
    /// The same selection as pstats' `print_callers`: each row with the functions that
    /// called it.
    ///
    /// ```
    /// # #[profkit::profile] fn child() {}
    /// # #[profkit::profile] fn parent() { child() }
    /// let (_, report) = profkit::record(parent);
    /// assert!(report.stats().callers().to_string().contains("was called by..."));
    /// ```
    pub fn callers(self) -> CallsTable<'a> {
        CallsTable::new(self, Direction::Callers)
    }

    /// The same selection as pstats' `print_callees`: each row with the functions it called.
    ///
    /// ```
    /// # #[profkit::profile] fn child() {}
    /// # #[profkit::profile] fn parent() { child() }
    /// let (_, report) = profkit::record(parent);
    /// assert!(report.stats().callees().to_string().contains("called..."));
    /// ```
    pub fn callees(self) -> CallsTable<'a> {
        CallsTable::new(self, Direction::Callees)
    }
}
