//! How each sized function's cost grows: the `growth` column's text, the fit in one line, and
//! the complexity view (`profkit view --complexity`) with a small log-log plot per function.

use std::fmt;
use std::time::Duration;

use crate::model::{Complexity, FunctionStats, NoFit, Report, Scaling};

use super::units::human;

/// The `growth` column: the class's notation, `?` for sized calls that could not be fitted,
/// `-` for a function without sized calls.
pub(crate) fn growth_text(f: &FunctionStats) -> &'static str {
    match f.scaling() {
        Some(g) => g.fit().map_or("?", |c| c.class().notation()),
        None => "-",
    }
}

/// The fit in words: `O(n^2) (exponent 1.97, 12 sizes from 100 to 100000)`.
pub(crate) fn fit_summary(c: &Complexity) -> String {
    let (lo, hi) = c.size_range();
    format!(
        "{} (exponent {:.2}, {} sizes from {lo} to {hi})",
        c.class(),
        c.exponent(),
        c.sizes()
    )
}

/// The fitted points as lines `  size 1000: 12.4 µs`, indented by two spaces.
pub(crate) fn points_text(c: &Complexity) -> String {
    let width = c.size_range().1.to_string().len();
    c.points()
        .map(|(n, t)| format!("  size {n:>width$}: {:>9}\n", human(t)))
        .collect()
}

/// What the calls allocated, when recorded: two lines `  allocations grow as O(1) (...)` and
/// `  bytes allocated grow as O(n) (...)`, or why one was not fitted; nothing without memory.
pub(crate) fn memory_text(g: &Scaling) -> String {
    let line = |what: &str, fit: Option<Result<&Complexity, &NoFit>>| match fit {
        None => String::new(),
        Some(Ok(c)) => format!("  {what} grow as {}\n", fit_summary(c)),
        Some(Err(why)) => format!("  {what}: no growth fitted ({why})\n"),
    };
    line("allocations", g.allocations()) + &line("bytes allocated", g.bytes())
}

/// Rows and columns of a plot.
const PLOT_ROWS: usize = 8;
const PLOT_COLS: usize = 48;

/// The median time of each size group against its size, both on log scales, as text.
fn plot(c: &Complexity) -> String {
    let pts: Vec<(f64, f64)> = c
        .points()
        .map(|(n, t)| ((n.max(1) as f64).ln(), (t.as_nanos().max(1) as f64).ln()))
        .collect();
    let (x0, x1) = bounds(pts.iter().map(|p| p.0));
    let (y0, y1) = bounds(pts.iter().map(|p| p.1));
    let mut grid = vec![vec![' '; PLOT_COLS]; PLOT_ROWS];
    for &(x, y) in &pts {
        let col = scale(x, x0, x1, PLOT_COLS);
        let row = PLOT_ROWS - 1 - scale(y, y0, y1, PLOT_ROWS);
        if let Some(cell) = grid.get_mut(row).and_then(|r| r.get_mut(col)) {
            *cell = '*';
        }
    }
    let top = human(Duration::from_nanos(y1.exp().round() as u64));
    let bottom = human(Duration::from_nanos(y0.exp().round() as u64));
    let label = top.chars().count().max(bottom.chars().count());
    let mut out = String::new();
    for (i, row) in grid.iter().enumerate() {
        let tag = match i {
            0 => top.as_str(),
            _ if i == PLOT_ROWS - 1 => bottom.as_str(),
            _ => "",
        };
        let line: String = row.iter().collect();
        out.push_str(&format!("  {tag:>label$} |{}\n", line.trim_end()));
    }
    let (lo, hi) = c.size_range();
    let lo = lo.to_string();
    let hi = hi.to_string();
    out.push_str(&format!("  {:>label$} +{}\n", "", "-".repeat(PLOT_COLS)));
    let gap = (PLOT_COLS + 1).saturating_sub(lo.len() + hi.len());
    out.push_str(&format!(
        "  {:>label$}  {lo}{}{hi}  size (log scales)\n",
        "",
        " ".repeat(gap)
    ));
    out
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    })
}

/// `v` in `[lo, hi]` as a cell in `0..cells`.
fn scale(v: f64, lo: f64, hi: f64, cells: usize) -> usize {
    if hi <= lo {
        return 0;
    }
    let at = ((v - lo) / (hi - lo) * (cells - 1) as f64).round();
    (at.max(0.0) as usize).min(cells - 1)
}

/// Every function with sized calls: its fit, points and plot, or why it has no fit.
///
/// ```
/// #[profkit::profile(size = n)]
/// fn work(n: u64) {
///     profkit::testing::advance(std::time::Duration::from_nanos(10 * n));
/// }
///
/// let _clock = profkit::testing::TestClock::install().unwrap();
/// let (_, report) = profkit::record(|| {
///     for n in [100, 300, 1_000, 3_000, 10_000] { work(n); work(n); }
/// });
/// let text = report.complexity_view().to_string();
/// assert!(text.contains("work grows as O(n) (exponent 1.00, 5 sizes from 100 to 10000)"));
/// ```
#[derive(Clone, Debug)]
pub struct ComplexityView<'a> {
    report: &'a Report,
    full_names: bool,
}

impl<'a> ComplexityView<'a> {
    /// Each function with sized calls: its name as shown, and its fit of time or why none.
    pub(super) fn rows(&self) -> Vec<(String, Result<&'a Complexity, &'a NoFit>)> {
        let report: &'a Report = self.report;
        report
            .functions()
            .filter_map(|func| {
                let name = if self.full_names {
                    func.name().to_owned()
                } else {
                    func.short_name().into_owned()
                };
                Some((name, func.scaling()?.fit()))
            })
            .collect()
    }

    /// Shows each function's full name rather than the short form tables show by default
    /// (see [`FunctionStats::short_name`](crate::FunctionStats::short_name)), as the CLI's
    /// `--full-names`.
    ///
    /// ```
    /// let _ = profkit::Report::default().complexity_view().full_names(true);
    /// ```
    #[must_use]
    pub fn full_names(mut self, full: bool) -> Self {
        self.full_names = full;
        self
    }
}

impl Report {
    /// The complexity view: per function with sized calls (`#[profile(size = ..)]`), the
    /// growth fitted to them with the points and a log-log plot, or the reason there is none.
    /// (How the live heap grew is [`Report::growth`].)
    pub fn complexity_view(&self) -> ComplexityView<'_> {
        ComplexityView {
            report: self,
            full_names: false,
        }
    }
}

impl fmt::Display for ComplexityView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut any = false;
        for func in self.report.functions() {
            let name = if self.full_names {
                func.name().to_owned()
            } else {
                func.short_name().into_owned()
            };
            let Some(growth) = func.scaling() else {
                continue;
            };
            if any {
                writeln!(f)?;
            }
            any = true;
            match growth.fit() {
                Ok(c) => {
                    writeln!(
                        f,
                        "{name} grows as {}, {} calls; error {:.1}%, r^2 {:.3}",
                        fit_summary(c),
                        c.calls(),
                        c.error() * 100.0,
                        c.r_squared()
                    )?;
                    f.write_str(&plot(c))?;
                    f.write_str(&points_text(c))?;
                }
                Err(why) => writeln!(
                    f,
                    "{name}: no growth fitted ({why}; {} sized calls)",
                    growth.calls()
                )?,
            }
            f.write_str(&memory_text(growth))?;
        }
        if !any {
            writeln!(
                f,
                "no function has sized calls: give one #[profile(size = <expr>)]"
            )?;
        }
        Ok(())
    }
}
