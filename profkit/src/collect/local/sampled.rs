//! Sampled timing on the call tree (issue 27, `collect::sampling`): while a rate above 1 is
//! set, `#[profile]` calls enter through [`enter_sampled`], which times a call only when its
//! path's countdown is out (in exact mode they take `local::enter` as before). An
//! untimed call is a whole activation (current node, memory, CPU attribution, call count)
//! without the two clock reads: its node is returned with [`UNTIMED`] set, and its guard ends
//! it with [`exit_untimed`]. Sized calls, polls and spans always enter timed (`local::enter`).

use std::sync::atomic::Ordering;

use super::{LOCAL, Local, NO_SITE, NONE, start_thread};
use crate::collect::arena::{SharedNode, UNTIMED_START};
use crate::collect::clock;
use crate::collect::sampling;
use crate::collect::site::CallSite;

/// Set in what [`enter_sampled`] returns for an untimed call (the guard's node). Node indexes
/// stay below `MAX_NODES` (2^22), so bit 31 is free; the high half holds the parent.
pub(crate) const UNTIMED: u64 = 1 << 31;

/// The path of the last untimed call (a one-entry cache in `Local`): an untimed call on the
/// same path under the same node (a loop's) finds its node, countdown and counters here at
/// fixed places, instead of through the current node's child cache and the node list (three
/// dependent loads). While a path is here, its countdown is `countdown`, not the node's;
/// the node's is written back when another path takes the entry.
pub(super) struct LastUntimed {
    parent: u32,
    /// `NO_SITE` while empty (no call matches).
    site: u32,
    child: u32,
    countdown: u32,
    stats: &'static SharedNode,
}

impl LastUntimed {
    /// An empty entry (`root`: any node's counters, never written through it).
    pub(super) fn empty(root: &'static SharedNode) -> LastUntimed {
        LastUntimed {
            parent: NONE,
            site: NO_SITE,
            child: NONE,
            countdown: 0,
            stats: root,
        }
    }
}

impl Local {
    /// The untimed side of sampled timing: when the path's countdown for `site` under the
    /// current call is not out, opens an untimed activation and returns what its guard holds
    /// (its node, [`UNTIMED`], and the current node it was opened under in the high half); 0
    /// when the call is to be timed (or not recorded), which the caller then opens through
    /// [`Local::enter_drawing`].
    #[inline(always)]
    fn enter_untimed(&mut self, site: u32) -> u64 {
        let parent = self.current;
        let last = &mut self.last_untimed;
        if last.site != site || last.parent != parent {
            return self.enter_untimed_other(site);
        }
        if last.countdown == 0 {
            return 0;
        }
        last.countdown -= 1;
        last.stats.set_start(UNTIMED_START);
        let child = last.child;
        self.open_untimed(parent, child)
    }

    /// [`Local::enter_untimed`] on a path other than the last untimed call's: found through
    /// the nodes; when it is to be untimed, it takes the [`LastUntimed`] entry.
    #[inline(never)]
    fn enter_untimed_other(&mut self, site: u32) -> u64 {
        let parent = self.current;
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
        let taken = LastUntimed {
            parent,
            site,
            child,
            countdown: node.countdown - 1,
            stats: node.stats,
        };
        let left = std::mem::replace(&mut self.last_untimed, taken);
        if left.child != NONE
            && let Some(n) = self.nodes.get_mut(left.child as usize)
        {
            n.countdown = left.countdown;
        }
        self.last_untimed.stats.set_start(UNTIMED_START);
        self.open_untimed(parent, child)
    }

    /// Makes `child` (under `parent`, the current node) the current node, untimed.
    #[inline(always)]
    fn open_untimed(&mut self, parent: u32, child: u32) -> u64 {
        if self.mem_on {
            self.enter_mem(child);
        }
        self.current = child;
        // The CPU sampler charges the innermost open call, timed or not: CPU time needs no
        // estimate.
        self.shared.publish_current(child);
        (u64::from(parent) << 32) | UNTIMED | u64::from(child)
    }

    /// A timed call under sampled timing: as [`Local::enter`], and the path's next gap is
    /// drawn (the calls it leaves untimed).
    #[inline(always)]
    fn enter_drawing(&mut self, site: u32) -> u32 {
        let cur = &self.nodes[self.current as usize];
        let child = if cur.cache_site == site {
            cur.cache_child
        } else {
            self.find_child(site)
        };
        if child != NONE {
            let gap = sampling::gap(&mut self.rng);
            if child == self.last_untimed.child {
                self.last_untimed.countdown = gap;
            } else if let Some(node) = self.nodes.get_mut(child as usize) {
                node.countdown = gap;
            }
        }
        self.open(child)
    }

    /// Closes the untimed activation of `node` (the innermost open one), opened under
    /// `parent`: a call and an untimed call on its counters, no time, no latency sample,
    /// nothing to its parent's child time.
    #[inline(always)]
    pub(super) fn close_untimed(&mut self, node: u32, parent: u32) {
        let Some(n) = self.nodes.get_mut(node as usize) else {
            return;
        };
        n.child_ticks = 0;
        n.stats.record_untimed();
        if self.mem_on {
            self.close_mem(node, parent);
        }
        self.current = parent;
        self.shared.publish_current(parent);
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
/// timed (the node); 0 when nothing was recorded, as [`enter`](super::enter). The untimed side
/// is a small function of its own, so that an untimed call pays for none of the timed side's
/// code.
#[inline(always)]
pub(crate) fn enter_sampled(site: &'static CallSite) -> u64 {
    match enter_untimed(site) {
        0 => u64::from(enter_timed(site)),
        untimed => untimed,
    }
}

#[inline(never)]
fn enter_untimed(site: &'static CallSite) -> u64 {
    LOCAL
        .try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => match (site.id(), slot.as_mut()) {
                (site, Some(local))
                    if local.current != NONE
                        || local.epoch == clock::EPOCH.load(Ordering::Relaxed) =>
                {
                    local.enter_untimed(site)
                }
                _ => 0,
            },
            Err(_) => 0,
        })
        .unwrap_or(0)
}

#[inline(never)]
fn enter_timed(site: &'static CallSite) -> u32 {
    LOCAL
        .try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => match (site.id(), slot.as_mut()) {
                (site, Some(local))
                    if local.current != NONE
                        || local.epoch == clock::EPOCH.load(Ordering::Relaxed) =>
                {
                    local.enter_drawing(site)
                }
                // A thread's first call, or the first after a reset.
                (site, _) => start_thread(&mut slot, site),
            },
            Err(_) => NONE,
        })
        .unwrap_or(NONE)
}

/// Ends an untimed call (`guard`: what [`enter_sampled`] returned for it): when it is the
/// innermost open call, its parent comes from the guard (no look-up); calls opened above it
/// and still open (a guard dropped out of order) close as usual, which reads the clock.
#[inline(never)]
pub(crate) fn exit_untimed(guard: u64) {
    let node = (guard & !UNTIMED) as u32;
    let parent = (guard >> 32) as u32;
    let _ = LOCAL.try_with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut()
            && let Some(local) = slot.as_mut()
        {
            if node == local.current {
                local.close_untimed(node, parent);
            } else {
                let now = local.clock.ticks();
                local.close_unwound(node, now, 1, true);
            }
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
            if child == local.last_untimed.child {
                local.last_untimed.countdown = calls;
            } else if let Some(node) = local.nodes.get_mut(child as usize) {
                node.countdown = calls;
            }
            true
        })
        .unwrap_or(false)
}
