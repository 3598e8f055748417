//! Deterministic time for tests of profiles.
//!
//! A [`TestClock`] replaces the calling thread's clock with one that moves only when the test
//! says so, so tottime and cumtime become exact numbers a test can assert:
//!
//! ```
//! use std::time::Duration;
//! use profkit::testing::{TestClock, advance};
//!
//! #[profkit::profile]
//! fn leaf() { advance(Duration::from_micros(3)); }
//! #[profkit::profile]
//! fn parent() { advance(Duration::from_micros(1)); leaf(); leaf(); }
//!
//! let _clock = TestClock::install().unwrap();
//! let (_, report) = profkit::record(parent);
//! let p = report.function("parent").unwrap();
//! assert_eq!(p.tottime(), Duration::from_micros(1));
//! assert_eq!(p.cumtime(), Duration::from_micros(7));
//! assert_eq!(report.total_time(), p.cumtime());
//! ```

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use crate::collect::calibrate;
use crate::collect::clock::Clock;
use crate::collect::cpu::{self, TestCpu};
use crate::collect::local::{self, SwitchError};
use crate::data::PerCall;
use crate::error::TestClockError;

/// A manual clock for the calling thread; the real clock comes back when it is dropped.
///
/// Installing it (and dropping it) starts a new recording on the thread: what the thread had
/// recorded so far is kept in the process totals, measured with the clock it was measured with.
#[must_use = "the thread goes back to the real clock when this is dropped"]
pub struct TestClock {
    mock: Arc<quanta::Mock>,
    _not_send: PhantomData<*const ()>,
}

impl std::fmt::Debug for TestClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestClock")
            .field("now_ns", &self.mock.value())
            .finish()
    }
}

fn switch(clock: Clock) -> Result<(), TestClockError> {
    local::switch_clock(clock).map_err(|e| match e {
        SwitchError::FramesOpen => TestClockError::CallsOpen,
        SwitchError::Unavailable => TestClockError::Unavailable,
    })
}

impl TestClock {
    /// Makes the calling thread's profiled calls read a manual clock that starts at zero.
    ///
    /// # Errors
    /// [`TestClockError::CallsOpen`] inside a profiled call (its start was read from the
    /// real clock).
    ///
    /// ```
    /// let clock = profkit::testing::TestClock::install().unwrap();
    /// clock.advance(std::time::Duration::from_nanos(5));
    /// ```
    pub fn install() -> Result<TestClock, TestClockError> {
        let clock = Clock::manual();
        let mock = clock
            .manual_handle()
            .cloned()
            .ok_or(TestClockError::Unavailable)?;
        if cfg!(feature = "enable") {
            switch(clock)?;
        }
        Ok(TestClock {
            mock,
            _not_send: PhantomData,
        })
    }

    /// Moves this clock forward.
    ///
    /// ```
    /// let clock = profkit::testing::TestClock::install().unwrap();
    /// clock.advance(std::time::Duration::from_micros(2));
    /// ```
    pub fn advance(&self, by: Duration) {
        self.mock.increment(by);
    }
}

impl Drop for TestClock {
    fn drop(&mut self) {
        // Inside an open call the switch is refused; the thread then keeps the manual clock,
        // which is still correct, only frozen.
        let _ = switch(Clock::real());
    }
}

/// Moves the calling thread's test clock forward; does nothing on a thread that has none.
/// Profiled test code calls it where real code would spend time.
///
/// ```
/// profkit::testing::advance(std::time::Duration::from_millis(1)); // no TestClock: no effect
/// ```
pub fn advance(by: Duration) {
    local::with_clock(|c| {
        if let Some(mock) = c.manual_handle() {
            mock.increment(by);
        }
    });
}

