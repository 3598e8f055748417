//! The thread's hot state outside `LOCAL` (issue 27): the current node, where it is published,
//! and the last untimed call's path, in a thread-local made of `Cell`s of `Copy` data,
//! const-initialised and without destructor. Access to such a thread-local compiles to an
//! fs-relative address: no lazy-initialisation or destructor state to check, no `RefCell`
//! flag. An untimed call (sampled timing) whose path is the last untimed call's runs on it
//! alone ([`enter_fast`], [`exit_fast`]) and never touches `LOCAL`; everything else goes
//! through `LOCAL` as before and reads and writes the same cells.
//!
//! The rules that keep it true:
//! - **One home.** The current node lives here only, while its recording is *armed* (the one
//!   in `LOCAL`); a recording taken out of `LOCAL` (calibration's swap) parks it in
//!   `Local::parked` ([`Local::disarm`]) and gets it back when put back ([`Local::arm`]). The
//!   last-untimed entry lives here only; disarming writes its countdown back to its node.
//! - **Disarmed, nothing matches.** A disarmed thread (no recording yet, or its recording
//!   dropped: thread teardown included, where a guard may still be dropped) has an empty entry
//!   (`NO_SITE`, node `NONE`), so neither fast path can match, and they fall back to `LOCAL`
//!   (whose `try_with` handles teardown). The pointers then lead to constants never written.
//! - **Re-entry.** While profkit's own code runs ([`memory::in_bookkeeping`]: registering a
//!   site, creating a path, reading a report, `local::busy`), the fast enter stands down, so a
//!   profiled allocator called from inside profkit goes unrecorded, as when it finds `LOCAL`
//!   borrowed. A fast call is balanced (its exit restores the current node it found), so one
//!   made while `Local` code is in progress would leave that code's view unchanged anyway.
//! - **Memory.** A recording that accounts memory (`mem_on`) never fills the entry
//!   (`Local::enter_untimed_other`), so its untimed calls always take the `LOCAL` path: their
//!   frames need the nodes.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, Ordering};

use super::{Local, NO_SITE, NONE, UNTIMED};
use crate::collect::arena::{SharedNode, UNTIMED_START};
use crate::collect::clock;
use crate::collect::memory;

/// The hot state of the calling thread (see the module's rules).
pub(super) struct Hot {
    /// The node of the innermost open call (0: none) of the armed recording.
    pub(super) current: Cell<u32>,
    /// Where `current` is published for other threads (`ThreadShared::current_slot`).
    /// `None` (read as `UNPUBLISHED`) until a recording is armed: a `const` thread-local may
    /// not start with a reference to a static with interior mutability before Rust 1.89
    /// (the workspace's `rust-version` is 1.88).
    pub(super) published: Cell<Option<&'static AtomicU32>>,
    /// The armed recording's `Local::epoch`.
    pub(super) epoch: Cell<u64>,
    /// The last untimed call's path (a one-entry cache): an untimed call on the same path
    /// under the same node (a loop's) finds its node, countdown and counters here at fixed
    /// places. While a path is here, its countdown is `countdown`, not its node's; the node's
    /// is written back when another path takes the entry (or the recording is disarmed).
    pub(super) parent: Cell<u32>,
    /// `NO_SITE` while empty (no call matches).
    pub(super) site: Cell<u32>,
    pub(super) child: Cell<u32>,
    pub(super) countdown: Cell<u32>,
    /// `None` (read as `NO_STATS`) while the entry is empty, for the same reason.
    pub(super) stats: Cell<Option<&'static SharedNode>>,
}

/// Where a disarmed thread "publishes": never read, never written (nothing matches then).
static UNPUBLISHED: AtomicU32 = AtomicU32::new(0);
/// The counters of an empty entry: never written (nothing matches an empty entry).
static NO_STATS: SharedNode = SharedNode::empty();

thread_local! {
    pub(super) static HOT: Hot = const {
        Hot {
            current: Cell::new(NONE),
            published: Cell::new(None),
            epoch: Cell::new(0),
            parent: Cell::new(NONE),
            site: Cell::new(NO_SITE),
            child: Cell::new(NONE),
            countdown: Cell::new(0),
            stats: Cell::new(None),
        }
    };
}

/// What [`enter_fast`] returns when the call must take the `LOCAL` path (not 0, the timed
/// side's answer, and without [`UNTIMED`], so never an untimed guard).
pub(super) const TAKE_LOCAL: u64 = 1;

