//! The scope guard that `#[profile]` and `profile_scope!` create.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};

use super::local;
use super::sampling;
use super::site::CallSite;

/// Whether new calls are recorded (`profkit::enable` / `profkit::disable`).
pub(crate) static ENABLED: AtomicBool = AtomicBool::new(true);

/// An open profiled call; dropping it ends the call.
///
/// It is `!Send`: a call is recorded on the thread it started on, so a guard must never be held
/// across an `.await` (the compiler then rejects a `Send` future holding it).
#[doc(hidden)]
#[must_use = "the call ends when the guard is dropped"]
pub struct Guard {
    /// The node of the call (0: not recorded). An untimed call (sampled timing) also carries
    /// `local::UNTIMED` and, in the high half, the node it was opened under, so that its end
    /// need not look the parent up (`local::enter_sampled`); in exact mode the high half is 0.
    node: u64,
    _not_send: PhantomData<*const ()>,
}

/// Starts a call of `site` on this thread.
///
/// Cost: one relaxed load when recording is disabled; otherwise a thread-local access, a
/// cached child lookup and one clock read (see the README for measured figures). Under
/// sampled timing (`PROFKIT_SAMPLE`) most calls skip the clock reads: the node then carries
/// `local::UNTIMED`.
#[doc(hidden)]
#[inline(always)]
pub fn enter(site: &'static CallSite) -> Guard {
    let node = if !ENABLED.load(Ordering::Relaxed) {
        0
    } else if sampling::sampled() {
        // Sampled timing (issue 27): its own entry; exact mode's is unchanged.
        local::enter_sampled(site)
    } else {
        u64::from(local::enter(site))
    };
    Guard {
        node,
        _not_send: PhantomData,
    }
}

/// Starts a call of `site` that is timed whatever the sampling rate (calibration measures
/// what a timed call costs).
pub(crate) fn enter_timed(site: &'static CallSite) -> Guard {
    let node = if ENABLED.load(Ordering::Relaxed) {
        u64::from(local::enter(site))
    } else {
        0
    };
    Guard {
        node,
        _not_send: PhantomData,
    }
}

/// Starts a call of `site` through sampled timing's entry whatever the rate, as [`enter`]
/// does under sampling: calibration measures what an untimed call costs its caller, with the
/// path's countdown set by `local::leave_untimed_for_calibration`. Not on the hot path; inlined
/// into its caller as [`enter`] is, so the calibrated call costs what a real one does.
#[inline(always)]
pub(crate) fn enter_sampled_for_calibration(site: &'static CallSite) -> Guard {
    let node = if ENABLED.load(Ordering::Relaxed) {
        local::enter_sampled(site)
    } else {
        0
    };
    Guard {
        node,
        _not_send: PhantomData,
    }
}

/// Ends a timed call.
///
/// Out of line, in profkit. Inlined (`#[inline]`, compiled in the profiled function's crate,
/// where a thread-local sits at a fixed offset) it ran 9 instructions fewer per exact call
/// (`benches/callgrind.sh`) but no faster (`cargo bench -p profkit-suite
/// --bench overhead`: exact leaf 25.2 – 25.3 ns both ways, quiet machine), while every profiled
/// function grew by the exit's code: with recording disabled a leaf cost 3.7 ns over a plain
/// call instead of 3.0, and the rate-16 leaf 5.0 instead of 4.1.
#[inline(never)]
fn exit_timed(node: u32) {
    local::exit_call(node);
}

impl Drop for Guard {
    #[inline(always)]
    fn drop(&mut self) {
        // Two ends, so that an untimed call (sampled timing) runs none of the timed one's
        // code.
        if self.node & local::UNTIMED != 0 {
            local::exit_untimed(self.node);
        } else if self.node != 0 {
            exit_timed(self.node as u32);
        }
    }
}
