//! CPU time beside wall time with the real sampler (its own test binary: turning CPU
//! recording on is process-wide). It compares the sampled CPU time of a spinning function with
//! the thread's CPU clock read around it, and a sleeping function's with zero; the tolerances
//! are stated in the test.

use std::time::Duration;

/// The calling thread's CPU clock, in ns.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0);
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[profkit::profile]
fn spin(cpu_ns: u64) -> u64 {
    let start = thread_cpu_ns();
    let mut x = 0u64;
    while thread_cpu_ns() - start < cpu_ns {
        for i in 0..1_000u64 {
            x = std::hint::black_box(x ^ i);
        }
    }
    x
}

#[profkit::profile]
fn nap(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

#[profkit::profile]
fn request() -> u64 {
    nap(30);
    spin(30_000_000)
}

#[test]
#[cfg(target_os = "linux")]
fn a_spinning_function_is_cpu_and_a_sleeping_one_waits() {
    profkit::set_cpu(true);
    let before = thread_cpu_ns();
    let (_, report) = profkit::record(request);
    let truth = thread_cpu_ns() - before;
    assert!(report.has_cpu());
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let spin = report.function("spin").unwrap();
    let nap = report.function("nap").unwrap();
    let request = report.function("request").unwrap();
    // Tolerances: the sampler looks every millisecond, and a busy machine can delay a look by
    // a few; each boundary between calls can misplace one interval. 30 ms of CPU must come
    // out within 10 ms of 30, and the sleep's CPU time under 5 ms, whatever the load.
    let spin_cpu = ms(spin.cum_cpu_time().unwrap());
    assert!(
        (20.0..=40.0).contains(&spin_cpu),
        "spin: {spin_cpu} ms of CPU"
    );
    let nap_cpu = ms(nap.cum_cpu_time().unwrap());
    assert!(nap_cpu < 5.0, "nap: {nap_cpu} ms of CPU");
    assert!(ms(nap.wait_time().unwrap()) > 25.0);
    assert_eq!(nap.verdict(), Some("waits"));
    // The caller's cumulative CPU time holds its callees', and no more than the thread used.
    let request_cpu = ms(request.cum_cpu_time().unwrap());
    assert!(request_cpu >= spin_cpu + nap_cpu - 0.001);
    assert!(
        request_cpu <= truth as f64 / 1e6 + 2.0,
        "{request_cpu} vs {truth} ns"
    );
    let text = report.to_string();
    assert!(text.contains("cpu% verdict"), "{text}");
    // The tree view gives each path's CPU share.
    let tree = report.tree().to_string();
    assert!(tree.lines().next().unwrap().contains("cpu%"), "{tree}");
    // Folded stacks by waiting time: the sleep is where it waits; by CPU: the spin.
    let value = |folded: &str, leaf: &str| -> u64 {
        folded
            .lines()
            .filter(|l| l.split(' ').next().unwrap().ends_with(leaf))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
            .sum()
    };
    let wait = report.folded_by(profkit::StackMetric::Wait).unwrap();
    let cpu = report.folded_by(profkit::StackMetric::Cpu).unwrap();
    assert!(value(&wait, "::nap") > 25_000_000, "{wait}");
    assert!(value(&cpu, "::spin") > 20_000_000, "{cpu}");
    // JSON keeps the CPU times.
    let back = profkit::Report::from_json_bytes(report.to_json().as_bytes()).unwrap();
    assert_eq!(back, report);
    assert_eq!(
        back.function("spin").unwrap().cum_cpu_time(),
        spin.cum_cpu_time()
    );
}

#[profkit::profile]
fn busy_for_a_while() -> u64 {
    (0..2_000_000u64).map(std::hint::black_box).sum()
}

/// CPU recording switched on for the process, and a thread whose CPU clock cannot be read (as
/// on a platform without per-thread CPU clocks): its figures are `None`, never zeros, while
/// another thread's are recorded.
#[test]
fn with_cpu_on_a_thread_without_a_cpu_clock_reports_none() {
    profkit::set_cpu(true);
    let (_, report) = {
        let _missing = profkit::testing::TestCpuClock::missing();
        profkit::record(busy_for_a_while)
    };
    assert!(!report.has_cpu());
    let f = report.function("busy_for_a_while").unwrap();
    assert_eq!(
        (f.cpu_time(), f.cum_cpu_time(), f.wait_time()),
        (None, None, None)
    );
    assert!(!report.to_string().contains("cpu%"));
    // The same thread with its clock back, where the platform has one.
    let (_, report) = profkit::record(busy_for_a_while);
    let f = report.function("busy_for_a_while").unwrap();
    assert_eq!(f.cpu_time().is_some(), cfg!(target_os = "linux"));
}
