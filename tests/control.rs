//! `enable`, `disable` and `reset` act on the whole process, so this file holds one test that
//! runs its steps in order.

mod common;
use common::block_on;

use std::sync::mpsc;
use std::thread;

use profkit::profile;

#[profile]
fn step() {}

#[profile]
fn disables_inside() {
    profkit::disable();
    step(); // not recorded
}

#[profile]
fn on_thread() {}

#[profile]
async fn quiet_async() {}

fn ncalls(name: &str) -> u64 {
    profkit::report().function(name).map_or(0, |f| f.ncalls())
}

#[test]
fn enable_disable_and_reset() {
    for _ in 0..3 {
        step();
    }
    assert_eq!(ncalls("control::step"), 3);

    profkit::disable();
    assert!(!profkit::is_enabled());
    for _ in 0..5 {
        step();
    }
    assert_eq!(
        ncalls("control::step"),
        3,
        "disabled calls are not recorded"
    );
    profkit::enable();
    step();
    assert_eq!(ncalls("control::step"), 4);

    // Futures are not counted while recording is disabled.
    profkit::disable();
    block_on(quiet_async());
    profkit::enable();
    assert!(profkit::report().function("quiet_async").is_err());

    // A call open when recording stops still ends normally.
    disables_inside();
    profkit::enable();
    assert_eq!(ncalls("disables_inside"), 1);
    assert_eq!(ncalls("control::step"), 4);

    profkit::reset();
    assert!(profkit::report().is_empty());
    step();
    step();
    assert_eq!(ncalls("control::step"), 2);

    // A thread alive across a reset: what it did before is forgotten, what it does after is
    // counted once, before and after it ends.
    let (ready_tx, ready_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let t = thread::spawn(move || {
        for _ in 0..10 {
            on_thread();
        }
        ready_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        for _ in 0..5 {
            on_thread();
        }
    });
    ready_rx.recv().unwrap();
    assert_eq!(ncalls("on_thread"), 10);
    profkit::reset();
    assert_eq!(ncalls("on_thread"), 0);
    go_tx.send(()).unwrap();
    t.join().unwrap();
    assert_eq!(ncalls("on_thread"), 5);
    assert_eq!(ncalls("control::step"), 0);
}
