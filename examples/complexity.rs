//! How cost grows: each function records the size of its input with `#[profile(size = ..)]`,
//! and profkit fits a complexity class to the calls the program made.
//!
//! The quickstart's dedupe, two ways, over inputs of 1,000 to 100,000 keys (one distinct key
//! in 50): with a `Vec::contains` scan the time grows with the square of the input, with a
//! `HashSet` linearly. Then four functions whose growth is known: a linear scan, a sort, a
//! nested loop and a hash lookup. The whole experiment runs several times (rounds, each its
//! own recording); the last lines say, per function, in how many rounds the fitted class was
//! the expected one: real timings on a shared machine can blur neighbouring classes (see
//! `profkit::Complexity` for the method and its limits).
//!
//! Run: `cargo run --release --example complexity` (`PROFKIT_FIT_ROUNDS=10` for more rounds;
//! 5 by default).

use std::collections::{HashMap, HashSet};
use std::hint::black_box;

use profkit::{ComplexityClass, profile};

#[profile(size = keys.len())]
fn dedupe_linear(keys: &[String]) -> Vec<String> {
    let mut unique: Vec<String> = Vec::new();
    for key in keys {
        if !unique.contains(key) {
            unique.push(key.clone());
        }
    }
    unique
}

#[profile(size = keys.len())]
fn dedupe_hashed(keys: &[String]) -> Vec<String> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut unique = Vec::new();
    for key in keys {
        if seen.insert(key) {
            unique.push(key.clone());
        }
    }
    unique
}

#[profile(size = items.len())]
fn linear_scan(items: &[u64]) -> u64 {
    items.iter().fold(0u64, |acc, &x| acc ^ black_box(x))
}

#[profile(size = items.len())]
fn sort(mut items: Vec<u64>) -> Vec<u64> {
    items.sort_unstable();
    items
}

#[profile(size = n)]
fn nested_loop(n: u64) -> u64 {
    let mut pairs = 0u64;
    for i in 0..n {
        for j in 0..n {
            pairs = pairs.wrapping_add(black_box(i ^ j) & 1);
        }
    }
    pairs
}

/// Looks up each of `keys` (64 of them: one lookup alone is shorter than the clock's step).
#[profile(size = map.len())]
fn hash_lookup(map: &HashMap<u64, u64>, keys: &[u64]) -> u64 {
    keys.iter()
        .filter_map(|k| map.get(k))
        .fold(0, |acc, v| acc ^ v)
}

/// `count` sizes from `from` to `to`, evenly spaced on a log scale.
fn sizes(from: f64, to: f64, count: u32) -> Vec<usize> {
    (0..count)
        .map(|i| (from * (to / from).powf(f64::from(i) / f64::from(count - 1))).round() as usize)
        .collect()
}

/// A pseudo-random sequence (xorshift), so every run sorts the same inputs.
fn shuffled(n: usize, seed: u64) -> Vec<u64> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        })
        .collect()
}

/// One round of the experiment: every function over its sizes.
fn workload() {
    for n in sizes(1_000.0, 100_000.0, 12) {
        // One distinct key in 50, as cleaned records would give.
        let keys: Vec<String> = (0..n).map(|i| format!("record_{}", i % (n / 50))).collect();
        // Three calls of each size: the median of three shrugs off a call that a busy
        // machine preempted.
        for _ in 0..3 {
            let linear = dedupe_linear(&keys);
            let hashed = dedupe_hashed(&keys);
            assert_eq!(linear, hashed);
        }
        let items = shuffled(n, n as u64);
        for _ in 0..5 {
            black_box(linear_scan(&items));
            black_box(sort(items.clone()));
        }
        let map: HashMap<u64, u64> = items.iter().map(|&k| (k, k / 2)).collect();
        // The same 64 keys each time: once their entries are in the cache, what is left is
        // the algorithm's cost. (Random keys in a map larger than the cache cost more as the
        // map grows: the memory hierarchy's growth, which a fit would rightly report.)
        for _ in 0..20 {
            black_box(hash_lookup(&map, &items[..64]));
        }
    }
    for n in sizes(100.0, 2_000.0, 10) {
        for _ in 0..5 {
            black_box(nested_loop(n as u64));
        }
    }
}

const EXPECTED: [(&str, ComplexityClass); 6] = [
    ("dedupe_linear", ComplexityClass::Quadratic),
    ("dedupe_hashed", ComplexityClass::Linear),
    ("linear_scan", ComplexityClass::Linear),
    ("sort", ComplexityClass::Linearithmic),
    ("nested_loop", ComplexityClass::Quadratic),
    ("hash_lookup", ComplexityClass::Constant),
];

fn main() {
    // The thread's CPU time, not the wall clock: on a busy machine a long call is preempted,
    // and the time it waits would read as growth. (`PROFKIT_CLOCK=wall` to compare.)
    if std::env::var_os("PROFKIT_CLOCK").is_none() {
        profkit::set_clock(profkit::ClockKind::ThreadCpu);
    }
    let rounds: usize = std::env::var("PROFKIT_FIT_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|&r| r > 0)
        .unwrap_or(5);
    // Per function: the rounds it came out right, and what it was fitted as when it did not.
    let mut right = [0usize; EXPECTED.len()];
    let mut wrong: Vec<Vec<String>> = vec![Vec::new(); EXPECTED.len()];
    for round in 0..rounds {
        let ((), report) = profkit::record(workload);
        if round == 0 {
            for name in ["dedupe_linear", "dedupe_hashed"] {
                let f = report.function(name).expect("profiled above");
                if let Some(c) = f.complexity() {
                    println!(
                        "{name}: {} (exponent {:.2}, {} calls, {} sizes)",
                        c.class(),
                        c.exponent(),
                        c.calls(),
                        c.sizes()
                    );
                }
            }
            println!();
            print!("{}", report.complexity_view());
            println!();
        }
        for (i, (name, want)) in EXPECTED.into_iter().enumerate() {
            let f = report.function(name).expect("profiled above");
            match f.complexity() {
                Some(c) if c.class() == want => right[i] += 1,
                Some(c) => wrong[i].push(format!("{} ({:.2})", c.class(), c.exponent())),
                None => wrong[i].push(format!(
                    "no fit: {}",
                    f.scaling()
                        .and_then(|g| g.why_not())
                        .map_or_else(|| "no sized calls".to_owned(), ToString::to_string)
                )),
            }
        }
    }
    println!("fits over {rounds} rounds:");
    for (i, (name, want)) in EXPECTED.into_iter().enumerate() {
        println!(
            "{name:<14} expected {:<10} right {}/{rounds}{}",
            want.notation(),
            right[i],
            if wrong[i].is_empty() {
                String::new()
            } else {
                format!("; fitted {}", wrong[i].join(", "))
            }
        );
    }
    let total: usize = right.iter().sum();
    println!(
        "all: {total}/{} fits right ({:.0}%)",
        rounds * EXPECTED.len(),
        100.0 * total as f64 / (rounds * EXPECTED.len()) as f64
    );
}
