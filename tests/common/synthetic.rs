//! Generated profiles of any size, as profkit's JSON: for the history's benchmark and its
//! tests of large runs. Function `i` is called by function `(i - 1) / 8` (a tree eight wide);
//! its times are fixed per function and scaled per run, and it has a latency distribution.

use std::fmt::Write as _;

use super::Rng;

/// A profile of `functions` functions. Function `i` takes `(20 + i % 500) us x scale(i)` of
/// own time over `1 + i % 13` calls; `seed` varies the times by up to ±2% per run, as the
/// noise of a quiet machine.
pub(crate) fn profile_json(functions: usize, seed: u64, scale: impl Fn(usize) -> f64) -> String {
    let mut sites = String::new();
    let mut rows = String::new();
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut jitter = || {
        let unit = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        1.0 + (unit - 0.5) * 0.04
    };
    let own: Vec<u64> = (0..functions)
        .map(|i| ((20_000 + (i as u64 % 500) * 1_000) as f64 * scale(i) * jitter()) as u64)
        .collect();
    // Inclusive time: own time plus the children's, children first.
    let mut cum = own.clone();
    for i in (1..functions).rev() {
        let parent = (i - 1) / 8;
        cum[parent] += cum[i];
    }
    for i in 0..functions {
        let calls = 1 + i as u64 % 13;
        let per_call = cum[i] / calls;
        let _ = write!(
            sites,
            "{}{{\"name\":\"app::module_{}::function_{i}\",\"file\":\"src/module_{}.rs\",\"line\":{}}}",
            if i > 0 { "," } else { "" },
            i / 100,
            i / 100,
            1 + i % 100 * 10
        );
        let callers = if i == 0 {
            String::new()
        } else {
            format!(
                "{{\"site\":{},\"ncalls\":{calls},\"primitive_calls\":{calls},\"tottime_ns\":{},\
                 \"cumtime_ns\":{}}}",
                (i - 1) / 8,
                own[i],
                cum[i]
            )
        };
        let _ = write!(
            rows,
            "{}{{\"site\":{i},\"ncalls\":{calls},\"primitive_calls\":{calls},\"tottime_ns\":{},\
             \"cumtime_ns\":{},\"callers\":[{callers}],\"latency\":[[{},{}],[{},1]],\
             \"futures\":null}}",
            if i > 0 { "," } else { "" },
            own[i],
            cum[i],
            per_call * 9 / 10,
            calls.max(2) - 1,
            per_call * 2,
        );
    }
    let total: u64 = own.iter().sum();
    format!(
        "{{\"format\":\"profkit\",\"version\":1,\"program\":\"synthetic\",\
         \"started_unix_ns\":1700000000000000000,\"duration_ns\":{},\"sites\":[{sites}],\
         \"clocks\":[\"wall\"],\"functions\":[{rows}],\"tree\":null,\"threads\":[]}}",
        total + total / 10
    )
}
