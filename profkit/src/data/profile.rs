//! A merged profile in nanoseconds: the call tree and each function's latency distribution.
//! Collection converts each thread into one of these with the thread's own clock; profiles
//! then add up (threads of one name, every thread, reports merged later).

use std::collections::BTreeMap;

use super::dist::Dist;
use super::sizes::SizeSamples;
use super::tree::{MemCounts, Tree};

/// What the futures of one `async fn` did: those that ended (completed, or dropped after their
/// first poll: cancelled), their polls, and their wall time from first poll to end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FutureCounts {
    pub(crate) completed: u64,
    pub(crate) cancelled: u64,
    pub(crate) polls: u64,
    pub(crate) wall_ns: u64,
}

impl FutureCounts {
    /// Adds `other` (saturating: a file may hold any numbers).
    pub(crate) fn add(&mut self, other: &FutureCounts) {
        self.completed = self.completed.saturating_add(other.completed);
        self.cancelled = self.cancelled.saturating_add(other.cancelled);
        self.polls = self.polls.saturating_add(other.polls);
        self.wall_ns = self.wall_ns.saturating_add(other.wall_ns);
    }

    /// What happened since `earlier`, an earlier reading of the same counters.
    pub(crate) fn since(&self, earlier: &FutureCounts) -> FutureCounts {
        FutureCounts {
            completed: self.completed.saturating_sub(earlier.completed),
            cancelled: self.cancelled.saturating_sub(earlier.cancelled),
            polls: self.polls.saturating_sub(earlier.polls),
            wall_ns: self.wall_ns.saturating_sub(earlier.wall_ns),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.completed == 0 && self.cancelled == 0 && self.polls == 0
    }
}

/// Nanosecond totals, ready to be added to others.
#[derive(Clone, Debug, Default)]
pub(crate) struct Profile {
    pub(crate) tree: Tree,
    /// Latency per site: the inclusive time of primitive calls, or for an `async fn` the
    /// wall time of each completed future.
    pub(crate) hists: BTreeMap<u32, Dist>,
    /// The futures of each `async fn`, per site.
    pub(crate) futures: BTreeMap<u32, FutureCounts>,
    /// The sized calls of each function recorded with `#[profile(size = ..)]`, per site.
    pub(crate) sizes: BTreeMap<u32, SizeSamples>,
    /// Heap activity was recorded (profkit's allocator wrapper was installed): the tree's
    /// memory counts mean something, even where they are zero.
    pub(crate) memory: bool,
    /// CPU time was recorded beside wall time (the tree's `cpu_ns` mean something, even
    /// where they are zero).
    pub(crate) cpu: bool,
    /// Sampled timing: about one call in this many per path and thread was timed, and the
    /// times are estimates (`None`: every call was timed).
    pub(crate) sampling: Option<u32>,
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
        for (site, f) in &other.futures {
            self.futures.entry(*site).or_default().add(f);
        }
        for (site, s) in &other.sizes {
            self.sizes.entry(*site).or_default().merge(s);
        }
        self.memory |= other.memory;
        self.cpu |= other.cpu;
        self.sampling = self.sampling.max(other.sampling);
        self.overhead.add(&other.overhead);
        self.totals.add(&other.totals);
    }
}
