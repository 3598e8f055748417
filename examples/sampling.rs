//! Sampled timing beside exact mode on a steady workload: `cargo run --release --example
//! sampling`. Each function's tottime is printed as exact mode measures it and as rate 16
//! (`profkit::set_sampling(16)`, `PROFKIT_SAMPLE=16`) estimates it, with identical call
//! counts. Each figure is the best (smallest total) of a few recordings, interleaved.

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
const ROUNDS: usize = 5;

/// (ncalls, tottime in ns) of each function of `NAMES`.
fn tottimes(report: &profkit::Report) -> Vec<(u64, f64)> {
    NAMES
        .iter()
        .map(|n| {
            let f = report.function(n).expect("recorded");
            (f.ncalls(), f.tottime().as_secs_f64() * 1e9)
        })
        .collect()
}

fn main() {
    work(); // warm up
    let total = |v: &[(u64, f64)]| v.iter().map(|x| x.1).sum::<f64>();
    let mut best: [Option<Vec<(u64, f64)>>; 2] = [None, None];
    for _ in 0..ROUNDS {
        for (slot, rate) in best.iter_mut().zip([1, 16]) {
            profkit::set_sampling(rate);
            let t0 = std::time::Instant::now();
            let (_, report) = profkit::record(work);
            let wall = t0.elapsed();
            profkit::set_sampling(1);
            if std::env::var_os("PROBE").is_some() {
                let o = report.function("outer").unwrap();
                let c = report.function("cheap").unwrap();
                let d = report.function("dear").unwrap();
                eprintln!(
                    "rate {rate}: wall {:?} outer cum {:?} cheap cum {:?} p50 {:?} n {} dear cum {:?} p50 {:?} n {}",
                    wall,
                    o.cumtime(),
                    c.cumtime(),
                    c.latency().unwrap().p50(),
                    c.latency().unwrap().count(),
                    d.cumtime(),
                    d.latency().unwrap().p50(),
                    d.latency().unwrap().count()
                );
            }
            let t = tottimes(&report);
            if slot.as_ref().is_none_or(|b| total(&t) < total(b)) {
                *slot = Some(t);
            }
        }
    }
    let [Some(exact), Some(sampled)] = best else {
        return;
    };
    println!("tottime per function (ms; best of {ROUNDS} recordings of each mode, interleaved)");
    println!(
        "{:<8} {:>9} {:>10} {:>10} {:>8}",
        "function", "ncalls", "exact", "rate 16", "diff"
    );
    for (name, (e, s)) in NAMES.iter().zip(exact.iter().zip(&sampled)) {
        assert_eq!(e.0, s.0, "the counts of {name} differ");
        println!(
            "{name:<8} {:>9} {:>10.3} {:>10.3} {:>+7.1}%",
            e.0,
            e.1 / 1e6,
            s.1 / 1e6,
            (s.1 - e.1) / e.1 * 100.0
        );
    }
}
