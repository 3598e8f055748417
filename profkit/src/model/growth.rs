//! Growth of the live heap through a run: a series of readings of each function's live bytes
//! ([`Snapshot`]), and the functions whose live bytes rose through it ([`Growth`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Snapshots needed before a trend is called one.
pub(crate) const MIN_SNAPSHOTS: usize = 3;
/// The share of pairs of readings (earlier, later) in which the later is higher, minus the share
/// in which it is lower (Kendall's tau against time), from which a series is a rise: 1 when
/// every reading is above all earlier ones, near 0 for a level with noise.
pub(crate) const MIN_TREND: f64 = 0.5;

/// One reading of the live heap: when (since the first snapshot of the run), and each
/// function's own live bytes then (functions holding nothing left out).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) at_ns: u64,
    /// By function name, sorted.
    pub(crate) live: Vec<(Arc<str>, i64)>,
}

/// A function whose live bytes rose through a series of snapshots: how fast and how steadily.
///
/// ```rust,standalone_crate
/// #[global_allocator]
/// static ALLOC: profkit::Alloc = profkit::Alloc::system();
///
/// #[profkit::profile]
/// fn remember(cache: &mut Vec<Vec<u8>>) { cache.push(vec![0; 1024]); }
///
/// let mut cache = Vec::with_capacity(8);
/// for minute in 0..4 {
///     remember(&mut cache);
///     profkit::snapshot_at(std::time::Duration::from_secs(60 * minute));
/// }
/// let report = profkit::report();
/// let growth = report.growth();
/// let g = &growth.paths()[0];
/// assert!(g.name().ends_with("remember"));
/// assert_eq!(g.bytes_per_minute(), 1024.0);
/// assert_eq!((g.rose(), g.intervals()), (3, 3));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Growth {
    pub(crate) name: Arc<str>,
    pub(crate) per_ns: f64,
    pub(crate) rose: usize,
    pub(crate) intervals: usize,
    pub(crate) first: i64,
    pub(crate) last: i64,
}

impl Growth {
    /// The function whose allocations stay live.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rate of growth, bytes per minute: the least-squares slope of its live bytes against
    /// time.
    pub fn bytes_per_minute(&self) -> f64 {
        self.per_ns * 60e9
    }

    /// Intervals between consecutive snapshots in which its live bytes rose.
    pub fn rose(&self) -> usize {
        self.rose
    }

    /// Intervals in the series (snapshots minus one).
    pub fn intervals(&self) -> usize {
        self.intervals
    }

    /// Its live bytes at the first and the last snapshot.
    pub fn first_and_last(&self) -> (i64, i64) {
        (self.first, self.last)
    }
}

/// The functions whose live bytes rose through `snapshots`, fastest first: at least
/// [`MIN_SNAPSHOTS`] readings, higher at the last than at the first, a trend of at least
/// [`MIN_TREND`] (a level that goes up and down is not listed), and still rising in the last
/// third of the run (a new high there: a structure that grew to its size early on, such as a
/// bounded cache's table, and then held it, is not listed).
pub(crate) fn growth(snapshots: &[Snapshot]) -> Vec<Growth> {
    if snapshots.len() < MIN_SNAPSHOTS {
        return Vec::new();
    }
    let mut series: BTreeMap<&Arc<str>, Vec<i64>> = BTreeMap::new();
    for (i, s) in snapshots.iter().enumerate() {
        for (name, live) in &s.live {
            // A function absent from a snapshot held nothing then.
            series
                .entry(name)
                .or_insert_with(|| vec![0; snapshots.len()])[i] = *live;
        }
    }
    let times: Vec<f64> = snapshots.iter().map(|s| s.at_ns as f64).collect();
    let mut out: Vec<Growth> = series
        .into_iter()
        .filter_map(|(name, values)| {
            let (first, last) = (values[0], values[values.len() - 1]);
            if last <= first || trend(&values) < MIN_TREND || !rising_at_the_end(&values) {
                return None;
            }
            let per_ns = slope(&times, &values)?;
            (per_ns > 0.0).then(|| Growth {
                name: name.clone(),
                per_ns,
                rose: values.windows(2).filter(|w| w[1] > w[0]).count(),
                intervals: values.len() - 1,
                first,
                last,
            })
        })
        .collect();
    out.sort_by(|a, b| b.per_ns.total_cmp(&a.per_ns).then(a.name.cmp(&b.name)));
    out
}

/// Whether the last third of `values` holds a new high: a value above all before that third.
fn rising_at_the_end(values: &[i64]) -> bool {
    let split = values.len() - values.len().div_ceil(3);
    let before = values[..split].iter().copied().max().unwrap_or(i64::MIN);
    values[split..].iter().any(|&v| v > before)
}

/// Kendall's tau of `values` against their order: (pairs that rose - pairs that fell) / pairs.
fn trend(values: &[i64]) -> f64 {
    let n = values.len();
    let mut score = 0i64;
    for i in 0..n {
        for j in i + 1..n {
            score += (values[j] - values[i]).signum();
        }
    }
    let pairs = (n * (n - 1) / 2) as f64;
    score as f64 / pairs
}

