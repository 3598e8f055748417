//! [`Alloc`]: a global allocator that forwards every request to another allocator and tells
//! profkit what it did, so that allocations and bytes land on the call paths that made them.

use std::alloc::{GlobalAlloc, Layout, System};

use super::memory::{self, HEADER_BYTES, Header};

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
/// - Live blocks ([`MemoryStats::live_bytes`](crate::MemoryStats::live_bytes)): each block
///   remembers the path that allocated it, in a 16-byte header before the block, and is
///   counted there until it is freed, wherever and on whichever thread (a free on the owning
///   thread adds without a lock, on another with a locked add); a resized block stays with its
///   path. Blocks allocated outside profiled calls, by a thread before it recorded, or aligned
///   above 16 bytes (which get no header, so that huge alignments behave exactly as the inner
///   allocator's) are live in the `<outside profiled calls>` row, so the rows add up to
///   [`heap().current()`](crate::HeapStats::current). The wrapper must be the program's
///   global allocator from the start (as `#[global_allocator]` is): it reads a header before
///   every block it frees, so it must have made them all.
///
/// Memory: 16 bytes per block (aligned to at most 16). A zero-size layout, an alignment above
/// 16 and a size within 32 bytes of `isize::MAX` go to the inner allocator unchanged; a failed
/// allocation is null as the inner allocator's.
///
/// It never allocates, locks or panics while it counts, does not recurse into itself, and
/// works before `main`, while threads start and while their thread-locals are torn down
/// (their activity then counts as unrecorded, outside any path), and with recording switched
/// off (allocations are still charged to the calls that are open).
///
/// Cost: a 64-byte allocation and free through it takes about 4 ns more than through `System`
/// (`cargo bench -p profkit-suite --bench memory`, 2-vCPU AMD EPYC VM); a free on another thread than the one
/// that allocated about 8 ns more (its locked add).
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

/// The layout `inner` allocates for a block of `layout`: the block with a [`Header`] in the
/// `HEADER_BYTES` before it, when the block's alignment divides the header's size and the
/// larger layout exists; `None` for a block passed through as it is (zero-size, aligned above
/// 16 bytes, or too large). It depends on the layout only, which `dealloc` and `realloc`
/// receive again, so a block is always read back as it was made.
#[inline(always)]
fn with_header(layout: Layout) -> Option<Layout> {
    let size = layout.size();
    // The bound leaves room for the header and for rounding up to an alignment of 16.
    if size == 0 || layout.align() > HEADER_BYTES || size > isize::MAX as usize - 2 * HEADER_BYTES {
        return None;
    }
    // SAFETY: the alignment is a `Layout`'s, so a power of two, and `size + HEADER_BYTES`
    // rounded up to it (at most 16) stays below `isize::MAX` by the bound above.
    Some(unsafe { Layout::from_size_align_unchecked(size + HEADER_BYTES, layout.align()) })
}

// SAFETY: every block the caller sees is one `inner` returned, or `HEADER_BYTES` into one that
// `inner` returned for a layout `HEADER_BYTES` larger with the same alignment (`with_header`),
// which divides `HEADER_BYTES`, so the block keeps its alignment and its size; `dealloc` and
// `realloc` recompute the same larger layout from the caller's and hand `inner` its own
// pointer back. A failed allocation returns null as `inner` did; blocks without a header are
// forwarded unchanged. The counting reads a destructor-free thread-local and owner-written
// counters (or shared atomics): it neither allocates nor unwinds, takes no lock, borrows no
// thread state, and touches only the header, never the caller's bytes.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Alloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match with_header(layout) {
            // SAFETY: `inner` gets a valid layout of non-zero size.
            Some(outer) => unsafe { tag(self.inner.alloc(outer), layout.size()) },
            None => {
                // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
                let ptr = unsafe { self.inner.alloc(layout) };
                if !ptr.is_null() {
                    memory::on_alloc_untracked(layout.size() as u64);
                }
                ptr
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match with_header(layout) {
            // SAFETY: as in `alloc`; the caller's bytes, after the header, are zeroed.
            Some(outer) => unsafe { tag(self.inner.alloc_zeroed(outer), layout.size()) },
            None => {
                // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
                let ptr = unsafe { self.inner.alloc_zeroed(layout) };
                if !ptr.is_null() {
                    memory::on_alloc_untracked(layout.size() as u64);
                }
                ptr
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match with_header(layout) {
            Some(outer) => {
                // SAFETY: `ptr` came from `alloc` with this layout, so it is `HEADER_BYTES`
                // into a block `inner` allocated with `outer`, whose first bytes are the header.
                unsafe {
                    let base = ptr.sub(HEADER_BYTES);
                    let header = base.cast::<Header>().read_unaligned();
                    self.inner.dealloc(base, outer);
                    memory::on_free(layout.size() as u64, header);
                }
            }
            None => {
                // SAFETY: forwarded unchanged; the caller upholds `dealloc`'s contract.
                unsafe { self.inner.dealloc(ptr, layout) };
                memory::on_free(layout.size() as u64, Header::untracked());
            }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The caller guarantees `new_size` with `layout.align()` is a layout.
        let new_layout = Layout::from_size_align(new_size, layout.align()).ok();
        match (with_header(layout), new_layout.and_then(with_header)) {
            (Some(outer), Some(new_outer)) => {
                // SAFETY: as in `dealloc`, `base` is `inner`'s block of `outer`; `inner` keeps
                // its first bytes (the header) when it moves it.
                unsafe {
                    let base = ptr.sub(HEADER_BYTES);
                    let new = self.inner.realloc(base, outer, new_outer.size());
                    if new.is_null() {
                        return new;
                    }
                    let header = new.cast::<Header>().read_unaligned();
                    memory::on_realloc(layout.size() as u64, new_size as u64, header);
                    new.add(HEADER_BYTES)
                }
            }
            (None, None) => {
                // SAFETY: forwarded unchanged; the caller upholds `realloc`'s contract.
                let new = unsafe { self.inner.realloc(ptr, layout, new_size) };
                if !new.is_null() {
                    memory::on_realloc(layout.size() as u64, new_size as u64, Header::untracked());
                }
                new
            }
            // The block gains or loses its header (a size near `isize::MAX`): a new block,
            // the bytes copied, the old one freed, as `GlobalAlloc::realloc`'s default does.
            _ => {
                let Some(new_layout) = new_layout else {
                    return std::ptr::null_mut();
                };
                // SAFETY: the caller guarantees `new_size` is non-zero and a layout with
                // `layout.align()`; `ptr` holds `layout.size()` readable bytes, the new block
                // `new_size` writable ones, and they do not overlap; `ptr` is freed once,
                // with its own layout, only when the new block exists.
                unsafe {
                    let new = self.alloc(new_layout);
                    if !new.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    new
                }
            }
        }
    }
}

/// Writes the header of a new block at `base` (null: the allocation failed) and returns the
/// caller's pointer, `HEADER_BYTES` further.
///
/// # Safety
/// `base` is null or `inner`'s block of a layout from `with_header` for `size`.
#[inline(always)]
unsafe fn tag(base: *mut u8, size: usize) -> *mut u8 {
    if base.is_null() {
        return base;
    }
    let header = memory::on_alloc(size as u64);
    // SAFETY: the block has `HEADER_BYTES + size` bytes, the header fits in the first
    // `HEADER_BYTES` of them (written unaligned: the block may be aligned to 1 only).
    unsafe {
        base.cast::<Header>().write_unaligned(header);
        base.add(HEADER_BYTES)
    }
}
