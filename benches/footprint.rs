//! What profkit costs besides time: `cargo bench -p profkit-suite --bench footprint`.
//!
//! - Resident memory per function and thread: 1,000 profiled functions, each called 10 times on
//!   each of 8 threads (cold code: a few calls per function), measured as the growth of the
//!   process's resident set while the threads are alive.
//! - Thread start while reports run: how long a new thread's first profiled call takes (it
//!   registers the thread, under the registry lock) while another thread builds reports of a
//!   profile of 8,190 call paths in a loop, against the same with no report running.
//!
//! Without `--bench` (as `cargo test --benches` runs it) it does a small version of each, to
//! check that it works.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// Ten profiled functions in a module; each is its own call site.
macro_rules! ten {
    () => {
        #[profkit::profile]
        pub fn f0(x: u64) -> u64 {
            std::hint::black_box(x)
        }
        #[profkit::profile]
        pub fn f1(x: u64) -> u64 {
            std::hint::black_box(x) + 1
        }
        #[profkit::profile]
        pub fn f2(x: u64) -> u64 {
            std::hint::black_box(x) + 2
        }
        #[profkit::profile]
        pub fn f3(x: u64) -> u64 {
            std::hint::black_box(x) + 3
        }
        #[profkit::profile]
        pub fn f4(x: u64) -> u64 {
            std::hint::black_box(x) + 4
        }
        #[profkit::profile]
        pub fn f5(x: u64) -> u64 {
            std::hint::black_box(x) + 5
        }
        #[profkit::profile]
        pub fn f6(x: u64) -> u64 {
            std::hint::black_box(x) + 6
        }
        #[profkit::profile]
        pub fn f7(x: u64) -> u64 {
            std::hint::black_box(x) + 7
        }
        #[profkit::profile]
        pub fn f8(x: u64) -> u64 {
            std::hint::black_box(x) + 8
        }
        #[profkit::profile]
        pub fn f9(x: u64) -> u64 {
            std::hint::black_box(x) + 9
        }
        pub const ALL: [fn(u64) -> u64; 10] = [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9];
    };
}

/// Ten modules of `$inner`, and the table of all their functions.
macro_rules! tens {
    ($inner:ident, $len:expr) => {
        pub mod m0 {
            $inner!();
        }
        pub mod m1 {
            $inner!();
        }
        pub mod m2 {
            $inner!();
        }
        pub mod m3 {
            $inner!();
        }
        pub mod m4 {
            $inner!();
        }
        pub mod m5 {
            $inner!();
        }
        pub mod m6 {
            $inner!();
        }
        pub mod m7 {
            $inner!();
        }
        pub mod m8 {
            $inner!();
        }
        pub mod m9 {
            $inner!();
        }
        pub fn all() -> Vec<fn(u64) -> u64> {
            let mut v = Vec::with_capacity($len * 10);
            for m in [
                &m0::all(),
                &m1::all(),
                &m2::all(),
                &m3::all(),
                &m4::all(),
                &m5::all(),
                &m6::all(),
                &m7::all(),
                &m8::all(),
                &m9::all(),
            ] {
                v.extend_from_slice(m);
            }
            v
        }
    };
}

macro_rules! hundred {
    () => {
        ten!();
        #[allow(dead_code)]
        pub fn all() -> Vec<fn(u64) -> u64> {
            ALL.to_vec()
        }
    };
}

macro_rules! thousand {
    () => {
        tens!(hundred, 10);
    };
}

mod funcs {
    tens!(thousand, 100);
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let threads = if full { 8 } else { 2 };
    let functions = funcs::all();
    assert_eq!(functions.len(), 1000);
    let functions = if full {
        functions
    } else {
        functions[..50].to_vec()
    };
    resident_per_function_thread(&functions, threads);
    thread_start_while_reporting(if full { 300 } else { 5 });
}

/// Resident bytes of this process, from /proc/self/statm (Linux; pages of 4 KiB on x86_64).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn resident_per_function_thread(functions: &[fn(u64) -> u64], threads: usize) {
    let ready = Arc::new(Barrier::new(threads + 1));
    let called = Arc::new(Barrier::new(threads + 1));
    let done = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (ready, called, done) = (ready.clone(), called.clone(), done.clone());
            let functions = functions.to_vec();
            std::thread::spawn(move || {
                // The thread records already (its first call), so what follows is per function.
                black_box(funcs::m9::m9::f9(0));
                ready.wait();
                let mut acc = 0;
                for f in &functions {
                    for i in 0..10 {
                        acc += f(i);
                    }
                }
                black_box(acc);
                called.wait();
                done.wait();
            })
        })
        .collect();
    ready.wait();
    let before = resident_bytes();
    called.wait();
    let after = resident_bytes();
    done.wait();
    for h in handles {
        h.join().unwrap();
    }
    let report = profkit::report();
    let counted: u64 = report.functions().map(|f| f.ncalls()).sum();
    let expected = (functions.len() * 10 * threads + threads) as u64;
    assert!(
        counted >= expected,
        "{counted} calls recorded, {expected} made"
    );
    if let (Some(before), Some(after)) = (before, after) {
        let per = after.saturating_sub(before) as f64 / (functions.len() * threads) as f64;
        println!(
            "resident memory: {} functions x {threads} threads x 10 calls: +{:.1} MB, {per:.0} bytes \
             per function-thread",
            functions.len(),
            after.saturating_sub(before) as f64 / 1e6,
        );
    }
}

#[profkit::profile]
fn branch_a(depth: u32) {
    if depth > 0 {
        branch_a(depth - 1);
        branch_b(depth - 1);
    }
}

#[profkit::profile]
fn branch_b(depth: u32) {
    if depth > 0 {
        branch_a(depth - 1);
        branch_b(depth - 1);
    }
}

#[profkit::profile]
fn first_call() -> u64 {
    black_box(1)
}

/// The first profiled call of `starts` new threads, one after the other: (p50, p99, max).
fn start_latencies(starts: usize) -> (Duration, Duration, Duration) {
    let mut times: Vec<Duration> = (0..starts)
        .map(|_| {
            std::thread::spawn(|| {
                let t = Instant::now();
                black_box(first_call());
                t.elapsed()
            })
            .join()
            .unwrap()
        })
        .collect();
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99), at(1.0))
}

fn thread_start_while_reporting(starts: usize) {
    // 2^13 - 2 = 8,190 call paths on this thread.
    branch_a(11);
    branch_b(11);
    let quiet = start_latencies(starts);
    let stop = Arc::new(AtomicBool::new(false));
    let reports = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut n = 0u64;
            let t = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                black_box(profkit::report());
                n += 1;
            }
            (n, t.elapsed())
        })
    };
    // Let the report loop start.
    std::thread::sleep(Duration::from_millis(20));
    let busy = start_latencies(starts);
    stop.store(true, Ordering::Relaxed);
    let (n, took) = reports.join().unwrap();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "thread start (first profiled call) over {starts} threads, p50 / p99 / max: \
         {:.1} / {:.1} / {:.1} us with no report running; {:.1} / {:.1} / {:.1} us while \
         report() of 8,190+ call paths runs in a loop ({n} reports, {:.2} ms each)",
        us(quiet.0),
        us(quiet.1),
        us(quiet.2),
        us(busy.0),
        us(busy.1),
        us(busy.2),
        ms(took) / n.max(1) as f64,
    );
}
