//! [`check`]: a new profile judged against the history of its branch and machine, function by
//! function and metric by metric, through [`RunStore`] and the rules of `rules`; the verdict
//! sorted by impact on the whole program, with where the time went for each regression.

use std::collections::HashMap;

use crate::model::{FunctionStats, Report};

use super::error::HistoryError;
use super::metric::{Metric, Unit};
use super::rules::{Baseline, Change, Rules, judge};
use super::store::{
    DEFAULT_BRANCH, DEFAULT_MACHINE, FunctionKey, RunFilter, RunId, RunInfo, RunSamples, RunStore,
    keys_of,
};

/// The metrics a check judges when none are named.
///
/// ```
/// assert_eq!(profkit::history::DEFAULT_METRICS, ["cumtime", "p50", "p99"]);
/// ```
pub const DEFAULT_METRICS: [&str; 3] = ["cumtime", "p50", "p99"];

/// What a [`check`] compares, and how.
///
/// ```
/// use profkit::history::{CheckOptions, Metric, Rules};
///
/// let options = CheckOptions::new()
///     .branch("main")
///     .machine("ci")
///     .metrics([Metric::named("p99").unwrap()])
///     .rules(Rules { threshold: 0.05, ..Rules::default() });
/// assert_eq!(options.rules_value().threshold, 0.05);
/// assert_eq!(options.metric_list()[0].name(), "p99");
/// ```
#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub(crate) rules: Rules,
    pub(crate) metrics: Vec<&'static Metric>,
    pub(crate) metrics_named: bool,
    pub(crate) branch: String,
    pub(crate) machine: String,
    pub(crate) exclude_commit: Option<String>,
}

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions {
            rules: Rules::default(),
            metrics: DEFAULT_METRICS
                .iter()
                .filter_map(|n| Metric::named(n))
                .collect(),
            metrics_named: false,
            branch: DEFAULT_BRANCH.to_owned(),
            machine: DEFAULT_MACHINE.to_owned(),
            exclude_commit: None,
        }
    }
}

impl CheckOptions {
    /// The defaults: [`Rules::default`], the metrics of [`DEFAULT_METRICS`], branch `main`,
    /// machine `default`.
    pub fn new() -> CheckOptions {
        CheckOptions::default()
    }

    /// The detection rules.
    pub fn rules(mut self, rules: Rules) -> CheckOptions {
        self.rules = rules;
        self
    }

    /// The metrics to judge. Named metrics that the profile lacks are listed in
    /// [`Verdict::missing_metrics`]; of the default ones, those it lacks are left out quietly
    /// (a `.prof` file has no latency).
    pub fn metrics(mut self, metrics: impl IntoIterator<Item = &'static Metric>) -> CheckOptions {
        self.metrics = Vec::new();
        for m in metrics {
            if !self.metrics.contains(&m) {
                self.metrics.push(m);
            }
        }
        self.metrics_named = true;
        self
    }

    /// The branch whose history is the baseline (for a pull request: the branch it merges
    /// into).
    pub fn branch(mut self, branch: impl Into<String>) -> CheckOptions {
        self.branch = branch.into();
        self
    }

    /// The machine whose history is the baseline.
    pub fn machine(mut self, machine: impl Into<String>) -> CheckOptions {
        self.machine = machine.into();
        self
    }

    /// Leaves the runs of this commit out of the baseline, so that a commit recorded before
    /// it is checked is not compared with itself.
    pub fn exclude_commit(mut self, commit: impl Into<String>) -> CheckOptions {
        self.exclude_commit = Some(commit.into());
        self
    }

    /// The rules.
    pub fn rules_value(&self) -> &Rules {
        &self.rules
    }

    /// The metrics to judge.
    pub fn metric_list(&self) -> &[&'static Metric] {
        &self.metrics
    }

    /// The branch of the baseline.
    pub fn branch_name(&self) -> &str {
        &self.branch
    }

