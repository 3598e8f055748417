//! Amdahl's law over a report: what the whole profile would gain if one function ran faster.
//!
//! A function's *share* is its cumulative time (inclusive, recursion counted once) over the
//! report's total time (the sum of every function's own time, pstats' "in T seconds": the time
//! the profile saw, every nanosecond once, on every thread). Making it `factor` times faster
//! gives an overall speedup of `1 / ((1 - share) + share / factor)`; infinitely fast (free)
//! gives the ceiling `1 / (1 - share)`.

use std::time::Duration;

use crate::error::{LookupError, WhatIfError};

use super::report::Report;
use super::stats::FunctionStats;

/// Amdahl's law: the overall speedup when a part taking `share` of the time (0..=1) runs
/// `factor` times faster. `factor` is positive (checked by the callers); infinity gives
/// `1 / (1 - share)`, itself infinite when `share` is 1.
pub(crate) fn amdahl(share: f64, factor: f64) -> f64 {
    let share = share.clamp(0.0, 1.0);
    1.0 / ((1.0 - share) + share / factor)
}

/// `cumtime / total`, in 0..=1 (0 when the total is 0: nothing to gain).
fn share_of(cumtime: Duration, total: Duration) -> f64 {
    if total.is_zero() {
        return 0.0;
    }
    // Integer nanoseconds, so that 30 ms of 100 ms is exactly the float nearest 0.3.
    (cumtime.as_nanos() as f64 / total.as_nanos() as f64).clamp(0.0, 1.0)
}

impl Report {
    /// The share of the report's time spent in `name` and the functions it called: its
    /// [`cumtime`](FunctionStats::cumtime) (recursion counted once) over
    /// [`total_time`](Report::total_time), from 0 to 1.
    ///
    /// The total is the time the profile saw: the own time of every profiled function on every
    /// thread. Time outside every profiled function (an unprofiled `main`, say) is not in it,
    /// so profile the entry point for a whole-program share; with several threads it is their
    /// sum (the work done), and one thread's share is in its own report
    /// ([`Report::threads`]).
    ///
    /// # Errors
    /// [`LookupError`](crate::LookupError) when `name` does not name exactly one function.
    ///
    /// ```
    /// use std::time::Duration;
    /// use profkit::testing::{TestClock, advance};
    ///
    /// #[profkit::profile]
    /// fn parse() { advance(Duration::from_millis(30)); }
    /// #[profkit::profile]
    /// fn run() { advance(Duration::from_millis(70)); parse(); }
    ///
    /// let _clock = TestClock::install().unwrap();
    /// let (_, report) = profkit::record(run);
    /// assert_eq!(report.share("parse").unwrap(), 0.3);
    /// assert_eq!(report.share("run").unwrap(), 1.0);
    /// ```
    pub fn share(&self, name: &str) -> Result<f64, LookupError> {
        let f = self.function(name)?;
        Ok(self.share_of(f))
    }

    /// [`Report::share`] of a function of this report, for a loop over its rows.
    ///
    /// ```
    /// # #[profkit::profile] fn a() { std::hint::black_box(0); }
    /// let (_, report) = profkit::record(a);
    /// for f in report.functions() {
    ///     println!("{}: {:.1}%", f.name(), 100.0 * report.share_of(f));
    /// }
    /// ```
    pub fn share_of(&self, function: &FunctionStats) -> f64 {
        share_of(function.cumtime(), self.total_time())
    }

    /// The overall speedup if `name` ran `factor` times faster, by Amdahl's law over its
    /// [`share`](Report::share) `s` of the time: `1 / ((1 - s) + s / factor)`.
    /// `f64::INFINITY` as `factor` gives the ceiling, the speedup if the function took no time:
    /// `1 / (1 - s)`. A factor below 1 is a slowdown (the result is below 1).
    ///
    /// The estimate holds for the profile as it is. Once the function is faster, the shares of
    /// all the others grow, and the next target may be another one: profile again after each
    /// change rather than summing estimates.
    ///
    /// # Errors
    /// [`WhatIfError::Lookup`] when `name` does not name exactly one function,
    /// [`WhatIfError::Factor`] when `factor` is not a positive number (0, negative, NaN).
    ///
    /// ```
    /// use std::time::Duration;
    /// use profkit::testing::{TestClock, advance};
    ///
    /// #[profkit::profile]
    /// fn parse() { advance(Duration::from_millis(30)); }
    /// #[profkit::profile]
    /// fn run() { advance(Duration::from_millis(70)); parse(); }
    ///
    /// let _clock = TestClock::install().unwrap();
    /// let (_, report) = profkit::record(run);
    /// // 30% of the time, 10 times faster: 1 / (0.7 + 0.03) = 1.37x overall.
    /// let speedup = report.what_if("parse", 10.0).unwrap();
    /// assert!((speedup - 1.0 / 0.73).abs() < 1e-12);
    /// // Free, it would still give at most 1 / 0.7 = 1.43x.
    /// let ceiling = report.what_if("parse", f64::INFINITY).unwrap();
    /// assert!((ceiling - 1.0 / 0.7).abs() < 1e-12);
    /// assert!(report.what_if("parse", 0.0).is_err());
    /// ```
    pub fn what_if(&self, name: &str, factor: f64) -> Result<f64, WhatIfError> {
        check_factor(factor)?;
        let f = self.function(name).map_err(WhatIfError::Lookup)?;
        self.what_if_of(f, factor)
    }

    /// [`Report::what_if`] for a function of this report, for a loop over its rows.
    ///
    /// # Errors
    /// [`WhatIfError::Factor`] when `factor` is not a positive number.
    ///
    /// ```
    /// # #[profkit::profile] fn a() { std::hint::black_box(0); }
    /// let (_, report) = profkit::record(a);
    /// for f in report.functions() {
    ///     let ceiling = report.what_if_of(f, f64::INFINITY).unwrap();
    ///     println!("{}: at most {ceiling:.2}x if it took no time", f.name());
    /// }
    /// ```
    pub fn what_if_of(&self, function: &FunctionStats, factor: f64) -> Result<f64, WhatIfError> {
        check_factor(factor)?;
        Ok(amdahl(self.share_of(function), factor))
    }
}

fn check_factor(factor: f64) -> Result<(), WhatIfError> {
    if factor.is_nan() || factor <= 0.0 {
        return Err(WhatIfError::Factor(factor));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amdahl_by_hand() {
        // The README's example: 30% of the time, 10 times faster.
        assert!((amdahl(0.3, 10.0) - 1.0 / 0.73).abs() < 1e-12);
        assert!((amdahl(0.3, f64::INFINITY) - 1.0 / 0.7).abs() < 1e-12);
        assert_eq!(amdahl(0.0, 5.0), 1.0);
        assert_eq!(amdahl(1.0, 4.0), 4.0);
        assert_eq!(amdahl(1.0, f64::INFINITY), f64::INFINITY);
        assert_eq!(amdahl(0.5, 0.5), 1.0 / 1.5);
        assert_eq!(share_of(Duration::from_secs(1), Duration::ZERO), 0.0);
        assert_eq!(
            share_of(Duration::from_secs(2), Duration::from_secs(1)),
            1.0
        );
    }
}
