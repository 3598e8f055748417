//! Time sources. The hot path reads raw ticks (`rdtsc` where the TSC is usable, through
//! `quanta`); ticks become nanoseconds only when a report is built, with the clock of the
//! thread that recorded them.

use std::sync::Arc;

use once_cell::sync::Lazy;

/// The process-wide calibrated clock; each thread keeps a clone.
static REAL: Lazy<quanta::Clock> = Lazy::new(quanta::Clock::new);

/// Whether `REAL` reads the TSC, so the hot path may read it inline: `quanta::Clock::raw` is
/// not inlined across crates and matches on its clock kind at every read (about 2 ns a read).
static REAL_IS_TSC: Lazy<bool> = Lazy::new(|| {
    // quanta picked the TSC iff its raw readings fall between two TSC readings.
    (0..3).all(|_| {
        let before = tsc();
        let raw = REAL.raw();
        let after = tsc();
        matches!((before, after), (Some(b), Some(a)) if b <= raw && raw <= a)
    })
});

/// The time-stamp counter, on x86_64.
#[inline(always)]
fn tsc() -> Option<u64> {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `rdtsc` has no preconditions and touches no memory; the intrinsic is `unsafe`
        // only because every `core::arch` intrinsic is. Whether its value is a usable clock is
        // decided by quanta's calibration, which `REAL_IS_TSC` checks we agree with.
        Some(unsafe { core::arch::x86_64::_rdtsc() })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        None
    }
}

/// A reading of the process-wide real clock, comparable across threads (futures move).
pub(crate) fn wall_ticks() -> u64 {
    if *REAL_IS_TSC && let Some(t) = tsc() {
        return t;
    }
    REAL.raw()
}

/// Nanoseconds between two [`wall_ticks`] readings.
pub(crate) fn wall_ns(start: u64, end: u64) -> u64 {
    REAL.delta_as_nanos(start, end)
}

/// A thread's time source: the calibrated TSC (or the OS monotonic clock where there is no
/// usable TSC), or a manual clock that tests advance by hand.
#[derive(Clone, Debug)]
pub(crate) struct Clock {
    /// Read the TSC inline instead of calling `inner`.
    inline_tsc: bool,
    inner: quanta::Clock,
    manual: Option<Arc<quanta::Mock>>,
}

impl Clock {
    pub(crate) fn real() -> Self {
        Clock {
            inline_tsc: *REAL_IS_TSC,
            inner: REAL.clone(),
            manual: None,
        }
    }

    /// A clock that only moves when [`Clock::manual_handle`]'s `increment` is called;
    /// one tick is one nanosecond.
    pub(crate) fn manual() -> Self {
        let (inner, mock) = quanta::Clock::mock();
        Clock {
            inline_tsc: false,
            inner,
            manual: Some(mock),
        }
    }

    pub(crate) fn manual_handle(&self) -> Option<&Arc<quanta::Mock>> {
        self.manual.as_ref()
    }

    /// Raw ticks; only differences of two readings of the same clock mean anything.
    #[inline(always)]
    pub(crate) fn ticks(&self) -> u64 {
        if self.inline_tsc
            && let Some(t) = tsc()
        {
            return t;
        }
        self.inner.raw()
    }

    /// Converts a tick count (a difference, or a sum of differences) into nanoseconds.
    pub(crate) fn ticks_to_ns(&self, ticks: u64) -> u64 {
        self.inner.delta_as_nanos(0, ticks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_clock_measures_time_in_nanoseconds() {
        let clock = Clock::real();
        let start = clock.ticks();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let ns = clock.ticks_to_ns(clock.ticks() - start);
        // A sleep lasts at least what was asked; the upper bound only rules out a wrong scale.
        assert!((5_000_000..5_000_000_000).contains(&ns), "{ns} ns");
    }

    #[test]
    fn the_inline_tsc_read_agrees_with_quanta_when_used() {
        let clock = Clock::real();
        if clock.inline_tsc {
            let (a, b, c) = (clock.ticks(), REAL.raw(), clock.ticks());
            assert!(a <= b && b <= c, "{a} {b} {c}");
        } else {
            assert!(!cfg!(target_arch = "x86_64") || REAL.raw() > 0);
        }
    }

    #[test]
    fn the_manual_clock_moves_only_when_advanced() {
        let clock = Clock::manual();
        let t0 = clock.ticks();
        assert_eq!(clock.ticks(), t0);
        clock.manual_handle().unwrap().increment(1234u64);
        assert_eq!(clock.ticks_to_ns(clock.ticks() - t0), 1234);
    }
}
