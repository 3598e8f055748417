//! Once a call path exists, recording a call on it allocates nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use profkit::profile;

struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn note_allocation() {
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the same arguments, so the `GlobalAlloc`
// contract is `System`'s; the counting touches only a const-initialised thread-local `Cell`
// (no allocation, no destructor) and an atomic.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded unchanged; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; the caller upholds `dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[profile]
fn leaf(i: u64) -> u64 {
    black_box(i)
}

#[profile]
fn other_leaf(i: u64) -> u64 {
    black_box(i + 1)
}

#[profile]
fn nested(i: u64) -> u64 {
    // Alternating children: every call misses the last-child cache.
    leaf(i) + other_leaf(i)
}

#[profile]
fn fib(n: u64) -> u64 {
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

fn workload() -> u64 {
    let mut sum = 0;
    for i in 0..10_000 {
        sum += leaf(i) + nested(i);
        profkit::profile_scope!("scope");
    }
    sum + fib(12)
}

#[test]
fn recording_on_existing_paths_does_not_allocate() {
    let expected = workload(); // creates every call path
    COUNTING.with(|c| c.set(true));
    let got = workload();
    COUNTING.with(|c| c.set(false));
    assert_eq!(got, expected);
    assert_eq!(ALLOCATIONS.load(Ordering::Relaxed), 0);

    // The counter does count: a report allocates.
    COUNTING.with(|c| c.set(true));
    let report = profkit::report();
    COUNTING.with(|c| c.set(false));
    assert!(ALLOCATIONS.load(Ordering::Relaxed) > 0);
    assert_eq!(report.function("nested").unwrap().ncalls(), 20_000);
    assert_eq!(report.function("fib").unwrap().ncalls(), 2 * 465);
}
