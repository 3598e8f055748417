//! Sampled timing on the call tree (issue 27, `collect::sampling`): while a rate above 1 is
//! set, `#[profile]` calls enter through [`enter_sampled`], which times a call only when its
//! path's countdown is out (in exact mode they take `local::enter` as before). An
//! untimed call is a whole activation (current node, memory, CPU attribution, call count)
//! without the two clock reads: its node is returned with [`UNTIMED`] set, and its guard ends
//! it with [`exit_untimed`]. Sized calls, polls and spans always enter timed (`local::enter`).

use super::hot::{self, HOT, TAKE_LOCAL};
use super::{LOCAL, Local, NONE, start_thread, with_local, with_recording};
use crate::collect::arena::UNTIMED_START;
use crate::collect::sampling;
use crate::collect::site::CallSite;

/// Set in what [`enter_sampled`] returns for an untimed call (the guard's node). Node indexes
/// stay below `MAX_NODES` (2^22), so bit 31 is free; the high half holds the parent.
pub(crate) const UNTIMED: u64 = 1 << 31;

impl Local {
    /// The untimed side of sampled timing, through `LOCAL` (what [`hot::enter_fast`] left to
    /// it): when the path's countdown for `site` under the current call is not out, opens an
    /// untimed activation and returns what its guard holds (its node, [`UNTIMED`], and the
    /// current node it was opened under in the high half); 0 when the call is to be timed (or
    /// not recorded), which the caller then opens through [`Local::enter_drawing`].
    #[inline(always)]
    fn enter_untimed(&mut self, site: u32) -> u64 {
        let parent = hot::current();
        match HOT.with(|h| h.take_entry(site, parent)) {
            None => self.enter_untimed_other(site),
            Some(NONE) => 0,
            Some(child) => self.open_untimed(parent, child),
        }
    }

    /// [`Local::enter_untimed`] on a path other than the last untimed call's: found through
    /// the nodes; when it is to be untimed, it takes the hot state's entry.
    #[inline(never)]
    fn enter_untimed_other(&mut self, site: u32) -> u64 {
        let parent = hot::current();
        let cur = &self.nodes[parent as usize];
        let child = if cur.cache_site == site {
            cur.cache_child
        } else {
            self.find_child(site)
        };
        // `child` is NONE (the root) when the call is not recorded: the root's countdown is
        // always 0 (only `enter_drawing` sets one, on a child), so it takes the timed side too.
        let Some(node) = self.nodes.get(child as usize) else {
            return 0;
        };
        if node.countdown == 0 {
            return 0;
        }
        let (countdown, stats) = (node.countdown - 1, node.stats);
        stats.set_start(UNTIMED_START);
        if self.mem_on {
            // A recording that accounts memory keeps the hot state's entry empty: its untimed
            // calls need `Local`'s frames, so the fast path must never match them.
            if let Some(node) = self.nodes.get_mut(child as usize) {
                node.countdown = countdown;
            }
            return self.open_untimed(parent, child);
        }
        let (left, left_countdown) = HOT.with(|h| {
            let left = (h.child.get(), h.countdown.get());
            h.parent.set(parent);
            h.site.set(site);
            h.child.set(child);
            h.countdown.set(countdown);
            h.stats.set(Some(stats));
            left
        });
        if left != NONE
            && let Some(n) = self.nodes.get_mut(left as usize)
        {
            n.countdown = left_countdown;
        }
        self.open_untimed(parent, child)
    }

    /// Makes `child` (under `parent`, the current node) the current node, untimed.
    #[inline(always)]
    fn open_untimed(&mut self, parent: u32, child: u32) -> u64 {
        if self.mem_on {
            self.enter_mem(child);
        }
        // The CPU sampler charges the innermost open call, timed or not: CPU time needs no
        // estimate.
        hot::set_current(child);
        (u64::from(parent) << 32) | UNTIMED | u64::from(child)
    }

    /// A timed call under sampled timing: as [`Local::enter`], and the path's next gap is
    /// drawn (the calls it leaves untimed).
    #[inline(always)]
    fn enter_drawing(&mut self, site: u32) -> u32 {
        let cur = &self.nodes[hot::current() as usize];
        let child = if cur.cache_site == site {
            cur.cache_child
        } else {
            self.find_child(site)
        };
        if child != NONE {
            let gap = sampling::gap(&mut self.rng);
            self.set_countdown(child, gap);
        }
        self.open(child)
    }

    /// Sets the countdown of `child`'s path: in the hot state's entry while the path is the
    /// last untimed call's (its countdown lives there then), else in its node.
    fn set_countdown(&mut self, child: u32, countdown: u32) {
        let in_entry = HOT.with(|h| {
            let hit = h.child.get() == child;
            if hit {
                h.countdown.set(countdown);
            }
            hit
        });
        if !in_entry && let Some(node) = self.nodes.get_mut(child as usize) {
            node.countdown = countdown;
        }
    }

