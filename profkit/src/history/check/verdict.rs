//! [`Finding`] and [`Verdict`]: what a check found, per function and metric, and in all.

use super::breakdown::Breakdown;
use super::options::CheckOptions;
use crate::history::metric::Metric;
use crate::history::rules::{Baseline, Change};
use crate::history::store::{FunctionKey, RunInfo};
use crate::model::ComplexityClass;

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
    /// For the `exponent` and `growth` metrics: the growth class of the window's median run and
    /// the new one's, which the change was judged by.
    pub(crate) classes: Option<(ComplexityClass, ComplexityClass)>,
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

    /// For the `exponent` and `growth` metrics, which are judged by the growth class (a worse
    /// class is a regression, a moved exponent within a class is not): the class of the
    /// baseline (the median of the window's runs) and the new profile's; `None` for other
    /// metrics or without a baseline.
    ///
    /// ```
    /// use profkit::history::{CheckOptions, Metric, Store, check};
    /// # #[profkit::profile(size = n)] fn work(n: u64) {}
    /// let (_, report) = profkit::record(|| for n in [10, 100, 1000, 10_000] { for _ in 0..3 { work(n) } });
    /// let store = Store::in_memory().unwrap();
    /// let options = CheckOptions::new().metrics([Metric::named("exponent").unwrap()]);
    /// let verdict = check(&store, &report, &options).unwrap();
    /// assert_eq!(verdict.findings()[0].classes(), None); // no history yet
    /// ```
    pub fn classes(&self) -> Option<(ComplexityClass, ComplexityClass)> {
        self.classes
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

/// The result of a [`check`](super::check): every function and metric judged, regressions
/// first.
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
    /// Sampled timing: how many runs of the window timed calls the other way (sampled
    /// against exact), whose times were not compared, and whether this profile is sampled.
    pub(crate) other_timing: Option<(usize, bool)>,
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
