//! The cost of recording a call: `cargo bench -p profkit-suite --bench overhead`.
//!
//! divan's table gives the time per iteration of each case; the summary printed after it gives
//! the extra nanoseconds per instrumented call (profiled minus plain, same loop), on one thread
//! and with two threads recording at once. `OVERHEAD_QUICK=1` prints only the exact/sampled
//! comparison, two threads and the disabled leaf.

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

fn main() {
    divan::main();
    if std::env::args().any(|a| a == "--bench") {
        summary();
    }
}

#[inline(never)]
fn plain_leaf(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

#[profkit::profile]
#[inline(never)]
fn profiled_leaf(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

/// A leaf with `size = ..`: the sized entry point, and a size bucket written per call.
#[profkit::profile(size = x)]
#[inline(never)]
fn sized_leaf(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

#[inline(never)]
fn plain_a(x: u64) -> u64 {
    black_box(x) + 1
}

#[inline(never)]
fn plain_b(x: u64) -> u64 {
    black_box(x) + 2
}

#[inline(never)]
fn plain_parent(x: u64) -> u64 {
    plain_a(x) ^ plain_b(x)
}

#[profkit::profile]
#[inline(never)]
fn profiled_a(x: u64) -> u64 {
    black_box(x) + 1
}

#[profkit::profile]
#[inline(never)]
fn profiled_b(x: u64) -> u64 {
    black_box(x) + 2
}

/// Three instrumented calls per call, and every child lookup misses the last-child cache.
#[profkit::profile]
#[inline(never)]
fn profiled_parent(x: u64) -> u64 {
    profiled_a(x) ^ profiled_b(x)
}

#[inline(never)]
fn plain_fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        plain_fib(n - 1) + plain_fib(n - 2)
    }
}

/// fib(10) makes 177 calls on 10 levels of recursion.
#[profkit::profile]
#[inline(never)]
fn profiled_fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        profiled_fib(n - 1) + profiled_fib(n - 2)
    }
}

#[inline(never)]
/// 2^(depth+1) - 1 distinct call paths: every level doubles them.
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

#[inline(never)]
fn scoped_leaf(x: u64) -> u64 {
    profkit::profile_scope!("scoped_leaf");
    black_box(x).wrapping_mul(3)
}

