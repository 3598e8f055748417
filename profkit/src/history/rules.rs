//! The detection rules, on plain numbers: the baseline of a window (median, quartiles, Tukey's
//! fences), whether a value regressed against it, whether a regression blocks (it also showed
//! in the runs before), and where a sustained step began. No store, no profile: every rule is
//! tested here on synthetic series.

/// How a new value is judged against the history before it.
///
/// The defaults are the issue's and Bencher's: the last 20 runs, a 10% threshold, at least 5
/// runs, and two regressions in a row before a build is blocked.
///
/// ```
/// let rules = profkit::history::Rules::default();
/// assert_eq!((rules.window, rules.min_samples, rules.consecutive), (20, 5, 2));
/// assert_eq!(rules.threshold, 0.10);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rules {
    /// How many of the latest runs form the baseline.
    pub window: usize,
    /// The relative change (0.10 for 10%) a value must exceed, up or down, to count.
    pub threshold: f64,
    /// Fewer values than this in the window: insufficient data, never a regression.
    pub min_samples: usize,
    /// A regression blocks only when the same function and metric also regressed in the
    /// `consecutive - 1` runs before (1: every regression blocks).
    pub consecutive: usize,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            window: 20,
            threshold: 0.10,
            min_samples: 5,
            consecutive: 2,
        }
    }
}

impl Rules {
    /// Refuses rules that cannot work: an empty window, a negative or non-finite threshold,
    /// `min_samples` or `consecutive` of 0, or more samples asked than the window holds.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.window == 0 {
            return Err("the window must hold at least 1 run".into());
        }
        if !(self.threshold.is_finite() && self.threshold >= 0.0) {
            return Err(format!(
                "the threshold must be a percentage of 0 or more, not {}",
                self.threshold
            ));
        }
        if self.min_samples == 0 {
            return Err("min-samples must be at least 1".into());
        }
        if self.min_samples > self.window {
            return Err(format!(
                "min-samples ({}) cannot be more than the window ({})",
                self.min_samples, self.window
            ));
        }
        if self.consecutive == 0 {
            return Err("consecutive must be at least 1".into());
        }
        Ok(())
    }
}

/// The summary of a window of past values: its median and Tukey's fences.
///
/// Quartiles interpolate linearly between the two nearest values (R's type 7, NumPy's default).
///
/// ```
/// use profkit::history::Baseline;
///
/// let b = Baseline::of(&[10.0, 12.0, 11.0, 13.0, 10.0]).unwrap();
/// assert_eq!(b.median, 11.0);
/// assert_eq!((b.q1, b.q3), (10.0, 12.0));
/// assert_eq!(b.upper_fence(), 15.0); // Q3 + 1.5 x IQR
/// assert_eq!(b.samples, 5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Baseline {
    /// The median of the window.
    pub median: f64,
    /// The first quartile.
    pub q1: f64,
    /// The third quartile.
    pub q3: f64,
    /// How many values the window held.
    pub samples: usize,
}

impl Baseline {
    /// The baseline of `values` (any order); `None` when there are none or one is not finite.
    pub fn of(values: &[f64]) -> Option<Baseline> {
        if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Some(Baseline {
            median: quantile(&sorted, 0.5),
            q1: quantile(&sorted, 0.25),
            q3: quantile(&sorted, 0.75),
            samples: sorted.len(),
        })
    }

    /// Q3 - Q1.
    ///
    /// ```
    /// let b = profkit::history::Baseline::of(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
    /// assert_eq!(b.iqr(), 2.0);
    /// ```
    pub fn iqr(&self) -> f64 {
        self.q3 - self.q1
    }

    /// Q3 + 1.5 x IQR: a value above it is an outlier of the window.
    ///
    /// ```
    /// let b = profkit::history::Baseline::of(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
    /// assert_eq!(b.upper_fence(), 7.0);
    /// ```
    pub fn upper_fence(&self) -> f64 {
        self.q3 + 1.5 * self.iqr()
    }

    /// Q1 - 1.5 x IQR: a value below it is an outlier of the window.
    ///
    /// ```
    /// let b = profkit::history::Baseline::of(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
    /// assert_eq!(b.lower_fence(), -1.0);
    /// ```
    pub fn lower_fence(&self) -> f64 {
        self.q1 - 1.5 * self.iqr()
    }

