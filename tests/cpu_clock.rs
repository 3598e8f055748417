//! The clock is chosen at run time: wall time by default, or per-thread CPU time. The choice is
//! process-wide, so this file holds one test.

use std::time::Duration;

use profkit::{ClockKind, profile};

#[profile]
fn nap() {
    std::thread::sleep(Duration::from_millis(30));
}

/// This thread's CPU time in nanoseconds, as the scheduler accounts it (Linux).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Runs until this thread has used 30 ms of CPU (however loaded the machine is; at most 2 s),
/// and returns the wall time it took by `Instant`.
#[profile]
fn spin() -> Duration {
    let start = std::time::Instant::now();
    let cpu = thread_cpu_ns();
    let mut x = 0u64;
    while thread_cpu_ns() < cpu + 30_000_000 && start.elapsed() < Duration::from_secs(2) {
        for _ in 0..1000 {
            x = std::hint::black_box(x + 1);
        }
    }
    start.elapsed()
}

#[test]
fn a_sleeping_function_has_wall_time_but_almost_no_cpu_time() {
    let (spin_elapsed, wall) = profkit::record(|| {
        nap();
        spin()
    });
    assert_eq!(wall.clock(), Some(ClockKind::Wall));
    assert!(wall.function("nap").unwrap().cumtime() >= Duration::from_millis(30));
    // The calibrated TSC agrees with the OS clock; within 2% allows for the calibration.
    let spun_wall = wall.function("spin").unwrap().cumtime();
    assert!(
        spun_wall.as_secs_f64() >= 0.98 * spin_elapsed.as_secs_f64(),
        "spin took {spin_elapsed:?} by Instant, {spun_wall:?} by the profiler's wall clock"
    );

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
        spun >= Duration::from_millis(29),
        "spinning for 30 ms of CPU measured only {spun:?} of CPU"
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
