//! How a function's cost grows with the size of its input: a complexity class fitted to the
//! (size, time) of its sized calls (`#[profile(size = ..)]`), and to what they allocated when
//! memory was recorded. Plain numbers only; the method and its limits are documented on
//! [`Complexity`].

use std::fmt;
use std::time::Duration;

use crate::data::{SizePoint, SizeSamples, bucket_of};

/// Calls a fit needs (of non-zero size).
pub(crate) const MIN_CALLS: u64 = 10;
/// Size groups (two per power of two) a fit needs.
pub(crate) const MIN_SIZES: usize = 4;
/// The largest size must be at least this many times the smallest.
pub(crate) const MIN_SPREAD: f64 = 10.0;

/// A class of growth, from the slowest to the fastest; `Ord` follows that order, so
/// `class <= ComplexityClass::Linear` means "grows at most linearly".
///
/// ```
/// use profkit::ComplexityClass;
/// assert!(ComplexityClass::Linear < ComplexityClass::Quadratic);
/// assert_eq!(ComplexityClass::Linearithmic.to_string(), "O(n log n)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ComplexityClass {
    /// `O(1)`: the time does not depend on the size.
    Constant,
    /// `O(log n)`.
    Logarithmic,
    /// `O(n)`.
    Linear,
    /// `O(n log n)`.
    Linearithmic,
    /// `O(n^2)`.
    Quadratic,
    /// `O(n^3)`.
    Cubic,
    /// `O(2^n)`: the time is multiplied by a constant when the size grows by a constant.
    Exponential,
}

impl ComplexityClass {
    /// Every class, from the slowest growth to the fastest.
    pub const ALL: [ComplexityClass; 7] = [
        ComplexityClass::Constant,
        ComplexityClass::Logarithmic,
        ComplexityClass::Linear,
        ComplexityClass::Linearithmic,
        ComplexityClass::Quadratic,
        ComplexityClass::Cubic,
        ComplexityClass::Exponential,
    ];

    /// The big-O notation: `O(1)`, `O(log n)`, `O(n)`, `O(n log n)`, `O(n^2)`, `O(n^3)`, `O(2^n)`.
    ///
    /// ```
    /// assert_eq!(profkit::ComplexityClass::Quadratic.notation(), "O(n^2)");
    /// ```
    pub fn notation(self) -> &'static str {
        match self {
            ComplexityClass::Constant => "O(1)",
            ComplexityClass::Logarithmic => "O(log n)",
            ComplexityClass::Linear => "O(n)",
            ComplexityClass::Linearithmic => "O(n log n)",
            ComplexityClass::Quadratic => "O(n^2)",
            ComplexityClass::Cubic => "O(n^3)",
            ComplexityClass::Exponential => "O(2^n)",
        }
    }

    /// The class of a [`notation`](Self::notation), as files and the history store it.
    ///
    /// ```
    /// use profkit::ComplexityClass;
    /// assert_eq!(ComplexityClass::from_notation("O(n^2)"), Some(ComplexityClass::Quadratic));
    /// assert_eq!(ComplexityClass::from_notation("O(n!)"), None);
    /// ```
    pub fn from_notation(text: &str) -> Option<ComplexityClass> {
        ComplexityClass::ALL
            .into_iter()
            .find(|c| c.notation() == text)
    }

    /// The class's growth function, for the least-squares fit (`Exponential` is fitted apart).
    fn basis(self, n: f64) -> f64 {
        match self {
            ComplexityClass::Constant => 0.0,
            ComplexityClass::Logarithmic => n.ln(),
            ComplexityClass::Linear => n,
            ComplexityClass::Linearithmic => n * n.ln(),
            ComplexityClass::Quadratic => n * n,
            ComplexityClass::Cubic => n * n * n,
            ComplexityClass::Exponential => n,
        }
    }
}

impl fmt::Display for ComplexityClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.notation())
    }
}

/// What a fit describes the growth of: the calls' inclusive time, or (with the allocator
/// wrapper of feature `memory`) what they allocated, callees included.
///
/// ```
/// assert_eq!(profkit::Measure::Bytes.to_string(), "bytes allocated");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Measure {
    /// Inclusive time, in nanoseconds.
    Time,
    /// Allocations (a `realloc` counts one).
    Allocations,
    /// Bytes allocated (not net of frees: what the allocations asked for).
    Bytes,
}

