//! [`Alloc`]: a global allocator that forwards every request to another allocator and tells
//! profkit what it did, so that allocations and bytes land on the call paths that made them.

use std::alloc::{GlobalAlloc, Layout, System};

use super::memory::{self, Event};

/// A `GlobalAlloc` wrapper that attributes each allocation and free to the innermost profiled
/// call path of the thread that makes it (cargo feature `memory`).
///
/// ```rust,standalone_crate
/// #[global_allocator]
/// static ALLOC: profkit::Alloc = profkit::Alloc::system();
/// // or, around another allocator (the static's type names it):
/// // static ALLOC: profkit::Alloc<mimalloc::MiMalloc> = profkit::Alloc::new(mimalloc::MiMalloc);
///
/// #[profkit::profile]
/// fn make() -> Vec<u64> { Vec::with_capacity(1000) }
///
/// let (_, report) = profkit::record(make);
/// let memory = report.function("make").unwrap().memory().unwrap();
/// assert_eq!((memory.allocs(), memory.bytes()), (1, 8_000));
/// ```
///
/// # What is charged where
/// - An allocation counts one allocation of `layout.size()` bytes on the path that is
///   innermost on the allocating thread (its *own* figures; callers get it in their
///   cumulative figures). Outside any profiled call it goes to the report's
///   [`memory_outside`](crate::Report::memory_outside) row; made by profkit's own bookkeeping
///   (a thread's first call, a new call path, building a report) to
///   [`memory_overhead`](crate::Report::memory_overhead), never to a user's function.
/// - A free counts where it happens: on the path innermost on the freeing thread when it is
///   freed, whichever thread or path allocated the block. A function that returns a `Vec` its
///   caller drops shows the allocation, the caller (or whoever drops it) the free.
/// - `realloc` counts as one free of the old size and one allocation of the new size (dhat's
///   rule), both on the current path; `alloc_zeroed` as an allocation.
/// - Peaks: the thread's live bytes (allocated minus freed on it, profkit's own excluded) at
///   their highest during an activation, above their level when it started.
///
/// It never allocates, locks or panics while it counts, does not recurse into itself, and
/// works before `main`, while threads start and while their thread-locals are torn down
/// (their activity then counts as unrecorded, outside any path), and with recording switched
/// off (allocations are still charged to the calls that are open).
///
/// Cost: see the README (a 64-byte allocation and free through it, against the same through
/// `System`, is measured by `cargo bench --bench memory`).
#[derive(Clone, Copy, Debug, Default)]
#[cfg_attr(docsrs, doc(cfg(feature = "memory")))]
pub struct Alloc<A = System> {
    inner: A,
}

impl Alloc<System> {
    /// Wraps the system allocator.
    ///
    /// ```rust,standalone_crate
    /// #[global_allocator]
    /// static ALLOC: profkit::Alloc = profkit::Alloc::system();
    /// ```
    pub const fn system() -> Self {
        Alloc { inner: System }
    }
}

impl<A> Alloc<A> {
    /// Wraps `inner`, which does the allocating.
    ///
    /// ```
    /// use std::alloc::System;
    /// #[global_allocator]
    /// static ALLOC: profkit::Alloc<System> = profkit::Alloc::new(System);
    /// ```
    pub const fn new(inner: A) -> Self {
        Alloc { inner }
    }

    /// The wrapped allocator.
    ///
    /// ```
    /// let alloc = profkit::Alloc::system();
    /// let _system: &std::alloc::System = alloc.inner();
    /// ```
    pub const fn inner(&self) -> &A {
        &self.inner
    }
}

#[inline(always)]
fn note(event: Event, size: usize) {
    memory::charge(event, size as u64);
}

// SAFETY: every method forwards to `inner` with the same arguments and returns its result
// unchanged, so the `GlobalAlloc` contract is `inner`'s. The counting after each call reads a
// destructor-free thread-local and owner-written counters (or shared atomics): it neither
// allocates nor unwinds, takes no lock, borrows no thread state, and touches no memory the
// caller passed in.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Alloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        let ptr = unsafe { self.inner.alloc(layout) };
        if !ptr.is_null() {
            note(Event::Alloc, layout.size());
        }
        ptr
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        let ptr = unsafe { self.inner.alloc_zeroed(layout) };
        if !ptr.is_null() {
            note(Event::Alloc, layout.size());
        }
        ptr
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; the caller upholds `dealloc`'s contract.
        unsafe { self.inner.dealloc(ptr, layout) };
        note(Event::Free, layout.size());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `realloc`'s contract.
        let new = unsafe { self.inner.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            note(Event::Free, layout.size());
            note(Event::Alloc, new_size);
        }
        new
    }
}