    /// `value`'s change relative to the median: 0.15 for 15% more; `None` when the median is
    /// 0 (any change from nothing is infinitely large).
    ///
    /// ```
    /// let b = profkit::history::Baseline::of(&[100.0; 5]).unwrap();
    /// assert_eq!(b.relative(115.0), Some(0.15));
    /// ```
    pub fn relative(&self, value: f64) -> Option<f64> {
        (self.median != 0.0).then(|| (value - self.median) / self.median)
    }
}

/// The `q` quantile (0..=1) of sorted, non-empty values, interpolated linearly.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// How a value compares with its baseline.
///
/// ```
/// use profkit::history::{Change, Rules, assess};
///
/// let steady = [100.0, 101.0, 99.0, 100.0, 102.0, 98.0];
/// assert_eq!(assess(&steady, 100.5, &Rules::default()).change, Change::Unchanged);
/// assert_eq!(assess(&steady, 130.0, &Rules::default()).change, Change::Regression);
/// assert_eq!(assess(&steady, 70.0, &Rules::default()).change, Change::Improvement);
/// assert_eq!(assess(&steady[..3], 130.0, &Rules::default()).change, Change::InsufficientData);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Change {
    /// Above the median by more than the threshold, and above the upper fence.
    Regression,
    /// Below the median by more than the threshold, and below the lower fence.
    Improvement,
    /// Neither.
    Unchanged,
    /// Fewer values in the window than `min_samples`: nothing can be said.
    InsufficientData,
}

impl Change {
    /// `regression`, `improvement`, `unchanged` or `insufficient data`.
    ///
    /// ```
    /// assert_eq!(profkit::history::Change::InsufficientData.name(), "insufficient data");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Change::Regression => "regression",
            Change::Improvement => "improvement",
            Change::Unchanged => "unchanged",
            Change::InsufficientData => "insufficient data",
        }
    }
}

/// A value judged against a window: the change, and the baseline it was judged against.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Assessment {
    /// What happened.
    pub change: Change,
    /// The window's summary (`None` when the window was empty).
    pub baseline: Option<Baseline>,
    /// The change relative to the median (`None` without a baseline or with a median of 0).
    pub relative: Option<f64>,
}

/// Judges `value` against `window` (the past values, any order): a regression when it exceeds
/// the median by more than `rules.threshold` **and** lies above Q3 + 1.5 x IQR; an improvement
/// in the mirror case; insufficient data with fewer than `rules.min_samples` values. A median of
/// 0 counts any growth as above the threshold.
///
/// ```
/// use profkit::history::{Change, Rules, assess};
///
/// // A 15% step out of a steady window is a regression ...
/// let steady = [100.0, 101.0, 99.0, 100.0, 100.0, 101.0, 99.0, 100.0];
/// assert_eq!(assess(&steady, 115.0, &Rules::default()).change, Change::Regression);
/// // ... but not out of a window that swings by 30% anyway: 115 is no outlier there.
/// let noisy = [80.0, 120.0, 90.0, 110.0, 100.0, 125.0, 85.0, 105.0];
/// assert_eq!(assess(&noisy, 115.0, &Rules::default()).change, Change::Unchanged);
/// ```
pub fn assess(window: &[f64], value: f64, rules: &Rules) -> Assessment {
    let baseline = Baseline::of(window);
    let relative = baseline.and_then(|b| b.relative(value));
    let change = match baseline {
        Some(b) if b.samples >= rules.min_samples.max(1) && value.is_finite() => {
            // With a median of 0, any growth is infinitely large.
            let up = relative.map_or(value > b.median, |r| r > rules.threshold);
            let down = relative.is_some_and(|r| r < -rules.threshold);
            if up && value > b.upper_fence() {
                Change::Regression
            } else if down && value < b.lower_fence() {
                Change::Improvement
            } else {
                Change::Unchanged
            }
        }
        _ => Change::InsufficientData,
    };
    Assessment {
        change,
        baseline,
        relative,
    }
}

/// The latest value of a series judged against the runs before it, and whether it blocks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeriesVerdict {
    /// The latest value against the `window` runs before it.
    pub assessment: Assessment,
    /// How many runs in a row, the latest included, regressed (0 when the latest did not;
    /// counted up to `rules.consecutive`).
    pub streak: usize,
    /// Whether the streak reached `rules.consecutive`.
    pub blocked: bool,
}

/// The values of the window before position `at` of `series` (runs without a value skipped).
fn window_before(series: &[Option<f64>], at: usize, window: usize) -> Vec<f64> {
    series[at.saturating_sub(window)..at]
        .iter()
        .flatten()
        .copied()
        .collect()
}