impl Measure {
    /// A kept call's value of this measure, `None` when it was not recorded.
    fn of(self, p: &SizePoint) -> Option<u64> {
        match self {
            Measure::Time => Some(p.ns),
            Measure::Allocations => p.mem.map(|m| m.allocs),
            Measure::Bytes => p.mem.map(|m| m.bytes),
        }
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Measure::Time => "time",
            Measure::Allocations => "allocations",
            Measure::Bytes => "bytes allocated",
        })
    }
}

/// Why a function's growth was not fitted.
///
/// ```
/// use profkit::NoFit;
/// let why = NoFit::NotEnoughSpread { smallest: 100, largest: 500 };
/// assert_eq!(why.to_string(), "not enough spread: sizes 100 to 500, a 10x range is needed");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoFit {
    /// Every sized call had size 0.
    ZeroSizes,
    /// Fewer than 10 calls of non-zero size.
    TooFewCalls {
        /// Calls of non-zero size kept.
        calls: u64,
    },
    /// Fewer than 4 size groups (all calls of one size, say).
    TooFewSizes {
        /// Distinct size groups.
        sizes: usize,
    },
    /// The largest size is less than 10 times the smallest.
    NotEnoughSpread {
        /// The smallest size (median of its group).
        smallest: u64,
        /// The largest size (median of its group).
        largest: u64,
    },
}

impl fmt::Display for NoFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoFit::ZeroSizes => f.write_str("every call had size 0"),
            NoFit::TooFewCalls { calls } => write!(
                f,
                "too few calls: {calls} of non-zero size, {MIN_CALLS} are needed"
            ),
            NoFit::TooFewSizes { sizes } => {
                write!(f, "too few sizes: {sizes} distinct, {MIN_SIZES} are needed")
            }
            NoFit::NotEnoughSpread { smallest, largest } => write!(
                f,
                "not enough spread: sizes {smallest} to {largest}, a {MIN_SPREAD}x range is needed"
            ),
        }
    }
}

impl std::error::Error for NoFit {}

/// The growth fitted to a function's sized calls: its class, the log-log exponent, how well it
/// fits, and the points it was fitted to.
///
/// # Method
/// 1. Calls of size 0 are set aside (no growth can be read from them). The others are grouped
///    by size, two groups per power of two (a group spans a factor of about 1.41), and each
///    group becomes one point: the median size and the median time of its calls. Medians make
///    a few outliers (a page fault, a preempted thread) harmless; equal weight per group keeps
///    a size called a million times from outvoting the others.
/// 2. There must be at least 10 calls, 4 groups and a largest size at least 10 times the
///    smallest; otherwise there is no fit, and the reason says
///    which ([`NoFit`]). Over a smaller range every class looks like every other.
/// 3. The exponent is the least-squares slope of log(time) against log(size): 1 for linear
///    growth, 2 for quadratic.
/// 4. Each class `f` is fitted as `time = a + b * f(size)` with `a, b >= 0` (the constant `a`
///    absorbs a call's fixed cost, which otherwise bends small sizes), by least squares on
///    relative errors (each point weighted by 1/time², so a 10% miss counts the same at every
///    size); [`Exponential`](ComplexityClass::Exponential) as `log(time) = a + b * size`. A
///    class's error is the root mean square of `log(predicted / measured)` over the points,
///    about the typical relative miss.
/// 5. The class chosen is the simplest whose error is within a tolerance of the best one's
///    (`best * 1.25 + 0.03`): a more complex class must explain the points clearly better, not
///    just follow the noise.
///
/// # Limits
/// - It describes the sizes that were called, not beyond: a cubic term that only dominates
///   above the largest size called is invisible.
/// - Neighbouring classes are hard to tell apart over a narrow range or with noisy times:
///   `n` and `n log n` differ by a factor of 1.5 over sizes 1,000 to 100,000, so with 10%
///   noise the fit can say linear; `1` and `log n` likewise. The exponent is reported beside
///   the class for that reason. The constant `a` also lets a slow, steady rise read as a
///   higher class with a large constant (exponent 0.24, class `O(n)`).
/// - Times are inclusive and measured on a real machine: a size that also changes what the
///   cache holds (random lookups in a map that outgrows it), or a call that waits on a lock,
///   shows in the fit as growth. On a busy machine a long call is preempted and the wall
///   clock counts the wait: the CPU clock (`PROFKIT_CLOCK=cpu`) does not.
///
/// ```
/// use profkit::ComplexityClass;
///
/// #[profkit::profile(size = items.len())]
/// fn sum(items: &[u64]) -> u64 {
///     profkit::testing::advance(std::time::Duration::from_nanos(50 * items.len() as u64));
///     items.iter().sum()
/// }
///
/// let _clock = profkit::testing::TestClock::install().unwrap();
/// let (_, report) = profkit::record(|| {
///     for n in [100, 300, 1_000, 3_000, 10_000] {
///         let items = vec![1u64; n];
///         for _ in 0..3 { sum(&items); }
///     }
/// });
/// let growth = report.function("sum").unwrap().complexity().unwrap();
/// assert_eq!(growth.class(), ComplexityClass::Linear);
/// assert!((growth.exponent() - 1.0).abs() < 0.01);
/// assert_eq!((growth.calls(), growth.sizes()), (15, 5));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Complexity {
    measure: Measure,
    class: ComplexityClass,
    exponent: f64,
    error: f64,
    r_squared: f64,
    calls: u64,
    /// (median size, median value) per size group, by size; the value in ns for a fit of time.
    points: Vec<(u64, u64)>,
    /// The chosen class's `(a, b)`: the value at size `n` is `a + b * f(n)`, or for
    /// `Exponential` `exp(a + b * n)`.
    coefficients: (f64, f64),
}

