//! The history for people and programs: a [`Verdict`], a [`Trend`] and a list of runs as
//! plain text, as a Markdown table (a pull-request comment, `$GITHUB_STEP_SUMMARY`) and as
//! JSON (times in seconds, as every profkit JSON output).

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::check::{Finding, Verdict};
use super::metric::{Metric, Unit};
use super::rules::{Change, Rules};
use super::store::{FunctionKey, RunInfo};
use super::trend::{Trend, TrendPoint};

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

/// A metric's value in JSON: seconds for times, the count otherwise.
fn json_value(unit: Unit, v: f64) -> Value {
    match unit {
        Unit::Nanoseconds => json!(v / 1e9),
        _ => json!(v),
    }
}

fn json_unit(unit: Unit) -> &'static str {
    match unit {
        Unit::Nanoseconds => "s",
        other => other.name(),
    }
}

fn json_function(key: Option<&FunctionKey>) -> Value {
    key.map_or(
        Value::Null,
        |k| json!({"name": k.name(), "file": k.file(), "ordinal": k.ordinal()}),
    )
}

fn json_run(run: &RunInfo) -> Value {
    let process: serde_json::Map<String, Value> = Metric::all()
        .iter()
        .filter(|m| !m.is_per_function())
        .map(|m| {
            let v = run
                .value(m)
                .map_or(Value::Null, |v| json_value(m.unit(), v as f64));
            (m.name().to_owned(), v)
        })
        .collect();
    json!({
        "id": run.id().0,
        "commit": run.commit(),
        "branch": run.branch(),
        "machine": run.machine(),
        "recorded_unix_s": run.recorded_unix_ns as f64 / 1e9,
        "date": run.date(),
        "program": run.program(),
        "clock": run.clock(),
        "profkit_version": run.profkit_version(),
        "functions": run.function_count(),
        "total_time": run.total_time().as_secs_f64(),
        "process": process,
        "labels": run.labels(),
    })
}