/// Judges `value`, the newest run, against `history` (the runs before it, oldest first; `None`
/// where a run lacks the value): the change against the last `rules.window` runs, then whether
/// each of the `rules.consecutive - 1` runs before also regressed against its own window.
///
/// ```
/// use profkit::history::{Change, Rules, judge};
///
/// let mut history: Vec<Option<f64>> = vec![Some(100.0); 10];
/// let first = judge(&history, 150.0, &Rules::default());
/// assert_eq!(first.assessment.change, Change::Regression);
/// assert!(!first.blocked); // one bad run: not yet
/// history.push(Some(150.0));
/// let second = judge(&history, 150.0, &Rules::default());
/// assert!(second.blocked); // two in a row
/// assert_eq!(second.streak, 2);
/// ```
pub fn judge(history: &[Option<f64>], value: f64, rules: &Rules) -> SeriesVerdict {
    judge_with(history, value, rules, assess)
}

/// Judges a growth class against a window of classes (their ranks in
/// [`ComplexityClass::ALL`](crate::ComplexityClass::ALL), any order): a regression when it is
/// a worse class than the window's median (the upper one of an even window, so a window split
/// between two classes flags neither), an improvement when a better one, insufficient data
/// with fewer than `rules.min_samples` values. Classes are steps, not measurements: the
/// threshold and the fences do not apply, and an exponent that moves within its class (0.02 to
/// 0.05, say) is no change.
///
/// ```
/// use profkit::history::{Change, Rules, assess_class};
///
/// let linear = [2.0; 6]; // O(n) in every run
/// assert_eq!(assess_class(&linear, 4.0, &Rules::default()).change, Change::Regression);
/// assert_eq!(assess_class(&linear, 2.0, &Rules::default()).change, Change::Unchanged);
/// assert_eq!(assess_class(&linear, 0.0, &Rules::default()).change, Change::Improvement);
/// let split = [2.0, 2.0, 2.0, 4.0, 4.0, 4.0];
/// assert_eq!(assess_class(&split, 4.0, &Rules::default()).change, Change::Unchanged);
/// ```
pub fn assess_class(window: &[f64], class: f64, rules: &Rules) -> Assessment {
    let baseline = Baseline::of(window).map(|mut b| {
        let mut sorted = window.to_vec();
        sorted.sort_by(f64::total_cmp);
        b.median = sorted[sorted.len() / 2];
        b
    });
    let change = match baseline {
        Some(b) if b.samples >= rules.min_samples.max(1) && class.is_finite() => {
            if class > b.median {
                Change::Regression
            } else if class < b.median {
                Change::Improvement
            } else {
                Change::Unchanged
            }
        }
        _ => Change::InsufficientData,
    };
    Assessment {
        change,
        baseline,
        relative: None,
    }
}

/// [`judge`] for a growth class: [`assess_class`] against the window, and the streak of runs
/// whose class was worse than their own window's.
///
/// ```
/// use profkit::history::{Rules, judge_class};
///
/// let mut history: Vec<Option<f64>> = vec![Some(2.0); 10];
/// assert!(!judge_class(&history, 4.0, &Rules::default()).blocked);
/// history.push(Some(4.0));
/// assert!(judge_class(&history, 4.0, &Rules::default()).blocked);
/// ```
pub fn judge_class(history: &[Option<f64>], class: f64, rules: &Rules) -> SeriesVerdict {
    judge_with(history, class, rules, assess_class)
}

/// [`judge`] with another way to assess a value against a window.
fn judge_with(
    history: &[Option<f64>],
    value: f64,
    rules: &Rules,
    assess: fn(&[f64], f64, &Rules) -> Assessment,
) -> SeriesVerdict {
    let assessment = assess(
        &window_before(history, history.len(), rules.window),
        value,
        rules,
    );
    let mut streak = 0;
    if assessment.change == Change::Regression {
        streak = 1;
        let mut at = history.len();
        while streak < rules.consecutive && at > 0 {
            at -= 1;
            let regressed = history[at].is_some_and(|v| {
                assess(&window_before(history, at, rules.window), v, rules).change
                    == Change::Regression
            });
            if !regressed {
                break;
            }
            streak += 1;
        }
    }
    SeriesVerdict {
        assessment,
        streak,
        blocked: streak >= rules.consecutive.max(1),
    }
}