impl Complexity {
    /// What was fitted: time, or (a memory fit from [`Scaling::allocations`] or
    /// [`Scaling::bytes`]) allocations or bytes.
    pub fn measure(&self) -> Measure {
        self.measure
    }

    /// The points fitted in the measure's unit: per size group, the median size and the
    /// median value (nanoseconds, allocations or bytes), by size.
    ///
    /// ```
    /// #[profkit::profile(size = n)]
    /// fn work(n: u64) {
    ///     profkit::testing::advance(std::time::Duration::from_nanos(10 * n));
    /// }
    ///
    /// let _clock = profkit::testing::TestClock::install().unwrap();
    /// let (_, report) = profkit::record(|| {
    ///     for n in [100, 300, 1_000, 3_000, 10_000] { work(n); work(n); }
    /// });
    /// let fit = report.function("work").unwrap().complexity().unwrap();
    /// assert_eq!(fit.measure(), profkit::Measure::Time);
    /// assert_eq!(fit.values().last(), Some((10_000, 100_000))); // 100 µs in ns
    /// ```
    pub fn values(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.points.iter().copied()
    }

    /// The class chosen.
    pub fn class(&self) -> ComplexityClass {
        self.class
    }

    /// The slope of log(time) against log(size): about 0 for constant, 1 for linear, 2 for
    /// quadratic growth (n log n reads a little above 1).
    pub fn exponent(&self) -> f64 {
        self.exponent
    }

    /// The chosen class's typical relative miss: the root mean square of
    /// `log(predicted / measured)` over the points (0.1: about 10%).
    pub fn error(&self) -> f64 {
        self.error
    }

    /// The share of the variance of log(time) the chosen class explains (1: all of it; 0 for
    /// a constant, whose times vary by noise alone).
    pub fn r_squared(&self) -> f64 {
        self.r_squared
    }

    /// The sized calls (of non-zero size) the points summarise.
    pub fn calls(&self) -> u64 {
        self.calls
    }

    /// The size groups fitted: the number of points.
    pub fn sizes(&self) -> usize {
        self.points.len()
    }

    /// The smallest and largest size fitted (medians of their groups).
    pub fn size_range(&self) -> (u64, u64) {
        (
            self.points.first().map_or(0, |p| p.0),
            self.points.last().map_or(0, |p| p.0),
        )
    }

    /// The value the fitted curve gives at `size`, in the measure's unit (nanoseconds for
    /// time): what the chosen class predicts, for plotting the fit beside its points.
    ///
    /// ```
    /// #[profkit::profile(size = n)]
    /// fn work(n: u64) {
    ///     profkit::testing::advance(std::time::Duration::from_nanos(10 * n));
    /// }
    ///
    /// let _clock = profkit::testing::TestClock::install().unwrap();
    /// let (_, report) = profkit::record(|| {
    ///     for n in [100, 300, 1_000, 3_000, 10_000] { work(n); work(n); }
    /// });
    /// let fit = report.function("work").unwrap().complexity().unwrap();
    /// assert!((fit.predict(50_000) - 500_000.0).abs() < 1.0);
    /// ```
    pub fn predict(&self, size: u64) -> f64 {
        evaluate(self.class, self.coefficients, size as f64)
    }

