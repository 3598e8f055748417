//! The history for people and programs: a [`Verdict`], a [`Trend`] and a list of runs as
//! plain text, as a Markdown table (a pull-request comment, `$GITHUB_STEP_SUMMARY`) and as
//! JSON (times in seconds, as every profkit JSON output).

mod json;
mod markdown;
mod text;

use std::fmt::Write as _;

use super::check::{Finding, Verdict};
use super::metric::{Metric, Unit};
use super::rules::{Change, Rules};
use super::store::RunInfo;
use super::trend::{Trend, TrendPoint};

pub use json::runs_json;
pub use markdown::runs_markdown;
pub use text::runs_text;

/// How many parts of a breakdown are shown.
const PARTS: usize = 8;
/// How many names of functions with insufficient data are shown.
const NAMES: usize = 5;

fn percent(r: Option<f64>) -> String {
    match r {
        Some(r) => format!("{:+.1}%", r * 100.0),
        None => "new".to_owned(),
    }
}

/// A finding's change: the growth class's step (`O(n)->O(n^2)`) for a metric judged by class
/// whose class moved, the relative change otherwise (`=` for a class that stayed).
fn change_text(f: &Finding) -> String {
    match f.classes() {
        Some((before, now)) if before != now => format!("{before}->{now}"),
        Some(_) => "=".to_owned(),
        None => percent(f.relative()),
    }
}

fn impact(f: &Finding) -> String {
    f.impact()
        .map_or_else(|| "-".to_owned(), |i| format!("{:+.1}%", i * 100.0))
}

