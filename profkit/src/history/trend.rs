//! [`trend`]: one function's metric (or a process metric) across the recorded runs, each run
//! judged against the runs before it, and the runs where a sustained step began (`first-bad`).

use crate::model::find_by_name;

use super::error::{HistoryError, HistoryErrorKind};
use super::metric::{Metric, Unit};
use super::rules::{Assessment, Change, Rules, assess_each, class_steps, step_starts};
use super::store::{
    DEFAULT_BRANCH, DEFAULT_MACHINE, FunctionKey, RunFilter, RunInfo, RunStore, in_snapshot,
};

/// What a [`trend`] shows.
///
/// ```
/// use profkit::history::{Metric, TrendOptions};
///
/// let options = TrendOptions::new(Metric::named("p99").unwrap())
///     .function("fetch_row")
///     .last(50);
/// assert_eq!(options.metric_value().name(), "p99");
/// ```
#[derive(Clone, Debug)]
pub struct TrendOptions {
    pub(crate) metric: &'static Metric,
    pub(crate) function: Option<String>,
    pub(crate) branch: String,
    pub(crate) machine: String,
    pub(crate) last: usize,
    pub(crate) rules: Rules,
}

impl TrendOptions {
    /// The trend of `metric` over the last 30 runs of branch `main` on machine `default`,
    /// judged with [`Rules::default`]. A per-function metric needs a
    /// [`function`](TrendOptions::function).
    pub fn new(metric: &'static Metric) -> TrendOptions {
        TrendOptions {
            metric,
            function: None,
            branch: DEFAULT_BRANCH.to_owned(),
            machine: DEFAULT_MACHINE.to_owned(),
            last: 30,
            rules: Rules::default(),
        }
    }

    /// The function: its qualified name, or a suffix at a `::` that names one function.
    pub fn function(mut self, name: impl Into<String>) -> TrendOptions {
        self.function = Some(name.into());
        self
    }

    /// The branch.
    pub fn branch(mut self, branch: impl Into<String>) -> TrendOptions {
        self.branch = branch.into();
        self
    }

    /// The machine.
    pub fn machine(mut self, machine: impl Into<String>) -> TrendOptions {
        self.machine = machine.into();
        self
    }

    /// How many of the latest runs to show (each judged against the `window` before it, which
    /// are read too).
    pub fn last(mut self, n: usize) -> TrendOptions {
        self.last = n;
        self
    }

    /// The rules each run is judged by.
    pub fn rules(mut self, rules: Rules) -> TrendOptions {
        self.rules = rules;
        self
    }

    /// The metric.
    pub fn metric_value(&self) -> &'static Metric {
        self.metric
    }
}

/// One run of a [`Trend`].
///
/// ```
/// # #[profkit::profile] fn step() {}
/// use profkit::history::{Change, Metric, RunMeta, Store, TrendOptions, trend};
/// let (_, report) = profkit::record(step);
/// let mut store = Store::in_memory().unwrap();
/// store.record(&report, &RunMeta::new("c1")).unwrap();
/// let t = trend(&store, &TrendOptions::new(Metric::named("ncalls").unwrap()).function("step"))
///     .unwrap();
/// let p = &t.points()[0];
/// assert_eq!((p.run().commit(), p.value()), ("c1", Some(1)));
/// assert_eq!(p.change(), Some(Change::InsufficientData));
/// assert!(!p.is_step());
/// ```
#[derive(Clone, Debug)]
pub struct TrendPoint {
    pub(crate) run: RunInfo,
    pub(crate) value: Option<u64>,
    pub(crate) assessment: Option<Assessment>,
    pub(crate) step: bool,
}

impl TrendPoint {
    /// The run.
    pub fn run(&self) -> &RunInfo {
        &self.run
    }

    /// Its value; `None` when the run lacks the function or the metric.
    pub fn value(&self) -> Option<u64> {
        self.value
    }

    /// The value judged against the runs before it (`None` without a value).
    pub fn assessment(&self) -> Option<&Assessment> {
        self.assessment.as_ref()
    }

    /// Whether a sustained step up began at this run (its commit is a "first bad" one).
    pub fn is_step(&self) -> bool {
        self.step
    }

    /// Regression, improvement, unchanged or insufficient data (`None` without a value).
    pub fn change(&self) -> Option<Change> {
        self.assessment.map(|a| a.change)
    }
}

/// A metric across runs, oldest first.
///
/// ```
/// use profkit::history::{Metric, RunMeta, Store, TrendOptions, trend};
/// use profkit::testing::{TestClock, advance};
/// use std::time::Duration;
///
/// #[profkit::profile]
/// fn parse(micros: u64) { advance(Duration::from_micros(micros)); }
///
/// let clock = TestClock::install().unwrap();
/// let mut store = Store::in_memory().unwrap();
/// let micros = [100, 100, 101, 99, 100, 100, 100, 160, 161, 160, 159, 160];
/// for (i, m) in micros.into_iter().enumerate() {
///     let (_, report) = profkit::record(|| parse(m));
///     store.record(&report, &RunMeta::new(format!("commit{i}"))).unwrap();
/// }
/// let cumtime = Metric::named("cumtime").unwrap();
/// let t = trend(&store, &TrendOptions::new(cumtime).function("parse")).unwrap();
/// assert_eq!(t.points().len(), 12);
/// assert_eq!(t.first_bad().unwrap().run().commit(), "commit7");
/// # drop(clock);
/// ```
#[derive(Clone, Debug)]
pub struct Trend {
    pub(crate) function: Option<FunctionKey>,
    pub(crate) options: TrendOptions,
    pub(crate) points: Vec<TrendPoint>,
}

