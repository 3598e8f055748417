//! Sampled timing beside exact mode on a steady workload.
//!
//! Run: `cargo run --release --example sampling`
//!
//! Each function's tottime is printed as exact mode measures it and as rate 16
//! (`profkit::set_sampling(16)`, `PROFKIT_SAMPLE=16`) estimates it, with identical call
//! counts, and each function's median call. The two modes' recordings alternate, `ROUNDS`
//! of each (`PROFKIT_ROUNDS` to change it), and the figures compared are robust ones: the
//! median of the rounds' tottimes and their trimmed mean (the lowest and highest fifth
//! dropped). A mean of all rounds would be at the mercy of a loaded machine: a time slice of
//! another process that lands in a timed call is counted 16 times by the estimate (and once by
//! exact mode), so single rounds of either mode can be several times too high.
//!
//! Last, a reference for both modes: the workload's time unprofiled (`profkit::disable`),
//! `cheap`'s and `dear`'s alone in loops of as many calls, and what that leaves for `outer`'s
//! own time (the fastest rounds); and the per-call figures compensation took out.
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

/// `cheap` and `dear` unprofiled, to time them alone.
#[inline(never)]
fn cheap_plain(x: u64) -> u64 {
    spin(x, 20)
}

#[inline(never)]
fn dear_plain(x: u64) -> u64 {
    spin(x, 200)
}

/// Unprofiled times (ns) of the workload (recording off: `profkit::disable`), and of
/// `cheap` and `dear` called as often as in it, alone in loops.
fn unprofiled() -> [f64; 3] {
    let time = |f: &dyn Fn()| {
        let start = std::time::Instant::now();
        f();
        start.elapsed().as_secs_f64() * 1e9
    };
    profkit::disable();
    let total = time(&work);
    profkit::enable();
    let alone = |g: fn(u64) -> u64, calls: u64| {
        time(&|| {
            let mut acc = 0u64;
            for i in 0..calls {
                acc ^= g(i);
            }
            black_box(acc);
        })
    };
    [
        total,
        alone(cheap_plain, 800_000),
        alone(dear_plain, 200_000),
    ]
}

fn work() {
    let mut acc = 0u64;
    for i in 0..40_000u64 {
        acc ^= outer(i);
    }
    black_box(acc);
}

const NAMES: [&str; 3] = ["outer", "cheap", "dear"];
const ROUNDS: usize = 31;

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

/// The median of `values` (sorted in place).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// The mean of `values` without their lowest and highest fifth (sorted in place).
fn trimmed_mean(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let cut = values.len() / 5;
    let kept = &values[cut..values.len() - cut];
    kept.iter().sum::<f64>() / kept.len() as f64
}

fn main() {
    let rounds = std::env::var("PROFKIT_ROUNDS")
        .ok()
        .and_then(|r| r.parse::<usize>().ok())
        .filter(|&r| r >= 1)
        .unwrap_or(ROUNDS);
    work(); // warm up
    // Per mode and function: each round's tottime (ns) and median call (ns); the counts.
    let mut tot = vec![vec![Vec::new(); NAMES.len()]; 2];
    let mut p50 = vec![vec![Vec::new(); NAMES.len()]; 2];
    let mut counts = vec![vec![Vec::new(); NAMES.len()]; 2];
    let mut plain = vec![Vec::new(); 3];
    for _ in 0..rounds {
        for (k, t) in unprofiled().into_iter().enumerate() {
            plain[k].push(t);
        }
        for (mode, rate) in [1, 16].into_iter().enumerate() {
            profkit::set_sampling(rate);
            let (_, report) = profkit::record(work);
            profkit::set_sampling(1);
            for (f, (n, t, p)) in figures(&report).into_iter().enumerate() {
                counts[mode][f].push(n);
                tot[mode][f].push(t);
                p50[mode][f].push(p);
            }
        }
    }
    println!("per function, over {rounds} recordings of each mode (interleaved):");
    println!(
        "{:<8} {:>9} {:>11} {:>11} {:>7} {:>11} {:>11} {:>7} {:>7} {:>7}",
        "function",
        "ncalls",
        "median ms",
        "rate 16",
        "error",
        "trimmed ms",
        "rate 16",
        "error",
        "p50 ns",
        "rate 16"
    );
    for (f, name) in NAMES.iter().enumerate() {
        assert_eq!(counts[0][f], counts[1][f], "the counts of {name} differ");
        let [exact_med, sampled_med] = [0, 1].map(|m| median(&mut tot[m][f].clone()));
        let [exact_trim, sampled_trim] = [0, 1].map(|m| trimmed_mean(&mut tot[m][f].clone()));
        let [exact_p50, sampled_p50] = [0, 1].map(|m| median(&mut p50[m][f].clone()));
        println!(
            "{name:<8} {:>9} {:>11.3} {:>11.3} {:>+6.1}% {:>11.3} {:>11.3} {:>+6.1}% {:>7.0} {:>7.0}",
            counts[0][f][0],
            exact_med / 1e6,
            sampled_med / 1e6,
            (sampled_med - exact_med) / exact_med * 100.0,
            exact_trim / 1e6,
            sampled_trim / 1e6,
            (sampled_trim - exact_trim) / exact_trim * 100.0,
            exact_p50,
            sampled_p50
        );
    }
    println!("(error: rate 16's figure against exact mode's; counts identical in every round)");
    // A reference beside exact mode (itself off for functions about as short as profkit's
    // cost): the unprofiled workload's time, `cheap`'s and `dear`'s alone, and what is left
    // for `outer`'s own time. Fastest rounds: the least disturbed by other processes.
    let fastest = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let [total, cheap, dear] = [0, 1, 2].map(|k| fastest(&plain[k]));
    println!(
        "unprofiled (fastest round): workload {:.3} ms; alone in loops cheap {:.3} ms, dear {:.3} \
         ms; left for outer's own {:.3} ms",
        total / 1e6,
        cheap / 1e6,
        dear / 1e6,
        (total - cheap - dear) / 1e6
    );
    // What compensation took out of both modes' times (measured once, at the first report).
    let (_, report) = profkit::record(|| ());
    if let Some(c) = report.compensation() {
        println!(
            "profkit's own cost taken out per call: {:.1} ns from a timed call ({:.1} sampled), \
             {:.1} ns from its caller; {:.1} ns from an untimed call's caller",
            c.own_ns(),
            c.sampled_own_ns(),
            c.caller_ns(),
            c.untimed_ns()
        );
    }
}
