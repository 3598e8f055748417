//! `profkit check`: per-function budgets (latency, time, calls, calls per call of a parent,
//! memory per call) and process budgets (peak RSS, peak heap) checked against a profile; exit 1
//! when an error-level budget is broken.

use std::path::PathBuf;
use std::time::Duration;

use profkit::{FunctionStats, Report};
use serde_json::{Value, json};

use crate::budgets::{self, Budget, Limit, Severity, TimeMetric};
use crate::input;
use crate::output::{
    EXIT_FAILED, EXIT_OK, NO_MEMORY_WHY, Outcome, OutputFormat, SizeUnit, Style, emit, human, secs,
};

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

  [[budget]]
  function = \"app::handle\"
  max_bytes_per_call = \"64KiB\"      # per outermost call, callees included
  max_allocs_per_call = 10          # likewise
  max_peak_mb = \"1MiB\"              # the most heap one call needed

  [[process]]
  max_memory_mb = \"512MB\"           # the OS's peak RSS of the run
  max_heap_mb = \"256MiB\"            # the heap's peak as profkit::Alloc counted it
  severity = \"error\"

Sizes need a unit: B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024).
Memory budgets other than max_memory_mb need a profile recorded with profkit::Alloc.
A value above its limit breaks the budget. A function (or per_call_of parent) that is not
in the profile, a latency budget on a profile without latency (.prof), or a memory budget on
a profile without memory figures, is an error whatever the severity: a budget that cannot be
checked does not pass.
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
    /// Bytes, printed in the unit of the budget they are compared with.
    Bytes(f64, SizeUnit),
    /// Bytes per call, likewise.
    BytesPerCall(f64, SizeUnit),
    AllocsPerCall(f64),
    /// A share of the cumulative time (0 to 1), printed as a percentage.
    Share(f64),
}

impl Amount {
    fn text(self) -> String {
        match self {
            Amount::Time(d) => human(d),
            Amount::Calls(n) => format!("{n} calls"),
            Amount::PerCall(x) => format!("{} calls per call", trim_float(x)),
            Amount::Bytes(b, unit) => unit.show(b),
            Amount::BytesPerCall(b, unit) => format!("{} per call", unit.show(b)),
            Amount::AllocsPerCall(x) => format!("{} allocs per call", trim_float(x)),
            Amount::Share(x) => format!("{}% of cumtime", trim_float(x * 100.0)),
        }
    }

    fn json(self) -> Value {
        match self {
            Amount::Time(d) => json!(secs(d)),
            Amount::Calls(n) => json!(n),
            Amount::PerCall(x)
            | Amount::BytesPerCall(x, _)
            | Amount::AllocsPerCall(x)
            | Amount::Share(x) => json!(x),
            Amount::Bytes(b, _) => json!(b as u64),
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Amount::Time(_) => "s",
            Amount::Calls(_) => "calls",
            Amount::PerCall(_) => "calls per call",
            Amount::Bytes(..) => "bytes",
            Amount::BytesPerCall(..) => "bytes per call",
            Amount::AllocsPerCall(_) => "allocs per call",
            Amount::Share(_) => "share of cumtime",
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

impl<'b> Violation<'b> {
    /// A limit the profile's value is above.
    fn broken(budget: &'b Budget, metric: String, actual: Amount, limit: Amount) -> Self {
        Violation {
            budget,
            metric,
            actual: Some(actual),
            limit: Some(limit),
            severity: budget.severity,
            why: None,
        }
    }

    /// A limit that cannot be checked: an error whatever the budget's severity.
    fn unmeasurable(
        budget: &'b Budget,
        metric: String,
        limit: Option<Amount>,
        why: String,
    ) -> Self {
        Violation {
            budget,
            metric,
            actual: None,
            limit,
            severity: Severity::Error,
            why: Some(why),
        }
    }
}

/// The violation of a memory limit of function `f`, if any: bytes and allocations per
/// outermost call (callees included, as `Expect::bytes_below` counts them) and the peak of
/// one call.
fn memory_violation<'b>(
    f: &FunctionStats,
    budget: &'b Budget,
    limit: &Limit,
) -> Option<Violation<'b>> {
    let m = f.memory();
    let calls = f.primitive_calls().max(1) as f64;
    // (what, the limit, the function's value and whether it is above the limit)
    let (metric, max, actual) = match limit {
        Limit::BytesPerCall(size) => (
            "bytes per call",
            Amount::BytesPerCall(size.bytes as f64, size.unit),
            m.map(|m| {
                let per_call = m.cum_bytes() as f64 / calls;
                (
                    Amount::BytesPerCall(per_call, size.unit),
                    per_call > size.bytes as f64,
                )
            }),
        ),
        Limit::AllocsPerCall(n) => (
            "allocs per call",
            Amount::AllocsPerCall(*n),
            m.map(|m| {
                let per_call = m.cum_allocs() as f64 / calls;
                (Amount::AllocsPerCall(per_call), per_call > *n)
            }),
        ),
        Limit::PeakPerCall(size) => (
            "peak heap per call",
            Amount::Bytes(size.bytes as f64, size.unit),
            m.map(|m| {
                let peak = m.peak_bytes();
                (Amount::Bytes(peak as f64, size.unit), peak > size.bytes)
            }),
        ),
        _ => return None,
    };
    match actual {
        None => Some(Violation::unmeasurable(
            budget,
            metric.into(),
            Some(max),
            format!("no memory figures in the profile ({NO_MEMORY_WHY})"),
        )),
        Some((actual, true)) => Some(Violation::broken(budget, metric.into(), actual, max)),
        Some((_, false)) => None,
    }
}

/// The violation of a `[[process]]` limit, if any: the OS's peak RSS or the heap's peak.
fn process_violation<'b>(
    report: &Report,
    budget: &'b Budget,
    limit: &Limit,
) -> Option<Violation<'b>> {
    let (metric, size, actual, why) = match limit {
        Limit::MaxRss(size) => (
            "peak RSS",
            size,
            report.max_rss_bytes(),
            "no peak RSS in the profile (a .prof file keeps none; profkit's .json has it where \
             the OS reports it)"
                .to_owned(),
        ),
        Limit::HeapPeak(size) => (
            "peak heap",
            size,
            report.heap().map(|h| h.peak()),
            format!("no memory figures in the profile ({NO_MEMORY_WHY})"),
        ),
        _ => return None,
    };
    let max = Amount::Bytes(size.bytes as f64, size.unit);
    match actual {
        None => Some(Violation::unmeasurable(
            budget,
            metric.into(),
            Some(max),
            why,
        )),
        Some(bytes) if bytes > size.bytes => Some(Violation::broken(
            budget,
            metric.into(),
            Amount::Bytes(bytes as f64, size.unit),
            max,
        )),
        Some(_) => None,
    }
}

