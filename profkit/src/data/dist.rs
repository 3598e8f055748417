//! A latency distribution as a sorted list of (value, count): the non-empty buckets of the
//! recording threads, a few dozen per function where an `hdrhistogram` would hold thousands of
//! counters (about 36 KiB each at 1 ns..1 h and 2 significant figures). Merging and
//! percentiles work on it directly; an `hdrhistogram` is built only when asked for.

use hdrhistogram::Histogram;

/// The largest latency a histogram tells apart: one hour. Longer calls count as one hour.
pub(crate) const HIST_MAX_NS: u64 = 3_600_000_000_000;
/// Significant figures of the histograms built on demand and of async latencies: 2 (within 1%).
pub(crate) const HIST_SIGFIG: u8 = 2;

/// An empty `hdrhistogram` for nanoseconds from 1 to [`HIST_MAX_NS`] at [`HIST_SIGFIG`].
pub(crate) fn new_histogram() -> Histogram<u64> {
    // These bounds are valid constants, so creation cannot fail; an empty auto-resizing
    // histogram is the fallback all the same.
    Histogram::new_with_bounds(1, HIST_MAX_NS, HIST_SIGFIG)
        .or_else(|_| Histogram::new(HIST_SIGFIG))
        .unwrap_or_else(|_| unreachable_histogram())
}

#[cold]
fn unreachable_histogram() -> Histogram<u64> {
    // `Histogram::new(2)` only fails for more than 5 significant figures.
    Histogram::new(1).expect("1 significant figure is always valid")
}

/// Values in nanoseconds with their counts, sorted by value, values distinct.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Dist {
    points: Vec<(u64, u64)>,
}

impl Dist {
    /// From (value, count) pairs in any order.
    pub(crate) fn from_points(mut points: Vec<(u64, u64)>) -> Self {
        points.retain(|&(_, c)| c > 0);
        points.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(points.len());
        for (v, c) in points {
            match merged.last_mut() {
                Some((last, n)) if *last == v => *n = n.saturating_add(c),
                _ => merged.push((v, c)),
            }
        }
        Dist { points: merged }
    }

    /// What `self` holds beyond `earlier`, a distribution it contains (a reading of the same
    /// buckets before): each value's count minus the earlier count. `None` when `earlier` has
    /// a value, or more of one, that `self` does not.
    pub(crate) fn since(&self, earlier: &Dist) -> Option<Dist> {
        let mut points = self.points.clone();
        for &(v, c) in &earlier.points {
            let at = points.binary_search_by_key(&v, |&(x, _)| x).ok()?;
            let left = points[at].1.checked_sub(c)?;
            points[at].1 = left;
        }
        Some(Dist::from_points(points))
    }

    /// Adds another distribution (counts of equal values add up).
    pub(crate) fn merge(&mut self, other: &Dist) {
        let mut points = std::mem::take(&mut self.points);
        points.extend_from_slice(&other.points);
        *self = Dist::from_points(points);
    }

    #[cfg(feature = "json")]
    pub(crate) fn points(&self) -> &[(u64, u64)] {
        &self.points
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub(crate) fn count(&self) -> u64 {
        self.points
            .iter()
            .fold(0u64, |total, &(_, c)| total.saturating_add(c))
    }

    pub(crate) fn min(&self) -> u64 {
        self.points.first().map_or(0, |&(v, _)| v)
    }

    pub(crate) fn max(&self) -> u64 {
        self.points.last().map_or(0, |&(v, _)| v)
    }

    pub(crate) fn mean(&self) -> f64 {
        let n = self.count();
        if n == 0 {
            return 0.0;
        }
        self.points
            .iter()
            .map(|&(v, c)| v as f64 * c as f64)
            .sum::<f64>()
            / n as f64
    }

    pub(crate) fn stdev(&self) -> f64 {
        let n = self.count();
        if n == 0 {
            return 0.0;
        }
        let mean = self.mean();
        let var = self
            .points
            .iter()
            .map(|&(v, c)| (v as f64 - mean).powi(2) * c as f64)
            .sum::<f64>()
            / n as f64;
        var.sqrt()
    }

    /// The smallest value that `percentile` percent of the samples do not exceed.
    pub(crate) fn percentile(&self, percentile: f64) -> u64 {
        let n = self.count();
        if n == 0 {
            return 0;
        }
        // ceil(percentile% of n) in integers: in floats 99.9% of 1000 is 999.0000000000001,
        // whose ceiling would skip a whole sample.
        let millionths = (percentile.clamp(0.0, 100.0) * 1e6).round() as u128;
        let rank = (millionths * u128::from(n)).div_ceil(100_000_000);
        let rank = u64::try_from(rank).unwrap_or(n).clamp(1, n);
        let mut seen: u64 = 0;
        for &(v, c) in &self.points {
            seen = seen.saturating_add(c);
            if seen >= rank {
                return v;
            }
        }
        self.max()
    }

    /// As an `hdrhistogram` (1 ns to 1 hour at 2 significant figures; longer values count as
    /// 1 hour).
    pub(crate) fn to_histogram(&self) -> Histogram<u64> {
        let mut h = new_histogram();
        for &(v, c) in &self.points {
            h.saturating_record_n(v, c);
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_of_a_small_distribution() {
        let d = Dist::from_points(vec![(30, 1), (10, 2), (20, 1), (10, 1)]);
        assert_eq!(d.points, [(10, 3), (20, 1), (30, 1)]);
        assert_eq!((d.count(), d.min(), d.max()), (5, 10, 30));
        assert_eq!(d.percentile(50.0), 10);
        assert_eq!(d.percentile(70.0), 20);
        assert_eq!(d.percentile(100.0), 30);
        assert_eq!(d.percentile(0.0), 10);
        // 999 fast samples and one slow: p99.9 is the 999th, a fast one.
        let skewed = Dist::from_points(vec![(1_000, 999), (1_000_000, 1)]);
        assert_eq!(skewed.percentile(99.9), 1_000);
        assert_eq!(skewed.percentile(100.0), 1_000_000);
        assert!((d.mean() - 16.0).abs() < 1e-9);
        assert!((d.stdev() - 8.0).abs() < 1e-9);
        let mut e = d.clone();
        e.merge(&d);
        assert_eq!(e.points, [(10, 6), (20, 2), (30, 2)]);
        assert_eq!(e.to_histogram().len(), 10);
        assert!(Dist::default().is_empty());
        assert_eq!(Dist::default().percentile(99.0), 0);
    }
}