    /// The points fitted: per size group, the median size and the median time, by size. (For
    /// a memory fit, whose values are not times, read [`values`](Self::values).)
    pub fn points(&self) -> impl Iterator<Item = (u64, Duration)> + '_ {
        self.points
            .iter()
            .map(|&(n, ns)| (n, Duration::from_nanos(ns)))
    }
}

/// A function's sized calls and what was fitted to them (`#[profile(size = ..)]`): how its
/// time scales with the size of its input, from [`FunctionStats::scaling`](crate::FunctionStats::scaling).
/// (The live heap's growth of a path is [`Growth`](crate::Growth).)
#[derive(Clone, Debug, PartialEq)]
pub struct Scaling {
    pub(crate) samples: SizeSamples,
    fit: Result<Complexity, NoFit>,
    /// Fits of allocations and bytes, when some kept call recorded them.
    memory: Option<(Result<Complexity, NoFit>, Result<Complexity, NoFit>)>,
}

impl Scaling {
    pub(crate) fn new(samples: SizeSamples) -> Scaling {
        let fit = fit(&samples);
        let memory = samples.points().any(|p| p.mem.is_some()).then(|| {
            (
                fit_measure(&samples, Measure::Allocations),
                fit_measure(&samples, Measure::Bytes),
            )
        });
        Scaling {
            samples,
            fit,
            memory,
        }
    }

    /// How the allocations of a call grow with its size (callees included), or why that was
    /// not fitted; `None` when no call's allocations were recorded (the allocator wrapper of
    /// feature `memory`, `profkit::Alloc`, was not the global allocator).
    ///
    /// ```
    /// #[profkit::profile(size = n)]
    /// fn work(n: u32) {}
    ///
    /// let (_, report) = profkit::record(|| for n in 1..50 { work(n) });
    /// // This doc test does not install `profkit::Alloc`: nothing to fit.
    /// assert!(report.function("work").unwrap().scaling().unwrap().allocations().is_none());
    /// ```
    pub fn allocations(&self) -> Option<Result<&Complexity, &NoFit>> {
        self.memory.as_ref().map(|m| m.0.as_ref())
    }

    /// How the bytes a call allocates grow with its size (callees included; allocated, not
    /// net of frees), or why that was not fitted; `None` when no call's allocations were
    /// recorded. See [`allocations`](Self::allocations).
    ///
    /// ```
    /// let scaling: Option<&profkit::Scaling> = None;
    /// assert!(scaling.and_then(|s| s.bytes()).is_none());
    /// ```
    pub fn bytes(&self) -> Option<Result<&Complexity, &NoFit>> {
        self.memory.as_ref().map(|m| m.1.as_ref())
    }

    /// The calls kept whose allocations were recorded, as (size, allocations, bytes), by size
    /// group (at most 32 per group).
    ///
    /// ```
    /// let scaling: Option<&profkit::Scaling> = None;
    /// assert_eq!(scaling.map(|s| s.memory_samples().count()), None);
    /// ```
    pub fn memory_samples(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        self.samples
            .points()
            .filter_map(|p| p.mem.map(|m| (p.size, m.allocs, m.bytes)))
    }

    /// The fitted growth, or why there is none.
    ///
    /// ```
    /// #[profkit::profile(size = n)]
    /// fn work(n: u32) {}
    ///
    /// let (_, report) = profkit::record(|| for _ in 0..20 { work(50) });
    /// let growth = report.function("work").unwrap().scaling().unwrap();
    /// assert_eq!(growth.calls(), 20);
    /// assert_eq!(growth.fit().unwrap_err().to_string(), "too few sizes: 1 distinct, 4 are needed");
    /// ```
    pub fn fit(&self) -> Result<&Complexity, &NoFit> {
        self.fit.as_ref()
    }

    /// Why there is no fit; `None` when there is one.
    pub fn why_not(&self) -> Option<&NoFit> {
        self.fit.as_ref().err()
    }

    /// Every sized call counted, of size 0 too.
    pub fn calls(&self) -> u64 {
        self.samples.calls()
    }

