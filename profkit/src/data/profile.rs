//! A merged profile in nanoseconds: the call tree and each function's latency distribution.
//! Collection converts each thread into one of these with the thread's own clock; profiles
//! then add up (threads of one name, every thread, reports merged later).

use std::collections::BTreeMap;

use super::dist::Dist;
use super::tree::{MemCounts, Tree};

/// Nanosecond totals, ready to be added to others.
#[derive(Clone, Debug, Default)]
pub(crate) struct Profile {
    pub(crate) tree: Tree,
    /// Inclusive time of primitive calls, per site.
    pub(crate) hists: BTreeMap<u32, Dist>,
    /// Heap activity was recorded (profkit's allocator wrapper was installed): the tree's
    /// memory counts mean something, even where they are zero.
    pub(crate) memory: bool,
    /// Heap activity of profkit's own bookkeeping (new call paths, a thread's first call,
    /// building reports), never charged to a user's function.
    pub(crate) overhead: MemCounts,
    /// The allocator's own count of the same heap activity (every allocation and free the
    /// threads made while they recorded, and those of unrecorded threads in a process
    /// report): the rows, the root and the overhead add up to it.
    pub(crate) totals: MemCounts,
}

impl Profile {
    /// Adds heap activity that happened outside any recording (threads that do not record):
    /// it counts outside profiled calls.
    pub(crate) fn add_unrecorded(&mut self, mem: &MemCounts) {
        self.tree.add_root_mem(mem);
        self.totals.add(mem);
    }

    /// Adds another profile (pstats' `Stats.add`).
    pub(crate) fn add(&mut self, other: &Profile) {
        self.tree.add(other.tree.nodes());
        for (site, d) in &other.hists {
            self.hists.entry(*site).or_default().merge(d);
        }
        self.memory |= other.memory;
        self.overhead.add(&other.overhead);
        self.totals.add(&other.totals);
    }
}
