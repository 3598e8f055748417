//! A real crate instrumented throughout: `cargo bench -p profkit-suite --bench real_crate`.
//!
//! `benches/real_crate/regex-lite` is regex-lite 0.1.9 from crates.io with `#[profkit::profile]`
//! on each of its 105 impl blocks and free functions, as a user would instrument a crate; the
//! unmodified crate from crates.io is the truth. A workload of five phases (compiling patterns,
//! matching lines, extracting captures, replacing, splitting) runs on both; the summary gives
//! each phase's share of the total, timed directly on the unmodified crate and as profkit
//! reports it on the instrumented one, with nothing taken out (raw), compensated, and under
//! sampled timing (rate 16, compensated). The instrumented crate with recording off is timed too:
//! what lost inlining alone does to the shares.
//!
//! Each figure is the fastest of several interleaved repetitions (a shared machine preempts
//! long runs). `cargo test --benches` runs it once on a tiny input and prints nothing.

use std::hint::black_box;
use std::time::Instant;

/// The workload, once per crate: `$krate` is the regex crate, `$attr` what goes on each phase.
macro_rules! workload {
    ($name:ident, $krate:ident $(, #[$attr:meta])?) => {
        mod $name {
            use super::black_box;
            use $krate::Regex;

            const PATTERNS: [&str; 6] = [
                r"(\d{4})-(\d{2})-(\d{2})",
                r"user=(\w+)",
                r"(?i)error|warn(ing)?",
                r"\b[a-z]+@[a-z]+\.(com|org)\b",
                r"latency=(\d+)ms",
                r"^\[\w+\]\s",
            ];

            /// Compiling the patterns, `n` times.
            $(#[$attr])?
            pub(crate) fn compile(n: usize) -> usize {
                (0..n)
                    .map(|_| PATTERNS.iter().map(|p| Regex::new(p).unwrap().captures_len()).sum::<usize>())
                    .sum()
            }

            /// Whether each line matches each of three patterns.
            $(#[$attr])?
            pub(crate) fn scan(lines: &[String]) -> usize {
                let res: Vec<Regex> = PATTERNS[2..5].iter().map(|p| Regex::new(p).unwrap()).collect();
                lines
                    .iter()
                    .map(|l| res.iter().filter(|r| r.is_match(black_box(l))).count())
                    .sum()
            }

            /// Every date and user, with their groups.
            $(#[$attr])?
            pub(crate) fn extract(text: &str) -> usize {
                let date = Regex::new(PATTERNS[0]).unwrap();
                let user = Regex::new(PATTERNS[1]).unwrap();
                let dates: usize = date.captures_iter(text).map(|c| c[1].len() + c[3].len()).sum();
                dates + user.captures_iter(text).map(|c| c[1].len()).sum::<usize>()
            }

            /// Latencies rewritten to microseconds.
            $(#[$attr])?
            pub(crate) fn rewrite(text: &str) -> usize {
                let re = Regex::new(PATTERNS[4]).unwrap();
                re.replace_all(text, "latency=${1}000us").len()
            }

            /// The text split into fields.
            $(#[$attr])?
            pub(crate) fn split(text: &str) -> usize {
                let re = Regex::new(r"[\s,;=]+").unwrap();
                re.split(text).filter(|f| !f.is_empty()).count()
            }
        }
    };
}

workload!(plain, regex_lite);
workload!(profiled, regex_lite_profiled, #[profkit::profile]);

const PHASES: [&str; 5] = ["compile", "scan", "extract", "rewrite", "split"];

/// A log of `n` lines, the same every run.
fn log(n: usize) -> Vec<String> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let levels = ["INFO", "WARN", "ERROR", "DEBUG"];
    let users = ["alice", "bob", "carol", "dave", "eve"];
    (0..n)
        .map(|i| {
            let r = next();
            format!(
                "[{}] 2024-{:02}-{:02} user={} mail={}@example.{} latency={}ms item {} of {}, status={}",
                levels[(r % 4) as usize],
                1 + r % 12,
                1 + (r >> 8) % 28,
                users[((r >> 16) % 5) as usize],
                users[((r >> 20) % 5) as usize],
                if r & 1 == 0 { "com" } else { "org" },
                (r >> 24) % 900,
                i,
                n,
                if r & 2 == 0 { "ok" } else { "warning: slow" },
            )
        })
        .collect()
}

/// Runs phase `i` of one of the two workloads.
fn run(profiled: bool, i: usize, lines: &[String], text: &str, compiles: usize) -> usize {
    match (profiled, i) {
        (false, 0) => plain::compile(compiles),
        (false, 1) => plain::scan(lines),
        (false, 2) => plain::extract(text),
        (false, 3) => plain::rewrite(text),
        (false, 4) => plain::split(text),
        (true, 0) => profiled::compile(compiles),
        (true, 1) => profiled::scan(lines),
        (true, 2) => profiled::extract(text),
        (true, 3) => profiled::rewrite(text),
        _ => profiled::split(text),
    }
}

fn shares(t: [f64; 5]) -> [f64; 5] {
    let sum: f64 = t.iter().sum();
    t.map(|x| x / sum * 100.0)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (n_lines, compiles, reps) = if full { (4_000, 300, 7) } else { (20, 2, 1) };
    let lines = log(n_lines);
    let text = lines.join("\n");
    // The first report measures the calibration figures.
    let (_, first) = profkit::record(|| profiled::split("a b"));
    let mut direct = [f64::INFINITY; 5];
    let mut wall = [f64::INFINITY; 5];
    let mut off = [f64::INFINITY; 5];
    let mut raw = [f64::INFINITY; 5];
    let mut comp = [f64::INFINITY; 5];
    let mut sampled = [f64::INFINITY; 5];
    let mut calls = [0u64; 5];
    for _ in 0..reps {
        for i in 0..5 {
            let start = Instant::now();
            let a = black_box(run(false, i, &lines, &text, compiles));
            direct[i] = direct[i].min(start.elapsed().as_nanos() as f64);
            // The instrumented crate with recording off: its instrumentation is one relaxed
            // load and a branch per call, so what it costs over the crate is mostly what
            // the instrumentation changed in the compiled code (inlining lost).
            profkit::disable();
            let start = Instant::now();
            black_box(run(true, i, &lines, &text, compiles));
            off[i] = off[i].min(start.elapsed().as_nanos() as f64);
            profkit::enable();
            let name = format!("profiled::{}", PHASES[i]);
            let cumtime =
                |r: &profkit::Report| r.function(&name).unwrap().cumtime().as_nanos() as f64;
            let r = {
                let _zero = profkit::testing::inject_calibration(0.0, 0.0);
                let start = Instant::now();
                let (b, r) = profkit::record(|| run(true, i, &lines, &text, compiles));
                wall[i] = wall[i].min(start.elapsed().as_nanos() as f64);
                assert_eq!(a, b, "the instrumented crate computes what the crate does");
                r
            };
            raw[i] = raw[i].min(cumtime(&r));
            calls[i] = r.functions().map(|f| f.ncalls()).sum();
            let (_, c) = profkit::record(|| run(true, i, &lines, &text, compiles));
            comp[i] = comp[i].min(cumtime(&c));
            // Sampled timing (one call in 16 timed, every call counted), compensated.
            profkit::set_sampling(16);
            let (_, s) = profkit::record(|| run(true, i, &lines, &text, compiles));
            profkit::set_sampling(1);
            sampled[i] = sampled[i].min(cumtime(&s));
        }
    }
    if !full {
        return;
    }
    let c = first.compensation();
    println!(
        "\nregex-lite 0.1.9, instrumented throughout ({} functions seen), {n_lines} log lines, \
         fastest of {reps}",
        profkit::record(|| {
            for i in 0..5 {
                run(true, i, &lines[..50], &lines[..50].join("\n"), 1);
            }
        })
        .1
        .functions()
        .count()
    );
    match c {
        Some(c) => println!(
            "calibration: {:.2} ns per call from the call, {:.2} ns from its caller",
            c.own_ns(),
            c.caller_ns()
        ),
        None => println!("no compensation (PROFKIT_CALIBRATE=0?)"),
    }
    println!(
        "{:<8} {:>10} {:>9} {:>9} {:>7} {:>9} {:>7} | {:>7} {:>7} {:>6} {:>7} {:>6} | {:>7} {:>6} {:>6} | {:>7} {:>6}",
        "phase",
        "calls",
        "plain ms",
        "off ms",
        "ns/call",
        "instr. ms",
        "ns/call",
        "direct",
        "raw",
        "off",
        "comp.",
        "off",
        "rec.off",
        "off",
        "comp.",
        "rate 16",
        "off",
    );
    let (d, r, k, o) = (shares(direct), shares(raw), shares(comp), shares(off));
    let s16 = shares(sampled);
    for i in 0..5 {
        println!(
            "{:<8} {:>10} {:>9.2} {:>9.2} {:>7.1} {:>9.2} {:>7.1} | {:>6.1}% {:>6.1}% {:>+6.1} {:>6.1}% {:>+6.1} | {:>6.1}% {:>+6.1} {:>+6.1} | {:>6.1}% {:>+6.1}",
            PHASES[i],
            calls[i],
            direct[i] / 1e6,
            off[i] / 1e6,
            (off[i] - direct[i]) / calls[i].max(1) as f64,
            wall[i] / 1e6,
            (wall[i] - direct[i]) / calls[i].max(1) as f64,
            d[i],
            r[i],
            r[i] - d[i],
            k[i],
            k[i] - d[i],
            o[i],
            o[i] - d[i],
            k[i] - o[i],
            s16[i],
            s16[i] - d[i],
        );
    }
    println!(
        "(rec.off: each phase's share timed directly on the instrumented crate with recording \
         off, and how far it is from the unmodified crate's (what lost inlining alone does to \
         the shares), and how far the compensated shares are from it (what recording adds that \
         compensation leaves); rate 16: the shares under sampled timing (PROFKIT_SAMPLE=16), \
         compensated, and how far they are from the unmodified crate's)"
    );
    println!(
        "(off ms: the instrumented crate with recording off; instr. ms: recording; ns/call: what \
         each adds per recorded call over the unmodified crate; reported compensated times in \
         ms: {})",
        comp.map(|x| format!("{:.2}", x / 1e6)).join(", ")
    );
    println!(
        "(reported times under sampled timing, compensated, in ms: {})",
        sampled.map(|x| format!("{:.2}", x / 1e6)).join(", ")
    );
}