    /// The calls kept as (size, time), by size group (at most 32 per group).
    pub fn samples(&self) -> impl Iterator<Item = (u64, Duration)> + '_ {
        self.samples
            .points()
            .map(|p| (p.size, Duration::from_nanos(p.ns)))
    }
}

/// The median of a non-empty slice (the mean of the middle two for an even length), sorting it.
fn median(values: &mut [u64]) -> u64 {
    values.sort_unstable();
    let n = values.len();
    if n == 0 {
        return 0;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        let (a, b) = (values[n / 2 - 1], values[n / 2]);
        a / 2 + b / 2 + (a % 2 + b % 2) / 2
    }
}

/// Fits a class to the time of `samples` (see the module's method).
pub(crate) fn fit(samples: &SizeSamples) -> Result<Complexity, NoFit> {
    fit_measure(samples, Measure::Time)
}

/// Fits a class to `measure` of `samples`, from the calls kept that recorded it.
pub(crate) fn fit_measure(samples: &SizeSamples, measure: Measure) -> Result<Complexity, NoFit> {
    let mut groups: std::collections::BTreeMap<usize, (Vec<u64>, Vec<u64>)> = Default::default();
    let mut kept = 0usize;
    let mut any = false;
    for p in samples.points() {
        let Some(value) = measure.of(&p) else {
            continue;
        };
        any = true;
        if p.size == 0 {
            continue;
        }
        kept += 1;
        let g = groups.entry(bucket_of(p.size)).or_default();
        g.0.push(p.size);
        g.1.push(value);
    }
    if any && kept == 0 {
        return Err(NoFit::ZeroSizes);
    }
    // Calls of non-zero size, counted (the points are a bounded sample of them): a bucket's
    // count where its kept calls all recorded the measure, else those that did.
    let calls = samples
        .buckets
        .iter()
        .filter(|(b, _)| **b != 0)
        .fold(0u64, |sum, (_, b)| {
            let with = b.points.iter().filter(|p| measure.of(p).is_some()).count();
            let n = if with == b.points.len() {
                b.count
            } else {
                with as u64
            };
            sum.saturating_add(n)
        });
    if calls < MIN_CALLS {
        return Err(NoFit::TooFewCalls { calls });
    }
    let points: Vec<(u64, u64)> = groups
        .into_values()
        .map(|(mut n, mut t)| (median(&mut n), median(&mut t)))
        .collect();
    fit_points(points, calls, measure)
}

/// Fits a class to per-group medians (size, value), sorted by size.
pub(crate) fn fit_points(
    points: Vec<(u64, u64)>,
    calls: u64,
    measure: Measure,
) -> Result<Complexity, NoFit> {
    if points.len() < MIN_SIZES {
        return Err(NoFit::TooFewSizes {
            sizes: points.len(),
        });
    }
    let (smallest, largest) = (points[0].0, points[points.len() - 1].0);
    if (largest as f64) < MIN_SPREAD * smallest as f64 {
        return Err(NoFit::NotEnoughSpread { smallest, largest });
    }
    // A time of 0 (a test clock that did not move) counts as 1 ns, so logs exist.
    let xs: Vec<f64> = points.iter().map(|p| p.0 as f64).collect();
    let ts: Vec<f64> = points.iter().map(|p| (p.1 as f64).max(1.0)).collect();
    let log_t: Vec<f64> = ts.iter().map(|t| t.ln()).collect();
    let log_x: Vec<f64> = xs.iter().map(|x| x.ln()).collect();
    let (_, exponent) = line(&log_x, &log_t);

    #[allow(clippy::type_complexity)]
    let errors: Vec<(ComplexityClass, f64, Vec<f64>, (f64, f64))> = ComplexityClass::ALL
        .into_iter()
        .map(|class| {
            let coefficients = coefficients(class, &xs, &ts);
            let predicted: Vec<f64> = xs
                .iter()
                .map(|&x| evaluate(class, coefficients, x))
                .collect();
            let error = rms_log_error(&predicted, &ts);
            (class, error, predicted, coefficients)
        })
        .collect();
    let best = errors.iter().map(|e| e.1).fold(f64::INFINITY, f64::min);
    let tolerance = best * 1.25 + 0.03;
    let (class, error, predicted, coefficients) =
        errors.into_iter().find(|e| e.1 <= tolerance).unwrap_or((
            ComplexityClass::Constant,
            f64::INFINITY,
            Vec::new(),
            (0.0, 0.0),
        ));
    let mean = log_t.iter().sum::<f64>() / log_t.len() as f64;
    let total: f64 = log_t.iter().map(|l| (l - mean).powi(2)).sum();
    let residual: f64 = predicted
        .iter()
        .zip(&log_t)
        .map(|(p, l)| (p.max(f64::MIN_POSITIVE).ln() - l).powi(2))
        .sum();
    let r_squared = if total > 0.0 {
        (1.0 - residual / total).max(0.0)
    } else {
        1.0
    };
    Ok(Complexity {
        measure,
        class,
        exponent,
        error,
        r_squared,
        calls,
        points,
        coefficients,
    })
}

