//! Every output of a profile of a recursion 100,000 levels deep: how long each takes and how
//! much memory it needs.
//!
//! `cargo bench -p profkit-suite --bench deep_recursion` first prints one line per output with its time (one
//! run), the process's peak resident memory while it ran (Linux: the peak is reset through
//! `/proc/self/clear_refs` before each) and the size of what it made; then divan's timings.

use std::hint::black_box;
use std::time::{Duration, Instant};

use once_cell::sync::Lazy;
use profkit::testing::{TestClock, advance};
use profkit::{Format, Report};

const DEPTH: u32 = 100_000;

#[profkit::profile]
fn descend(n: u32) -> u32 {
    advance(Duration::from_micros(1));
    if n == 0 { 0 } else { descend(n - 1) + 1 }
}

/// Records `descend(DEPTH)` on a thread whose stack holds it (1 GiB, mostly untouched).
fn record() -> Report {
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(|| {
            let _clock = TestClock::install().unwrap();
            profkit::record(|| descend(DEPTH)).1
        })
        .unwrap()
        .join()
        .unwrap()
}

static REPORT: Lazy<Report> = Lazy::new(record);
static JSON: Lazy<String> = Lazy::new(|| REPORT.to_json());
static PROF: Lazy<Vec<u8>> = Lazy::new(|| REPORT.to_pstats_bytes());

#[divan::bench(sample_count = 10)]
fn record_recursion() -> usize {
    record().len()
}

#[divan::bench]
fn process_report() -> usize {
    Lazy::force(&REPORT);
    profkit::report().len()
}

#[divan::bench]
fn pstats_table() -> usize {
    black_box(&*REPORT).to_string().len()
}

#[divan::bench]
fn callers() -> usize {
    black_box(&*REPORT).stats().callers().to_string().len()
}

#[divan::bench]
fn tree_view() -> usize {
    black_box(&*REPORT).tree().to_string().len()
}

#[divan::bench(sample_count = 10)]
fn write_json() -> usize {
    black_box(&*REPORT).to_json().len()
}

#[divan::bench(sample_count = 10)]
fn read_json() -> usize {
    Report::from_bytes(black_box(JSON.as_bytes())).map_or(0, |r| r.len())
}

#[divan::bench]
fn write_prof() -> usize {
    black_box(&*REPORT).to_pstats_bytes().len()
}

#[divan::bench]
fn read_prof() -> usize {
    Report::from_bytes(black_box(&PROF)).map_or(0, |r| r.len())
}

#[divan::bench(sample_count = 10)]
fn merge() -> usize {
    let mut twice = REPORT.clone();
    twice.merge(black_box(&REPORT));
    twice.len()
}

#[divan::bench(sample_count = 10)]
fn compare() -> bool {
    black_box(&*REPORT) == black_box(&*REPORT)
}

#[divan::bench]
fn folded() -> usize {
    black_box(&*REPORT).folded().len()
}

#[divan::bench]
fn flame_graph() -> usize {
    black_box(&*REPORT)
        .to_bytes(Format::Svg)
        .map_or(0, |s| s.len())
}

/// The process's resident memory now and at its peak, in MiB (Linux), from /proc.
fn rss_mib() -> Option<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The outputs measured one by one, each in a process of its own that first records the
/// profile (and, to read them, writes its JSON or `.prof`).
type Output = fn(&Report, &str, &[u8]) -> usize;
const OUTPUTS: &[(&str, Output)] = &[
    ("profkit::report() (whole process)", |_, _, _| {
        profkit::report().len()
    }),
    ("pstats table (Display)", |r, _, _| r.to_string().len()),
    ("callers (print_callers)", |r, _, _| {
        r.stats().callers().to_string().len()
    }),
    ("callees (print_callees)", |r, _, _| {
        r.stats().callees().to_string().len()
    }),
    ("latency table", |r, _, _| r.latency().to_string().len()),
    ("tree view", |r, _, _| r.tree().to_string().len()),
    ("thread view (its tree)", |r, _, _| {
        r.threads()[0].report().tree().to_string().len()
    }),
    ("JSON write", |r, _, _| r.to_json().len()),
    ("JSON read", |_, json, _| {
        Report::from_bytes(json.as_bytes()).map_or(0, |r| r.len())
    }),
    ("JSON read + compare (==)", |r, json, _| {
        usize::from(Report::from_bytes(json.as_bytes()).is_ok_and(|b| &b == r))
    }),
    (".prof write", |r, _, _| r.to_pstats_bytes().len()),
    (".prof read", |_, _, prof| {
        Report::from_bytes(prof).map_or(0, |r| r.len())
    }),
    ("merge (report + report)", |r, _, _| {
        let mut twice = r.clone();
        twice.merge(r);
        twice.len()
    }),
    ("folded stacks", |r, _, _| r.folded().len()),
    ("SVG flame graph", |r, _, _| {
        r.to_bytes(Format::Svg).map_or(0, |s| s.len())
    }),
];

/// In a process of its own: records, then runs output `index` once with the peak memory
/// reset first, and prints its time, the process's peak memory and the output's size.
fn measure(index: usize) {
    let (name, output) = OUTPUTS[index];
    let report = record();
    let recorded = rss_mib().map_or(0.0, |(_, peak)| peak);
    let json = if name.starts_with("JSON read") {
        report.to_json()
    } else {
        String::new()
    };
    let prof = if name == ".prof read" {
        report.to_pstats_bytes()
    } else {
        Vec::new()
    };
    // Writing 5 resets the peak resident memory to the current one (Linux 4.0 and later).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = rss_mib().map_or(0.0, |(rss, _)| rss);
    let start = Instant::now();
    let size = output(&report, &json, &prof);
    let took = start.elapsed();
    let peak = rss_mib().map_or(0.0, |(_, peak)| peak);
    println!(
        "{name:<34} {:>9.1} ms {peak:>9.1} MiB {:>+9.1} MiB {size:>10} B   (recording: {recorded:.1} MiB)",
        took.as_secs_f64() * 1e3,
        peak - before,
    );
}

fn main() {
    if let Some(index) = std::env::var("DEEP_RECURSION_OUTPUT")
        .ok()
        .and_then(|i| i.parse().ok())
    {
        measure(index);
        return;
    }
    if std::env::args().any(|a| a == "--bench") {
        println!(
            "{DEPTH}-deep recursion, one run of each output in a process of its own\n\
             {:<34} {:>12} {:>13} {:>13} {:>12}",
            "output", "time", "peak memory", "over before", "size"
        );
        let exe = std::env::current_exe().expect("this bench's path");
        for index in 0..OUTPUTS.len() {
            let _ = std::process::Command::new(&exe)
                .env("DEEP_RECURSION_OUTPUT", index.to_string())
                .status();
        }
    }
    divan::main();
}
