//! The Markdown forms (a pull-request comment, `$GITHUB_STEP_SUMMARY`): verdict, trend, runs.

use std::fmt::Write as _;

use super::{
    PARTS, RUN_HEADER, Trend, Verdict, breakdown_title, change_text, first_bad_line, impact,
    point_cells, rules_sentence, run_cells, signed, status,
};
use crate::history::store::RunInfo;

impl Verdict {
    /// The verdict as Markdown, for a pull-request comment or `$GITHUB_STEP_SUMMARY`: a
    /// headline, a table sorted by impact, and each regression's breakdown in a
    /// `<details>` block.
    ///
    /// ```
    /// # #[profkit::profile] fn step() {}
    /// use profkit::history::{CheckOptions, Store};
    /// let (_, report) = profkit::record(step);
    /// let verdict = Store::in_memory().unwrap().check(&report, &CheckOptions::new()).unwrap();
    /// assert!(verdict.to_markdown().starts_with("### profkit: no regression"));
    /// ```
    pub fn to_markdown(&self) -> String {
        let rules = self.options().rules_value();
        let code = |s: &str| format!("`{}`", s.replace('`', "'"));
        let mut out = format!(
            "### profkit: {}\n\nCompared {}: {}.\n",
            self.headline(),
            self.against(),
            rules_sentence(rules)
        );
        let listed = self.listed();
        if !listed.is_empty() {
            out.push_str(
                "\n| | function | metric | median | new | change | impact on the program |\n\
                 |---|---|---|---:|---:|---:|---:|\n",
            );
            for f in &listed {
                let unit = f.metric().unit();
                let s = status(f, rules.consecutive);
                let s = if f.blocked() { format!("**{s}**") } else { s };
                let _ = writeln!(
                    out,
                    "| {s} | {} | {} | {} | {} | {} | {} |",
                    code(&f.subject()),
                    f.metric().name(),
                    unit.show(f.baseline().map_or(0.0, |b| b.median)),
                    unit.show(f.value() as f64),
                    change_text(f),
                    impact(f)
                );
            }
        }
        for f in &listed {
            let Some(b) = f.breakdown() else { continue };
            let title = breakdown_title(b.unit());
            let _ = write!(
                out,
                "\n<details><summary>{}{} <code>{}</code>, against run {} (<code>{}</code>, the \
                 run nearest the median)</summary>\n\n\
                 | part | base | new | change |\n|---|---:|---:|---:|\n",
                title[..1].to_uppercase(),
                &title[1..],
                html(&f.subject()),
                b.run().id(),
                html(b.run().short_commit())
            );
            for p in b.parts().iter().filter(|p| p.delta() != 0).take(PARTS) {
                let label = match p.label().split_once(' ') {
                    Some((arrow, name)) if arrow == "->" || arrow == "<-" => {
                        format!("{arrow} {}", code(name))
                    }
                    _ => p.label().to_owned(),
                };
                let _ = writeln!(
                    out,
                    "| {label} | {} | {} | {} |",
                    b.unit().show(p.base() as f64),
                    b.unit().show(p.new_value() as f64),
                    signed(b.unit(), p.delta())
                );
            }
            out.push_str("\n</details>\n");
        }
        let _ = writeln!(out, "\n{}", self.tally(&code));
        out
    }
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Trend {
    /// The trend as a Markdown table.
    ///
    /// ```
    /// use profkit::history::{Metric, Store, TrendOptions, trend};
    /// let store = Store::in_memory().unwrap();
    /// let t = trend(&store, &TrendOptions::new(Metric::named("wall").unwrap())).unwrap();
    /// assert!(t.to_markdown().starts_with("### wall of the process"));
    /// ```
    pub fn to_markdown(&self) -> String {
        let unit = self.metric().unit();
        let mut out = format!("### {}\n\n", self.title());
        if self.points().is_empty() {
            out.push_str("No runs recorded yet.\n");
            return out;
        }
        out.push_str(
            "| run | commit | date (UTC) | value | median | change | |\n\
             |---:|---|---|---:|---:|---:|---|\n",
        );
        for p in self.points() {
            let [value, median, change, mark] = point_cells(p, unit);
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {value} | {median} | {change} | {} |",
                p.run().id(),
                p.run().short_commit(),
                p.run().date(),
                html(&mark),
            );
        }
        if let Some(p) = self.first_bad() {
            let _ = writeln!(out, "\n{}.", first_bad_line(p, &|s| format!("`{s}`")));
        }
        out
    }
}

/// Runs as a Markdown table, newest first.
///
/// ```
/// assert!(profkit::history::runs_markdown(&[]).starts_with("| run |"));
/// ```
pub fn runs_markdown(runs: &[RunInfo]) -> String {
    let mut out = format!(
        "| {} |\n|---:|---|---|---|---|---:|---:|---|\n",
        RUN_HEADER.join(" | ")
    );
    for r in runs {
        let mut cells = run_cells(r);
        cells[1] = format!("`{}`", cells[1]);
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}
