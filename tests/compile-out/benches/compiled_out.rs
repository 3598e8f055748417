//! With the `enable` feature off, a `#[profile]` function costs what the plain one costs:
//! `cargo bench --manifest-path tests/compile-out/Cargo.toml`.

use std::hint::black_box;

use profkit_compile_out::{plain_leaf, profiled_leaf};

fn main() {
    divan::main();
}

#[divan::bench(sample_size = 10_000)]
fn plain() -> u64 {
    plain_leaf(black_box(7))
}

#[divan::bench(sample_size = 10_000)]
fn profile_compiled_out() -> u64 {
    profiled_leaf(black_box(7))
}