impl Trend {
    /// The function, or `None` for a process metric.
    pub fn function(&self) -> Option<&FunctionKey> {
        self.function.as_ref()
    }

    /// The metric.
    pub fn metric(&self) -> &'static Metric {
        self.options.metric
    }

    /// What was asked.
    pub fn options(&self) -> &TrendOptions {
        &self.options
    }

    /// The runs, oldest first.
    pub fn points(&self) -> &[TrendPoint] {
        &self.points
    }

    /// The run where the latest sustained step up began: the first bad commit.
    pub fn first_bad(&self) -> Option<&TrendPoint> {
        self.points.iter().rev().find(|p| p.step)
    }
}

/// The function of `store` that `query` names: its qualified name, or a suffix at a `::`
/// boundary that names one function only.
///
/// # Errors
/// [`HistoryErrorKind::Function`] with close matches or the candidates.
///
/// ```
/// # #[profkit::profile] fn fetch_row() {}
/// use profkit::history::{RunMeta, Store, find_function};
/// let (_, report) = profkit::record(fetch_row);
/// let mut store = Store::in_memory().unwrap();
/// store.record(&report, &RunMeta::new("c1")).unwrap();
/// assert!(find_function(&store, "fetch_row").unwrap().name().ends_with("::fetch_row"));
/// let e = find_function(&store, "fetch_rows").unwrap_err();
/// assert!(e.to_string().contains("close matches"), "{e}");
/// ```
pub fn find_function<S: RunStore + ?Sized>(
    store: &S,
    query: &str,
) -> Result<FunctionKey, HistoryError> {
    let keys = store.functions()?;
    find_by_name(&keys, query, FunctionKey::name_arc, |k| {
        format!("{} ({})", k, k.file())
    })
    .cloned()
    .map_err(|e| HistoryError::new(None, HistoryErrorKind::Function(e)))
}

/// The trend of one metric over the latest runs of a branch and machine.
///
/// # Errors
/// A per-function metric without a function, a function the history does not have, rules
/// that cannot work, or the store's reason.
///
/// ```
/// use profkit::history::{Metric, Store, TrendOptions, trend};
/// let store = Store::in_memory().unwrap();
/// let wall = trend(&store, &TrendOptions::new(Metric::named("wall").unwrap())).unwrap();
/// assert!(wall.points().is_empty() && wall.first_bad().is_none());
/// let p99 = TrendOptions::new(Metric::named("p99").unwrap()); // no function named
/// assert!(trend(&store, &p99).is_err());
/// ```
pub fn trend<S: RunStore + ?Sized>(
    store: &S,
    options: &TrendOptions,
) -> Result<Trend, HistoryError> {
    in_snapshot(store, || trend_now(store, options))
}

/// [`trend`], its reads on whatever the store gives.
fn trend_now<S: RunStore + ?Sized>(
    store: &S,
    options: &TrendOptions,
) -> Result<Trend, HistoryError> {
    let rules = options.rules;
    rules.validate().map_err(HistoryError::invalid)?;
    let metric = options.metric;
    let function = match (&options.function, metric.is_per_function()) {
        (Some(name), true) => Some(find_function(store, name)?),
        (None, true) => {
            return Err(HistoryError::invalid(format!(
                "{metric} is a per-function metric: name the function"
            )));
        }
        (Some(_), false) => {
            return Err(HistoryError::invalid(format!(
                "{metric} is a figure of the whole process, not of a function"
            )));
        }
        (None, false) => None,
    };
    // The shown runs, and the window before the oldest of them.
    let mut runs = store.runs(
        &RunFilter::new()
            .branch(&options.branch)
            .machine(&options.machine)
            .limit(options.last.saturating_add(rules.window)),
    )?;
    runs.reverse();
    // The exponent is shown and its growth class judged, as `history check` does: a
    // near-constant function whose exponent moves from 0.02 to 0.05 is still O(1).
    let growth = Metric::named("growth").filter(|_| metric.unit() == Unit::Exponent);
    let (values, classes): (Vec<Option<u64>>, Vec<Option<u64>>) = match &function {
        Some(key) => {
            let ids: Vec<_> = runs.iter().map(RunInfo::id).collect();
            store
                .samples(&ids, Some(key))?
                .iter()
                .map(|s| (s.value(key, metric), growth.and_then(|g| s.value(key, g))))
                .unzip()
        }
        None => runs.iter().map(|r| (r.value(metric), None)).unzip(),
    };
    let as_f64 =
        |v: &[Option<u64>]| -> Vec<Option<f64>> { v.iter().map(|v| v.map(|v| v as f64)).collect() };
    let series = as_f64(&values);
    let (judged, steps) = match metric.unit() {
        Unit::Class => class_steps(&series, &rules),
        Unit::Exponent => {
            // The median shown is the exponents'; the change and the steps are the classes'.
            let (by_class, steps) = class_steps(&as_f64(&classes), &rules);
            let judged = assess_each(&series, &rules)
                .into_iter()
                .zip(by_class)
                .map(|(shown, class)| {
                    shown.map(|a| Assessment {
                        change: class.map_or(Change::InsufficientData, |c| c.change),
                        relative: a.relative,
                        baseline: a.baseline,
                    })
                })
                .collect();
            (judged, steps)
        }
        _ => (assess_each(&series, &rules), step_starts(&series, &rules)),
    };
    let skip = runs.len().saturating_sub(options.last);
    let points = runs
        .into_iter()
        .zip(values)
        .zip(judged)
        .enumerate()
        .skip(skip)
        .map(|(i, ((run, value), assessment))| TrendPoint {
            run,
            value,
            assessment,
            step: steps.contains(&i),
        })
        .collect();
    Ok(Trend {
        function,
        options: options.clone(),
        points,
    })
}