    /// The machine of the baseline.
    pub fn machine_name(&self) -> &str {
        &self.machine
    }
}

/// One function (or the process) and one metric, judged.
///
/// ```
/// # #[profkit::profile] fn step() {}
/// use profkit::history::{Change, CheckOptions, Store};
/// let (_, report) = profkit::record(step);
/// let verdict = Store::in_memory().unwrap().check(&report, &CheckOptions::new()).unwrap();
/// let f = &verdict.findings()[0];
/// assert!(f.subject().ends_with("step"));
/// assert_eq!(f.change(), Change::InsufficientData); // no history yet
/// assert!(f.baseline().is_none() && !f.blocked());
/// ```
#[derive(Clone, Debug)]
pub struct Finding {
    pub(crate) function: Option<FunctionKey>,
    pub(crate) metric: &'static Metric,
    pub(crate) value: u64,
    pub(crate) change: Change,
    pub(crate) baseline: Option<Baseline>,
    pub(crate) relative: Option<f64>,
    pub(crate) streak: usize,
    pub(crate) blocked: bool,
    pub(crate) share: Option<f64>,
    pub(crate) breakdown: Option<Breakdown>,
}

impl Finding {
    /// The function, or `None` for a process metric (`wall`).
    pub fn function(&self) -> Option<&FunctionKey> {
        self.function.as_ref()
    }

    /// The function's name, or `(process)`.
    pub fn subject(&self) -> String {
        self.function
            .as_ref()
            .map_or_else(|| "(process)".to_owned(), ToString::to_string)
    }

    /// The metric.
    pub fn metric(&self) -> &'static Metric {
        self.metric
    }

    /// The new profile's value, in the metric's unit.
    pub fn value(&self) -> u64 {
        self.value
    }

    /// Regression, improvement, unchanged or insufficient data.
    pub fn change(&self) -> Change {
        self.change
    }

    /// The baseline: the median and fences of the window (`None` when no run had a value).
    pub fn baseline(&self) -> Option<&Baseline> {
        self.baseline.as_ref()
    }

    /// The change relative to the median (0.15 for +15%); `None` from a median of 0.
    pub fn relative(&self) -> Option<f64> {
        self.relative
    }

    /// How many runs in a row, this one included, regressed (0 when this one did not).
    pub fn streak(&self) -> usize {
        self.streak
    }

    /// Whether this regression blocks: it also showed in the runs before (`consecutive`).
    pub fn blocked(&self) -> bool {
        self.blocked
    }

    /// The function's share of the program's time before the change: its cumtime over the
    /// profile's total time (the sum of own times), the median over the window's runs; from
    /// the new profile when no run has it; 1 for the process. For a memory metric, its share
    /// of what the new profile allocated (cumulative bytes, or allocations, over the
    /// allocator's total).
    pub fn share(&self) -> Option<f64> {
        self.share
    }

    /// The change's effect on the whole program by Amdahl's law: share x relative change
    /// (+0.05: the program takes about 5% longer because of it). Exact for `cumtime`; for the
    /// other metrics, an estimate that assumes the function's time moved as the metric did.
    pub fn impact(&self) -> Option<f64> {
        Some(self.share? * self.relative?)
    }

    /// For the first (largest) regression of each function: the function against the
    /// baseline run nearest the median, part by part.
    pub fn breakdown(&self) -> Option<&Breakdown> {
        self.breakdown.as_ref()
    }
}