/// The least-squares slope of `values` against `times`; `None` when every time is the same.
fn slope(times: &[f64], values: &[i64]) -> Option<f64> {
    let n = times.len() as f64;
    let mean_t = times.iter().sum::<f64>() / n;
    let mean_v = values.iter().map(|&v| v as f64).sum::<f64>() / n;
    let (mut cov, mut var) = (0.0, 0.0);
    for (&t, &v) in times.iter().zip(values) {
        cov += (t - mean_t) * (v as f64 - mean_v);
        var += (t - mean_t) * (t - mean_t);
    }
    (var > 0.0).then(|| cov / var)
}

impl crate::model::Report {
    /// The functions whose live bytes rose through the run's snapshots, fastest first (see
    /// [`Growth`]; their table is [`growth`](crate::Report::growth)).
    pub(crate) fn growing(&self) -> Vec<Growth> {
        growth(&self.meta.snapshots)
    }

    /// The snapshots the report holds.
    pub(crate) fn snapshots(&self) -> &[Snapshot] {
        &self.meta.snapshots
    }

    /// This report as a snapshot taken `at_ns` into the run: each function's own live bytes.
    pub(crate) fn live_snapshot(&self, at_ns: u64) -> Snapshot {
        let mut live: Vec<(Arc<str>, i64)> = self
            .functions
            .iter()
            .filter_map(|f| {
                let m = f.memory.as_ref()?;
                (m.own.live_bytes != 0).then(|| (f.name.clone(), m.own.live_bytes))
            })
            .collect();
        live.sort();
        Snapshot { at_ns, live }
    }
}

/// The time the series covers.
pub(crate) fn span(snapshots: &[Snapshot]) -> Duration {
    match (snapshots.first(), snapshots.last()) {
        (Some(a), Some(b)) => Duration::from_nanos(b.at_ns.saturating_sub(a.at_ns)),
        _ => Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[(&str, &[i64])], every_s: u64) -> Vec<Snapshot> {
        let n = values[0].1.len();
        (0..n)
            .map(|i| Snapshot {
                at_ns: i as u64 * every_s * 1_000_000_000,
                live: values
                    .iter()
                    .map(|(name, v)| (Arc::from(*name), v[i]))
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn a_growing_path_is_listed_with_its_rate_and_steadiness_a_steady_one_is_not() {
        let s = series(
            &[
                ("grows", &[0, 100, 200, 300, 400, 500]),
                ("steady", &[1000, 1200, 1000, 1200, 1000, 1200]),
                ("noisy_growth", &[0, 300, 200, 500, 400, 700]),
                ("shrinks", &[500, 400, 300, 200, 100, 0]),
                ("step_then_flat", &[0, 1000, 1000, 1000, 1000, 1000]),
                ("two_steps_then_flat", &[0, 500, 500, 1000, 1000, 1000]),
                ("doubling", &[0, 100, 200, 200, 400, 800]),
            ],
            10,
        );
        let g = growth(&s);
        let names: Vec<&str> = g.iter().map(|g| g.name()).collect();
        assert_eq!(names, ["doubling", "noisy_growth", "grows"], "{g:?}");
        let grows = &g[2];
        assert_eq!(grows.bytes_per_minute(), 600.0); // 100 bytes per 10 s
        assert_eq!((grows.rose(), grows.intervals()), (5, 5));
        assert_eq!(grows.first_and_last(), (0, 500));
        assert_eq!((g[1].rose(), g[1].intervals()), (3, 5));
        // A table that grew twice early on and then held its size: a trend, but no new high in
        // the last third.
        let table = [
            0, 9488, 9488, 9488, 9488, 9488, 9488, 17936, 17936, 17936, 17936, 17936, 17936,
        ];
        assert!(trend(&table) >= MIN_TREND);
        assert!(!rising_at_the_end(&table));
        // tau of the step: 5 rises out of 15 pairs, below the bar.
        assert!(trend(&[0, 1000, 1000, 1000, 1000, 1000]) < MIN_TREND);
    }

    #[test]
    fn too_few_snapshots_or_equal_times_give_no_trend() {
        let s = series(&[("grows", &[0, 100])], 10);
        assert!(growth(&s).is_empty());
        let mut s = series(&[("grows", &[0, 100, 200])], 10);
        for p in &mut s {
            p.at_ns = 5;
        }
        assert!(growth(&s).is_empty());
        assert_eq!(span(&[]), Duration::ZERO);
    }

    #[test]
    fn a_function_missing_from_a_snapshot_held_nothing_then() {
        let mut s = series(&[("a", &[10, 20, 30, 40])], 1);
        s[0].live.clear();
        let g = growth(&s);
        assert_eq!(g[0].first_and_last(), (0, 40));
    }
}
