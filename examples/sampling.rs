//! Sampled timing beside exact mode on a steady workload.
//!
//! Run: `cargo run --release --example sampling`
//!
//! Each function's tottime is printed as exact mode measures it and as rate 16
//! (`profkit::set_sampling(16)`, `PROFKIT_SAMPLE=16`) estimates it, with identical call
//! counts, and each function's median call. Figures are means over a few recordings of each
//! mode, interleaved: not the fastest round, as the estimate is unbiased but its error is
//! skewed (a preempted timed call stands for 16), so the fastest round of a sampled run is
//! biased low. On a loaded machine, both modes' tottimes include time slices of other
//! processes; the medians do not.

use std::hint::black_box;

/// `rounds` dependent multiply-adds: work of a steady cost.
#[inline(always)]
fn spin(x: u64, rounds: u32) -> u64 {
    let mut v = x;
    for _ in 0..rounds {
        v = black_box(v.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
    }
    v
}

#[profkit::profile]
#[inline(never)]
fn cheap(x: u64) -> u64 {
    spin(x, 20)
}

#[profkit::profile]
#[inline(never)]
fn dear(x: u64) -> u64 {
    spin(x, 200)
}

/// Per call: some work of its own, 20 calls of `cheap` and 5 of `dear`.
#[profkit::profile]
#[inline(never)]
fn outer(x: u64) -> u64 {
    let mut acc = spin(x, 50);
    for i in 0..20 {
        acc ^= cheap(x + i);
    }
    for i in 0..5 {
        acc ^= dear(x + i);
    }
    acc
}

fn work() {
    let mut acc = 0u64;
    for i in 0..40_000u64 {
        acc ^= outer(i);
    }
    black_box(acc);
}

const NAMES: [&str; 3] = ["outer", "cheap", "dear"];
const ROUNDS: usize = 9;

/// (ncalls, tottime ns, median call ns) of each function of `NAMES`.
fn figures(report: &profkit::Report) -> Vec<(u64, f64, f64)> {
    NAMES
        .iter()
        .map(|n| {
            let f = report.function(n).expect("recorded");
            let p50 = f.latency().map_or(0.0, |l| l.p50().as_secs_f64() * 1e9);
            (f.ncalls(), f.tottime().as_secs_f64() * 1e9, p50)
        })
        .collect()
}

fn main() {
    work(); // warm up
    // Per mode: the sum over the rounds of each function's (ncalls, tottime ns, p50 ns).
    let mut sums = [[(0u64, 0.0f64, 0.0f64); 3]; 2];
    for _ in 0..ROUNDS {
        for (sum, rate) in sums.iter_mut().zip([1, 16]) {
            profkit::set_sampling(rate);
            let (_, report) = profkit::record(work);
            profkit::set_sampling(1);
            for (s, (n, t, p50)) in sum.iter_mut().zip(figures(&report)) {
                *s = (s.0 + n, s.1 + t, s.2 + p50);
            }
        }
    }
    let rounds = ROUNDS as f64;
    println!("per function, the mean of {ROUNDS} recordings of each mode (interleaved):");
    println!(
        "{:<8} {:>9} {:>12} {:>12} {:>7} {:>10} {:>10}",
        "function", "ncalls", "tottime ms", "rate 16", "diff", "p50 ns", "rate 16"
    );
    for (name, (e, s)) in NAMES.iter().zip(sums[0].iter().zip(&sums[1])) {
        assert_eq!(e.0, s.0, "the counts of {name} differ");
        println!(
            "{name:<8} {:>9} {:>12.3} {:>12.3} {:>+6.1}% {:>10.0} {:>10.0}",
            e.0 / ROUNDS as u64,
            e.1 / rounds / 1e6,
            s.1 / rounds / 1e6,
            (s.1 - e.1) / e.1 * 100.0,
            e.2 / rounds,
            s.2 / rounds
        );
    }
}
