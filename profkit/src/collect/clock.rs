//! Time sources. The hot path reads raw ticks (`rdtsc` where the TSC is usable, through
//! `quanta`); ticks become nanoseconds only when a report is built, with the clock of the
//! thread that recorded them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

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

/// The clock new recordings use (`ClockKind as u8`; `u8::MAX` until first read from
/// `PROFKIT_CLOCK`).
static CONFIGURED: AtomicU8 = AtomicU8::new(u8::MAX);
/// Bumped when the configured clock changes; threads compare it at their next root-level call.
pub(crate) static EPOCH: AtomicU64 = AtomicU64::new(0);

/// The clock that recordings use: `set_configured` or else `PROFKIT_CLOCK` (`cpu` or `wall`).
pub(crate) fn configured() -> ClockKind {
    let raw = CONFIGURED.load(Ordering::Relaxed);
    if raw != u8::MAX {
        return decode(raw);
    }
    let from_env = match std::env::var("PROFKIT_CLOCK").as_deref().map(str::trim) {
        Ok("cpu") => ClockKind::ThreadCpu,
        _ => ClockKind::Wall,
    };
    let _ = CONFIGURED.compare_exchange(
        u8::MAX,
        from_env as u8,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    decode(CONFIGURED.load(Ordering::Relaxed))
}

fn decode(raw: u8) -> ClockKind {
    match raw {
        x if x == ClockKind::ThreadCpu as u8 => ClockKind::ThreadCpu,
        _ => ClockKind::Wall,
    }
}

/// Makes new recordings use `kind`; running threads switch at their next root-level call.
pub(crate) fn set_configured(kind: ClockKind) {
    // Choosing the clock already in use restarts nothing.
    if configured() != kind {
        CONFIGURED.store(kind as u8, Ordering::Relaxed);
        EPOCH.fetch_add(1, Ordering::Relaxed);
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

/// Which clock a profile's times were measured with.
///
/// ```
/// assert_eq!(profkit::ClockKind::default(), profkit::ClockKind::Wall);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClockKind {
    /// Elapsed real time (the TSC, calibrated; the OS monotonic clock where there is no usable
    /// TSC). Time a thread spends blocked or sleeping counts.
    #[default]
    Wall,
    /// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`): time blocked or sleeping does
    /// not count. A read is a system call, much slower than the wall clock's.
    ThreadCpu,
    /// A [`TestClock`](crate::testing::TestClock) that moves only when a test advances it.
    Manual,
}

impl ClockKind {
    /// The name `PROFKIT_CLOCK` takes and reports print: `wall`, `cpu` or `manual`.
    ///
    /// ```
    /// assert_eq!(profkit::ClockKind::ThreadCpu.name(), "cpu");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ClockKind::Wall => "wall",
            ClockKind::ThreadCpu => "cpu",
            ClockKind::Manual => "manual",
        }
    }
}

/// The calling thread's CPU time in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`).
#[cfg(unix)]
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec` that outlives the call, which is all
    // `clock_gettime` needs; it reports failure through its return value, not through memory.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// Without a per-thread CPU clock, the wall clock stands in.
#[cfg(not(unix))]
fn thread_cpu_ns() -> u64 {
    wall_ticks()
}

/// A thread's time source: the calibrated TSC (or the OS monotonic clock where there is no
/// usable TSC), the thread's CPU time, or a manual clock that tests advance by hand.
#[derive(Clone, Debug)]
pub(crate) struct Clock {
    kind: ClockKind,
    /// Read the TSC inline instead of calling `inner`.
    inline_tsc: bool,
    inner: quanta::Clock,
    manual: Option<Arc<quanta::Mock>>,
}

impl Clock {
    pub(crate) fn real() -> Self {
        Clock {
            kind: ClockKind::Wall,
            inline_tsc: *REAL_IS_TSC,
            inner: REAL.clone(),
            manual: None,
        }
    }

    /// The calling thread's CPU time; one tick is one nanosecond.
    pub(crate) fn thread_cpu() -> Self {
        Clock {
            kind: ClockKind::ThreadCpu,
            inline_tsc: false,
            inner: quanta::Clock::mock().0,
            manual: None,
        }
    }

    /// A clock of the given kind (a manual clock starts at zero).
    pub(crate) fn of_kind(kind: ClockKind) -> Self {
        match kind {
            ClockKind::Wall => Clock::real(),
            ClockKind::ThreadCpu => Clock::thread_cpu(),
            ClockKind::Manual => Clock::manual(),
        }
    }

    pub(crate) fn kind(&self) -> ClockKind {
        self.kind
    }

    /// A clock that only moves when [`Clock::manual_handle`]'s `increment` is called;
    /// one tick is one nanosecond.
    pub(crate) fn manual() -> Self {
        let (inner, mock) = quanta::Clock::mock();
        Clock {
            kind: ClockKind::Manual,
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
        if self.kind == ClockKind::ThreadCpu {
            return thread_cpu_ns();
        }
        self.inner.raw()
    }

    /// Converts a tick count (a difference, or a sum of differences) into nanoseconds.
    pub(crate) fn ticks_to_ns(&self, ticks: u64) -> u64 {
        match self.kind {
            ClockKind::ThreadCpu => ticks,
            _ => self.inner.delta_as_nanos(0, ticks),
        }
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
    fn the_cpu_clock_does_not_count_sleep() {
        let clock = Clock::thread_cpu();
        let start = clock.ticks();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let slept = clock.ticks_to_ns(clock.ticks() - start);
        assert!(
            slept < 5_000_000,
            "{slept} ns of CPU time for a 20 ms sleep"
        );
        let start = clock.ticks();
        let mut x = 0u64;
        while clock.ticks() - start < 1_000_000 {
            x = std::hint::black_box(x + 1);
        }
        assert!(x > 0, "spinning consumes CPU time");
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
