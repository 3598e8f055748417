//! `profkit check`: per-function budgets (latency, time, calls, calls per call of a parent)
//! checked against a profile; exit 1 when an error-level budget is broken.

use std::path::PathBuf;
use std::time::Duration;

use profkit::{FunctionStats, Report};
use serde_json::{Value, json};

use crate::budgets::{self, Budget, Limit, Severity, TimeMetric};
use crate::input;
use crate::output::{EXIT_FAILED, EXIT_OK, Outcome, OutputFormat, Style, emit, human, secs};

/// Check a profile against per-function budgets; exit 1 when an error-level one is broken.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Example:
  profkit check profile.json --budgets budgets.toml

budgets.toml: one [[budget]] table per function, with any of these limits:

  [[budget]]
  function = \"app::db::fetch_row\"   # exact name or unique ::suffix
  p99 = \"2ms\"                       # also p50, p90, max, cumtime, tottime (ns, us, ms, s)
  ncalls = 100                      # at most 100 calls
  severity = \"error\"                # or \"warning\"; default \"error\"

  [[budget]]
  function = \"fetch_row\"
  per_call_of = \"get_users\"         # calls from get_users, per call of get_users
  max_per_call = 1
  severity = \"warning\"

A value above its limit breaks the budget. A function (or per_call_of parent) that is not
in the profile, or a latency budget on a profile without latency (.prof), is an error
whatever the severity: a budget that cannot be checked does not pass.
Exit status: 0 no error-level budget broken (warnings are printed), 1 one is, 2 bad input.")]
pub(crate) struct CheckArgs {
    /// Profile files (merged first; `-`: standard input).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The budgets file (TOML; `-`: standard input).
    #[arg(long, value_name = "BUDGETS")]
    budgets: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

/// The value a limit was compared with.
#[derive(Clone, Copy, Debug)]
enum Amount {
    Time(Duration),
    Calls(u64),
    PerCall(f64),
}

impl Amount {
    fn text(self) -> String {
        match self {
            Amount::Time(d) => human(d),
            Amount::Calls(n) => format!("{n} calls"),
            Amount::PerCall(x) => format!("{} calls per call", trim_float(x)),
        }
    }

    fn json(self) -> Value {
        match self {
            Amount::Time(d) => json!(secs(d)),
            Amount::Calls(n) => json!(n),
            Amount::PerCall(x) => json!(x),
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Amount::Time(_) => "s",
            Amount::Calls(_) => "calls",
            Amount::PerCall(_) => "calls per call",
        }
    }
}

fn trim_float(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A broken budget.
#[derive(Debug)]
struct Violation<'b> {
    budget: &'b Budget,
    metric: String,
    /// `None`: it could not be measured (`why` says why).
    actual: Option<Amount>,
    limit: Option<Amount>,
    severity: Severity,
    why: Option<String>,
}

fn time_of(f: &FunctionStats, metric: TimeMetric) -> Option<Duration> {
    let l = f.latency();
    match metric {
        TimeMetric::P50 => l.map(|l| l.p50()),
        TimeMetric::P90 => l.map(|l| l.p90()),
        TimeMetric::P99 => l.map(|l| l.p99()),
        TimeMetric::Max => l.map(|l| l.max()),
        TimeMetric::CumTime => Some(f.cumtime()),
        TimeMetric::TotTime => Some(f.tottime()),
    }
}

/// Why a budget's function (or parent) cannot be found, for a violation line.
fn missing(e: &profkit::LookupError) -> String {
    match e {
        profkit::LookupError::Unknown { close, .. } if close.is_empty() => {
            "not in the profile".to_owned()
        }
        profkit::LookupError::Unknown { close, .. } => {
            format!("not in the profile; close matches: {}", close.join(", "))
        }
        other => other.to_string(),
    }
}

/// Every broken limit of `budget`.
fn evaluate<'b>(report: &Report, budget: &'b Budget, out: &mut Vec<Violation<'b>>) {
    let unmeasurable = |metric: String, limit: Option<Amount>, why: String| Violation {
        budget,
        metric,
        actual: None,
        limit,
        severity: Severity::Error,
        why: Some(why),
    };
    let f = match report.function(&budget.function) {
        Ok(f) => f,
        Err(e) => {
            out.push(unmeasurable("function".into(), None, missing(&e)));
            return;
        }
    };
    for limit in &budget.limits {
        let broken = |metric: String, actual: Amount, limit: Amount| Violation {
            budget,
            metric,
            actual: Some(actual),
            limit: Some(limit),
            severity: budget.severity,
            why: None,
        };
        match limit {
            Limit::Time(metric, max) => match time_of(f, *metric) {
                Some(actual) if actual > *max => out.push(broken(
                    metric.name().into(),
                    Amount::Time(actual),
                    Amount::Time(*max),
                )),
                Some(_) => {}
                None => out.push(unmeasurable(
                    metric.name().into(),
                    Some(Amount::Time(*max)),
                    "no latency distribution in the profile (a .prof file keeps none)".into(),
                )),
            },
            Limit::Calls(max) => {
                if f.ncalls() > *max {
                    out.push(broken(
                        "ncalls".into(),
                        Amount::Calls(f.ncalls()),
                        Amount::Calls(*max),
                    ));
                }
            }
            Limit::PerCallOf { parent, max } => {
                let metric = format!("calls per call of {parent}");
                let p = match report.function(parent) {
                    Ok(p) => p,
                    Err(e) => {
                        out.push(unmeasurable(
                            metric,
                            Some(Amount::PerCall(*max)),
                            format!("per_call_of {parent:?}: {}", missing(&e)),
                        ));
                        continue;
                    }
                };
                // Calls of `f` made directly by `p`: the edge p -> f.
                let calls = p
                    .callees()
                    .iter()
                    .filter(|e| (e.file(), e.line(), e.name()) == (f.file(), f.line(), f.name()))
                    .map(|e| e.ncalls())
                    .sum::<u64>();
                let actual = if p.ncalls() == 0 {
                    0.0
                } else {
                    calls as f64 / p.ncalls() as f64
                };
                if actual > *max {
                    out.push(broken(
                        metric,
                        Amount::PerCall(actual),
                        Amount::PerCall(*max),
                    ));
                }
            }
        }
    }
}