/// Where a regression's time went: the function in the baseline run nearest the median and in
/// the new profile, split into its own time and each callee (for `ncalls`: each caller).
///
/// ```
/// use profkit::history::{CheckOptions, Metric, RunMeta, Store};
/// use profkit::testing::{TestClock, advance};
/// use std::time::Duration;
///
/// #[profkit::profile]
/// fn lookup(micros: u64) { advance(Duration::from_micros(micros)); }
/// #[profkit::profile]
/// fn handle(micros: u64) { advance(Duration::from_micros(10)); lookup(micros); }
///
/// let clock = TestClock::install().unwrap();
/// let mut store = Store::in_memory().unwrap();
/// for i in 0..5 {
///     let (_, report) = profkit::record(|| handle(100));
///     store.record(&report, &RunMeta::new(format!("c{i}"))).unwrap();
/// }
/// let (_, slow) = profkit::record(|| handle(300));
/// let options = CheckOptions::new().metrics([Metric::named("cumtime").unwrap()]);
/// let verdict = store.check(&slow, &options).unwrap();
/// let handle_row = verdict.regressions().into_iter()
///     .find(|f| f.subject().ends_with("::handle")).unwrap();
/// let part = &handle_row.breakdown().unwrap().parts()[0];
/// assert!(part.label().ends_with("::lookup")); // the time went into lookup
/// assert_eq!((part.base(), part.new_value(), part.delta()), (100_000, 300_000, 200_000));
/// # drop(clock);
/// ```
#[derive(Clone, Debug)]
pub struct Breakdown {
    pub(crate) run: RunInfo,
    pub(crate) unit: Unit,
    pub(crate) parts: Vec<Part>,
}

impl Breakdown {
    /// The baseline run.
    pub fn run(&self) -> &RunInfo {
        &self.run
    }

    /// The unit of the parts' values.
    pub fn unit(&self) -> Unit {
        self.unit
    }

    /// The parts, largest change first.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }
}

/// One part of a [`Breakdown`] (see its example): own time, a callee or a caller, with its
/// value in the baseline run and in the new profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub(crate) label: String,
    pub(crate) base: u64,
    pub(crate) new: u64,
}

impl Part {
    /// `own time`, `-> callee` or `<- caller`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The value in the baseline run.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// The value in the new profile.
    pub fn new_value(&self) -> u64 {
        self.new
    }

    /// New minus base.
    pub fn delta(&self) -> i128 {
        i128::from(self.new) - i128::from(self.base)
    }
}

/// The result of a [`check`]: every function and metric judged, regressions first.
///
/// ```
/// use profkit::history::{CheckOptions, RunMeta, Store};
/// use profkit::testing::{TestClock, advance};
/// use std::time::Duration;
///
/// #[profkit::profile]
/// fn parse(micros: u64) { advance(Duration::from_micros(micros)); }
///
/// let clock = TestClock::install().unwrap();
/// let mut store = Store::in_memory().unwrap();
/// for (i, micros) in [100, 101, 99, 100, 102, 100].into_iter().enumerate() {
///     let (_, report) = profkit::record(|| parse(micros));
///     store.record(&report, &RunMeta::new(format!("c{i}"))).unwrap();
/// }
/// let (_, slow) = profkit::record(|| parse(150));
/// let verdict = store.check(&slow, &CheckOptions::new()).unwrap();
/// // cumtime, p50 and p99 of `parse` all grew by 50%.
/// let regressions = verdict.regressions();
/// assert_eq!(regressions.len(), 3);
/// assert!(regressions.iter().all(|r| r.subject().ends_with("parse")));
/// assert!(regressions.iter().any(|r| r.metric().name() == "cumtime"));
/// assert!(!verdict.blocked()); // the first slow run: not yet two in a row
/// # drop(clock);
/// ```
#[derive(Clone, Debug)]
pub struct Verdict {
    pub(crate) options: CheckOptions,
    pub(crate) window: Vec<RunInfo>,
    pub(crate) findings: Vec<Finding>,
    pub(crate) missing: Vec<&'static Metric>,
}

impl Verdict {
    /// Whether a regression blocks (the build should fail).
    pub fn blocked(&self) -> bool {
        self.findings.iter().any(|f| f.blocked)
    }

