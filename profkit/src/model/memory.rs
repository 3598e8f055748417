//! Memory beside time: [`MemoryStats`] (a function's allocations, frees and peak, own and
//! cumulative, as tottime and cumtime) and [`HeapStats`] (the process heap).

use crate::data::{MemCounts, PRIMITIVE, Tree};

/// The heap activity of one function (or of a row of its own: outside profiled calls,
/// profkit's bookkeeping), recorded by the allocator wrapper [`Alloc`].
///
/// *Own* figures count what was allocated and freed while the function was the innermost
/// profiled call on its thread; *cumulative* figures add its callees, counted once per
/// outermost call under recursion, exactly as cumtime is.
///
/// ```rust,standalone_crate
/// #[global_allocator]
/// static ALLOC: profkit::Alloc = profkit::Alloc::system(); // feature `memory`
/// #[profkit::profile]
/// fn child() -> Vec<u8> { vec![0; 100] }
/// #[profkit::profile]
/// fn parent() -> usize { let kept = Vec::<u64>::with_capacity(10); child().len() + kept.capacity() }
///
/// let (_, report) = profkit::record(parent);
/// let p = report.function("parent").unwrap().memory().unwrap();
/// assert_eq!((p.allocs(), p.bytes()), (1, 80)); // its own Vec
/// assert_eq!((p.cum_allocs(), p.cum_bytes()), (2, 180)); // and the child's
/// assert_eq!(p.frees(), 2); // both dropped inside parent
/// assert_eq!(p.peak_bytes(), 180);
/// ```
#[cfg_attr(feature = "memory", doc = "\n[`Alloc`]: crate::Alloc")]
#[cfg_attr(
    not(feature = "memory"),
    doc = "\n[`Alloc`]: https://docs.rs/profkit/latest/profkit/struct.Alloc.html"
)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryStats {
    pub(crate) own: MemCounts,
    pub(crate) cum: MemCounts,
}

impl MemoryStats {
    /// Allocations made while the function was the innermost profiled call (own).
    pub fn allocs(&self) -> u64 {
        self.own.allocs
    }

    /// Bytes of those allocations (`Layout::size`).
    pub fn bytes(&self) -> u64 {
        self.own.bytes
    }

    /// Allocations made during the function's calls, its callees' included, counted once per
    /// outermost call.
    pub fn cum_allocs(&self) -> u64 {
        self.cum.allocs
    }

    /// Bytes of [`cum_allocs`](MemoryStats::cum_allocs).
    pub fn cum_bytes(&self) -> u64 {
        self.cum.bytes
    }

    /// Frees made while the function was the innermost profiled call, whoever allocated the
    /// blocks (own).
    pub fn frees(&self) -> u64 {
        self.own.frees
    }

    /// Bytes of those frees.
    pub fn freed_bytes(&self) -> u64 {
        self.own.freed_bytes
    }

    /// Frees during the function's calls, its callees' included (cumulative).
    pub fn cum_frees(&self) -> u64 {
        self.cum.frees
    }

    /// Bytes of [`cum_frees`](MemoryStats::cum_frees).
    pub fn cum_freed_bytes(&self) -> u64 {
        self.cum.freed_bytes
    }

    /// Bytes allocated minus bytes freed while the function was the innermost call (own):
    /// positive for a function whose allocations outlive it. Negative when it freed more than
    /// it allocated (it dropped what others made).
    pub fn retained_bytes(&self) -> i64 {
        signed(self.own.bytes) - signed(self.own.freed_bytes)
    }

    /// [`retained_bytes`](MemoryStats::retained_bytes) with callees: what the function's
    /// calls left allocated when they returned. Growing from run to run, or with the number of
    /// calls, is the sign of memory that is never given back.
    pub fn cum_retained_bytes(&self) -> i64 {
        signed(self.cum.bytes) - signed(self.cum.freed_bytes)
    }

    /// The highest heap one call needed: over the function's calls, the maximum of the
    /// thread's live bytes during the call above their level when it started.
    pub fn peak_bytes(&self) -> u64 {
        self.own.peak_bytes
    }

    /// Blocks allocated while the function was the innermost profiled call and not freed when
    /// the report was made, wherever and on whichever thread the others were freed (own). A
    /// resized block stays with the path that allocated it. In a window (a [`record`](crate::record)
    /// or [`Report::since`](crate::Report::since)) it is the change over the window, so it
    /// can be negative.
    ///
    /// ```rust,standalone_crate
    /// # #[global_allocator]
    /// # static ALLOC: profkit::Alloc = profkit::Alloc::system();
    /// #[profkit::profile]
    /// fn make() -> Vec<u64> { Vec::with_capacity(100) }
    /// #[profkit::profile]
    /// fn keep() -> Vec<u64> { let _gone = make(); make() }
    ///
    /// let (kept, report) = profkit::record(keep);
    /// let m = report.function("make").unwrap().memory().unwrap();
    /// assert_eq!((m.live_allocs(), m.live_bytes()), (1, 800)); // one Vec still alive
    /// assert_eq!(m.frees(), 0); // the other was freed in `keep`, and credited back to `make`
    /// drop(kept);
    /// ```
    pub fn live_allocs(&self) -> i64 {
        self.own.live_allocs
    }