/// Every broken limit of `budget`.
fn evaluate<'b>(report: &Report, budget: &'b Budget, out: &mut Vec<Violation<'b>>) {
    let unmeasurable = |metric: String, limit: Option<Amount>, why: String| {
        Violation::unmeasurable(budget, metric, limit, why)
    };
    let Some(function) = &budget.function else {
        out.extend(
            budget
                .limits
                .iter()
                .filter_map(|l| process_violation(report, budget, l)),
        );
        return;
    };
    let f = match report.function(function) {
        Ok(f) => f,
        Err(e) => {
            out.push(unmeasurable("function".into(), None, missing(&e)));
            return;
        }
    };
    for limit in &budget.limits {
        let broken = |metric: String, actual: Amount, limit: Amount| {
            Violation::broken(budget, metric, actual, limit)
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
            Limit::BytesPerCall(_) | Limit::AllocsPerCall(_) | Limit::PeakPerCall(_) => {
                out.extend(memory_violation(f, budget, limit));
            }
            Limit::WaitShare(max) => {
                let metric = "wait share".to_owned();
                match (f.wait_time(), f.cumtime()) {
                    (None, _) => out.push(unmeasurable(
                        metric,
                        Some(Amount::Share(*max)),
                        "no CPU figures in the profile (record with PROFKIT_CPU=1)".into(),
                    )),
                    (Some(wait), cum) if !cum.is_zero() => {
                        let share = wait.as_secs_f64() / cum.as_secs_f64();
                        if share > *max {
                            out.push(broken(metric, Amount::Share(share), Amount::Share(*max)));
                        }
                    }
                    _ => {}
                }
            }
            // Only in [[process]] tables (the parser sees to it).
            Limit::MaxRss(_) | Limit::HeapPeak(_) => {}
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
            style.bold(v.budget.function.as_deref().unwrap_or("<process>")),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `handle` (100 ns, 10 of them on a CPU) calls `query` (90 ns, none on a CPU).
    fn report(with_cpu: bool) -> Report {
        let cpu = if with_cpu {
            r#","tree_cpu_ns":[10,0]"#
        } else {
            ""
        };
        let json = format!(
            r#"{{"format":"profkit","version":3,"program":null,"started_unix_ns":null,
            "duration_ns":null,"sites":[{{"name":"app::handle","file":"a.rs","line":1}},
            {{"name":"app::query","file":"a.rs","line":5}}],"clocks":["wall"],"functions":[],
            "tree":[[0,0,3,1,10,100],[1,1,3,1,90,90]]{cpu},"threads":[]}}"#
        );
        Report::from_json_bytes(json.as_bytes()).unwrap()
    }

    fn wait_budget(max: f64) -> Budget {
        budgets::parse(&format!(
            "[[budget]]\nfunction = \"handle\"\nmax_wait_share = {max}\n"
        ))
        .unwrap()
        .remove(0)
    }

    #[test]
    fn a_wait_share_over_its_limit_is_broken_and_without_cpu_figures_unmeasurable() {
        let with_cpu = report(true);
        let budget = wait_budget(0.5);
        let mut out = Vec::new();
        evaluate(&with_cpu, &budget, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].metric, "wait share");
        assert!(matches!(out[0].actual, Some(Amount::Share(s)) if (s - 0.9).abs() < 1e-9));
        // 90% waiting is within a limit of 95%.
        let loose = wait_budget(0.95);
        let mut out = Vec::new();
        evaluate(&with_cpu, &loose, &mut out);
        assert!(out.is_empty(), "{out:?}");
        // No CPU figures: the limit cannot be checked, which is an error.
        let mut out = Vec::new();
        evaluate(&report(false), &budget, &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].why.as_deref().unwrap().contains("no CPU figures"));
        assert_eq!(out[0].severity, Severity::Error);
    }
}
