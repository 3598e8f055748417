//! The allocator wrapper where programs are fragile: before `main`, while threads start and
//! while their thread-locals are torn down, with recording switched off, through `realloc`,
//! and beside `reset()`. Nothing crashes and every count is where the rules put it.

use std::cell::RefCell;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

#[global_allocator]
static ALLOC: profkit::Alloc = profkit::Alloc::system();

#[profkit::profile]
fn before_main_work() -> usize {
    let v: Vec<u64> = Vec::with_capacity(4); // 32 bytes
    black_box(v).capacity()
}

static BEFORE_MAIN: AtomicUsize = AtomicUsize::new(0);

extern "C" fn run_before_main() {
    BEFORE_MAIN.store(before_main_work(), Ordering::Relaxed);
}

// SAFETY: `.init_array` holds plain `extern "C" fn()` pointers that the loader calls before
// `main`; this one records a profiled call that allocates, which is what the test wants to
// see work that early. It does not unwind (nothing in it panics).
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static INIT: extern "C" fn() = run_before_main;

#[cfg(target_os = "linux")]
#[test]
fn a_profiled_allocation_before_main_is_recorded() {
    assert_eq!(BEFORE_MAIN.load(Ordering::Relaxed), 4);
    let report = profkit::report();
    let m = report
        .function("before_main_work")
        .unwrap()
        .memory()
        .unwrap();
    assert_eq!((m.allocs(), m.bytes(), m.frees()), (1, 32, 1));
}

#[profkit::profile]
fn in_teardown() -> usize {
    vec![7u8; 48].len()
}

struct AllocatesWhenDropped;

impl Drop for AllocatesWhenDropped {
    fn drop(&mut self) {
        // Runs while the thread's thread-locals are destroyed, profkit's among them (before
        // or after this one): a profiled call that allocates must neither crash nor be lost.
        let v: Vec<u64> = (0..100).collect();
        black_box(in_teardown() + v.len());
    }
}

thread_local! {
    static DROPS_LATE: RefCell<Option<AllocatesWhenDropped>> = const { RefCell::new(None) };
}

#[profkit::profile]
fn thread_body() -> usize {
    let v: Vec<u16> = Vec::with_capacity(10); // 20 bytes
    v.capacity()
}

#[test]
fn threads_that_start_and_tear_down_while_allocating_are_counted() {
    let (_, report) = profkit::record(|| {
        std::thread::scope(|s| {
            for _ in 0..3 {
                profkit::spawn_scoped(s, || {
                    DROPS_LATE.with(|d| *d.borrow_mut() = Some(AllocatesWhenDropped));
                    thread_body()
                });
            }
        })
    });
    let m = report.function("thread_body").unwrap().memory().unwrap();
    assert_eq!((m.allocs(), m.bytes()), (3, 60));
    // The threads ended (their teardown ran the allocating destructor): the process heap
    // still adds up, the teardown's allocations counted outside any recorded call.
    let all = profkit::report();
    let heap = all.heap().unwrap();
    assert!(heap.total_allocs() >= 3);
    assert!(all.memory_outside().unwrap().allocs() > 0);
}

#[profkit::profile]
fn quiet() -> Vec<u8> {
    Vec::with_capacity(16)
}

#[test]
fn with_recording_off_allocations_go_to_the_calls_that_are_open() {
    let (_, report) = profkit::record(|| {
        profkit::disable();
        let v = quiet();
        profkit::enable();
        v
    });
    assert!(report.function("quiet").is_err(), "not recorded while off");
    let outside = report.memory_outside().unwrap();
    assert_eq!((outside.allocs(), outside.bytes()), (1, 16));
}

#[profkit::profile]
fn grows() -> usize {
    let mut v: Vec<u64> = Vec::with_capacity(1); // 8 bytes
    v.reserve_exact(100); // realloc to 800 bytes: a free of 8 and an allocation of 800
    v.capacity()
}

#[test]
fn realloc_is_a_free_of_the_old_size_and_an_allocation_of_the_new() {
    let (cap, report) = profkit::record(grows);
    assert_eq!(cap, 100);
    let m = report.function("grows").unwrap().memory().unwrap();
    assert_eq!((m.allocs(), m.bytes()), (2, 808));
    assert_eq!((m.frees(), m.freed_bytes()), (2, 808));
    assert_eq!(m.peak_bytes(), 800);
}

#[profkit::profile]
fn peak_of_one_call(n: usize) -> usize {
    let big = vec![0u8; n];
    let len = big.len();
    drop(big);
    let small: Vec<u8> = black_box(vec![0u8; 10]);
    len + small.len()
}

#[test]
fn the_peak_is_the_largest_call_of_a_window_and_windows_are_separate() {
    let (_, first) = profkit::record(|| peak_of_one_call(10_000));
    let (_, second) = profkit::record(|| peak_of_one_call(100));
    let peak = |r: &profkit::Report| {
        r.function("peak_of_one_call")
            .unwrap()
            .memory()
            .unwrap()
            .peak_bytes()
    };
    assert_eq!(peak(&first), 10_000);
    assert_eq!(
        peak(&second),
        100,
        "the earlier, larger call is not in this record"
    );
    let (_, both) = profkit::record(|| {
        peak_of_one_call(300);
        peak_of_one_call(200)
    });
    assert_eq!(peak(&both), 300);
}
