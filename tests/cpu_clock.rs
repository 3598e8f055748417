//! The clock is chosen at run time: wall time by default, or per-thread CPU time. The choice is
//! process-wide, so this file holds one test.

use std::time::Duration;

use profkit::{ClockKind, profile};

#[profile]
fn nap() {
    std::thread::sleep(Duration::from_millis(30));
}

#[profile]
fn spin() -> u64 {
    let start = std::time::Instant::now();
    let mut x = 0u64;
    while start.elapsed() < Duration::from_millis(30) {
        x = std::hint::black_box(x + 1);
    }
    x
}

#[test]
fn a_sleeping_function_has_wall_time_but_almost_no_cpu_time() {
    let (_, wall) = profkit::record(|| {
        nap();
        spin();
    });
    assert_eq!(wall.clock(), Some(ClockKind::Wall));
    assert!(wall.function("nap").unwrap().cumtime() >= Duration::from_millis(30));
    assert!(wall.function("spin").unwrap().cumtime() >= Duration::from_millis(30));

    profkit::set_clock(ClockKind::ThreadCpu);
    let (_, cpu) = profkit::record(|| {
        nap();
        spin();
    });
    profkit::set_clock(ClockKind::Wall);
    assert_eq!(cpu.clock(), Some(ClockKind::ThreadCpu));
    let napped = cpu.function("nap").unwrap().cumtime();
    assert!(
        napped < Duration::from_millis(5),
        "sleeping used {napped:?} of CPU"
    );
    let spun = cpu.function("spin").unwrap().cumtime();
    assert!(
        spun >= Duration::from_millis(15),
        "spinning used only {spun:?} of CPU"
    );
    assert!(cpu.latency().to_string().contains("clock: cpu"));

    // Back on the wall clock, and set_clock reset what came before.
    let (_, again) = profkit::record(nap);
    assert_eq!(again.clock(), Some(ClockKind::Wall));
    assert!(
        profkit::report().function("spin").is_err(),
        "set_clock resets"
    );
}