    /// Every finding: regressions (blocking ones first, then by impact), improvements, then
    /// the unchanged and those with insufficient data.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The findings of one kind.
    pub fn with_change(&self, change: Change) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|f| f.change == change)
            .collect()
    }

    /// The regressions, blocking ones first, then by impact.
    pub fn regressions(&self) -> Vec<&Finding> {
        self.with_change(Change::Regression)
    }

    /// The improvements, by impact.
    pub fn improvements(&self) -> Vec<&Finding> {
        self.with_change(Change::Improvement)
    }

    /// The runs of the baseline window, newest first.
    pub fn window(&self) -> &[RunInfo] {
        &self.window
    }

    /// Named metrics that the profile does not have (latency in a `.prof` file): not judged,
    /// and not taken as zero.
    pub fn missing_metrics(&self) -> &[&'static Metric] {
        &self.missing
    }

    /// What was compared, and how.
    pub fn options(&self) -> &CheckOptions {
        &self.options
    }
}

/// The `f64` series of one function (or the process) and metric over `history`.
fn series(
    history: &[RunSamples],
    runs: &[RunInfo],
    function: Option<&FunctionKey>,
    metric: &Metric,
) -> Vec<Option<f64>> {
    match function {
        Some(key) => history
            .iter()
            .map(|s| s.value(key, metric).map(|v| v as f64))
            .collect(),
        None => runs
            .iter()
            .map(|r| r.value(metric).map(|v| v as f64))
            .collect(),
    }
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
                let s = series(&history, &runs, Some(key), metric);
                let share = match metric.unit() {
                    // Memory: the share of the run's heap activity in the new profile.
                    Unit::Bytes | Unit::Count => memory_share(report, f, metric.unit()),
                    _ => share_of(f, key),
                };
                findings.push(finding(Some(key.clone()), metric, value, &s, &rules, share));
            }
        } else {
            let Some(value) = metric.of_report(report) else {
                if options.metrics_named {
                    missing.push(metric);
                }
                continue;
            };
            let s = series(&history, &runs, None, metric);
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
        let s = series(&history, &runs, Some(&key), finding.metric);
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
    }
}

/// The function `key` of `base` and `new`, part by part: own time and each callee's time
/// (for `ncalls`: the calls from each caller), largest change first.
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

fn breakdown(
    base: &Report,
    new: &Report,
    key: &FunctionKey,
    metric: &Metric,
    run: &RunInfo,
) -> Option<Breakdown> {
    let find = |r: &Report| -> Option<FunctionStats> {
        r.functions()
            .zip(keys_of(r))
            .find(|(_, k)| k == key)
            .map(|(f, _)| f.clone())
    };
    // The parts are times (or, for ncalls, calls by caller); a memory regression has none:
    // callers and callees carry no memory figures of their own.
    if matches!(metric.unit(), Unit::Bytes | Unit::Count) {
        return None;
    }
    let (b, n) = (find(base)?, find(new)?);
    let ns = |d: std::time::Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    let calls = metric.name() == "ncalls";
    let mut parts: Vec<Part> = Vec::new();
    let mut add = |label: String, base: u64, new: u64| {
        if let Some(p) = parts.iter_mut().find(|p| p.label == label) {
            p.base += base;
            p.new += new;
        } else {
            parts.push(Part { label, base, new });
        }
    };
    if calls {
        for e in b.callers() {
            add(format!("<- {}", e.name()), e.ncalls(), 0);
        }
        for e in n.callers() {
            add(format!("<- {}", e.name()), 0, e.ncalls());
        }
    } else {
        add("own time".into(), ns(b.tottime()), ns(n.tottime()));
        for e in b.callees() {
            add(format!("-> {}", e.name()), ns(e.cumtime()), 0);
        }
        for e in n.callees() {
            add(format!("-> {}", e.name()), 0, ns(e.cumtime()));
        }
    }
    parts.sort_by(|a, b| {
        b.delta()
            .abs()
            .cmp(&a.delta().abs())
            .then_with(|| a.label.cmp(&b.label))
    });
    Some(Breakdown {
        run: run.clone(),
        unit: if calls {
            Unit::Calls
        } else {
            Unit::Nanoseconds
        },
        parts,
    })
}
