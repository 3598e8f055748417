//! The report's memory figures beyond its functions' rows: the rows outside profiled calls
//! and of profkit's bookkeeping, the allocator's totals, and the process's peaks.

use super::memory::{HeapStats, MemoryStats};
use super::report::Report;

impl Report {
    /// Adds the live blocks no path holds to the row outside profiled calls, and sets those of
    /// profkit's bookkeeping (a process report, when it is made).
    pub(crate) fn add_untracked_live(&mut self, allocs: i64, bytes: i64, own: i64, own_bytes: i64) {
        self.profile.tree.add_root_mem(&crate::data::MemCounts {
            live_allocs: allocs,
            live_bytes: bytes,
            ..Default::default()
        });
        self.profile.overhead.live_allocs = own;
        self.profile.overhead.live_bytes = own_bytes;
    }

    /// Whether the report has memory figures: the allocator wrapper [`Alloc`]
    /// was the program's global allocator (and the report did not come from a `.prof` file).
    ///
    /// ```
    /// assert!(!profkit::Report::default().has_memory());
    /// ```
    #[cfg_attr(feature = "memory", doc = "\n[`Alloc`]: crate::Alloc")]
    #[cfg_attr(
        not(feature = "memory"),
        doc = "\n[`Alloc`]: https://docs.rs/profkit/latest/profkit/struct.Alloc.html"
    )]
    pub fn has_memory(&self) -> bool {
        self.profile.memory || self.functions.iter().any(|f| f.memory.is_some())
    }

    /// Heap activity outside any profiled call (of recording threads, and, in a process report,
    /// of threads that never recorded), as a row of its own: its own figures are that activity,
    /// its cumulative ones everything the report's functions did too. `None` without memory.
    ///
    /// ```rust,standalone_crate
    /// #[global_allocator]
    /// static ALLOC: profkit::Alloc = profkit::Alloc::system();
    ///
    /// let (_, report) = profkit::record(|| Vec::<u8>::with_capacity(64));
    /// assert_eq!(report.memory_outside().unwrap().bytes(), 64);
    /// ```
    pub fn memory_outside(&self) -> Option<MemoryStats> {
        if !self.has_memory() {
            return None;
        }
        let own = self.profile.tree.nodes()[0].mem;
        let mut cum = own;
        for f in &self.functions {
            if let Some(m) = &f.memory {
                cum.add(&m.own);
            }
        }
        cum.peak_bytes = 0;
        Some(MemoryStats { own, cum })
    }

    /// Heap activity of profkit's own bookkeeping (a thread's first call, new call paths,
    /// building reports), never charged to a user's function. `None` without memory.
    ///
    /// ```
    /// assert!(profkit::Report::default().memory_overhead().is_none());
    /// ```
    pub fn memory_overhead(&self) -> Option<MemoryStats> {
        self.has_memory().then_some(MemoryStats {
            own: self.profile.overhead,
            cum: self.profile.overhead,
        })
    }

    /// The heap as the allocator counted it for this report: every allocation and free of the
    /// threads it covers (since the start or the last [`reset`](crate::reset) for
    /// [`report()`](crate::report); during the closure for [`record`](crate::record)), which
    /// the functions' own figures, [`memory_outside`](Report::memory_outside) and
    /// [`memory_overhead`](Report::memory_overhead) add up to exactly; and the process's live
    /// bytes and their peak when the report was made. `None` without memory.
    ///
    /// ```rust,standalone_crate
    /// #[global_allocator]
    /// static ALLOC: profkit::Alloc = profkit::Alloc::system();
    ///
    /// #[profkit::profile]
    /// fn work() -> usize { vec![0u32; 100].len() }
    ///
    /// let (_, report) = profkit::record(work);
    /// let heap = report.heap().unwrap();
    /// let rows: u64 = report.functions().filter_map(|f| f.memory()).map(|m| m.allocs()).sum();
    /// let outside = report.memory_outside().unwrap().allocs();
    /// let overhead = report.memory_overhead().unwrap().allocs();
    /// assert_eq!(rows + outside + overhead, heap.total_allocs());
    /// ```
    pub fn heap(&self) -> Option<HeapStats> {
        if !self.has_memory() {
            return None;
        }
        let (current, peak) = self.meta.heap_now.unwrap_or_default();
        Some(HeapStats {
            totals: self.profile.totals,
            current,
            peak,
        })
    }

    /// The process's peak resident memory (the OS's figure, `getrusage`'s `ru_maxrss`) when the
    /// report was made: what `max_memory_mb` budgets hold a run to. `None` where the OS does not
    /// say, or for a report read from a file written without it.
    ///
    /// ```
    /// #[profkit::profile]
    /// fn a() {}
    /// let (_, report) = profkit::record(a);
    /// assert!(report.max_rss_bytes().unwrap() > 0);
    /// ```
    pub fn max_rss_bytes(&self) -> Option<u64> {
        self.meta.max_rss_bytes
    }
}