pub(crate) fn run(args: &CheckArgs) -> Outcome {
    input::stdin_once(
        args.files
            .iter()
            .chain([&args.budgets])
            .map(PathBuf::as_path),
    )?;
    let budgets = budgets::read(&args.budgets)?;
    let report = input::read_all(&args.files)?;
    let mut violations = Vec::new();
    for b in &budgets {
        evaluate(&report, b, &mut violations);
    }
    let checks: usize = budgets.iter().map(|b| b.limits.len()).sum();
    let errors = violations
        .iter()
        .filter(|v| v.severity == Severity::Error)
        .count();
    let warnings = violations.len() - errors;
    let budgets_file = input::label(&args.budgets);
    let text = match args.format {
        OutputFormat::Json => {
            let list: Vec<Value> = violations
                .iter()
                .map(|v| {
                    json!({
                        "function": v.budget.function,
                        "metric": v.metric,
                        "actual": v.actual.map_or(Value::Null, Amount::json),
                        "budget": v.limit.map_or(Value::Null, Amount::json),
                        "unit": v.limit.or(v.actual).map(Amount::unit),
                        "severity": v.severity.name(),
                        "line": v.budget.line,
                        "message": v.why,
                    })
                })
                .collect();
            let doc = json!({
                "budgets": budgets_file,
                "checks": checks,
                "errors": errors,
                "warnings": warnings,
                "violations": list,
            });
            let mut t = serde_json::to_string_pretty(&doc).unwrap_or_default();
            t.push('\n');
            t
        }
        OutputFormat::Text => text(&violations, &budgets_file, checks, errors, warnings),
    };
    emit(&text)?;
    Ok(if errors > 0 { EXIT_FAILED } else { EXIT_OK })
}

fn text(
    violations: &[Violation<'_>],
    budgets_file: &str,
    checks: usize,
    errors: usize,
    warnings: usize,
) -> String {
    let style = Style::detect();
    let mut out = String::new();
    for v in violations {
        let severity = match v.severity {
            Severity::Error => style.red("error  "),
            Severity::Warning => style.yellow("warning"),
        };
        let detail = match (&v.actual, &v.limit, &v.why) {
            (Some(a), Some(l), _) => format!("{} > budget {}", a.text(), l.text()),
            (_, Some(l), Some(why)) => format!("budget {}: {why}", l.text()),
            (_, _, Some(why)) => why.clone(),
            _ => String::new(),
        };
        out.push_str(&format!(
            "{severity} {} {}: {detail} ({budgets_file}:{})\n",
            style.bold(&v.budget.function),
            v.metric,
            v.budget.line
        ));
    }
    let summary = if violations.is_empty() {
        style.green(&format!("ok: all {checks} budget checks pass"))
    } else {
        let line = format!(
            "{} of {checks} budget checks broken: {errors} error{}, {warnings} warning{}",
            violations.len(),
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
        );
        if errors > 0 {
            style.red(&line)
        } else {
            style.yellow(&line)
        }
    };
    out.push_str(&summary);
    out.push('\n');
    out
}
