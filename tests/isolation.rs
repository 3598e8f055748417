//! `record` sees only what its closure did (on its thread, and on threads it started with
//! `spawn_scoped`); tests recording at the same time do not see each other, while the
//! process-wide report sees everything.

use std::sync::{Arc, Barrier};
use std::thread;

use profkit::profile;

#[profile]
fn shared_work(n: u64) -> u64 {
    n + 1
}

#[test]
fn two_recordings_at_the_same_time_do_not_see_each_other() {
    let barrier = Arc::new(Barrier::new(2));
    let run = |calls: u64| {
        let barrier = barrier.clone();
        thread::spawn(move || {
            profkit::record(|| {
                barrier.wait(); // both recordings are open now
                for i in 0..calls {
                    shared_work(i);
                }
                barrier.wait(); // and both did all their calls
            })
            .1
        })
    };
    let (a, b) = (run(1_000), run(250));
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    assert_eq!(a.function("shared_work").unwrap().ncalls(), 1_000);
    assert_eq!(b.function("shared_work").unwrap().ncalls(), 250);
    let everything = profkit::report();
    assert!(everything.function("shared_work").unwrap().ncalls() >= 1_250);
}

#[profile]
fn part(i: u64) -> u64 {
    i * 2
}

#[profile]
fn split_work() -> u64 {
    thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                profkit::spawn_scoped(s, move || (0..10).map(|j| part(i * 10 + j)).sum::<u64>())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    })
}

#[test]
fn scoped_threads_started_with_spawn_scoped_are_included() {
    let (sum, report) = profkit::record(split_work);
    assert_eq!(sum, (0..40).map(|i| i * 2).sum::<u64>());
    assert_eq!(report.function("part").unwrap().ncalls(), 40);
    assert_eq!(report.function("split_work").unwrap().ncalls(), 1);
    // Calls on the other threads have no profiled caller there.
    assert!(report.function("part").unwrap().callers().is_empty());
    // Nested recordings: the outer one sees the inner one's threads too.
    let ((_, inner), outer) = profkit::record(|| profkit::record(split_work));
    assert_eq!(inner.function("part").unwrap().ncalls(), 40);
    assert_eq!(outer.function("part").unwrap().ncalls(), 40);
    assert_eq!(outer.function("split_work").unwrap().ncalls(), 1);
}

#[test]
fn threads_started_otherwise_are_not_included() {
    let (_, report) = profkit::record(|| {
        thread::scope(|s| {
            s.spawn(|| part(1));
        });
    });
    assert!(report.function("part").is_err(), "{report}");
}
