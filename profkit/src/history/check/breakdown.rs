//! [`Breakdown`] and [`Part`]: where a regression's time went, part by part.

use crate::model::{FunctionStats, Report};

use crate::history::metric::{Metric, Unit};
use crate::history::store::{FunctionKey, RunInfo, keys_of};

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

/// The function `key` of `base` and `new`, part by part: own time and each callee's time
/// (for `ncalls`: the calls from each caller), largest change first.
pub(super) fn breakdown(
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
    // callers and callees carry no memory figures of their own; nor a growth exponent.
    if matches!(metric.unit(), Unit::Bytes | Unit::Count | Unit::Exponent) {
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