fn json_text(doc: &Value) -> String {
    let mut t = serde_json::to_string_pretty(doc).unwrap_or_default();
    t.push('\n');
    t
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
        for m in self.missing_metrics() {
            parts.push(format!(
                "{m}: not in this profile (a .prof file keeps no latency), not checked"
            ));
        }
        parts.join("; ")
    }

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
                    percent(f.relative()),
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
                    percent(f.relative()),
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

    /// The verdict as one JSON document: every finding (times in seconds), the window's runs
    /// and the rules.
    ///
    /// ```
    /// # #[profkit::profile] fn step() {}
    /// use profkit::history::{CheckOptions, Store};
    /// let (_, report) = profkit::record(step);
    /// let verdict = Store::in_memory().unwrap().check(&report, &CheckOptions::new()).unwrap();
    /// let doc: serde_json::Value = serde_json::from_str(&verdict.to_json()).unwrap();
    /// assert_eq!(doc["blocked"], false);
    /// ```
    pub fn to_json(&self) -> String {
        let o = self.options();
        let r = o.rules_value();
        let findings: Vec<Value> = self
            .findings()
            .iter()
            .map(|f| {
                let unit = f.metric().unit();
                let b = f.baseline();
                let breakdown = f.breakdown().map_or(Value::Null, |bd| {
                    json!({
                        "run": bd.run().id().0,
                        "commit": bd.run().commit(),
                        "unit": json_unit(bd.unit()),
                        "parts": bd.parts().iter().map(|p| json!({
                            "part": p.label(),
                            "base": json_value(bd.unit(), p.base() as f64),
                            "new": json_value(bd.unit(), p.new_value() as f64),
                        })).collect::<Vec<_>>(),
                    })
                });
                json!({
                    "function": json_function(f.function()),
                    "metric": f.metric().name(),
                    "unit": json_unit(unit),
                    "change": f.change().name(),
                    "blocked": f.blocked(),
                    "streak": f.streak(),
                    "value": json_value(unit, f.value() as f64),
                    "median": b.map_or(Value::Null, |b| json_value(unit, b.median)),
                    "q1": b.map_or(Value::Null, |b| json_value(unit, b.q1)),
                    "q3": b.map_or(Value::Null, |b| json_value(unit, b.q3)),
                    "upper_fence": b.map_or(Value::Null, |b| json_value(unit, b.upper_fence())),
                    "lower_fence": b.map_or(Value::Null, |b| json_value(unit, b.lower_fence())),
                    "samples": b.map_or(0, |b| b.samples),
                    "relative": f.relative(),
                    "share": f.share(),
                    "impact": f.impact(),
                    "breakdown": breakdown,
                })
            })
            .collect();
        let count = |c: Change| self.with_change(c).len();
        json_text(&json!({
            "blocked": self.blocked(),
            "branch": o.branch_name(),
            "machine": o.machine_name(),
            "excluded_commit": o.exclude_commit,
            "rules": {
                "window": r.window,
                "threshold": r.threshold,
                "min_samples": r.min_samples,
                "consecutive": r.consecutive,
            },
            "metrics": o.metric_list().iter().map(|m| m.name()).collect::<Vec<_>>(),
            "missing_metrics": self.missing_metrics().iter().map(|m| m.name()).collect::<Vec<_>>(),
            "counts": {
                "regressions": count(Change::Regression),
                "blocking": self.findings().iter().filter(|f| f.blocked()).count(),
                "improvements": count(Change::Improvement),
                "unchanged": count(Change::Unchanged),
                "insufficient_data": count(Change::InsufficientData),
            },
            "window": self.window().iter().map(|r| json!({"id": r.id().0, "commit": r.commit()})).collect::<Vec<_>>(),
            "findings": findings,
        }))
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// What a breakdown shows: where the time went, or (for `ncalls`) where the calls came from.
fn breakdown_title(unit: Unit) -> &'static str {
    match unit {
        Unit::Calls => "where the calls came from into",
        _ => "where the time went in",
    }
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
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
                mark.replace('<', "&lt;"),
            );
        }
        if let Some(p) = self.first_bad() {
            let _ = writeln!(out, "\n{}.", first_bad_line(p, &|s| format!("`{s}`")));
        }
        out
    }

    /// The trend as one JSON document (times in seconds).
    ///
    /// ```
    /// use profkit::history::{Metric, Store, TrendOptions, trend};
    /// let store = Store::in_memory().unwrap();
    /// let t = trend(&store, &TrendOptions::new(Metric::named("wall").unwrap())).unwrap();
    /// let doc: serde_json::Value = serde_json::from_str(&t.to_json()).unwrap();
    /// assert_eq!(doc["runs"].as_array().unwrap().len(), 0);
    /// ```
    pub fn to_json(&self) -> String {
        let unit = self.metric().unit();
        let o = self.options();
        let runs: Vec<Value> = self
            .points()
            .iter()
            .map(|p| {
                let a = p.assessment();
                let b = a.and_then(|a| a.baseline);
                json!({
                    "run": p.run().id().0,
                    "commit": p.run().commit(),
                    "date": p.run().date(),
                    "value": p.value().map_or(Value::Null, |v| json_value(unit, v as f64)),
                    "median": b.map_or(Value::Null, |b| json_value(unit, b.median)),
                    "upper_fence": b.map_or(Value::Null, |b| json_value(unit, b.upper_fence())),
                    "relative": a.and_then(|a| a.relative),
                    "change": p.change().map(Change::name),
                    "first_bad": p.is_step(),
                })
            })
            .collect();
        json_text(&json!({
            "metric": self.metric().name(),
            "unit": json_unit(unit),
            "function": json_function(self.function()),
            "branch": o.branch,
            "machine": o.machine,
            "first_bad": self.first_bad().map(|p| json!({"run": p.run().id().0, "commit": p.run().commit()})),
            "runs": runs,
        }))
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

/// Runs as one JSON document, newest first (times in seconds).
///
/// ```
/// let doc: serde_json::Value = serde_json::from_str(&profkit::history::runs_json(&[])).unwrap();
/// assert!(doc["runs"].as_array().unwrap().is_empty());
/// ```
pub fn runs_json(runs: &[RunInfo]) -> String {
    json_text(&json!({ "runs": runs.iter().map(json_run).collect::<Vec<_>>() }))
}
