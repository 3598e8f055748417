//! Time sources. The hot path reads raw ticks (`rdtsc` where the TSC is usable, through
//! `quanta`); ticks become nanoseconds only when a report is built, with the clock of the
//! thread that recorded them.

use std::sync::Arc;

use once_cell::sync::Lazy;

/// The process-wide calibrated clock; each thread keeps a clone.
static REAL: Lazy<quanta::Clock> = Lazy::new(quanta::Clock::new);

/// A thread's time source: the calibrated TSC (or the OS monotonic clock where there is no
/// usable TSC), or a manual clock that tests advance by hand.
#[derive(Clone, Debug)]
pub(crate) struct Clock {
    inner: quanta::Clock,
    manual: Option<Arc<quanta::Mock>>,
}

impl Clock {
    pub(crate) fn real() -> Self {
        Clock {
            inner: REAL.clone(),
            manual: None,
        }
    }

    /// A clock that only moves when [`Clock::manual_handle`]'s `increment` is called;
    /// one tick is one nanosecond.
    pub(crate) fn manual() -> Self {
        let (inner, mock) = quanta::Clock::mock();
        Clock {
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
        self.inner.raw()
    }

    /// Converts a tick count (a difference, or a sum of differences) into nanoseconds.
    pub(crate) fn ticks_to_ns(&self, ticks: u64) -> u64 {
        self.inner.delta_as_nanos(0, ticks)
    }
}
