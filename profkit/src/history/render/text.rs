//! The plain-text forms: a verdict, a trend and a list of runs as aligned columns.

use std::fmt::Write as _;

use super::{
    PARTS, RUN_HEADER, Trend, Verdict, breakdown_title, change_text, first_bad_line, impact,
    point_cells, rules_sentence, run_cells, signed, status,
};
use crate::history::store::RunInfo;

impl Verdict {
    /// The verdict as plain text: a headline, the regressions and improvements sorted by
    /// impact, where the time went for each regression, and a tally of the rest.
    ///
    /// ```
    /// # #[profkit::profile] fn step() {}
    /// use profkit::history::{CheckOptions, Store};
    /// let (_, report) = profkit::record(step);
    /// let verdict = Store::in_memory().unwrap().check(&report, &CheckOptions::new()).unwrap();
    /// assert!(verdict.to_text().starts_with("profkit history check: no regression"));
    /// ```
    pub fn to_text(&self) -> String {
        let rules = self.options().rules_value();
        let mut out = format!(
            "profkit history check: {}\n{}; {}.\n",
            self.headline(),
            self.against(),
            rules_sentence(rules)
        );
        let listed = self.listed();
        if !listed.is_empty() {
            let _ = writeln!(
                out,
                "\n{:<14} {:<8} {:>10} {:>10} {:>8} {:>8}  function",
                "status", "metric", "median", "new", "change", "impact"
            );
            for f in &listed {
                let unit = f.metric().unit();
                let median = f.baseline().map_or(0.0, |b| b.median);
                let _ = writeln!(
                    out,
                    "{:<14} {:<8} {:>10} {:>10} {:>8} {:>8}  {}",
                    status(f, rules.consecutive),
                    f.metric().name(),
                    unit.show(median),
                    unit.show(f.value() as f64),
                    change_text(f),
                    impact(f),
                    f.subject()
                );
            }
        }
        for f in &listed {
            let Some(b) = f.breakdown() else { continue };
            let _ = writeln!(
                out,
                "\n{} {}, against run {} (commit {}, the run nearest the median):",
                breakdown_title(b.unit()),
                f.subject(),
                b.run().id(),
                b.run().short_commit()
            );
            let _ = writeln!(out, "  {:>10} {:>10} {:>11}  part", "base", "new", "delta");
            for p in b.parts().iter().filter(|p| p.delta() != 0).take(PARTS) {
                let _ = writeln!(
                    out,
                    "  {:>10} {:>10} {:>11}  {}",
                    b.unit().show(p.base() as f64),
                    b.unit().show(p.new_value() as f64),
                    signed(b.unit(), p.delta()),
                    p.label()
                );
            }
        }
        let _ = writeln!(out, "\n{}", self.tally(&|s| s.to_owned()));
        out
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl Trend {
    /// The trend as plain text: one row per run (commit, date, value, the median of the runs
    /// before it, the change), marked where it regressed and where a sustained step began.
    ///
    /// ```
    /// use profkit::history::{Metric, Store, TrendOptions, trend};
    /// let store = Store::in_memory().unwrap();
    /// let t = trend(&store, &TrendOptions::new(Metric::named("wall").unwrap())).unwrap();
    /// assert!(t.to_text().contains("no runs"));
    /// ```
    pub fn to_text(&self) -> String {
        let unit = self.metric().unit();
        let mut out = format!("{}\n\n", self.title());
        if self.points().is_empty() {
            out.push_str("no runs recorded yet\n");
            return out;
        }
        let _ = writeln!(
            out,
            "{:>6}  {:<12}  {:<16}  {:>10} {:>10} {:>8}  mark",
            "run", "commit", "date (UTC)", "value", "median", "change"
        );
        for p in self.points() {
            let [value, median, change, mark] = point_cells(p, unit);
            let _ = writeln!(
                out,
                "{:>6}  {:<12}  {:<16}  {value:>10} {median:>10} {change:>8}  {mark}",
                p.run().id(),
                p.run().short_commit(),
                p.run().date(),
            );
        }
        if let Some(p) = self.first_bad() {
            let _ = writeln!(out, "\n{}", first_bad_line(p, &|s| s.to_owned()));
        }
        out
    }
}

/// Runs as a text table, newest first: number, commit, branch, machine, date, functions, wall
/// time, labels.
///
/// ```
/// # #[profkit::profile] fn step() {}
/// use profkit::history::{RunFilter, RunMeta, Store, runs_text};
/// let (_, report) = profkit::record(step);
/// let mut store = Store::in_memory().unwrap();
/// store.record(&report, &RunMeta::new("4f2a9c1").label("pr", "7")).unwrap();
/// let text = runs_text(&store.runs(&RunFilter::new()).unwrap());
/// assert!(text.contains("4f2a9c1") && text.contains("pr=7"), "{text}");
/// ```
pub fn runs_text(runs: &[RunInfo]) -> String {
    let row = |c: [&str; 8]| {
        format!(
            "{:>6}  {:<12}  {:<12}  {:<12}  {:<16}  {:>9}  {:>9}  {}\n",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]
        )
    };
    let mut out = row(RUN_HEADER);
    for r in runs {
        let cells = run_cells(r);
        out.push_str(&row(cells.each_ref().map(String::as_str)));
    }
    if runs.is_empty() {
        out.push_str("(no runs)\n");
    }
    out
}
