//! Threads record into their own trees; `report()` merges threads that ended and threads still
//! running, without stopping them, and never loses or double counts a call.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::Duration;

use profkit::profile;

#[profile]
fn work(i: u64) -> u64 {
    black_box(i)
}

#[profile]
fn outer(n: u64) -> u64 {
    (0..n).map(work).sum()
}

fn ncalls(name: &str) -> u64 {
    profkit::report().function(name).map_or(0, |f| f.ncalls())
}

#[test]
fn concurrent_reports_while_four_threads_record_lose_and_double_count_nothing() {
    const THREADS: u64 = 4;
    const CALLS: u64 = 100_000;
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        thread::spawn(move || {
            let (mut last, mut reads) = (0, 0u64);
            while !stop.load(Ordering::Relaxed) {
                let seen = ncalls("threads::work");
                assert!(
                    seen >= last,
                    "a later report saw fewer calls: {seen} < {last}"
                );
                assert!(seen <= THREADS * CALLS, "more calls than were made: {seen}");
                last = seen;
                reads += 1;
            }
            reads
        })
    };
    let start = Arc::new(Barrier::new(THREADS as usize));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let start = start.clone();
            thread::spawn(move || {
                start.wait();
                outer(CALLS)
            })
        })
        .collect();
    for w in workers {
        assert_eq!(w.join().unwrap(), CALLS * (CALLS - 1) / 2);
    }
    stop.store(true, Ordering::Relaxed);
    let reads = reader.join().unwrap();
    assert!(reads > 0);

    let report = profkit::report();
    let work = report.function("threads::work").unwrap();
    assert_eq!(
        (work.ncalls(), work.primitive_calls()),
        (THREADS * CALLS, THREADS * CALLS)
    );
    let edge = work.caller("threads::outer").unwrap();
    assert_eq!(edge.ncalls(), THREADS * CALLS);
    assert_eq!(report.function("threads::outer").unwrap().ncalls(), THREADS);
}

#[profile]
fn live_child() {}

#[profile]
fn live_parent(done: &mpsc::Sender<()>, release: &mpsc::Receiver<()>) {
    for _ in 0..10 {
        live_child();
    }
    done.send(()).unwrap();
    release.recv().unwrap();
}

#[test]
fn running_threads_show_completed_calls_and_are_counted_once_after_they_end() {
    let (done_tx, done_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let t = thread::spawn(move || live_parent(&done_tx, &release_rx));
    done_rx.recv().unwrap();

    // The thread is blocked inside `live_parent`: its children are complete, it is not.
    let report = profkit::report();
    assert_eq!(report.function("live_child").unwrap().ncalls(), 10);
    // A call in flight is not counted; it has a row (its callees name it) with no calls.
    let parent = report.function("live_parent").unwrap();
    assert_eq!((parent.ncalls(), parent.cumtime()), (0, Duration::ZERO));

    release_tx.send(()).unwrap();
    t.join().unwrap();
    let report = profkit::report();
    assert_eq!(report.function("live_child").unwrap().ncalls(), 10);
    assert_eq!(report.function("live_parent").unwrap().ncalls(), 1);
    let edge = report.function("live_child").unwrap();
    assert_eq!(edge.caller("live_parent").unwrap().ncalls(), 10);
}

#[profile]
fn short_lived(i: u64) -> u64 {
    i + 1
}

#[test]
fn threads_that_come_and_go_are_all_counted() {
    for round in 0..50 {
        let handles: Vec<_> = (0..4)
            .map(|i| thread::spawn(move || short_lived(round * 4 + i)))
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
    assert_eq!(ncalls("short_lived"), 200);
}

#[profile]
fn in_destructor() {}

struct CallsOnDrop;

impl Drop for CallsOnDrop {
    fn drop(&mut self) {
        in_destructor();
    }
}

thread_local! {
    static CALLS_ON_DROP: CallsOnDrop = const { CallsOnDrop };
}

#[test]
fn profiled_calls_during_thread_local_teardown_do_not_panic() {
    for order in 0..2 {
        thread::spawn(move || {
            // Both orders of first use, so the destructor runs both before and after
            // profkit's own thread-local is torn down.
            if order == 0 {
                in_destructor();
                CALLS_ON_DROP.with(|_| ());
            } else {
                CALLS_ON_DROP.with(|_| ());
                in_destructor();
            }
        })
        .join()
        .expect("a profiled call in a thread-local destructor must not panic");
    }
    // Two calls from the threads' bodies; the two from destructors count when the thread's
    // recording is still alive then, and are skipped otherwise.
    let n = ncalls("in_destructor");
    assert!((2..=4).contains(&n), "{n}");
}