/// Each value of a series judged against the `rules.window` values before it (oldest first;
/// `None` where a run lacks the value, which then has no assessment).
///
/// ```
/// use profkit::history::{Change, Rules, assess_each};
///
/// let series: Vec<Option<f64>> = [100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 140.0]
///     .into_iter().map(Some).collect();
/// let judged = assess_each(&series, &Rules::default());
/// assert_eq!(judged[0].unwrap().change, Change::InsufficientData);
/// assert_eq!(judged[6].unwrap().change, Change::Regression);
/// ```
pub fn assess_each(series: &[Option<f64>], rules: &Rules) -> Vec<Option<Assessment>> {
    series
        .iter()
        .enumerate()
        .map(|(i, v)| v.map(|v| assess(&window_before(series, i, rules.window), v, rules)))
        .collect()
}

/// The positions in `series` where a sustained step up began: a run that regressed against
/// its window, followed by `rules.consecutive - 1` runs that regressed too (the streak that
/// blocks a build), whose level stayed up: the median of the runs from it on (up to a window)
/// exceeds the median before it by more than the threshold. A single slow run, or a streak
/// that fell back at once, is no step. A noisy run that regressed just before the step is not
/// taken for its start: the step begins at the first run of the streak nearer the new level
/// than the old one (and needs its `consecutive` runs from there). Oldest first.
///
/// ```
/// use profkit::history::{Rules, step_starts};
///
/// let mut series: Vec<Option<f64>> = vec![Some(100.0); 8];
/// series.extend([Some(130.0); 6]);      // the step, from position 8 on
/// series.insert(3, Some(400.0));        // one spike: not a step
/// assert_eq!(step_starts(&series, &Rules::default()), vec![9]);
/// ```
pub fn step_starts(series: &[Option<f64>], rules: &Rules) -> Vec<usize> {
    let judged = assess_each(series, rules);
    steps(series, rules, &judged, |before, after| {
        let (b, a) = (Baseline::of(before)?, Baseline::of(after)?);
        b.relative(a.median)
            .is_none_or(|r| r > rules.threshold)
            .then_some((b.median, a.median))
    })
}

/// A series of growth classes (ranks, [`Unit::Class`](super::Unit::Class)) judged as
/// `history check` judges them: each run by [`assess_class`] against the window before it,
/// and the steps where the class rose and stayed up (the median class of the runs from the
/// step on above the median before it), as [`step_starts`] finds them for other metrics.
pub(crate) fn class_steps(
    series: &[Option<f64>],
    rules: &Rules,
) -> (Vec<Option<Assessment>>, Vec<usize>) {
    let judged: Vec<Option<Assessment>> = series
        .iter()
        .enumerate()
        .map(|(i, v)| v.map(|v| assess_class(&window_before(series, i, rules.window), v, rules)))
        .collect();
    let starts = steps(series, rules, &judged, |before, after| {
        let (b, a) = (median_of(before)?, median_of(after)?);
        (a > b).then_some((b, a))
    });
    (judged, starts)
}

/// The middle value (the upper one of an even count), as [`assess_class`] takes it.
fn median_of(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied()
}

