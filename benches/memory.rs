//! The cost of counting memory: `cargo bench -p profkit-suite --bench memory`.
//!
//! A 64-byte allocation and free, through `profkit::Alloc` and through `System`, in the same
//! run. A program has one global allocator, and this one's is `profkit::Alloc` (so that the
//! thread accounts memory, as a profiled program's does); both sides call `GlobalAlloc::alloc`
//! and `dealloc` directly, on a `profkit::Alloc` value and on `System`, so the difference is
//! what the wrapper adds: the counting, on a thread that records, outside or inside a profiled
//! call. divan's table gives each case; the summary printed after it (with `--bench`) gives
//! the extra nanoseconds per pair, best of several runs, and the same on a thread that never
//! recorded (shared counters, locked adds), and the cost of a free on another thread than the
//! one that allocated the block (credited back to its path with a locked add). The module
//! `sized_call` is the cost of a `#[profile(size = ..)]` leaf where the wrapper is installed
//! (each sized call also reads the thread's allocations at both ends) beside an unsized one;
//! `cargo bench -p profkit-suite --bench overhead -- leaf` has the same two without the wrapper.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::thread;
use std::time::Instant;

#[global_allocator]
static GLOBAL: profkit::Alloc = profkit::Alloc::system();

/// The wrapper under test, called directly (it counts exactly as the global one does).
static WRAPPED: profkit::Alloc = profkit::Alloc::system();

const LAYOUT: Layout = match Layout::from_size_align(64, 8) {
    Ok(layout) => layout,
    Err(_) => panic!("64 bytes aligned to 8 is a layout"),
};

/// One allocation of 64 bytes and its free, through `alloc`.
#[inline(always)]
fn pair(alloc: &impl GlobalAlloc) {
    // SAFETY: LAYOUT has a non-zero size. The block is freed once, by the allocator that
    // returned it, with the layout it was allocated with, and only when it is not null.
    unsafe {
        let p = alloc.alloc(LAYOUT);
        if !p.is_null() {
            black_box(p);
            alloc.dealloc(p, LAYOUT);
        }
    }
}

#[inline(never)]
fn system_pair() {
    pair(&System);
}

#[inline(never)]
fn profkit_pair() {
    pair(&WRAPPED);
}

/// Makes the calling thread a recording one (its allocations then go to its call paths).
#[profkit::profile]
fn start_recording() {}

mod outside_a_profiled_call {
    use super::*;

    #[divan::bench(sample_size = 10_000)]
    fn system(b: divan::Bencher) {
        start_recording();
        b.bench_local(system_pair);
    }

    #[divan::bench(sample_size = 10_000)]
    fn profkit_alloc(b: divan::Bencher) {
        start_recording();
        b.bench_local(profkit_pair);
    }
}

mod inside_a_profiled_call {
    use super::*;

    #[divan::bench(sample_size = 10_000)]
    fn system(b: divan::Bencher) {
        profkit::profile_scope!("bench::inside");
        b.bench_local(system_pair);
    }

    #[divan::bench(sample_size = 10_000)]
    fn profkit_alloc(b: divan::Bencher) {
        // Every pair is charged to this open call.
        profkit::profile_scope!("bench::inside");
        b.bench_local(profkit_pair);
    }
}

#[profkit::profile]
#[inline(never)]
fn profiled_leaf(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

#[profkit::profile(size = x)]
#[inline(never)]
fn sized_leaf(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

mod sized_call {
    use super::*;

    #[divan::bench(sample_size = 10_000)]
    fn profiled(b: divan::Bencher) {
        b.bench_local(|| profiled_leaf(black_box(7)));
    }

    /// Its size and time, and the allocations it made (none) read at both ends.
    #[divan::bench(sample_size = 10_000)]
    fn sized(b: divan::Bencher) {
        b.bench_local(|| sized_leaf(black_box(7)));
    }
}

fn main() {
    divan::main();
    if std::env::args().any(|a| a == "--bench") {
        summary();
    }
}

// ---- summary: ns per pair, best of several runs ----

const ITERS: u64 = 2_000_000;
const RUNS: usize = 9;

/// Nanoseconds per call of `f` over `ITERS` calls.
fn once(f: fn()) -> f64 {
    let start = Instant::now();
    for _ in 0..ITERS {
        f();
    }
    start.elapsed().as_nanos() as f64 / ITERS as f64
}

/// Best-of-`RUNS` nanoseconds per pair through `System` and through `profkit::Alloc`, their
/// runs interleaved so that a slow phase of the machine hits both alike.
fn both() -> (f64, f64) {
    (0..RUNS).fold((f64::INFINITY, f64::INFINITY), |(s, p), _| {
        (s.min(once(system_pair)), p.min(once(profkit_pair)))
    })
}

fn row(case: &str, system: f64, profkit: f64) {
    println!(
        "{case:<42} {system:>9.2} {profkit:>9.2} {:>10.2}",
        profkit - system
    );
}

fn summary() {
    println!();
    println!("64-byte alloc + free (ns per pair; best of {RUNS} x {ITERS} pairs)");
    println!(
        "{:<42} {:>9} {:>9} {:>10}",
        "case", "System", "profkit", "extra/pair"
    );
    // A thread that never made a profiled call: the shared counters.
    let (system, profkit) = thread::spawn(both).join().unwrap();
    row("thread that never recorded", system, profkit);
    start_recording();
    let (system, profkit) = both();
    row("recording thread, outside a profiled call", system, profkit);
    profkit::reset(); // so that the count below is this case's alone
    let (system, profkit) = {
        profkit::profile_scope!("bench::inside");
        both()
    };
    row("inside a profiled call", system, profkit);

    // Every pair through the wrapper was counted, on the open call.
    let report = profkit::report();
    let inside = report
        .function("bench::inside")
        .ok()
        .and_then(|f| f.memory())
        .map_or(0, |m| m.allocs());
    println!(
        "(counted {inside} allocations inside bench::inside; {} pairs went through profkit::Alloc)",
        RUNS as u64 * ITERS
    );

    let (system, profkit) = (0..RUNS).fold((f64::INFINITY, f64::INFINITY), |(s, p), _| {
        (s.min(remote_frees(&System)), p.min(remote_frees(&WRAPPED)))
    });
    row(
        "free on another recording thread (per free)",
        system,
        profkit,
    );
}

const BATCH: usize = 100_000;

/// Nanoseconds per free of `BATCH` 64-byte blocks that this thread allocated inside a profiled
/// call, freed by another recording thread.
fn remote_frees<A: GlobalAlloc + Sync>(alloc: &'static A) -> f64 {
    let blocks: Vec<usize> = {
        profkit::profile_scope!("bench::remote");
        // SAFETY: LAYOUT has a non-zero size; each block is freed once, below.
        (0..BATCH)
            .map(|_| unsafe { alloc.alloc(LAYOUT) } as usize)
            .collect()
    };
    thread::spawn(move || {
        start_recording();
        let start = Instant::now();
        for p in blocks {
            if p != 0 {
                // SAFETY: `p` came from `alloc` with LAYOUT and is freed once, by it.
                unsafe { alloc.dealloc(p as *mut u8, LAYOUT) };
            }
        }
        start.elapsed().as_nanos() as f64 / BATCH as f64
    })
    .join()
    .unwrap()
}
