//! Overhead compensation: `cargo bench -p profkit-suite --bench calibration`.
//!
//! 200,000 calls to a function of about 30 ns, and to one of about 400 ns, timed unprofiled
//! and profiled. The summary printed after divan's table gives, per size, the unprofiled
//! time, the time profkit reports for the loop (its cumtime) with nothing taken out and with
//! the calibrated cost taken out, and each one's error; the same per call of the function
//! itself.
//!
//! The calls run as 100 loops of 2,000, interleaved (plain, profiled uncompensated, profiled
//! compensated), and each figure is the fastest loop's: on a shared machine a loop that lasts
//! longer than a scheduler time slice (a few ms) is preempted every time, which adds
//! milliseconds of other programs' time to any wall-clock measurement of it.

use std::hint::black_box;
use std::time::{Duration, Instant};

fn main() {
    divan::main();
    if std::env::args().any(|a| a == "--bench") {
        summary();
    }
}

/// Calls per loop, and loops: 200,000 calls in all.
const CALLS: u64 = 2_000;
const LOOPS: usize = 100;

/// `rounds` dependent multiply-adds: a function body of a known, steady cost.
#[inline(always)]
fn spin(x: u64, rounds: u32) -> u64 {
    let mut v = x;
    for _ in 0..rounds {
        v = black_box(v.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
    }
    v
}

/// Rounds of `spin` for about 30 ns and about 400 ns on a ~3 GHz x86 (the summary prints
/// what they took here).
const SMALL: u32 = 50;
const LARGE: u32 = 390;

#[inline(never)]
fn plain_small(x: u64) -> u64 {
    spin(x, SMALL)
}

#[inline(never)]
fn plain_large(x: u64) -> u64 {
    spin(x, LARGE)
}

#[profkit::profile]
#[inline(never)]
fn small(x: u64) -> u64 {
    spin(x, SMALL)
}

#[profkit::profile]
#[inline(never)]
fn large(x: u64) -> u64 {
    spin(x, LARGE)
}

#[inline(never)]
fn plain_loop(f: fn(u64) -> u64) -> u64 {
    let mut acc = 0u64;
    for i in 0..CALLS {
        acc ^= f(i);
    }
    acc
}

#[profkit::profile]
#[inline(never)]
fn small_loop() -> u64 {
    let mut acc = 0u64;
    for i in 0..CALLS {
        acc ^= small(i);
    }
    acc
}

#[profkit::profile]
#[inline(never)]
fn large_loop() -> u64 {
    let mut acc = 0u64;
    for i in 0..CALLS {
        acc ^= large(i);
    }
    acc
}

#[divan::bench]
fn small_plain() -> u64 {
    plain_small(black_box(7))
}

#[divan::bench]
fn small_profiled() -> u64 {
    small(black_box(7))
}

#[divan::bench]
fn large_plain() -> u64 {
    plain_large(black_box(7))
}

#[divan::bench]
fn large_profiled() -> u64 {
    large(black_box(7))
}

/// What one repetition measured, in ns: the unprofiled loop, and the reported cumtime of the
/// profiled loop and of the function, uncompensated and compensated.
#[derive(Clone, Copy)]
struct Figures {
    plain: f64,
    loop_raw: f64,
    loop_comp: f64,
    call_raw: f64,
    call_comp: f64,
}

fn ns(d: Duration) -> f64 {
    d.as_nanos() as f64
}

fn measure(plain: fn(u64) -> u64, profiled: fn() -> u64, loop_name: &str, name: &str) -> Figures {
    let start = Instant::now();
    black_box(plain_loop(plain));
    let plain = ns(start.elapsed());
    let cumtime = |report: &profkit::Report, f: &str| ns(report.function(f).unwrap().cumtime());
    let raw = {
        // Nothing taken out: figures of zero.
        let _zero = profkit::testing::inject_calibration(0.0, 0.0);
        profkit::record(profiled).1
    };
    let comp = profkit::record(profiled).1;
    Figures {
        plain,
        loop_raw: cumtime(&raw, loop_name),
        loop_comp: cumtime(&comp, loop_name),
        call_raw: cumtime(&raw, name),
        call_comp: cumtime(&comp, name),
    }
}

fn min_of(all: &[Figures]) -> Figures {
    let m = |f: fn(&Figures) -> f64| all.iter().map(f).fold(f64::INFINITY, f64::min);
    Figures {
        plain: m(|f| f.plain),
        loop_raw: m(|f| f.loop_raw),
        loop_comp: m(|f| f.loop_comp),
        call_raw: m(|f| f.call_raw),
        call_comp: m(|f| f.call_comp),
    }
}

/// A workload of three phases with very different call densities (what a real program
/// instrumented throughout looks like): shares of the total, timed directly and as reported.
mod phases {
    use super::{black_box, spin};

    #[profkit::profile]
    #[inline(never)]
    pub(super) fn tiny(x: u64) -> u64 {
        spin(x, 4)
    }

    #[profkit::profile]
    #[inline(never)]
    pub(super) fn nested(x: u64) -> u64 {
        tiny(x) ^ tiny(x + 1)
    }

    #[profkit::profile]
    #[inline(never)]
    pub(super) fn bulky(x: u64) -> u64 {
        spin(x, 40_000)
    }

    /// 15,000 calls of a few ns each.
    #[profkit::profile]
    #[inline(never)]
    pub(super) fn chatty() -> u64 {
        (0..15_000).fold(0, |a, i| a ^ tiny(i))
    }

    /// 5,000 calls, each making two more.
    #[profkit::profile]
    #[inline(never)]
    pub(super) fn layered() -> u64 {
        (0..5_000).fold(0, |a, i| a ^ nested(i))
    }

    /// 3 calls of tens of microseconds.
    #[profkit::profile]
    #[inline(never)]
    pub(super) fn coarse() -> u64 {
        (0..3).fold(0, |a, i| a ^ bulky(i))
    }

    pub(super) const NAMES: [&str; 3] = ["chatty", "layered", "coarse"];
    pub(super) const RUN: [fn() -> u64; 3] = [chatty, layered, coarse];

    /// Each phase's wall time (ns), profiled or not.
    pub(super) fn timed() -> [f64; 3] {
        RUN.map(|f| {
            let start = std::time::Instant::now();
            black_box(f());
            start.elapsed().as_nanos() as f64
        })
    }
}

fn phase_shares() {
    let shares = |t: [f64; 3]| {
        let sum: f64 = t.iter().sum();
        t.map(|x| x / sum * 100.0)
    };
    let min3 = |a: [f64; 3], b: [f64; 3]| [a[0].min(b[0]), a[1].min(b[1]), a[2].min(b[2])];
    let (mut direct, mut raw, mut comp) =
        ([f64::INFINITY; 3], [f64::INFINITY; 3], [f64::INFINITY; 3]);
    for _ in 0..40 {
        // Unprofiled: recording off, one relaxed load per call.
        profkit::disable();
        direct = min3(direct, phases::timed());
        profkit::enable();
        let reported = |r: &profkit::Report| {
            phases::NAMES.map(|n| ns(r.function(&format!("phases::{n}")).unwrap().cumtime()))
        };
        {
            let _zero = profkit::testing::inject_calibration(0.0, 0.0);
            raw = min3(raw, reported(&profkit::record(phases::timed).1));
        }
        comp = min3(comp, reported(&profkit::record(phases::timed).1));
    }
    let (d, r, c) = (shares(direct), shares(raw), shares(comp));
    println!("\nphases (share of the total, %; fastest of 40 repetitions per phase):");
    println!(
        "{:<8} {:>8} {:>10} {:>8} {:>12} {:>8}",
        "phase", "direct", "raw", "off by", "compensated", "off by"
    );
    for i in 0..3 {
        println!(
            "{:<8} {:>7.1}% {:>9.1}% {:>+7.1} {:>11.1}% {:>+7.1}",
            phases::NAMES[i],
            d[i],
            r[i],
            r[i] - d[i],
            c[i],
            c[i] - d[i]
        );
    }
}

/// A row of the summary: label, plain function, profiled loop, the loop's and the function's
/// row names.
type Case = (
    &'static str,
    fn(u64) -> u64,
    fn() -> u64,
    &'static str,
    &'static str,
);

fn summary() {
    // The first report measures the calibration figures.
    let (_, first) = profkit::record(|| small(1));
    let Some(c) = first.compensation() else {
        println!("\nno compensation (PROFKIT_CALIBRATE=0?): nothing to compare");
        return;
    };
    println!(
        "\ncalibration: {:.2} ns per call from the call's own time, {:.2} ns from its caller's",
        c.own_ns(),
        c.caller_ns()
    );
    println!(
        "{LOOPS} loops of {CALLS} calls, interleaved; the fastest of each kind; error vs unprofiled"
    );
    println!(
        "{:<6} {:>12} {:>14} {:>8} {:>14} {:>8}   {:>9} {:>10} {:>8} {:>10} {:>8}",
        "fn",
        "plain ns/call",
        "loop raw",
        "err",
        "loop comp",
        "err",
        "plain",
        "call raw",
        "err",
        "call comp",
        "err"
    );
    let cases: [Case; 2] = [
        (
            "small",
            plain_small,
            small_loop,
            "small_loop",
            "calibration::small",
        ),
        (
            "large",
            plain_large,
            large_loop,
            "large_loop",
            "calibration::large",
        ),
    ];
    for (label, plain, profiled, loop_name, name) in cases {
        let all: Vec<Figures> = (0..LOOPS)
            .map(|_| measure(plain, profiled, loop_name, name))
            .collect();
        let f = min_of(&all);
        let per = |x: f64| x / CALLS as f64;
        let err = |x: f64| (x - f.plain) / f.plain * 100.0;
        println!(
            "{label:<6} {:>12.1} {:>11.1}/c {:>7.1}% {:>11.1}/c {:>7.1}%   {:>9.1} {:>10.1} {:>7.1}% {:>10.1} {:>7.1}%",
            per(f.plain),
            per(f.loop_raw),
            err(f.loop_raw),
            per(f.loop_comp),
            err(f.loop_comp),
            per(f.plain),
            per(f.call_raw),
            err(f.call_raw),
            per(f.call_comp),
            err(f.call_comp),
        );
    }
    println!(
        "(call: the function's own cumtime per call, against the unprofiled loop's time per call,\n \
         which includes the loop's few instructions)"
    );
    phase_shares();
}