/// Where the streaks of regressed runs in `judged` began that `stayed_up` (given the values
/// of the window before a streak and of up to a window from it on) accepts as a step, with
/// the medians before and after; each step at the first run of its streak nearer the new
/// level than the old one, and only with `rules.consecutive` runs from there.
fn steps(
    series: &[Option<f64>],
    rules: &Rules,
    judged: &[Option<Assessment>],
    stayed_up: impl Fn(&[f64], &[f64]) -> Option<(f64, f64)>,
) -> Vec<usize> {
    let regressed = |i: usize| {
        judged
            .get(i)
            .copied()
            .flatten()
            .is_some_and(|a| a.change == Change::Regression)
    };
    let need = rules.consecutive.max(1);
    let mut starts = Vec::new();
    let mut i = 0;
    while i < series.len() {
        if !regressed(i) || (i > 0 && regressed(i - 1)) {
            i += 1;
            continue;
        }
        let run = (i..series.len()).take_while(|&j| regressed(j)).count();
        let before = window_before(series, i, rules.window);
        let after: Vec<f64> = series[i..(i + rules.window).min(series.len())]
            .iter()
            .flatten()
            .copied()
            .collect();
        if let Some((b, a)) = stayed_up(&before, &after) {
            // A noisy run may regress just before the real step: the step begins at the first
            // run of the streak that is nearer the new level than the old one.
            let middle = (b + a) / 2.0;
            let first = (i..i + run)
                .find(|&j| series[j].is_some_and(|v| v >= middle))
                .unwrap_or(i);
            if i + run - first >= need {
                starts.push(first);
            }
        }
        i += run.max(1);
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(values: &[f64]) -> Vec<Option<f64>> {
        values.iter().copied().map(Some).collect()
    }

    /// Steady values around 100 with ±2% of deterministic jitter.
    fn steady(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| 100.0 + [0.0, 1.5, -1.0, 2.0, -2.0, 0.5, -0.5][i % 7])
            .collect()
    }

    /// Values that swing by ±25% around 100.
    fn noisy(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| 100.0 + [-25.0, 20.0, -10.0, 25.0, 5.0, -20.0, 15.0][i % 7])
            .collect()
    }

    #[test]
    fn quartiles_interpolate_like_numpy() {
        // numpy.percentile([1, 2, 3, 4], [25, 50, 75]) == [1.75, 2.5, 3.25]
        let b = Baseline::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((b.q1, b.median, b.q3), (1.75, 2.5, 3.25));
        let one = Baseline::of(&[7.0]).unwrap();
        assert_eq!(
            (one.q1, one.median, one.q3, one.upper_fence()),
            (7.0, 7.0, 7.0, 7.0)
        );
        assert_eq!(Baseline::of(&[]), None);
        assert_eq!(Baseline::of(&[1.0, f64::NAN]), None);
    }

    /// The issue's cases, each a window, a new value and the expected change.
    #[test]
    fn the_rules_on_synthetic_series() {
        let rules = Rules::default();
        let cases: &[(&str, Vec<f64>, f64, Change)] = &[
            (
                "steady series, steady value",
                steady(20),
                101.0,
                Change::Unchanged,
            ),
            (
                "steady series, +5%: under the threshold",
                steady(20),
                105.0,
                Change::Unchanged,
            ),
            (
                "a 15% step that is an outlier",
                steady(20),
                115.0,
                Change::Regression,
            ),
            // noisy(20): median 105, Q1 80, Q3 120, so the upper fence is 180.
            (
                "a 15% step inside a noisy window",
                noisy(20),
                121.0,
                Change::Unchanged,
            ),
            (
                "a 90% step out of a noisy window",
                noisy(20),
                200.0,
                Change::Regression,
            ),
            (
                "a 15% drop out of a steady window",
                steady(20),
                85.0,
                Change::Improvement,
            ),
            (
                "a 15% drop inside a noisy window",
                noisy(20),
                89.0,
                Change::Unchanged,
            ),
            (
                "fewer than 5 runs",
                steady(4),
                200.0,
                Change::InsufficientData,
            ),
            ("exactly 5 runs", steady(5), 200.0, Change::Regression),
            ("no runs", vec![], 200.0, Change::InsufficientData),
            (
                "from zero to something",
                vec![0.0; 6],
                3.0,
                Change::Regression,
            ),
            ("zero stays zero", vec![0.0; 6], 0.0, Change::Unchanged),
            // An outlier that does not pass the threshold: all runs equal, +1%.
            (
                "an outlier under the threshold",
                vec![100.0; 8],
                101.0,
                Change::Unchanged,
            ),
        ];
        for (what, window, value, expected) in cases {
            let got = assess(window, *value, &rules);
            assert_eq!(got.change, *expected, "{what}: {got:?}");
        }
    }

    #[test]
    fn a_larger_threshold_or_window_changes_the_verdict() {
        let series = steady(20);
        let strict = Rules {
            threshold: 0.20,
            ..Rules::default()
        };
        assert_eq!(assess(&series, 115.0, &strict).change, Change::Unchanged);
        let few = Rules {
            min_samples: 25,
            window: 30,
            ..Rules::default()
        };
        assert_eq!(
            assess(&series, 150.0, &few).change,
            Change::InsufficientData
        );
    }

    /// Blocking: the issue's "one bad run then a good one" and "two in a row".
    #[test]
    fn only_consecutive_regressions_block() {
        let rules = Rules::default();
        let base = some(&steady(10));
        /// What, the runs before, the new value, and the expected change, streak and block.
        type Case = (&'static str, Vec<Option<f64>>, f64, Change, usize, bool);
        let cases: &[Case] = &[
            ("steady", base.clone(), 100.0, Change::Unchanged, 0, false),
            (
                "first bad run",
                base.clone(),
                150.0,
                Change::Regression,
                1,
                false,
            ),
            (
                "one bad run, then a good one",
                [base.clone(), some(&[150.0])].concat(),
                100.0,
                Change::Unchanged,
                0,
                false,
            ),
            (
                "two bad runs in a row",
                [base.clone(), some(&[150.0])].concat(),
                150.0,
                Change::Regression,
                2,
                true,
            ),
            (
                "bad, good, bad",
                [base.clone(), some(&[150.0, 100.0])].concat(),
                150.0,
                Change::Regression,
                1,
                false,
            ),
            (
                "the run before lacks the function",
                [base.clone(), vec![None]].concat(),
                150.0,
                Change::Regression,
                1,
                false,
            ),
            (
                "the run before had too little history",
                some(&[100.0, 100.0, 100.0, 100.0, 150.0]),
                150.0,
                Change::Regression,
                1,
                false,
            ),
        ];
        for (what, history, value, change, streak, blocked) in cases {
            let v = judge(history, *value, &rules);
            assert_eq!(
                (v.assessment.change, v.streak, v.blocked),
                (*change, *streak, *blocked),
                "{what}: {v:?}"
            );
        }
        let every = Rules {
            consecutive: 1,
            ..rules
        };
        assert!(judge(&base, 150.0, &every).blocked);
        let three = Rules {
            consecutive: 3,
            ..rules
        };
        let two_bad = [base.clone(), some(&[150.0, 150.0])].concat();
        let v = judge(&two_bad, 150.0, &three);
        assert_eq!((v.streak, v.blocked), (3, true));
        let one_bad = [base, some(&[150.0])].concat();
        assert!(!judge(&one_bad, 150.0, &three).blocked);
    }

    #[test]
    fn the_window_is_the_latest_runs_only() {
        // Old runs at 200 fall out of a window of 5: 110 against 100s is a regression.
        let mut history = some(&[200.0; 10]);
        history.extend(some(&[100.0; 5]));
        let rules = Rules {
            window: 5,
            ..Rules::default()
        };
        assert_eq!(
            judge(&history, 115.0, &rules).assessment.change,
            Change::Regression
        );
        // With the old runs in the window, the median is 200: no regression (and, inside the
        // fences of so wide a window, no improvement either).
        let wide = Rules::default();
        assert_eq!(
            judge(&history, 115.0, &wide).assessment.change,
            Change::Unchanged
        );
    }

    #[test]
    fn steps_are_found_where_they_begin() {
        let rules = Rules::default();
        let mut series = some(&steady(12));
        series.extend(some(&[140.0, 141.0, 139.0, 140.0, 142.0, 140.0, 141.0]));
        assert_eq!(step_starts(&series, &rules), vec![12]);
        // A spike of one run, and a spike of two that falls back: no sustained step.
        let mut spiky = some(&steady(12));
        spiky.extend(some(&[300.0, 100.0, 101.0, 300.0, 310.0]));
        spiky.extend(some(&steady(8)));
        assert_eq!(step_starts(&spiky, &rules), Vec::<usize>::new());
        // A noisy run (+39%) just before a tenfold step: the step begins after it, and needs
        // two runs of its own.
        let mut noisy_then_step = some(&steady(8));
        noisy_then_step.extend(some(&[139.0, 1000.0]));
        assert!(step_starts(&noisy_then_step, &rules).is_empty());
        noisy_then_step.push(Some(1010.0));
        assert_eq!(step_starts(&noisy_then_step, &rules), vec![9]);
        // A steady series has none; nor one with too little history.
        assert!(step_starts(&some(&steady(30)), &rules).is_empty());
        assert!(step_starts(&some(&[1.0, 2.0, 4.0, 8.0]), &rules).is_empty());
    }

    #[test]
    fn impossible_rules_are_refused() {
        assert!(Rules::default().validate().is_ok());
        let bad = [
            Rules {
                window: 0,
                ..Rules::default()
            },
            Rules {
                threshold: -0.1,
                ..Rules::default()
            },
            Rules {
                threshold: f64::NAN,
                ..Rules::default()
            },
            Rules {
                min_samples: 0,
                ..Rules::default()
            },
            Rules {
                min_samples: 21,
                ..Rules::default()
            },
            Rules {
                consecutive: 0,
                ..Rules::default()
            },
        ];
        for r in bad {
            assert!(r.validate().is_err(), "{r:?}");
        }
    }
}
