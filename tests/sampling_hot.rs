//! Sampled timing's fast untimed call (`collect/local/hot.rs`): an untimed call on the last
//! untimed call's path runs on a destructor-free thread-local alone. It serves threads that do
//! not account memory, so this file installs no `profkit::Alloc` (tests/sampling.rs does, and
//! there untimed calls take the other path). Counts stay exact, a timed call after untimed ones
//! inherits nothing from them, profkit's own allocations stay unrecorded when the allocator is
//! profiled, and a call made during thread teardown is harmless.
//!
//! The rate is process-wide, so the tests of this file take turns (`LOCK`).

mod common;

use std::sync::Mutex;

use common::profiled_alloc::Profiled;
use common::{ns, sampled};
use profkit::profile;
use profkit::testing::{TestClock, advance};

static LOCK: Mutex<()> = Mutex::new(());

/// A profiled global allocator (no memory accounting): profkit allocates inside its own
/// bookkeeping, where these calls must go unrecorded.
#[global_allocator]
static ALLOCATOR: Profiled = Profiled;

#[profile]
fn leaf() {
    advance(ns(100));
}

#[profile]
fn outer(n: u64) {
    advance(ns(1_000));
    for _ in 0..n {
        leaf();
    }
}

#[test]
fn untimed_calls_on_the_fast_path_keep_counts_exact_and_estimates_unbiased() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _clock = TestClock::install().unwrap();
    let (_, report) = sampled(16, || {
        profkit::record(|| {
            for _ in 0..10 {
                outer(1_000);
            }
        })
    });
    assert_eq!(report.sampling(), Some(16));
    let leaf = report.function("leaf").unwrap();
    assert_eq!((leaf.ncalls(), leaf.primitive_calls()), (10_000, 10_000));
    assert_eq!(leaf.caller("outer").unwrap().ncalls(), 10_000);
    // Every call of leaf costs 100 ns, so the mean of any sample of them is 100 ns.
    assert_eq!(leaf.tottime(), ns(1_000_000));
    let timed = leaf.latency().unwrap().count();
    assert!(
        (10_000 / 32..10_000 / 8).contains(&timed),
        "{timed} timed calls"
    );
    let outer = report.function("outer").unwrap();
    assert_eq!(outer.ncalls(), 10);
    assert_eq!(outer.tottime(), ns(10_000));
    assert_eq!(outer.cumtime(), ns(1_010_000));
}

#[profile]
fn child() {
    advance(ns(100));
}

/// Its own time is 10 ns; with `call_child`, a child of 100 ns more.
#[profile]
fn parent(call_child: bool) {
    advance(ns(10));
    if call_child {
        child();
    }
}

#[test]
fn a_timed_call_does_not_inherit_the_child_time_of_an_untimed_one() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _clock = TestClock::install().unwrap();
    sampled(1_000_000, || {
        // Timed (a path's first call), then untimed (its countdown is drawn from
        // 0..2_000_000), with a timed child: a new path's first call is timed.
        parent(false);
        parent(true);
    });
    let report = profkit::report();
    let p = report.function("parent").unwrap();
    assert_eq!((p.ncalls(), p.latency().unwrap().count()), (2, 1));
    assert_eq!(report.function("child").unwrap().ncalls(), 1);
    // Exact mode again: this call's own time is its own 10 ns, not less the untimed call's
    // child's 100 ns.
    let (_, after) = profkit::record(|| parent(false));
    let p = after.function("parent").unwrap();
    assert_eq!((p.ncalls(), p.tottime(), p.cumtime()), (1, ns(10), ns(10)));
}

#[profile]
fn build(i: u64) -> u64 {
    let a = Box::new(i);
    let b = Box::new(i + 1);
    // A new call path each time: profkit allocates (the node, the function's histogram)
    // while the last untimed call is `alloc` under `build`.
    let c = NEW_PATHS[i as usize % NEW_PATHS.len()]();
    *a + *b + c
}

macro_rules! new_paths {
    ($($name:ident),*) => {
        $(#[profile] fn $name() -> u64 { 1 })*
        static NEW_PATHS: &[fn() -> u64] = &[$($name),*];
    };
}
new_paths!(p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11);

#[test]
fn profkits_own_allocations_stay_unrecorded_while_the_allocator_is_profiled() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let calls = NEW_PATHS.len() as u64;
    let (total, report) = sampled(1_000_000, || {
        profkit::record(|| {
            // The first call times `alloc` under `build` and draws its countdown; the
            // next ones find it in the last-untimed entry.
            (0..=calls).map(build).sum::<u64>()
        })
    });
    assert!(total > 0);
    let alloc = report.function("alloc").unwrap();
    // Two boxes per call of `build`, and nothing of what profkit allocated meanwhile.
    assert_eq!(
        alloc.caller("build").unwrap().ncalls(),
        2 * (calls + 1),
        "{report}"
    );
    let dealloc = report.function("dealloc").unwrap();
    assert_eq!(dealloc.caller("build").unwrap().ncalls(), 2 * (calls + 1));
}

struct CallsOnDrop;

impl Drop for CallsOnDrop {
    fn drop(&mut self) {
        // Thread teardown: profkit's recording of this thread may be gone already.
        for _ in 0..100 {
            leaf();
        }
    }
}

thread_local! {
    static ON_EXIT: CallsOnDrop = const { CallsOnDrop };
}

#[test]
fn untimed_calls_during_thread_teardown_are_harmless() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _clock = TestClock::install().unwrap();
    let before = profkit::report().function("leaf").map_or(0, |f| f.ncalls());
    sampled(1_000_000, || {
        std::thread::spawn(|| {
            // Registered before profkit's thread state: destroyed after it.
            ON_EXIT.with(|_| ());
            for _ in 0..100 {
                leaf();
            }
        })
        .join()
        .unwrap();
    });
    let after = profkit::report().function("leaf").unwrap().ncalls();
    // The calls before teardown, exactly; those during it may or may not be recorded.
    assert!(
        (100..=200).contains(&(after - before)),
        "{}",
        after - before
    );
}