/// Least squares `y = a + b x`: (a, b).
fn line(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (my - b * mx, b)
}

/// The value of `class` with `coefficients` at size `x`.
fn evaluate(class: ComplexityClass, (a, b): (f64, f64), x: f64) -> f64 {
    match class {
        ComplexityClass::Exponential => (a + b * x).exp(),
        _ => a + b * class.basis(x),
    }
}

/// `class`'s coefficients fitted to the times `ts` at sizes `xs` (see [`evaluate`]).
fn coefficients(class: ComplexityClass, xs: &[f64], ts: &[f64]) -> (f64, f64) {
    if class == ComplexityClass::Exponential {
        let log_t: Vec<f64> = ts.iter().map(|t| t.ln()).collect();
        let (a, b) = line(xs, &log_t);
        if b <= 0.0 {
            // Not growing: no better than a constant.
            return (geometric_mean(ts).ln(), 0.0);
        }
        return (a, b);
    }
    // Weighted least squares of t = a + b f, weights 1/t^2, with a, b >= 0. The basis is
    // scaled to its largest value first, so n^3 at n = 10^6 stays well within f64.
    let raw: Vec<f64> = xs.iter().map(|&x| class.basis(x)).collect();
    let scale = raw.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let fs: Vec<f64> = if scale > 0.0 {
        raw.iter().map(|v| v / scale).collect()
    } else {
        raw
    };
    let w: Vec<f64> = ts.iter().map(|t| 1.0 / (t * t)).collect();
    let sum = |f: &dyn Fn(usize) -> f64| (0..ts.len()).map(f).sum::<f64>();
    let sw = sum(&|i| w[i]);
    let sf = sum(&|i| w[i] * fs[i]);
    let sff = sum(&|i| w[i] * fs[i] * fs[i]);
    let st = sum(&|i| w[i] * ts[i]);
    let sft = sum(&|i| w[i] * fs[i] * ts[i]);
    let det = sw * sff - sf * sf;
    let (mut a, mut b) = if det.abs() > 1e-12 * sw * sff.max(f64::MIN_POSITIVE) {
        ((st * sff - sf * sft) / det, (sw * sft - sf * st) / det)
    } else {
        (st / sw, 0.0)
    };
    if b < 0.0 {
        (a, b) = (st / sw, 0.0);
    } else if a < 0.0 {
        (a, b) = (0.0, if sff > 0.0 { sft / sff } else { 0.0 });
    }
    // Back from the scaled basis.
    (a, if scale > 0.0 { b / scale } else { 0.0 })
}

fn geometric_mean(ts: &[f64]) -> f64 {
    (ts.iter().map(|t| t.ln()).sum::<f64>() / ts.len() as f64).exp()
}

