//! Helpers shared by the integration tests (`mod common;`).

// Each test file compiles this module and uses only some of it.
#![allow(dead_code)]

pub(crate) mod pg;
pub(crate) mod pprof;
pub(crate) mod profiled_alloc;
pub(crate) mod synthetic;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// `n` nanoseconds.
pub(crate) fn ns(n: u64) -> Duration {
    Duration::from_nanos(n)
}

/// Runs `f` with sampled timing at `rate` (`profkit::set_sampling`), then goes back to exact
/// mode. The rate is process-wide: tests using it take turns.
pub(crate) fn sampled<R>(rate: u32, f: impl FnOnce() -> R) -> R {
    profkit::set_sampling(rate);
    let value = f();
    profkit::set_sampling(1);
    value
}

/// Polls `f` on this thread until it is ready (a waker that does nothing; the futures in the
/// tests are ready again at once when they return pending).
pub(crate) fn block_on<F: Future>(f: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// xorshift64*: a fixed sequence, so a failure reproduces.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
