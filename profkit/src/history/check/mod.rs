//! [`check`]: a new profile judged against the history of its branch and machine, function by
//! function and metric by metric, through [`RunStore`] and the rules of `rules`; the verdict
//! sorted by impact on the whole program, with where the time went for each regression.

mod breakdown;
mod options;
mod verdict;

use std::collections::HashMap;

use crate::model::{FunctionStats, Report};

use super::error::HistoryError;
use super::metric::{Metric, Unit, class_of_rank};
use super::rules::{Baseline, Change, Rules, judge, judge_class};
use super::store::{
    FunctionKey, RunFilter, RunId, RunInfo, RunSamples, RunStore, in_snapshot, keys_of,
};

pub use breakdown::{Breakdown, Part};
pub use options::{CheckOptions, DEFAULT_METRICS};
pub use verdict::{Finding, Verdict};

use breakdown::breakdown;

/// The `f64` series of one function (or the process) and metric over `history`.
fn series(
    history: &[RunSamples],
    runs: &[RunInfo],
    function: Option<&FunctionKey>,
    metric: &Metric,
    sampled: bool,
) -> Vec<Option<f64>> {
    let all: Vec<Option<f64>> = match function {
        Some(key) => history
            .iter()
            .map(|s| s.value(key, metric).map(|v| v as f64))
            .collect(),
        None => runs
            .iter()
            .map(|r| r.value(metric).map(|v| v as f64))
            .collect(),
    };
    if metric.unit() != Unit::Nanoseconds {
        return all;
    }
    // Sampled timing: the times of a sampled run are estimates, an exact run's are measured
    // (with profkit's own cost in different places): a run of the other kind gives no time.
    let kind = Metric::named("sampling");
    let comparable = |r: &RunInfo| kind.is_none_or(|k| r.value(k).is_some() == sampled);
    all.into_iter()
        .zip(runs)
        .map(|(v, r)| v.filter(|_| comparable(r)))
        .collect()
}

/// Judges `report` against the history in `store`: for each function of the report and each
/// metric of `options`, the value against the last `window` runs of the branch and machine
/// (see [`judge`]). It reads only; it does not record `report`.
///
/// # Errors
/// Rules that cannot work ([`Rules`]: a window of 0, ...), or the store's reason.
///
/// ```
/// use profkit::history::{Change, CheckOptions, Store, check};
/// # #[profkit::profile] fn step() {}
/// let (_, report) = profkit::record(step);
/// let store = Store::in_memory().unwrap();
/// let verdict = check(&store, &report, &CheckOptions::new()).unwrap();
/// assert!(verdict.findings().iter().all(|f| f.change() == Change::InsufficientData));
/// ```
pub fn check<S: RunStore + ?Sized>(
    store: &S,
    report: &Report,
    options: &CheckOptions,
) -> Result<Verdict, HistoryError> {
    in_snapshot(store, || check_now(store, report, options))
}