    /// Closes the untimed activation of `node` (the innermost open one), opened under
    /// `parent`: a call and an untimed call on its counters, no time, no latency sample,
    /// nothing to its parent's child time (its own is reset when a timed one opens).
    #[inline(always)]
    pub(super) fn close_untimed(&mut self, node: u32, parent: u32) {
        let Some(n) = self.nodes.get(node as usize) else {
            return;
        };
        n.stats.record_untimed();
        if self.mem_on {
            self.close_mem(node, parent);
        }
        hot::set_current(parent);
    }

    /// Closes `node`'s open activation, timed (at `now`) or not.
    pub(super) fn close_any(&mut self, node: u32, now: u64, calls: u64, latency: bool) {
        let untimed = self
            .nodes
            .get(node as usize)
            .filter(|n| n.stats.start() == UNTIMED_START)
            .map(|n| n.parent);
        if let Some(parent) = untimed {
            self.close_untimed(node, parent);
        } else {
            self.close(node, now, calls, latency);
        }
    }
}

/// Opens a call of `site` on this thread under sampled timing: untimed (what the guard holds:
/// the node with [`UNTIMED`] set and its parent) while the path's countdown runs, otherwise
/// timed (the node); 0 when nothing was recorded, as [`enter`](super::enter). An untimed call
/// on the last untimed call's path runs [`enter_untimed`] only.
#[inline(always)]
pub(crate) fn enter_sampled(site: &'static CallSite) -> u64 {
    let fast = enter_untimed(site);
    if fast & UNTIMED != 0 {
        fast
    } else {
        enter_sampled_other(site, fast)
    }
}

/// The untimed side on the hot state alone (`hot::enter_fast`): the guard of an untimed call
/// on the last untimed call's path; otherwise 0 (the path's timed call is due) or
/// `TAKE_LOCAL`; what it does not settle, its caller passes to [`enter_sampled_other`].
///
/// `#[inline]`, so that it is compiled in the crate of the profiled function, where an
/// executable reaches the thread-local at a fixed offset (`guard::exit_timed` says why that
/// matters); a dozen instructions, calling nothing.
#[inline]
fn enter_untimed(site: &'static CallSite) -> u64 {
    hot::enter_fast(site.registered_id())
}

/// A sampled call that [`enter_untimed`] did not open (`fast`: what it returned): untimed
/// through `LOCAL` when its path is another one, else timed.
#[inline(never)]
fn enter_sampled_other(site: &'static CallSite, fast: u64) -> u64 {
    let untimed = if fast == TAKE_LOCAL {
        enter_untimed_local(site)
    } else {
        0
    };
    if untimed != 0 {
        untimed
    } else {
        u64::from(enter_timed(site))
    }
}

/// The untimed side through `LOCAL` (`Local::enter_untimed`); 0 when the call is to be timed,
/// or for a thread that has not started recording (its first call is timed).
#[inline(never)]
fn enter_untimed_local(site: &'static CallSite) -> u64 {
    with_recording(site, 0, Local::enter_untimed, |_, _| 0)
}

/// Inlined into [`enter_sampled_other`], its one caller: a timed call returns through one
/// frame after its clock read, as before the untimed side had its fast path.
#[inline(always)]
fn enter_timed(site: &'static CallSite) -> u32 {
    with_recording(site, NONE, Local::enter_drawing, start_thread)
}

/// Ends an untimed call (`guard`: what [`enter_sampled`] returned for it): on the hot state
/// alone when it is the innermost open call and the last untimed call's path
/// ([`exit_untimed_fast`]); otherwise through `LOCAL`, where calls opened above it and still
/// open (a guard dropped out of order) close as usual, which reads the clock.
#[inline(always)]
pub(crate) fn exit_untimed(guard: u64) {
    if !exit_untimed_fast(guard) {
        exit_untimed_local(guard);
    }
}

/// `hot::exit_fast`, `#[inline]` as [`enter_untimed`] is.
#[inline]
fn exit_untimed_fast(guard: u64) -> bool {
    hot::exit_fast((guard & !UNTIMED) as u32, (guard >> 32) as u32)
}

#[inline(never)]
fn exit_untimed_local(guard: u64) {
    let node = (guard & !UNTIMED) as u32;
    let parent = (guard >> 32) as u32;
    with_local(|local| {
        if node == hot::current() {
            local.close_untimed(node, parent);
        } else {
            let now = local.clock.ticks();
            local.close_unwound(node, now, 1, true);
        }
    });
}

/// Calibration only (`collect::calibrate`, which measures what an untimed call costs its
/// caller): makes the next `calls` calls of `site` under this thread's current call untimed,
/// whatever the rate, as if the path's countdown had drawn that gap; they then enter through
/// [`enter_sampled`] as real untimed calls do. The path's node is created if it is new (no
/// timed first call needed). `false` when the thread records nothing. Added beside the hot
/// path, which it does not change.
#[cold]
pub(crate) fn leave_untimed_for_calibration(site: &'static CallSite, calls: u32) -> bool {
    LOCAL
        .try_with(|cell| {
            let Ok(mut slot) = cell.try_borrow_mut() else {
                return false;
            };
            let Some(local) = slot.as_mut() else {
                return false;
            };
            let child = local.find_child(site.id());
            if child == NONE {
                return false;
            }
            local.set_countdown(child, calls);
            true
        })
        .unwrap_or(false)
}
