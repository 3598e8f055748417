//! `N` calls of one profiled leaf function, for counting the hot path's instructions under
//! callgrind: `benches/callgrind.sh` builds this with and without the `http` feature and
//! compares the instructions of `calls` (`--toggle-collect`), so that a feature that adds work
//! to every call shows up as a difference per call.
//!
//! With `HOT_PATH_SAMPLE=N` the calls run under sampled timing at rate `N`
//! (`profkit::set_sampling`): `N = 16` gives the average call at the documented rate, and a
//! very large `N` (`1048576`) leaves every measured call untimed (the path's one timed call is
//! the one before the loop), which isolates the untimed call's instructions.
//!
//! Run: `cargo run --release --example hot_path_calls`

use std::hint::black_box;

#[profkit::profile]
fn leaf(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

/// The measured loop (callgrind counts from its entry to its return).
#[inline(never)]
fn calls(n: u64) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        acc = acc.wrapping_add(leaf(i));
    }
    acc
}

fn main() {
    if let Some(rate) = std::env::var("HOT_PATH_SAMPLE")
        .ok()
        .and_then(|r| r.parse().ok())
    {
        profkit::set_sampling(rate);
    }
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    // The call path exists before the measured loop: registration and the node's creation
    // are not per-call costs.
    black_box(leaf(0));
    println!("{}", calls(black_box(n)));
}
