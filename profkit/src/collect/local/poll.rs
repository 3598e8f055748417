//! Polls of profiled futures on the thread's call tree: a poll is an open call, and a future's
//! call ends (completed or cancelled) with its counters on the thread where it ends.

use super::{Local, NONE, hot, start_thread, with_local, with_recording};
use crate::collect::clock::{self, ClockKind};
use crate::collect::site::CallSite;

/// How a future's call ends.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FutureEnd {
    /// Completed (or panicked in a poll); false: dropped after its first poll (cancelled).
    pub(crate) completed: bool,
    pub(crate) polls: u64,
    /// A [`clock::wall_ticks`] reading at its first poll.
    pub(crate) first_poll: u64,
}

/// Starts a poll of a future of `site`: the node as [`enter`] gives it, and a
/// [`clock::wall_ticks`] reading of the start when the thread's clock gives one for free
/// (a wall clock; otherwise the caller reads one).
#[inline(always)]
pub(crate) fn enter_poll(site: &'static CallSite) -> (u32, Option<u64>) {
    with_recording(
        site,
        (NONE, None),
        |local, site| {
            let node = local.enter(site);
            (node, local.wall_start(node))
        },
        |slot, site| {
            let node = start_thread(slot, site);
            (node, slot.as_mut().and_then(|local| local.wall_start(node)))
        },
    )
}

/// Ends a poll of a future (`node` from [`enter_poll`]); with `end`, the future's call ends
/// with it and its counters on this thread are added to.
#[inline(always)]
pub(crate) fn exit_poll(node: u32, end: Option<FutureEnd>) {
    with_local(|local| {
        let now = local.clock.ticks();
        local.finish_poll(node, now, end);
    });
}

impl Local {
    /// The start tick of `node`'s open activation when this recording reads the wall clock
    /// (a future's first poll starts its wall time then); `None` otherwise.
    #[inline(always)]
    fn wall_start(&self, node: u32) -> Option<u64> {
        if node == NONE || self.clock.kind() != ClockKind::Wall {
            return None;
        }
        self.nodes.get(node as usize).map(|n| n.stats.start())
    }

    /// A poll of `node` ends at `now`: closes it (the call ends with the poll when `end` says
    /// the future finished) and records how the future ended. Shared by the plain and the
    /// sized poll.
    #[inline(always)]
    pub(super) fn finish_poll(&mut self, node: u32, now: u64, end: Option<FutureEnd>) {
        if node == hot::current() {
            self.close(node, now, u64::from(end.is_some()), false);
        } else {
            self.close_unwound(node, now, u64::from(end.is_some()), false);
        }
        if let Some(end) = end {
            let wall_end = if self.clock.kind() == ClockKind::Wall {
                now
            } else {
                clock::wall_ticks()
            };
            self.future_ended(node, end, wall_end);
        }
    }
}

/// Ends the call of a future of `site` outside a poll (dropped after its first poll:
/// cancelled; or a tracing span that closes), on this thread's current call path, without
/// timing anything: one call is added to the node of `site` under the current call (no
/// activation is opened, no clock read), and the wall clock is read once for the future's
/// wall time.
pub(crate) fn end_future_here(site: &'static CallSite, end: FutureEnd) {
    with_recording(
        site,
        (),
        |local, site| local.count_ended_future(site, end),
        |slot, site| {
            // A thread's first call, or the first after a reset: as before, a zero-length
            // activation of the node (cold).
            let node = start_thread(slot, site);
            if node != NONE
                && let Some(local) = slot.as_mut()
                && let Some(start) = local.nodes.get(node as usize).map(|n| n.stats.start())
            {
                local.close(node, start, 1, false);
                local.future_ended(node, end, clock::wall_ticks());
            }
        },
    );
}

impl Local {
    /// A future's call of `site` ends under the current call, outside any poll: one call on
    /// the child node (found as [`Local::enter`] finds it), no time, no latency sample, and
    /// its future counters added to. What a zero-length activation did, without its clock
    /// reading (its memory frame and the parent's child time are unchanged by it).
    #[inline(always)]
    fn count_ended_future(&mut self, site: u32, end: FutureEnd) {
        let cur = &self.nodes[hot::current() as usize];
        let child = if cur.cache_site == site {
            cur.cache_child
        } else {
            self.find_child(site)
        };
        if child == NONE {
            return;
        }
        let Some(n) = self.nodes.get(child as usize) else {
            return;
        };
        n.stats.record(0, 0, 1);
        self.future_ended(child, end, clock::wall_ticks());
    }
}
