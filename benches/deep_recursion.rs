//! Every output of a profile of a recursion 100,000 levels deep: how long each takes and how
//! much memory it needs.
//!
//! `cargo bench --bench deep_recursion` first prints one line per output with its time (one
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

/// Runs `f` once, with the peak reset first: its time, peak memory and result size.
fn measure(name: &str, f: impl FnOnce() -> usize) {
    // Writing 5 resets the peak resident memory to the current one (Linux 4.0 and later).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = rss_mib();
    let start = Instant::now();
    let size = f();
    let took = start.elapsed();
    let memory = match (before, rss_mib()) {
        (Some((rss, _)), Some((_, peak))) => format!("{peak:>7.1} MiB ({rss:>6.1} before)"),
        _ => "n/a".to_owned(),
    };
    println!(
        "{name:<34} {:>10.1} ms  {memory}  {size:>10} B",
        took.as_secs_f64() * 1e3
    );
}

fn main() {
    if std::env::args().any(|a| a == "--bench") {
        println!(
            "{DEPTH}-deep recursion: time (one run), peak resident memory, output size\n\
             {:<34} {:>13}  {:>27}  {:>12}",
            "output", "time", "peak memory", "size"
        );
        let report = {
            let _ = std::fs::write("/proc/self/clear_refs", "5");
            let start = Instant::now();
            let report = record();
            let memory = rss_mib().map_or("n/a".to_owned(), |(_, p)| format!("{p:>7.1} MiB"));
            println!(
                "{:<34} {:>10.1} ms  {memory}",
                "record (100,001 calls)",
                start.elapsed().as_secs_f64() * 1e3
            );
            report
        };
        let json = report.to_json();
        let prof = report.to_pstats_bytes();
        measure("profkit::report() (whole process)", || {
            profkit::report().len()
        });
        measure("pstats table (Display)", || report.to_string().len());
        measure("callers (print_callers)", || {
            report.stats().callers().to_string().len()
        });
        measure("callees (print_callees)", || {
            report.stats().callees().to_string().len()
        });
        measure("latency table", || report.latency().to_string().len());
        measure("tree view", || report.tree().to_string().len());
        measure("thread view (its tree)", || {
            report.threads()[0].report().tree().to_string().len()
        });
        measure("JSON write", || report.to_json().len());
        measure("JSON read", || {
            Report::from_bytes(json.as_bytes()).map_or(0, |r| r.len())
        });
        measure("JSON read back == report", || {
            usize::from(Report::from_bytes(json.as_bytes()).is_ok_and(|r| r == report))
        });
        measure(".prof write", || report.to_pstats_bytes().len());
        measure(".prof read", || {
            Report::from_bytes(&prof).map_or(0, |r| r.len())
        });
        measure("merge (report + report)", || {
            let mut twice = report.clone();
            twice.merge(&report);
            twice.len()
        });
        measure("folded stacks", || report.folded().len());
        measure("SVG flame graph", || {
            report.to_bytes(Format::Svg).map_or(0, |s| s.len())
        });
    }
    divan::main();
}
