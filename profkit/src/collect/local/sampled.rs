//! Sampled timing on the call tree (issue 27, `collect::sampling`): while a rate above 1 is
//! set, `#[profile]` calls enter through [`enter_sampled`], which times a call only when its
//! path's countdown is out (in exact mode they take `local::enter` as before). An
//! untimed call is a whole activation (current node, memory, CPU attribution, call count)
//! without the two clock reads: its node is returned with [`UNTIMED`] set, and its guard ends
//! it with [`exit_untimed`]. Sized calls, polls and spans always enter timed (`local::enter`).

use std::sync::atomic::Ordering;

use super::{LOCAL, Local, NONE, start_thread};
use crate::collect::arena::UNTIMED_START;
use crate::collect::clock;
use crate::collect::sampling;
use crate::collect::site::CallSite;

/// Set in a node index [`enter_sampled`] returns: the call is not timed. Node indexes stay
/// below `MAX_NODES` (2^22), so the top bit is free.
pub(crate) const UNTIMED: u32 = 1 << 31;

impl Local {
    /// The untimed side of sampled timing: when the path's countdown for `site` under the
    /// current call is not out, opens an untimed activation and returns its node (without
    /// [`UNTIMED`]); 0 when the call is to be timed (or not recorded), which the caller then
    /// opens through [`Local::enter_drawing`].
    #[inline(always)]
    fn enter_untimed(&mut self, site: u32) -> u32 {
        let cur = &self.nodes[self.current as usize];
        let child = if cur.cache_site == site {
            cur.cache_child
        } else {
            self.find_child(site)
        };
        if child == NONE {
            return NONE;
        }
        let Some(node) = self.nodes.get_mut(child as usize) else {
            return NONE;
        };
        if node.countdown == 0 {
            return NONE;
        }
        node.countdown -= 1;
        node.stats.set_start(UNTIMED_START);
        if self.mem_on {
            self.enter_mem(child);
        }
        self.current = child;
        // The CPU sampler charges the innermost open call, timed or not: CPU time needs no
        // estimate.
        self.shared.publish_current(child);
        child
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
        if child != NONE
            && let Some(node) = self.nodes.get_mut(child as usize)
        {
            node.countdown = sampling::gap(&mut self.rng);
        }
        self.open(child)
    }

    /// Closes the untimed activation of `node` (the innermost open one): a call and an
    /// untimed call on its counters, no time, no latency sample, nothing to its parent's
    /// child time.
    #[inline(always)]
    pub(super) fn close_untimed(&mut self, node: u32) {
        let Some(n) = self.nodes.get_mut(node as usize) else {
            return;
        };
        n.child_ticks = 0;
        n.stats.record_untimed();
        let parent = n.parent;
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
            .is_some_and(|n| n.stats.start() == UNTIMED_START);
        if untimed {
            self.close_untimed(node);
        } else {
            self.close(node, now, calls, latency);
        }
    }
}

/// Opens a call of `site` on this thread under sampled timing: untimed (the node with
/// [`UNTIMED`] set) while the path's countdown runs, otherwise timed; 0 when nothing was
/// recorded, as [`enter`](super::enter). The untimed side is a small function of its own, so
/// that an untimed call pays for none of the timed side's code.
#[inline(always)]
pub(crate) fn enter_sampled(site: &'static CallSite) -> u32 {
    match enter_untimed(site) {
        NONE => enter_timed(site),
        node => node | UNTIMED,
    }
}

#[inline(never)]
fn enter_untimed(site: &'static CallSite) -> u32 {
    LOCAL
        .try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => match (site.id(), slot.as_mut()) {
                (site, Some(local))
                    if local.current != NONE
                        || local.epoch == clock::EPOCH.load(Ordering::Relaxed) =>
                {
                    local.enter_untimed(site)
                }
                _ => NONE,
            },
            Err(_) => NONE,
        })
        .unwrap_or(NONE)
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

/// Ends an untimed call (`node` without its [`UNTIMED`] bit): no clock read unless calls
/// opened above it are still open (a guard dropped out of order), which close as usual.
#[inline(never)]
pub(crate) fn exit_untimed(node: u32) {
    let _ = LOCAL.try_with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut()
            && let Some(local) = slot.as_mut()
        {
            if node == local.current {
                local.close_untimed(node);
            } else {
                let now = local.clock.ticks();
                local.close_unwound(node, now, 1, true);
            }
        }
    });
}
