//! The JSON forms (times in seconds): a verdict, a trend and a list of runs as documents.

use serde_json::{Value, json};

use super::{Change, Metric, Trend, Unit, Verdict};
use crate::history::store::{FunctionKey, RunInfo};

/// A metric's value in JSON: seconds for times, an exponent as such, the count otherwise.
fn json_value(unit: Unit, v: f64) -> Value {
    match unit {
        Unit::Nanoseconds => json!(v / 1e9),
        Unit::Exponent => json!(v / 1e3),
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

impl Verdict {
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
                    "baseline_class": f.classes().map(|c| c.0.notation()),
                    "class": f.classes().map(|c| c.1.notation()),
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
            // Sampled timing: runs of the window timed the other way, whose times were left out.
            "times_not_compared_runs": self.other_timing.map_or(0, |(runs, _)| runs),
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

impl Trend {
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

/// Runs as one JSON document, newest first (times in seconds).
///
/// ```
/// let doc: serde_json::Value = serde_json::from_str(&profkit::history::runs_json(&[])).unwrap();
/// assert!(doc["runs"].as_array().unwrap().is_empty());
/// ```
pub fn runs_json(runs: &[RunInfo]) -> String {
    json_text(&json!({ "runs": runs.iter().map(json_run).collect::<Vec<_>>() }))
}