impl Hot {
    /// Where the current node is published (`UNPUBLISHED` while disarmed).
    #[inline(always)]
    pub(super) fn published(&self) -> &'static AtomicU32 {
        self.published.get().unwrap_or(&UNPUBLISHED)
    }

    /// The entry's counters (`NO_STATS` while it is empty).
    #[inline(always)]
    pub(super) fn stats(&self) -> &'static SharedNode {
        self.stats.get().unwrap_or(&NO_STATS)
    }

    /// An untimed call of `site` under `parent` on the entry's path: its countdown counted
    /// down and its node's start marked untimed, `Some(child)`; `Some(NONE)` when the path's
    /// timed call is due; `None` when the entry holds another path.
    #[inline(always)]
    pub(super) fn take_entry(&self, site: u32, parent: u32) -> Option<u32> {
        if self.site.get() != site || self.parent.get() != parent {
            return None;
        }
        let countdown = self.countdown.get();
        if countdown == 0 {
            return Some(NONE);
        }
        self.countdown.set(countdown - 1);
        self.stats().set_start(UNTIMED_START);
        Some(self.child.get())
    }

    /// Empties the last-untimed entry (its countdown must have been written back).
    fn clear_entry(&self) {
        self.parent.set(NONE);
        self.site.set(NO_SITE);
        self.child.set(NONE);
        self.countdown.set(0);
        self.stats.set(None);
    }
}

/// The current node of the armed recording.
#[inline(always)]
pub(super) fn current() -> u32 {
    HOT.with(|h| h.current.get())
}

/// Makes `node` the current one, published to other threads (two plain stores).
#[inline(always)]
pub(super) fn set_current(node: u32) {
    HOT.with(|h| {
        h.current.set(node);
        h.published().store(node, Ordering::Relaxed);
    });
}

/// The armed recording starts a new epoch (`start_thread` keeping a test clock's recording).
pub(super) fn set_epoch(epoch: u64) {
    HOT.with(|h| h.epoch.set(epoch));
}

/// An untimed call of the site with id `site` (0 when it has not registered: never matches)
/// on the last untimed call's path, without `LOCAL`: what its guard holds (as
/// `Local::open_untimed` returns it); 0 when the path's timed call is due; [`TAKE_LOCAL`]
/// when anything else is the case (another path, the thread's first call or a new epoch,
/// memory accounted, profkit's own code running).
#[inline(always)]
pub(super) fn enter_fast(site: u32) -> u64 {
    HOT.with(|h| {
        let parent = h.current.get();
        // At the root, a reset (a new epoch) starts a new recording: `LOCAL`'s business.
        if parent == NONE && h.epoch.get() != clock::EPOCH.load(Ordering::Relaxed) {
            return TAKE_LOCAL;
        }
        if memory::in_bookkeeping() {
            return TAKE_LOCAL;
        }
        let child = match h.take_entry(site, parent) {
            Some(NONE) => return 0,
            Some(child) => child,
            None => return TAKE_LOCAL,
        };
        h.current.set(child);
        // The CPU sampler charges the innermost open call, timed or not.
        h.published().store(child, Ordering::Relaxed);
        (u64::from(parent) << 32) | UNTIMED | u64::from(child)
    })
}

/// Ends the untimed call of `node` opened under `parent` when it is the innermost open call
/// and the last untimed call's path (its counters are in the entry), without `LOCAL`; false
/// when the `LOCAL` path must end it.
#[inline(always)]
pub(super) fn exit_fast(node: u32, parent: u32) -> bool {
    HOT.with(|h| {
        if h.current.get() != node || h.child.get() != node {
            return false;
        }
        h.stats().record_untimed();
        h.current.set(parent);
        h.published().store(parent, Ordering::Relaxed);
        true
    })
}

impl Local {
    /// Makes this recording, now in `LOCAL`, the one the hot state serves: its current node
    /// (parked while it was out), where it publishes, its epoch, an empty entry.
    pub(super) fn arm(&mut self) {
        let slot = self.shared.current_slot();
        let (current, epoch) = (self.parked, self.epoch);
        HOT.with(|h| {
            h.clear_entry();
            h.published.set(Some(slot));
            h.epoch.set(epoch);
            h.current.set(current);
        });
        slot.store(current, Ordering::Relaxed);
    }

    /// Takes this recording out of the hot state (it leaves `LOCAL`, or is dropped): its
    /// current node is parked in it, the entry's countdown written back to its node, and
    /// the thread left disarmed. Nothing when the hot state serves another recording.
    pub(super) fn disarm(&mut self) {
        let slot = self.shared.current_slot();
        let armed = HOT.with(|h| std::ptr::eq(h.published(), slot));
        if !armed {
            return;
        }
        let (current, child, countdown) = HOT.with(|h| {
            let taken = (h.current.get(), h.child.get(), h.countdown.get());
            h.clear_entry();
            h.published.set(None);
            h.current.set(NONE);
            taken
        });
        self.parked = current;
        if child != NONE
            && let Some(n) = self.nodes.get_mut(child as usize)
        {
            n.countdown = countdown;
        }
    }
}