/// Makes the reports built on this thread take the given cost per call out of their times, as
/// if calibration had measured it, whatever the clock (the test clock included), so a test can
/// check the arithmetic of [`Report::compensation`](crate::Report::compensation) exactly:
/// `own_ns` per call from the call's own time, `caller_ns` per call from its caller's
/// (rounded to the picosecond; negative figures count as zero). Measured figures come back
/// when the returned guard is dropped.
///
/// ```
/// use std::time::Duration;
/// use profkit::testing::{TestClock, advance, inject_calibration};
///
/// #[profkit::profile]
/// fn leaf() { advance(Duration::from_nanos(100)); }
/// #[profkit::profile]
/// fn parent() { advance(Duration::from_nanos(50)); for _ in 0..4 { leaf() } }
///
/// let _clock = TestClock::install().unwrap();
/// let _figures = inject_calibration(10.0, 5.0);
/// let (_, report) = profkit::record(parent);
/// // leaf: 4 calls of 100 ns, less 10 ns each.
/// assert_eq!(report.function("leaf").unwrap().tottime(), Duration::from_nanos(360));
/// // parent: own 50 ns less its own 10 and 4 x 5 for its callees' calls.
/// assert_eq!(report.function("parent").unwrap().tottime(), Duration::from_nanos(20));
/// // parent inclusive: 450 ns less 10 and 4 x (10 + 5).
/// assert_eq!(report.function("parent").unwrap().cumtime(), Duration::from_nanos(380));
/// ```
#[must_use = "the injected figures apply until this is dropped"]
pub fn inject_calibration(own_ns: f64, caller_ns: f64) -> InjectedCalibration {
    let previous = calibrate::inject(Some(PerCall {
        own_ps: picoseconds(own_ns),
        caller_ps: picoseconds(caller_ns),
        untimed_ps: 0,
        sampled_own_ps: 0,
    }));
    InjectedCalibration {
        previous,
        _not_send: PhantomData,
    }
}

/// Picoseconds of a figure in nanoseconds; negative and non-finite figures are zero.
fn picoseconds(ns: f64) -> u64 {
    if ns.is_finite() && ns > 0.0 {
        (ns * 1000.0).round() as u64
    } else {
        0
    }
}

/// Figures injected by [`inject_calibration`] on this thread; dropping it restores the
/// figures in force before.
///
/// ```
/// let figures = profkit::testing::inject_calibration(1.0, 1.0);
/// drop(figures);
/// ```
#[derive(Debug)]
pub struct InjectedCalibration {
    previous: Option<PerCall>,
    _not_send: PhantomData<*const ()>,
}

impl InjectedCalibration {
    /// Also injects what an untimed call (sampled timing, [`set_sampling`](crate::set_sampling))
    /// costs its caller, `untimed_ns` per call (rounded to the picosecond; negative figures
    /// count as zero), as calibration measures it
    /// ([`Compensation::untimed_ns`](crate::Compensation::untimed_ns)). With the test clock an
    /// untimed call costs nothing, so a test that injects this checks the arithmetic alone.
    ///
    /// ```
    /// use profkit::testing::{TestClock, inject_calibration};
    ///
    /// let _clock = TestClock::install().unwrap();
    /// let _figures = inject_calibration(10.0, 5.0).with_untimed(3.5);
    /// let (_, report) = profkit::record(|| ());
    /// assert_eq!(report.compensation().unwrap().untimed_ns(), 3.5);
    /// ```
    pub fn with_untimed(self, untimed_ns: f64) -> InjectedCalibration {
        self.changed(|cost| cost.untimed_ps = picoseconds(untimed_ns))
    }

    /// Also injects what a timed call of a sampled call path (one with untimed calls) costs
    /// its own time, `own_ns` per call
    /// ([`Compensation::sampled_own_ns`](crate::Compensation::sampled_own_ns)); without it,
    /// or with 0, the `own_ns` of [`inject_calibration`] stands for it.
    ///
    /// ```
    /// use profkit::testing::{TestClock, inject_calibration};
    ///
    /// let _clock = TestClock::install().unwrap();
    /// let _figures = inject_calibration(2.0, 5.0).with_sampled_own(4.5);
    /// let (_, report) = profkit::record(|| ());
    /// let c = report.compensation().unwrap();
    /// assert_eq!((c.own_ns(), c.sampled_own_ns()), (2.0, 4.5));
    /// ```
    pub fn with_sampled_own(self, own_ns: f64) -> InjectedCalibration {
        self.changed(|cost| cost.sampled_own_ps = picoseconds(own_ns))
    }