async fn plain_async(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

#[profkit::profile]
async fn profiled_async(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

/// Returns `Pending` `n` times (waking its task each time), then `Ready`: a future that needs
/// `n + 1` polls, as one that waits on I/O does.
struct Yield(u32);

impl std::future::Future for Yield {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 == 0 {
            return std::task::Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// Four polls per future.
async fn plain_async_4(x: u64) -> u64 {
    Yield(3).await;
    black_box(x).wrapping_mul(3)
}

#[profkit::profile]
async fn profiled_async_4(x: u64) -> u64 {
    Yield(3).await;
    black_box(x).wrapping_mul(3)
}

/// Polls `f` until it is ready (a noop waker: the futures here are ready again at once).
fn poll_all<F: std::future::Future>(f: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn plain_future(x: u64) -> u64 {
    poll_once(plain_async(x)).unwrap_or(0)
}

fn profiled_future(x: u64) -> u64 {
    poll_once(profiled_async(x)).unwrap_or(0)
}

/// Polls a future that is ready on its first poll.
fn poll_once<F: std::future::Future>(f: F) -> Option<F::Output> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(f).poll(&mut cx) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}

mod async_fn_one_poll {
    use super::*;

    #[divan::bench(sample_size = 10_000)]
    fn plain(b: divan::Bencher) {
        b.bench(|| poll_once(plain_async(black_box(7))));
    }

    #[divan::bench(sample_size = 10_000)]
    fn profiled(b: divan::Bencher) {
        b.bench(|| poll_once(profiled_async(black_box(7))));
    }
}

mod leaf {
    use super::*;

    #[divan::bench(threads = [1, 2], sample_size = 10_000)]
    fn plain(b: divan::Bencher) {
        b.bench(|| plain_leaf(black_box(7)));
    }

    #[divan::bench(threads = [1, 2], sample_size = 10_000)]
    fn profiled(b: divan::Bencher) {
        b.bench(|| profiled_leaf(black_box(7)));
    }

    /// Sampled timing at rate 16 (`PROFKIT_SAMPLE=16`): about 15 calls in 16 read no clock.
    #[divan::bench(threads = [1, 2], sample_size = 10_000)]
    fn sampled_16(b: divan::Bencher) {
        profkit::set_sampling(16);
        b.bench(|| profiled_leaf(black_box(7)));
        profkit::set_sampling(1);
    }

    #[divan::bench(sample_size = 10_000)]
    fn profile_scope(b: divan::Bencher) {
        b.bench(|| scoped_leaf(black_box(7)));
    }

    #[divan::bench(sample_size = 10_000)]
    fn sized(b: divan::Bencher) {
        b.bench(|| sized_leaf(black_box(7)));
    }
}

mod nested_3_calls {
    use super::*;

    #[divan::bench(sample_size = 10_000)]
    fn plain(b: divan::Bencher) {
        b.bench(|| plain_parent(black_box(7)));
    }

    #[divan::bench(sample_size = 10_000)]
    fn profiled(b: divan::Bencher) {
        b.bench(|| profiled_parent(black_box(7)));
    }
}

mod fib10_177_calls {
    use super::*;

    #[divan::bench(sample_size = 10_000)]
    fn plain(b: divan::Bencher) {
        b.bench(|| plain_fib(black_box(10)));
    }

    #[divan::bench(sample_size = 10_000)]
    fn profiled(b: divan::Bencher) {
        b.bench(|| profiled_fib(black_box(10)));
    }
}

// ---- summary: ns per call, best of several runs ----

const ITERS: u64 = 2_000_000;
const RUNS: usize = 9;

/// Best-of-`RUNS` nanoseconds per iteration of `f` on this thread.
fn per_iter(f: &dyn Fn(u64) -> u64) -> f64 {
    (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let mut acc = 0u64;
            for i in 0..ITERS {
                acc = acc.wrapping_add(f(i));
            }
            black_box(acc);
            start.elapsed().as_nanos() as f64 / ITERS as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// `per_iter` on `threads` threads started together; the mean of their figures.
fn per_iter_threads(threads: usize, f: fn(u64) -> u64) -> f64 {
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                per_iter(&f)
            })
        })
        .collect();
    let sum: f64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    sum / threads as f64
}

/// The floor under any per-call timer: two inline TSC reads around the plain leaf and one
/// add of their difference (what every call must at least pay to be timed).
#[cfg(target_arch = "x86_64")]
#[inline(never)]
fn clock_floor(x: u64) -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static TOTAL: AtomicU64 = AtomicU64::new(0);
    // SAFETY: `rdtsc` has no preconditions and touches no memory.
    let start = unsafe { std::arch::x86_64::_rdtsc() };
    let r = plain_leaf(x);
    // SAFETY: as above.
    let end = unsafe { std::arch::x86_64::_rdtsc() };
    TOTAL.store(
        TOTAL
            .load(Ordering::Relaxed)
            .wrapping_add(end.wrapping_sub(start)),
        Ordering::Relaxed,
    );
    r
}

fn row(case: &str, calls: f64, plain: f64, profiled: f64) {
    println!(
        "{case:<28} {:>9.2} {:>9.2} {:>12.2}",
        plain / calls,
        profiled / calls,
        (profiled - plain) / calls
    );
}

fn summary() {
    println!();
    println!("profkit overhead per instrumented call (ns; best of {RUNS} x {ITERS} iterations)");
    println!(
        "{:<28} {:>9} {:>9} {:>12}",
        "case", "plain", "profiled", "extra/call"
    );
    #[cfg(target_arch = "x86_64")]
    let floor_extra = {
        let plain = per_iter_threads(1, plain_leaf);
        let floor = per_iter_threads(1, clock_floor);
        row("floor: 2 TSC reads + add", 1.0, plain, floor);
        floor - plain
    };
    sampled_vs_exact();
    if std::env::var_os("OVERHEAD_QUICK").is_some() {
        // `OVERHEAD_QUICK=1`: the exact/sampled comparison, two threads and the disabled leaf
        // only (a few seconds), for trying a change to the hot path.
        let plain = per_iter_threads(2, plain_leaf);
        let profiled = per_iter_threads(2, profiled_leaf);
        row("leaf, 2 thread(s)", 1.0, plain, profiled);
        disabled_row();
        return;
    }
    for threads in [1, 2] {
        let plain = per_iter_threads(threads, plain_leaf);
        let profiled = per_iter_threads(threads, profiled_leaf);
        row(&format!("leaf, {threads} thread(s)"), 1.0, plain, profiled);
        #[cfg(target_arch = "x86_64")]
        if threads == 1 {
            println!(
                "  (the leaf's extra time is {:.2} x the floor's, in this run)",
                (profiled - plain) / floor_extra
            );
        }
    }
    disabled_row();
    let plain = per_iter_threads(1, plain_leaf);
    let scoped = per_iter_threads(1, scoped_leaf);
    row("profile_scope! leaf", 1.0, plain, scoped);
    let sized = per_iter_threads(1, sized_leaf);
    row("#[profile(size = ..)] leaf", 1.0, plain, sized);
    let plain = per_iter_threads(1, plain_parent);
    let profiled = per_iter_threads(1, profiled_parent);
    row("nested (3 calls, cache miss)", 3.0, plain, profiled);
    for threads in [1, 2] {
        let plain = per_iter_threads(threads, plain_future);
        let profiled = per_iter_threads(threads, profiled_future);
        row(
            &format!("async fn, 1 poll, {threads} thr"),
            1.0,
            plain,
            profiled,
        );
    }
    let plain = per_iter(&|x| poll_all(plain_async_4(x)));
    let profiled = per_iter(&|x| poll_all(profiled_async_4(x)));
    row("async fn, 4 polls, per poll", 4.0, plain, profiled);
    let plain = per_iter(&|_| plain_fib(black_box(10)));
    let profiled = per_iter(&|_| profiled_fib(black_box(10)));
    row("recursive fib(10), 177 calls", 177.0, plain, profiled);
    let report = profkit::report();
    let leaf = report.function("profiled_leaf").map_or(0, |f| f.ncalls());
    println!("(recorded {leaf} calls of profiled_leaf; every one counted)");

    // How long report() holds the registry lock (thread start and exit wait that long).
    branch_a(11);
    let start = Instant::now();
    let runs = 20;
    for _ in 0..runs {
        black_box(profkit::report());
    }
    let paths = 2 * ((1 << 12) - 1);
    println!(
        "report() with {paths} call paths on this thread: {:.2} ms",
        start.elapsed().as_secs_f64() * 1e3 / f64::from(runs)
    );

    // Last: set_clock resets what was recorded.
    let plain = per_iter_threads(1, plain_leaf);
    profkit::set_clock(profkit::ClockKind::ThreadCpu);
    let cpu = per_iter_threads(1, profiled_leaf);
    profkit::set_clock(profkit::ClockKind::Wall);
    row("leaf, CPU clock (2 syscalls)", 1.0, plain, cpu);
}

/// The leaf with recording switched off (`profkit::disable`), beside the plain leaf, fastest
/// of `ROUNDS` interleaved rounds: a single pair of runs read 0.5 ns or 2 ns over plain from one
/// run of the binary to the next (the plain leaf alone moved between 1.6 and 3.0 ns).
fn disabled_row() {
    let mut best = [f64::INFINITY; 2];
    for _ in 0..ROUNDS {
        let plain = per_iter_threads(1, plain_leaf);
        profkit::disable();
        let disabled = per_iter_threads(1, profiled_leaf);
        profkit::enable();
        for (b, v) in best.iter_mut().zip([plain, disabled]) {
            *b = b.min(v);
        }
    }
    let [plain, disabled] = best;
    row("leaf, recording disabled", 1.0, plain, disabled);
}

/// Rounds of the interleaved exact/sampled comparison; each figure is its fastest round.
const ROUNDS: usize = 5;

/// Sampled timing beside exact mode, in the same run: the plain leaf, the two-clock-read floor,
/// the exact leaf and the rate-16 leaf measured in turn, `ROUNDS` times, fastest of each kept.
/// (`cargo run --release --example sampling` compares the estimated tottimes with exact mode's.)
fn sampled_vs_exact() {
    let mut best = [f64::INFINITY; 4];
    for _ in 0..ROUNDS {
        let plain = per_iter_threads(1, plain_leaf);
        #[cfg(target_arch = "x86_64")]
        let floor = per_iter_threads(1, clock_floor);
        #[cfg(not(target_arch = "x86_64"))]
        let floor = f64::NAN;
        let exact = per_iter_threads(1, profiled_leaf);
        profkit::set_sampling(16);
        let sampled = per_iter_threads(1, profiled_leaf);
        profkit::set_sampling(1);
        for (b, v) in best.iter_mut().zip([plain, floor, exact, sampled]) {
            *b = b.min(v);
        }
    }
    let [plain, floor, exact, sampled] = best;
    println!("-- exact vs sampled timing (fastest of {ROUNDS} interleaved rounds) --");
    row("floor: 2 TSC reads + add", 1.0, plain, floor);
    row("leaf, exact", 1.0, plain, exact);
    row("leaf, PROFKIT_SAMPLE=16", 1.0, plain, sampled);
    println!(
        "  exact leaf / floor (total ns per call): {:.2}x; exact extra / floor extra: {:.2}x; \
         rate-16 leaf: +{:.2} ns over plain",
        exact / floor,
        (exact - plain) / (floor - plain),
        sampled - plain
    );
}
