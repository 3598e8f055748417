//! A program may profile its own global allocator. profkit allocates inside its own bookkeeping
//! (registering a function's name, creating a call path, building a report); the allocation
//! calls the profiled allocator, which must then go unrecorded instead of re-entering profkit
//! (which once recursed until the stack overflowed) or waiting on a lock this thread holds.

mod common;

use common::profiled_alloc::Profiled;

#[global_allocator]
static ALLOCATOR: Profiled = Profiled;

#[profkit::profile]
fn build(n: u64) -> Vec<u64> {
    (0..n).collect()
}

#[test]
fn profiling_the_global_allocator_neither_crashes_nor_deadlocks() {
    let v = build(100);
    assert_eq!(v.len(), 100);
    // Threads start and end (their recordings register and retire, allocating).
    let handles: Vec<_> = (0..4)
        .map(|i| std::thread::spawn(move || build(10 * i).len()))
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let (w, recorded) = profkit::record(|| build(10));
    assert_eq!(w.len(), 10);
    assert_eq!(recorded.function("build").unwrap().ncalls(), 1);
    let alloc = recorded.function("alloc").unwrap();
    assert!(alloc.caller("build").is_ok(), "{recorded}");

    let report = profkit::report();
    assert!(report.function("build").unwrap().ncalls() >= 6);
    assert!(report.function("alloc").unwrap().ncalls() > 0);
    let text = report.to_string() + &report.latency().to_string() + &report.tree().to_string();
    assert!(text.contains("GlobalAlloc>::alloc"), "{text}");
    let path = std::env::temp_dir().join(format!("profkit-alloc-{}.txt", std::process::id()));
    profkit::write_report(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    profkit::reset();
    assert!(profkit::report().function("build").is_err());
}