/// Root mean square of log(predicted / measured); a prediction of 0 or less misses badly.
fn rms_log_error(predicted: &[f64], ts: &[f64]) -> f64 {
    if predicted.len() != ts.len() || ts.is_empty() {
        return f64::INFINITY;
    }
    let sum: f64 = predicted
        .iter()
        .zip(ts)
        .map(|(p, t)| {
            if *p > 0.0 && p.is_finite() {
                (p / t).ln().powi(2)
            } else {
                100.0
            }
        })
        .sum();
    (sum / ts.len() as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::ComplexityClass::*;
    use super::*;
    use crate::data::SizeBucket;

    fn samples(points: &[(u64, u64)]) -> SizeSamples {
        let mut s = SizeSamples::default();
        for &(n, ns) in points {
            let b = s.buckets.entry(bucket_of(n) as u8).or_default();
            b.count += 1;
            b.points.push((n, ns).into());
        }
        s
    }

    /// Sizes 100 .. 100,000, 12 of them, log-spaced.
    fn sizes() -> Vec<u64> {
        (0..12)
            .map(|i| (100.0 * 10f64.powf(3.0 * i as f64 / 11.0)).round() as u64)
            .collect()
    }

    /// A deterministic noise factor in [1 - amp, 1 + amp] for call `i`.
    fn noise(i: u64, amp: f64) -> f64 {
        let h = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 / (1u64 << 53) as f64;
        1.0 + amp * (2.0 * h - 1.0)
    }

    fn points_of(sizes: &[u64], f: impl Fn(f64) -> f64, amp: f64, per_size: u64) -> SizeSamples {
        let mut pts = Vec::new();
        let mut i = 0;
        for &n in sizes {
            for _ in 0..per_size {
                i += 1;
                pts.push((n, (f(n as f64) * noise(i, amp)).max(0.0) as u64));
            }
        }
        samples(&pts)
    }

    #[test]
    fn every_class_is_recognised_from_its_points() {
        let ns = sizes();
        // One size per group, as `sizes()` gives.
        let small: Vec<u64> = vec![2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96];
        // (class, time for size n, sizes, noise)
        #[allow(clippy::type_complexity)]
        let cases: Vec<(ComplexityClass, Box<dyn Fn(f64) -> f64>, &[u64], f64)> = vec![
            (Constant, Box::new(|_| 5_000.0), &ns, 0.0),
            (Constant, Box::new(|_| 5_000.0), &ns, 0.1),
            (Logarithmic, Box::new(|n| 200.0 * n.ln()), &ns, 0.0),
            (Logarithmic, Box::new(|n| 200.0 * n.ln()), &ns, 0.02),
            (Linear, Box::new(|n| 30.0 * n), &ns, 0.0),
            (Linear, Box::new(|n| 30.0 * n), &ns, 0.1),
            (Linear, Box::new(|n| 50_000.0 + 3.0 * n), &ns, 0.05),
            (Linearithmic, Box::new(|n| 5.0 * n * n.ln()), &ns, 0.0),
            (Linearithmic, Box::new(|n| 5.0 * n * n.ln()), &ns, 0.02),
            (Quadratic, Box::new(|n| 0.5 * n * n), &ns, 0.0),
            (Quadratic, Box::new(|n| 0.5 * n * n), &ns, 0.2),
            (Quadratic, Box::new(|n| 1e6 + 0.5 * n * n), &ns, 0.05),
            (Cubic, Box::new(|n| 1e-3 * n * n * n), &ns, 0.0),
            (Cubic, Box::new(|n| 1e-3 * n * n * n), &ns, 0.2),
            (
                Exponential,
                Box::new(|n| 100.0 * 1.5f64.powf(n)),
                &small,
                0.0,
            ),
            (
                Exponential,
                Box::new(|n| 100.0 * 1.5f64.powf(n)),
                &small,
                0.2,
            ),
        ];
        for (i, (class, f, sizes, amp)) in cases.into_iter().enumerate() {
            let got = fit(&points_of(sizes, f, amp, 5)).expect("a fit");
            assert_eq!(
                got.class(),
                class,
                "case {i} (noise {amp}): exponent {:.2}, error {:.3}",
                got.exponent(),
                got.error()
            );
            assert_eq!((got.calls(), got.sizes()), (5 * sizes.len() as u64, 12));
        }
    }

    #[test]
    fn the_exponent_is_the_log_log_slope() {
        let ns = sizes();
        for (power, want) in [(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (3.0, 3.0), (1.5, 1.5)] {
            let got = fit(&points_of(&ns, |n| 7.0 * n.powf(power), 0.0, 3)).unwrap();
            assert!(
                (got.exponent() - want).abs() < 0.02,
                "power {power}: exponent {}",
                got.exponent()
            );
        }
    }

    #[test]
    fn outliers_move_no_median() {
        let ns = sizes();
        let mut s = points_of(&ns, |n| 30.0 * n, 0.0, 5);
        // One call per size 50 times slower (a preempted thread).
        for b in s.buckets.values_mut() {
            b.points[0].ns *= 50;
        }
        let got = fit(&s).unwrap();
        assert_eq!(got.class(), Linear);
        assert!((got.exponent() - 1.0).abs() < 0.01);
    }

    #[test]
    fn without_enough_calls_or_sizes_or_spread_there_is_no_fit_and_a_reason() {
        let zero = samples(&[(0, 10); 20]);
        assert_eq!(fit(&zero), Err(NoFit::ZeroSizes));
        let few = samples(&[(10, 10), (100, 100), (1000, 1000)]);
        assert_eq!(fit(&few), Err(NoFit::TooFewCalls { calls: 3 }));
        let equal = samples(&[(500, 10); 30]);
        assert_eq!(fit(&equal), Err(NoFit::TooFewSizes { sizes: 1 }));
        let narrow = points_of(&[100, 150, 200, 300, 500], |n| n, 0.0, 3);
        assert_eq!(
            fit(&narrow),
            Err(NoFit::NotEnoughSpread {
                smallest: 100,
                largest: 500
            })
        );
        assert_eq!(
            fit(&SizeSamples::default()),
            Err(NoFit::TooFewCalls { calls: 0 })
        );
        // Calls of size 0 are set aside, not fitted.
        let mut with_zero = points_of(&sizes(), |n| 30.0 * n, 0.0, 2);
        with_zero.buckets.insert(
            0,
            SizeBucket {
                count: 100,
                points: vec![(0, 1).into(); 16],
            },
        );
        let got = fit(&with_zero).unwrap();
        assert_eq!((got.class(), got.calls()), (Linear, 24));
    }

    #[test]
    fn times_of_zero_are_a_constant() {
        let got = fit(&points_of(&sizes(), |_| 0.0, 0.0, 2)).unwrap();
        assert_eq!(got.class(), Constant);
        assert_eq!(got.exponent(), 0.0);
    }

    #[test]
    fn allocations_and_bytes_are_fitted_from_the_calls_that_recorded_them() {
        use crate::data::CallMem;
        let mut s = SizeSamples::default();
        for (i, n) in sizes().into_iter().enumerate() {
            for k in 0..3u64 {
                let b = s.buckets.entry(bucket_of(n) as u8).or_default();
                b.count += 1;
                // One call per size of the first two sizes recorded no memory.
                let mem = (i >= 2 || k > 0).then_some(CallMem {
                    allocs: 1,
                    bytes: 8 * n,
                });
                b.points.push(SizePoint {
                    size: n,
                    ns: 7 * n * n,
                    mem,
                });
            }
        }
        let scaling = Scaling::new(s.clone());
        assert_eq!(scaling.fit().unwrap().class(), Quadratic);
        let allocs = scaling.allocations().unwrap().unwrap();
        assert_eq!(
            (allocs.measure(), allocs.class(), allocs.calls()),
            (Measure::Allocations, Constant, 34)
        );
        assert!(allocs.values().all(|(_, a)| a == 1));
        let bytes = scaling.bytes().unwrap().unwrap();
        assert_eq!((bytes.class(), bytes.sizes()), (Linear, 12));
        assert!((bytes.exponent() - 1.0).abs() < 1e-9);
        assert!(bytes.values().all(|(n, b)| b == 8 * n));
        assert_eq!(scaling.memory_samples().count(), 34);
        // Without any call's memory: no memory fit at all, not a reason.
        let time_only = Scaling::new(samples(&[(10, 1), (1000, 2)]));
        assert!(time_only.allocations().is_none() && time_only.bytes().is_none());
        // Buckets with some calls unrecorded count those recorded: one each in 10 buckets.
        for b in s.buckets.values_mut() {
            for p in b.points.iter_mut().skip(1) {
                p.mem = None;
            }
        }
        let ten = Scaling::new(s.clone());
        assert_eq!(ten.allocations().unwrap().unwrap().calls(), 10);
        // With too few of them: a reason.
        if let Some(b) = s.buckets.values_mut().last() {
            b.points[0].mem = None;
        }
        let few = Scaling::new(s);
        assert_eq!(
            few.bytes().unwrap().unwrap_err(),
            &NoFit::TooFewCalls { calls: 9 }
        );
    }

    #[test]
    fn notations_round_trip_and_classes_are_ordered() {
        for (i, c) in ComplexityClass::ALL.into_iter().enumerate() {
            assert_eq!(ComplexityClass::from_notation(c.notation()), Some(c));
            if i > 0 {
                assert!(ComplexityClass::ALL[i - 1] < c);
            }
        }
    }
}
