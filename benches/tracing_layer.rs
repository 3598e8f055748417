//! The cost of a span recorded by `profkit::tracing::ProfkitLayer`:
//! `cargo bench -p profkit-suite --bench tracing_layer`.
//!
//! One `#[tracing::instrument]` leaf per iteration (a span created, entered, exited and closed)
//! under tracing-subscriber's registry alone, and under the registry with profkit's layer;
//! beside them the same leaf with `#[profkit::profile]` and without anything. The layer's own
//! cost per span is the second minus the first.

use std::hint::black_box;

use divan::Bencher;
use tracing_subscriber::layer::SubscriberExt;

fn main() {
    divan::main();
}

#[inline(never)]
fn plain_leaf(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

#[tracing::instrument(skip_all)]
#[inline(never)]
fn traced_leaf(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

#[profkit::profile]
#[inline(never)]
fn profiled_leaf(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

/// A parent span with two children: three spans, nested.
#[tracing::instrument(skip_all)]
#[inline(never)]
fn traced_parent(x: u64) -> u64 {
    traced_leaf(x) ^ traced_leaf(x + 1)
}

/// Runs the bench with `dispatch` as this thread's subscriber.
fn with(dispatch: tracing::Dispatch, bencher: Bencher, f: fn(u64) -> u64) {
    tracing::dispatcher::with_default(&dispatch, || {
        bencher.bench_local(|| f(black_box(7)));
    });
}

fn registry() -> tracing::Dispatch {
    tracing::Dispatch::new(tracing_subscriber::registry())
}

fn registry_with_profkit() -> tracing::Dispatch {
    tracing::Dispatch::new(
        tracing_subscriber::registry().with(profkit::tracing::ProfkitLayer::new()),
    )
}

#[divan::bench(sample_size = 2000)]
fn plain(bencher: Bencher) {
    bencher.bench_local(|| plain_leaf(black_box(7)));
}

#[divan::bench(sample_size = 2000)]
fn profile_attribute(bencher: Bencher) {
    bencher.bench_local(|| profiled_leaf(black_box(7)));
}

#[divan::bench(sample_size = 2000)]
fn span_registry_alone(bencher: Bencher) {
    with(registry(), bencher, traced_leaf);
}

#[divan::bench(sample_size = 2000)]
fn span_registry_and_profkit(bencher: Bencher) {
    with(registry_with_profkit(), bencher, traced_leaf);
}

#[divan::bench(sample_size = 2000)]
fn three_nested_spans_registry_alone(bencher: Bencher) {
    with(registry(), bencher, traced_parent);
}

#[divan::bench(sample_size = 2000)]
fn three_nested_spans_registry_and_profkit(bencher: Bencher) {
    with(registry_with_profkit(), bencher, traced_parent);
}
