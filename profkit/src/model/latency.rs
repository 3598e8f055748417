//! [`Latency`]: one function's distribution of call durations, with its percentiles.

use std::time::Duration;

use hdrhistogram::Histogram;

use crate::data::Dist;

/// The distribution of one function's call durations, in nanoseconds.
///
/// Precision: the recording threads bucket each duration within 1/64 of its value (1.6%), so a
/// percentile is within 1.6% of the exact one (for an `async fn`, whose wall times are recorded
/// in an `hdrhistogram` directly, within 1%). A report keeps only the non-empty buckets, a few
/// dozen per function.
///
/// ```
/// # #[profkit::profile] fn step() {}
/// let (_, report) = profkit::record(|| for _ in 0..100 { step() });
/// let l = report.function("step").unwrap().latency().unwrap();
/// assert_eq!(l.count(), 100);
/// assert!(l.min() <= l.p50() && l.p50() <= l.p90() && l.p90() <= l.p99());
/// assert!(l.p99() <= l.p999() && l.p999() <= l.max());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Latency {
    dist: Dist,
}

impl Latency {
    pub(crate) fn new(dist: Dist) -> Self {
        Latency { dist }
    }

    #[cfg(feature = "json")]
    pub(crate) fn dist(&self) -> &Dist {
        &self.dist
    }

    pub(crate) fn merge(&mut self, other: &Latency) {
        self.dist.merge(&other.dist);
    }

    /// Calls in the distribution.
    pub fn count(&self) -> u64 {
        self.dist.count()
    }

    /// The shortest call.
    pub fn min(&self) -> Duration {
        Duration::from_nanos(self.dist.min())
    }

    /// The longest call.
    pub fn max(&self) -> Duration {
        Duration::from_nanos(self.dist.max())
    }

    /// The mean duration.
    pub fn mean(&self) -> Duration {
        Duration::from_nanos(self.dist.mean() as u64)
    }

    /// The standard deviation.
    pub fn stdev(&self) -> Duration {
        Duration::from_nanos(self.dist.stdev() as u64)
    }

    /// The duration `percentile` percent of calls do not exceed (`percentile` in 0..=100).
    pub fn percentile(&self, percentile: f64) -> Duration {
        Duration::from_nanos(self.dist.percentile(percentile))
    }

    /// The median.
    pub fn p50(&self) -> Duration {
        self.percentile(50.0)
    }

    /// The 90th percentile.
    pub fn p90(&self) -> Duration {
        self.percentile(90.0)
    }

    /// The 99th percentile.
    pub fn p99(&self) -> Duration {
        self.percentile(99.0)
    }

    /// The 99.9th percentile.
    pub fn p999(&self) -> Duration {
        self.percentile(99.9)
    }

    /// The distribution as an `hdrhistogram` (nanoseconds, 1 ns to 1 hour at 2 significant
    /// figures), built on each call.
    pub fn histogram(&self) -> Histogram<u64> {
        self.dist.to_histogram()
    }
}
