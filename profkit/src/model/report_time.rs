//! The report's time figures beyond its rows: the profiler's own cost per call that was taken
//! out of them, and whether CPU time was recorded beside wall time.

use crate::data::PerCall;

use super::report::Report;
use super::stats::FunctionStats;

/// profkit's own cost per profiled call, measured when the process made its first report and
/// taken out of every time of the report (see [`Report::compensation`]).
///
/// A profiled call costs time partly inside its own measured interval (`own`) and partly in
/// its caller's (`caller`): a call path with `n` calls and `c` direct callee calls loses
/// `n * own + c * caller` of its own time; with `k` calls beneath it in all, its inclusive time
/// loses `n * own + k * (own + caller)`. Under sampled timing an untimed call, which reads no
/// clock, costs its caller `untimed` (its bookkeeping): a path loses it for each untimed call
/// beneath it from its inclusive time, and `untimed - sampled_own` for each untimed call of its
/// direct callees from its own time (their estimates already hold a timed call's own cost,
/// `sampled_own` on a sampled path, per call, which compensation takes out of theirs). Nothing
/// goes below zero.
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

    /// Nanoseconds one untimed call (sampled timing, [`set_sampling`](crate::set_sampling) or
    /// `PROFKIT_SAMPLE`) adds to its caller's measured time: the bookkeeping of a call that is
    /// counted without reading the clock (to the nearest picosecond). 0 when not measured (a
    /// JSON file written before it was).
    ///
    /// ```
    /// # let _clock = profkit::testing::TestClock::install().unwrap();
    /// # let _f = profkit::testing::inject_calibration(2.0, 3.0).with_untimed(1.25);
    /// # let (_, report) = profkit::record(|| ());
    /// assert_eq!(report.compensation().unwrap().untimed_ns(), 1.25);
    /// ```
    pub fn untimed_ns(&self) -> f64 {
        self.cost.untimed_ps as f64 / 1000.0
    }

    /// Nanoseconds one timed call of a sampled call path (one with untimed calls) adds to its
    /// own measured time: a timed call amid untimed ones costs a little more than one amid
    /// timed ones ([`own_ns`](Compensation::own_ns)), which takes its place when this was not
    /// measured (a JSON file written before it was).
    ///
    /// ```
    /// # let _clock = profkit::testing::TestClock::install().unwrap();
    /// # let _f = profkit::testing::inject_calibration(2.0, 3.0);
    /// # let (_, report) = profkit::record(|| ());
    /// // Not measured (or injected): the own cost of any timed call.
    /// assert_eq!(report.compensation().unwrap().sampled_own_ns(), 2.0);
    /// ```
    pub fn sampled_own_ns(&self) -> f64 {
        self.cost.sampled_own() as f64 / 1000.0
    }
}

/// A function whose calls take (inclusive time per call) less than this many times profkit's own cost per call
/// (what [`Report::compensation`] took out, from the call and from its caller) is mostly
/// measuring profkit: see [`Report::is_too_small_to_time`].
pub const SMALL_CALL_FACTOR: f64 = 3.0;

impl Report {
    /// Whether `function`'s calls take less than [`SMALL_CALL_FACTOR`] times profkit's own cost
    /// per call (its cumtime over its calls, so a function that only hands its work to many
    /// callees is not one): its times (and any what-if estimate over them) are then mostly
    /// profkit's measurement error, not the function's. The pstats table marks such a row with
    /// a trailing `~` and ends with a line counting them; `#[profile(skip)]` leaves them out.
    /// Always `false` when no cost was taken out (the test clock, `PROFKIT_CALIBRATE=0`, a
    /// `.prof` file).
    ///
    /// ```
    /// use std::time::Duration;
    /// use profkit::testing::{TestClock, advance, inject_calibration};
    ///
    /// #[profkit::profile]
    /// fn index() { advance(Duration::from_nanos(40)); }
    /// #[profkit::profile]
    /// fn parse() { advance(Duration::from_micros(5)); for _ in 0..10 { index() } }
    /// #[profkit::profile]
    /// fn dispatch() { for _ in 0..10 { index() } } // no time of its own
    ///
    /// let _clock = TestClock::install().unwrap();
    /// let _figures = inject_calibration(8.0, 12.0); // 20 ns per call in all
    /// let (_, report) = profkit::record(|| { parse(); dispatch() });
    /// assert!(report.is_too_small_to_time(report.function("index").unwrap())); // 32 < 60 ns
    /// assert!(!report.is_too_small_to_time(report.function("parse").unwrap()));
    /// // Its calls take 10 x 32 ns: long enough, though its own time is none.
    /// assert!(!report.is_too_small_to_time(report.function("dispatch").unwrap()));
    /// assert!(report.to_string().contains("index) ~\n"));
    /// ```
    pub fn is_too_small_to_time(&self, function: &FunctionStats) -> bool {
        let Some(c) = self.compensation() else {
            return false;
        };
        let cost = c.own_ns() + c.caller_ns();
        // Inclusive time per call: a function whose own time is small only because it hands
        // its work to callees (a loop calling 100,000 small ones) takes long calls, which are
        // timed well; one whose whole calls are about profkit's cost is not. Under recursion,
        // cumtime counts the outermost calls, so this is the mean time a call adds.
        function.ncalls > 0
            && cost > 0.0
            && (function.cumtime_ns as f64 / function.ncalls as f64) < SMALL_CALL_FACTOR * cost
    }

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
