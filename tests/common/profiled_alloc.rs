//! A global allocator that is itself profiled (`#[profile]` on its `GlobalAlloc` impl), as a
//! program may profile its own: profkit allocates inside its own bookkeeping (registering a
//! function's name, creating a call path, building a report), and those allocations call this
//! allocator, which must then go unrecorded rather than re-enter profkit or wait on a lock the
//! thread holds. Its rows read `alloc` and `dealloc`.

use std::alloc::{GlobalAlloc, Layout, System};

/// `System`, profiled.
pub(crate) struct Profiled;

// SAFETY: every method forwards to `System` with the same arguments; the instrumentation that
// `#[profile]` adds allocates nothing while profkit's own code runs on the thread (what the
// tests using it check) and otherwise only once per new call path.
#[profkit::profile]
unsafe impl GlobalAlloc for Profiled {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; the caller upholds `dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}