fn trim(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The rules in one sentence.
fn rules_sentence(rules: &Rules) -> String {
    format!(
        "a change counts when it is more than {}% from the median and beyond Q3 + 1.5 x IQR of \
         those runs (at least {} of them); it blocks after {} in a row",
        trim(rules.threshold * 100.0),
        rules.min_samples,
        plural(rules.consecutive, "run", "runs"),
    )
}

/// `status` of a finding as a word.
fn status(f: &Finding, consecutive: usize) -> String {
    match f.change() {
        Change::Regression if f.blocked() => "BLOCKED".to_owned(),
        Change::Regression if consecutive > 1 => {
            format!("regressed {}/{consecutive}", f.streak())
        }
        Change::Regression => "regressed".to_owned(),
        Change::Improvement => "improved".to_owned(),
        other => other.name().to_owned(),
    }
}

impl Verdict {
    fn listed(&self) -> Vec<&Finding> {
        self.findings()
            .iter()
            .filter(|f| matches!(f.change(), Change::Regression | Change::Improvement))
            .collect()
    }

    fn headline(&self) -> String {
        let regressions = self.regressions();
        let blocking = regressions.iter().filter(|f| f.blocked()).count();
        if blocking > 0 {
            format!(
                "{} {} this change",
                plural(blocking, "regression", "regressions"),
                if blocking == 1 { "blocks" } else { "block" }
            )
        } else if !regressions.is_empty() {
            format!(
                "{}, none blocking yet",
                plural(regressions.len(), "regression", "regressions")
            )
        } else {
            "no regression".to_owned()
        }
    }

    fn against(&self) -> String {
        let o = self.options();
        let mut s = format!(
            "against the last {} of branch `{}` on machine `{}`",
            plural(self.window().len(), "run", "runs"),
            o.branch_name(),
            o.machine_name()
        );
        if let Some(c) = &o.exclude_commit {
            let _ = write!(s, " (runs of commit `{c}` left out)");
        }
        s
    }

    /// The line that ends every form: what was not listed.
    fn tally(&self, code: &dyn Fn(&str) -> String) -> String {
        let unchanged = self.with_change(Change::Unchanged).len();
        let few = self.with_change(Change::InsufficientData);
        let mut parts = vec![format!("{unchanged} unchanged")];
        if !few.is_empty() {
            let mut names: Vec<String> = Vec::new();
            for f in &few {
                let n = code(&f.subject());
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            let more = names.len().saturating_sub(NAMES);
            names.truncate(NAMES);
            let mut list = names.join(", ");
            if more > 0 {
                let _ = write!(list, " and {more} more");
            }
            parts.push(format!(
                "{} with insufficient data (fewer than {} runs with a value): {list}",
                few.len(),
                self.options().rules_value().min_samples
            ));
        }
        if let Some((runs, sampled)) = self.other_timing {
            let (this, other) = if sampled {
                ("sampled", "exact")
            } else {
                ("exact", "sampled")
            };
            parts.push(format!(
                "times not compared with {runs} run(s) of the window recorded with {other} \
                 timing (this profile's timing is {this}; PROFKIT_SAMPLE)"
            ));
        }
        for m in self.missing_metrics() {
            parts.push(format!(
                "{m}: not in this profile (a .prof file keeps no latency), not checked"
            ));
        }
        parts.join("; ")
    }
}

/// What a breakdown shows: where the time went, or (for `ncalls`) where the calls came from.
fn breakdown_title(unit: Unit) -> &'static str {
    match unit {
        Unit::Calls => "where the calls came from into",
        _ => "where the time went in",
    }
}

fn signed(unit: Unit, delta: i128) -> String {
    let sign = if delta > 0 { "+" } else { "" };
    format!("{sign}{}", unit.show(delta as f64))
}

/// The mark of a trend point: what happened to it, and whether a step began there.
fn mark(change: Option<Change>, step: bool) -> String {
    let what = match change {
        Some(Change::Regression) => "REGRESSED",
        Some(Change::Improvement) => "improved",
        Some(Change::InsufficientData) => "(few runs)",
        Some(Change::Unchanged) => "",
        _ => "(no value)",
    };
    if step {
        format!("{what} <- first bad")
    } else {
        what.to_owned()
    }
}

/// The cells of a trend's row: the value, the median of the runs before it, the change, the
/// mark.
fn point_cells(p: &TrendPoint, unit: Unit) -> [String; 4] {
    let a = p.assessment();
    let baseline = a.and_then(|a| a.baseline);
    [
        p.value().map_or("-".into(), |v| unit.show(v as f64)),
        baseline.map_or("-".into(), |b| unit.show(b.median)),
        match (a, baseline) {
            (Some(a), Some(_)) => percent(a.relative),
            _ => "-".into(),
        },
        mark(p.change(), p.is_step()),
    ]
}

fn first_bad_line(p: &TrendPoint, code: &dyn Fn(&str) -> String) -> String {
    format!(
        "first bad: run {}, commit {} ({})",
        p.run().id(),
        code(p.run().commit()),
        p.run().date()
    )
}

impl Trend {
    fn title(&self) -> String {
        let o = self.options();
        format!(
            "{} of {}, branch {} on machine {} (each run against the {} before it)",
            self.metric().name(),
            self.function()
                .map_or_else(|| "the process".to_owned(), ToString::to_string),
            o.branch,
            o.machine,
            plural(o.rules.window, "run", "runs"),
        )
    }
}

/// The cells of a run's row: number, commit, branch, machine, date, functions, wall time,
/// labels.
fn run_cells(r: &RunInfo) -> [String; 8] {
    let labels: Vec<String> = r.labels().iter().map(|(k, v)| format!("{k}={v}")).collect();
    [
        r.id().to_string(),
        r.short_commit().to_owned(),
        r.branch().to_owned(),
        r.machine().to_owned(),
        r.date(),
        r.function_count().to_string(),
        Metric::named("wall")
            .and_then(|m| r.value(m))
            .map_or("-".into(), |v| Unit::Nanoseconds.show(v as f64)),
        labels.join(" "),
    ]
}

const RUN_HEADER: [&str; 8] = [
    "run",
    "commit",
    "branch",
    "machine",
    "date (UTC)",
    "functions",
    "wall",
    "labels",
];
