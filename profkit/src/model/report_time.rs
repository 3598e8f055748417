//! The report's time figures beyond its rows: the profiler's own cost per call that was taken
//! out of them, and whether CPU time was recorded beside wall time.

use crate::data::PerCall;

use super::report::Report;

/// profkit's own cost per profiled call, measured when the process made its first report and
/// taken out of every time of the report (see [`Report::compensation`]).
///
/// A profiled call costs time partly inside its own measured interval (`own`) and partly in
/// its caller's (`caller`): a call path with `n` calls and `c` direct callee calls loses
/// `n * own + c * caller` of its own time; with `k` calls beneath it in all, its inclusive time
/// loses `n * own + k * (own + caller)`. Nothing goes below zero.
///
/// ```
/// use profkit::testing::{TestClock, inject_calibration};
///
/// let _clock = TestClock::install().unwrap();
/// let _figures = inject_calibration(5.0, 7.5);
/// # #[profkit::profile] fn a() {}
/// let (_, report) = profkit::record(a);
/// let c = report.compensation().unwrap();
/// assert_eq!((c.own_ns(), c.caller_ns()), (5.0, 7.5));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compensation {
    pub(crate) cost: PerCall,
}

impl Compensation {
    /// Nanoseconds one call adds to its own measured time (to the nearest picosecond).
    ///
    /// ```
    /// # let _clock = profkit::testing::TestClock::install().unwrap();
    /// # let _f = profkit::testing::inject_calibration(2.25, 0.0);
    /// # let (_, report) = profkit::record(|| ());
    /// assert_eq!(report.compensation().unwrap().own_ns(), 2.25);
    /// ```
    pub fn own_ns(&self) -> f64 {
        self.cost.own_ps as f64 / 1000.0
    }

    /// Nanoseconds one call adds to its caller's measured time (to the nearest picosecond).
    ///
    /// ```
    /// # let _clock = profkit::testing::TestClock::install().unwrap();
    /// # let _f = profkit::testing::inject_calibration(0.0, 3.5);
    /// # let (_, report) = profkit::record(|| ());
    /// assert_eq!(report.compensation().unwrap().caller_ns(), 3.5);
    /// ```
    pub fn caller_ns(&self) -> f64 {
        self.cost.caller_ps as f64 / 1000.0
    }
}

impl Report {
    /// The profiler's own cost per call that was taken out of this report's times; `None`
    /// when nothing was (the test clock, `PROFKIT_CALIBRATE=0`, or a file without it, such
    /// as a `.prof`).
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let _clock = profkit::testing::TestClock::install().unwrap();
    /// let (_, report) = profkit::record(a);
    /// assert_eq!(report.compensation(), None); // test clock times are exact
    /// ```
    pub fn compensation(&self) -> Option<Compensation> {
        self.meta.compensation.map(|cost| Compensation { cost })
    }

    /// Whether CPU time was recorded beside wall time (`PROFKIT_CPU=1` or
    /// [`set_cpu`](crate::set_cpu)): then [`FunctionStats::cpu_time`](crate::FunctionStats::cpu_time)
    /// and its kin are `Some`.
    ///
    /// ```
    /// assert!(!profkit::Report::default().has_cpu());
    /// ```
    pub fn has_cpu(&self) -> bool {
        self.profile.cpu || self.functions.iter().any(|f| f.cpu.is_some())
    }
}