    fn changed(self, change: impl FnOnce(&mut PerCall)) -> InjectedCalibration {
        if let Some(mut cost) = calibrate::figures_injected() {
            change(&mut cost);
            calibrate::inject(Some(cost));
        }
        self
    }
}

impl Drop for InjectedCalibration {
    fn drop(&mut self) {
        calibrate::inject(self.previous);
    }
}

/// A CPU clock for the calling thread that moves only when the test says so
/// ([`advance_cpu`]), or none at all ([`TestCpuClock::missing`]); the thread's real CPU clock
/// comes back when it is dropped.
///
/// While it is installed the thread's CPU time is recorded whatever
/// [`set_cpu`](crate::set_cpu) says (for this thread only), so CPU figures and waiting time
/// become exact numbers a test can assert. The CPU sampler's looks at the thread charge
/// nothing: [`advance_cpu`] charges the time to the call open at that moment.
///
/// ```
/// use std::time::Duration;
/// use profkit::testing::{TestClock, TestCpuClock, advance, advance_cpu};
///
/// #[profkit::profile]
/// fn query() { advance(Duration::from_millis(40)); advance_cpu(Duration::from_millis(1)); }
///
/// let _clock = TestClock::install().unwrap();
/// let _cpu = TestCpuClock::install();
/// let (_, report) = profkit::record(query);
/// let f = report.function("query").unwrap();
/// assert_eq!(f.cpu_time(), Some(Duration::from_millis(1)));
/// assert_eq!(f.wait_time(), Some(Duration::from_millis(39)));
/// assert_eq!(f.verdict(), Some("waits"));
/// ```
#[must_use = "the thread goes back to its real CPU clock when this is dropped"]
#[derive(Debug)]
pub struct TestCpuClock {
    previous: Option<TestCpu>,
    _not_send: PhantomData<*const ()>,
}

impl TestCpuClock {
    /// A manual CPU clock for the calling thread, at zero: CPU time is what [`advance_cpu`]
    /// says.
    ///
    /// ```
    /// let _cpu = profkit::testing::TestCpuClock::install();
    /// profkit::testing::advance_cpu(std::time::Duration::from_micros(3));
    /// ```
    pub fn install() -> TestCpuClock {
        Self::set(TestCpu::Manual)
    }

    /// No CPU clock for the calling thread, as on a platform without a per-thread CPU clock:
    /// its CPU time is asked for but cannot be read, so reports say `None`, never zero.
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let _cpu = profkit::testing::TestCpuClock::missing();
    /// let (_, report) = profkit::record(a);
    /// assert_eq!(report.function("a").unwrap().cpu_time(), None);
    /// assert!(!report.has_cpu());
    /// ```
    pub fn missing() -> TestCpuClock {
        Self::set(TestCpu::Missing)
    }

    fn set(test: TestCpu) -> TestCpuClock {
        let previous = cpu::set_test_for_thread(Some(test));
        local::with_shared(|t| t.set_test_cpu(Some(test)));
        TestCpuClock {
            previous,
            _not_send: PhantomData,
        }
    }
}

impl Drop for TestCpuClock {
    fn drop(&mut self) {
        cpu::set_test_for_thread(self.previous);
        local::with_shared(|t| t.set_test_cpu(self.previous));
    }
}

/// Charges `by` of CPU time to the calling thread's innermost open profiled call (or to no
/// call, outside them), on its [`TestCpuClock`]; does nothing on a thread without one.
///
/// ```
/// profkit::testing::advance_cpu(std::time::Duration::from_millis(1)); // no TestCpuClock: no effect
/// ```
pub fn advance_cpu(by: Duration) {
    let ns = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
    local::with_shared(|t| t.advance_test_cpu(ns));
}