    /// Bytes of [`live_allocs`](MemoryStats::live_allocs) (`Layout::size`, their current size
    /// for resized blocks).
    pub fn live_bytes(&self) -> i64 {
        self.own.live_bytes
    }

    /// Live blocks allocated during the function's calls, its callees' included, counted once
    /// per outermost call.
    ///
    /// ```rust,standalone_crate
    /// # #[global_allocator]
    /// # static ALLOC: profkit::Alloc = profkit::Alloc::system();
    /// #[profkit::profile]
    /// fn make() -> Vec<u8> { vec![1; 10] }
    /// #[profkit::profile]
    /// fn outer() -> (Vec<u8>, Vec<u8>) { (make(), vec![2; 5]) }
    ///
    /// let (kept, report) = profkit::record(outer);
    /// let m = report.function("outer").unwrap().memory().unwrap();
    /// assert_eq!((m.cum_live_allocs(), m.cum_live_bytes()), (2, 15));
    /// drop(kept);
    /// ```
    pub fn cum_live_allocs(&self) -> i64 {
        self.cum.live_allocs
    }

    /// Bytes of [`cum_live_allocs`](MemoryStats::cum_live_allocs).
    pub fn cum_live_bytes(&self) -> i64 {
        self.cum.live_bytes
    }

    /// Adds another function's figures (reports merged by rows).
    pub(crate) fn add(&mut self, other: &MemoryStats) {
        self.own.add(&other.own);
        self.cum.add(&other.cum);
    }
}

fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The process heap as the allocator wrapper saw it: every allocation and free since the
/// process started, and live bytes now and at their highest.
///
/// `current` is exact. `peak` is the highest value the threads reported: each thread tells
/// the process figures about its live bytes in steps of 16 KiB (so that counting costs no
/// locked instruction per allocation), so a peak reached between two steps can be up to
/// 16 KiB per allocating thread above the reported one.
///
/// ```rust,standalone_crate
/// #[global_allocator]
/// static ALLOC: profkit::Alloc = profkit::Alloc::system(); // feature `memory`
/// let before = profkit::heap();
/// let v = Vec::<u64>::with_capacity(1000);
/// let after = profkit::heap();
/// assert!(after.total_allocs() >= before.total_allocs() + 1);
/// assert!(after.total_bytes() >= before.total_bytes() + 8_000);
/// drop(v);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapStats {
    pub(crate) totals: MemCounts,
    pub(crate) current: u64,
    pub(crate) peak: u64,
}

impl HeapStats {
    /// Live bytes now: allocated minus freed.
    pub fn current(&self) -> u64 {
        self.current
    }

    /// The most live bytes so far (see the type's note on its precision).
    pub fn peak(&self) -> u64 {
        self.peak
    }

    /// Allocations since the process started.
    pub fn total_allocs(&self) -> u64 {
        self.totals.allocs
    }

    /// Bytes allocated since the process started.
    pub fn total_bytes(&self) -> u64 {
        self.totals.bytes
    }

    /// Frees since the process started.
    pub fn total_frees(&self) -> u64 {
        self.totals.frees
    }

    /// Bytes freed since the process started.
    pub fn total_freed_bytes(&self) -> u64 {
        self.totals.freed_bytes
    }
}

/// Each node's heap counts with its whole subtree's (the node's activations contain every
/// call below it), for cumulative figures. Parents come before children, so one backward pass
/// sums bottom up.
pub(crate) fn subtree_sums(tree: &Tree) -> Vec<MemCounts> {
    tree.subtree_sums(|n| n.mem, MemCounts::add)
}

/// Adds node `i`'s figures to a function's: own from the node, cumulative from its subtree on
/// primitive nodes only (an outermost call of the function contains the recursive ones).
pub(crate) fn add_node(stats: &mut MemoryStats, tree: &Tree, sums: &[MemCounts], i: usize) {
    let Some(node) = tree.nodes().get(i) else {
        return;
    };
    stats.own.add(&node.mem);
    if node.flags & PRIMITIVE != 0
        && let Some(sum) = sums.get(i)
    {
        let mut cum = *sum;
        // The peak of a subtree sum is the largest of its nodes': the function's own peak
        // already covers its callees (a call's peak includes what its callees held).
        cum.peak_bytes = 0;
        stats.cum.add(&cum);
    }
}