/// [`check`], its reads on whatever the store gives.
fn check_now<S: RunStore + ?Sized>(
    store: &S,
    report: &Report,
    options: &CheckOptions,
) -> Result<Verdict, HistoryError> {
    let rules = options.rules;
    rules.validate().map_err(HistoryError::invalid)?;
    let mut filter = RunFilter::new()
        .branch(&options.branch)
        .machine(&options.machine)
        .limit(rules.window + rules.consecutive - 1);
    if let Some(c) = &options.exclude_commit {
        filter = filter.exclude_commit(c);
    }
    let mut runs = store.runs(&filter)?;
    runs.reverse(); // oldest first
    let ids: Vec<RunId> = runs.iter().map(RunInfo::id).collect();
    let history = store.samples(&ids, None)?;
    let sampled = report.sampling().is_some();
    // Runs of the window whose times are not comparable (sampled against exact timing).
    let kind = Metric::named("sampling");
    let other_kind = runs
        .iter()
        .skip(runs.len().saturating_sub(rules.window))
        .filter(|r| kind.is_some_and(|k| r.value(k).is_some() != sampled))
        .count();

    let keys = keys_of(report);
    let functions: Vec<(&FunctionStats, FunctionKey)> = report.functions().zip(keys).collect();
    let total = report.total_time().as_nanos() as f64;
    let window_start = runs.len().saturating_sub(rules.window);
    // Amdahl: the share of the program's time the function had before the change (the median
    // over the window), or, without history, in the new profile.
    let cumtime = Metric::named("cumtime");
    let share_of = |f: &FunctionStats, key: &FunctionKey| -> Option<f64> {
        let before: Vec<f64> = (window_start..runs.len())
            .filter_map(|i| {
                let c = history[i].value(key, cumtime?)?;
                let t = runs[i].total_ns;
                (t > 0).then(|| c as f64 / t as f64)
            })
            .collect();
        Baseline::of(&before)
            .map(|b| b.median)
            .or_else(|| (total > 0.0).then(|| f.cumtime().as_nanos() as f64 / total))
    };
    let growth = Metric::named("growth");
    let mut missing = Vec::new();
    let mut findings = Vec::new();
    for &metric in &options.metrics {
        if metric.is_per_function() {
            let present: Vec<_> = functions
                .iter()
                .filter_map(|(f, key)| Some((*f, key, metric.of_function(f)?)))
                .collect();
            if present.is_empty() && !functions.is_empty() {
                if options.metrics_named {
                    missing.push(metric);
                }
                continue;
            }
            for (f, key, value) in present {
                let s = series(&history, &runs, Some(key), metric, sampled);
                let share = match metric.unit() {
                    // Memory: the share of the run's heap activity in the new profile.
                    Unit::Bytes | Unit::Count => memory_share(report, f, metric.unit()),
                    _ => share_of(f, key),
                };
                let mut found = finding(Some(key.clone()), metric, value, &s, &rules, share);
                if let Some(growth) = growth.filter(|_| metric.unit() == Unit::Exponent) {
                    // The exponent is shown, the class judged: a near-constant function whose
                    // exponent moves from 0.02 to 0.05 is still O(1).
                    let classes = series(&history, &runs, Some(key), growth, sampled);
                    match growth.of_function(f) {
                        Some(class) => judge_growth(&mut found, &classes, class, &rules),
                        None => found.change = Change::InsufficientData,
                    }
                } else if metric.unit() == Unit::Class {
                    judge_growth(&mut found, &s, value, &rules);
                }
                findings.push(found);
            }
        } else {
            let Some(value) = metric.of_report(report) else {
                if options.metrics_named {
                    missing.push(metric);
                }
                continue;
            };
            let s = series(&history, &runs, None, metric, sampled);
            findings.push(finding(None, metric, value, &s, &rules, Some(1.0)));
        }
    }

    findings.sort_by(|a, b| {
        let rank = |f: &Finding| match f.change {
            Change::Regression if f.blocked => 0,
            Change::Regression => 1,
            Change::Improvement => 2,
            Change::Unchanged => 3,
            _ => 4,
        };
        let weight = |f: &Finding| f.impact().or(f.relative).map_or(0.0, f64::abs);
        rank(a)
            .cmp(&rank(b))
            .then(weight(b).total_cmp(&weight(a)))
            .then_with(|| a.function.cmp(&b.function))
            .then_with(|| a.metric.index().cmp(&b.metric.index()))
    });
    // Where the time went, against the run nearest the median of the regression's window.
    // One breakdown per function, with its first (largest) regression.
    let mut profiles: HashMap<RunId, Option<Report>> = HashMap::new();
    let mut explained: Vec<FunctionKey> = Vec::new();
    for finding in findings
        .iter_mut()
        .filter(|f| f.change == Change::Regression)
    {
        let (Some(key), Some(baseline)) = (finding.function.clone(), finding.baseline) else {
            continue;
        };
        if explained.contains(&key) {
            continue;
        }
        explained.push(key.clone());
        let s = series(&history, &runs, Some(&key), finding.metric, sampled);
        let nearest = (window_start..runs.len())
            .filter_map(|i| Some((i, s[i]?)))
            .min_by(|a, b| {
                (a.1 - baseline.median)
                    .abs()
                    .total_cmp(&(b.1 - baseline.median).abs())
                    .then(b.0.cmp(&a.0))
            });
        let Some((i, _)) = nearest else { continue };
        let run = &runs[i];
        let base = match profiles.get(&run.id) {
            Some(p) => p.as_ref(),
            None => {
                // A run whose profile no longer reads back gives no breakdown, not a failure.
                let p = store.profile(run.id).ok();
                profiles.entry(run.id).or_insert(p).as_ref()
            }
        };
        if let Some(base) = base {
            finding.breakdown = breakdown(base, report, &key, finding.metric, run);
        }
    }

    runs.reverse();
    runs.truncate(rules.window);
    Ok(Verdict {
        options: options.clone(),
        window: runs,
        findings,
        missing,
        other_timing: (other_kind > 0).then_some((other_kind, sampled)),
    })
}

fn finding(
    function: Option<FunctionKey>,
    metric: &'static Metric,
    value: u64,
    history: &[Option<f64>],
    rules: &Rules,
    share: Option<f64>,
) -> Finding {
    let v = judge(history, value as f64, rules);
    Finding {
        function,
        metric,
        value,
        change: v.assessment.change,
        baseline: v.assessment.baseline,
        relative: v.assessment.relative,
        streak: v.streak,
        blocked: v.blocked,
        share,
        breakdown: None,
        classes: None,
    }
}

/// Judges `found` (of the exponent or the class) by the growth class: `class` (a rank) against
/// `classes`, the ranks of the runs before (see [`judge_class`]). The class of the window's
/// median and the new one are kept for the verdict to show.
fn judge_growth(found: &mut Finding, classes: &[Option<f64>], class: u64, rules: &Rules) {
    let v = judge_class(classes, class as f64, rules);
    found.change = v.assessment.change;
    found.streak = v.streak;
    found.blocked = v.blocked;
    found.classes = v
        .assessment
        .baseline
        .and_then(|b| class_of_rank(b.median as u64))
        .zip(class_of_rank(class));
    if found.metric.unit() == Unit::Class {
        found.baseline = v.assessment.baseline;
        found.relative = None;
    }
}

/// A function's share of what the run allocated: its cumulative bytes (or allocations) over
/// the allocator's total for the report.
fn memory_share(report: &Report, f: &FunctionStats, unit: Unit) -> Option<f64> {
    let (m, heap) = (f.memory()?, report.heap()?);
    let (part, whole) = match unit {
        Unit::Count => (m.cum_allocs(), heap.total_allocs()),
        _ => (m.cum_bytes(), heap.total_bytes()),
    };
    (whole > 0).then(|| part as f64 / whole as f64)
}
