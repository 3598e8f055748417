//! Every form of `#[profile]`, compiled with profiling off.

use profkit::profile;

/// A leaf the bench compares with [`plain_leaf`].
#[profile]
#[inline(never)]
pub fn profiled_leaf(x: u64) -> u64 {
    std::hint::black_box(x).wrapping_mul(3)
}

/// The same leaf without the attribute.
#[inline(never)]
pub fn plain_leaf(x: u64) -> u64 {
    std::hint::black_box(x).wrapping_mul(3)
}

/// A recursive function.
#[profile(name = "fib")]
pub fn fib(n: u64) -> u64 {
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

/// A type whose impl block is instrumented.
pub struct Counter(pub u64);

#[profile]
impl Counter {
    /// Adds one.
    pub fn bump(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
}

/// An instrumented module.
#[profile]
pub mod store {
    /// Sums with a scope inside.
    pub fn total(values: &[u64]) -> u64 {
        profkit::profile_scope!("store::total::loop", { values.iter().sum() })
    }
}

/// An async function.
#[profile]
pub async fn fetch(x: u64) -> u64 {
    x + 1
}
