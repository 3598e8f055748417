//! How close the sampled CPU share comes to the truth: `cargo bench -p profkit-suite --bench cpu_share`.
//!
//! Functions of known mixes of computing and sleeping run with CPU recording on
//! (`profkit::set_cpu(true)`); each one also measures itself directly: the thread's CPU clock
//! and the wall clock read around its body, summed over its calls. The table gives, per
//! function, its calls, its cumtime, the true CPU share (CPU clock over wall clock around the
//! bodies), profkit's `cpu_share()`, and the error in percentage points. The target: a
//! function with at least 10 ms in total within 10 points.
//!
//! `cargo test --benches` runs it once with tiny sizes (no figure is checked there: timing is
//! measured in benches, never asserted in tests).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The calling thread's CPU clock, in ns.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

thread_local! {
    /// Per function: (calls, CPU ns, wall ns) measured around the body.
    static TRUTH: RefCell<BTreeMap<&'static str, (u64, u64, u64)>> = RefCell::default();
}

/// Runs `body`, adding its CPU and wall time to `name`'s truth.
fn measured<T>(name: &'static str, body: impl FnOnce() -> T) -> T {
    let (cpu0, wall0) = (thread_cpu_ns(), Instant::now());
    let value = body();
    let (cpu, wall) = (
        thread_cpu_ns().saturating_sub(cpu0),
        wall0.elapsed().as_nanos() as u64,
    );
    TRUTH.with(|t| {
        let mut t = t.borrow_mut();
        let e = t.entry(name).or_default();
        *e = (e.0 + 1, e.1 + cpu, e.2 + wall);
    });
    value
}

/// Computes for `d` of this thread's CPU time.
fn compute(d: Duration) -> u64 {
    let start = thread_cpu_ns();
    let mut x = 0u64;
    while thread_cpu_ns().saturating_sub(start) < d.as_nanos() as u64 {
        for i in 0..200u64 {
            x = black_box(x.wrapping_mul(31).wrapping_add(i));
        }
    }
    x
}

/// 100% CPU.
#[profkit::profile]
fn spin(d: Duration) -> u64 {
    measured("spin", || compute(d))
}

/// 0% CPU.
#[profkit::profile]
fn nap(d: Duration) {
    measured("nap", || std::thread::sleep(d));
}

/// Half computing, half sleeping, alternating every `grain` (no profiled call inside).
#[profkit::profile]
fn half_fine(total: Duration, grain: Duration) -> u64 {
    measured("half_fine", || alternate(total, grain))
}

#[profkit::profile]
fn half_1ms(total: Duration, grain: Duration) -> u64 {
    measured("half_1ms", || alternate(total, grain))
}

#[profkit::profile]
fn half_5ms(total: Duration, grain: Duration) -> u64 {
    measured("half_5ms", || alternate(total, grain))
}

fn alternate(total: Duration, grain: Duration) -> u64 {
    let mut x = 0;
    let mut spent = Duration::ZERO;
    while spent < total {
        x ^= compute(grain);
        std::thread::sleep(grain);
        spent += 2 * grain;
    }
    x
}

/// Short calls, alternately computing and sleeping, under one parent: each its own function.
#[profkit::profile]
fn tick_cpu(d: Duration) -> u64 {
    measured("tick_cpu", || compute(d))
}

#[profkit::profile]
fn tick_wait(d: Duration) {
    measured("tick_wait", || std::thread::sleep(d));
}

#[profkit::profile]
fn ticks(n: u32, d: Duration) -> u64 {
    measured("ticks", || {
        (0..n).fold(0, |x, _| {
            tick_wait(d);
            x ^ tick_cpu(d)
        })
    })
}

/// A parent of a spin and a nap: its cumulative share is the mix of the two.
#[profkit::profile]
fn request(d: Duration) -> u64 {
    measured("request", || {
        nap(d);
        spin(d)
    })
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    // In test mode: a few milliseconds in all.
    let scale = if full { 1 } else { 0 };
    let ms = |m: u64| Duration::from_millis(m * scale).max(Duration::from_micros(100));
    profkit::set_cpu(true);
    let (_, report) = profkit::record(|| {
        for _ in 0..4 {
            spin(ms(10));
            nap(ms(10));
        }
        half_fine(ms(60), Duration::from_micros(100));
        half_1ms(ms(60), Duration::from_millis(1));
        half_5ms(ms(60), Duration::from_millis(5));
        ticks(if full { 1_000 } else { 5 }, Duration::from_micros(20));
        for _ in 0..3 {
            request(ms(10));
        }
    });
    profkit::set_cpu(false);
    if !full {
        println!(
            "cpu_share: test mode, sizes too small to mean anything; `cargo bench -p profkit-suite --bench cpu_share`"
        );
        return;
    }
    println!("\nCPU share: profkit's sampled figure against the CPU clock read around each body");
    println!(
        "{:<10} {:>6} {:>10} {:>8} {:>8} {:>7}",
        "function", "calls", "cumtime", "truth", "profkit", "error"
    );
    let truth = TRUTH.with(|t| t.borrow().clone());
    let mut worst: f64 = 0.0;
    for (name, (calls, cpu, wall)) in truth {
        let Ok(f) = report.function(name) else {
            continue;
        };
        let true_share = cpu as f64 / wall as f64 * 100.0;
        let Some(share) = f.cpu_share() else {
            println!("{name:<10} no CPU figures (a platform without per-thread CPU clocks)");
            continue;
        };
        let share = share * 100.0;
        let error = share - true_share;
        worst = worst.max(error.abs());
        println!(
            "{name:<10} {calls:>6} {:>7.1} ms {true_share:>7.1}% {share:>7.1}% {error:>+6.1}",
            f.cumtime().as_secs_f64() * 1e3,
        );
    }
    println!("largest error: {worst:.1} points");
}
