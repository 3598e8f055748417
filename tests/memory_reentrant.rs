//! `profkit::Alloc` around an allocator that is itself profiled: the wrapper's counting and the
//! inner allocator's profiled calls re-enter profkit from inside the allocator, which must
//! neither recurse nor deadlock, and still count every allocation once.

mod common;

use common::profiled_alloc::Profiled;

#[global_allocator]
static ALLOC: profkit::Alloc<Profiled> = profkit::Alloc::new(Profiled);

#[profkit::profile]
fn build(n: u64) -> Vec<u64> {
    (0..n).collect()
}

#[test]
fn a_profiled_inner_allocator_neither_recurses_nor_loses_counts() {
    let (v, report) = profkit::record(|| build(100));
    assert_eq!(v.len(), 100);
    // The inner allocator's call has returned when the wrapper counts: the allocation is
    // build's own.
    let b = report.function("build").unwrap();
    let m = b.memory().unwrap();
    assert_eq!((m.allocs(), m.bytes()), (1, 800));
    let alloc = report.function("alloc").unwrap();
    assert!(alloc.caller("build").is_ok());
    assert!(
        alloc.memory().unwrap().allocs() == 0,
        "its own calls count nothing"
    );
    // Threads start and end through it too.
    let handles: Vec<_> = (0..4)
        .map(|i| std::thread::spawn(move || build(10 * i).len()))
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let all = profkit::report();
    assert!(all.function("build").unwrap().ncalls() >= 5);
    assert!(profkit::heap().total_allocs() > 0);
}
