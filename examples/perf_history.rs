//! Performance over time: a history of runs in SQLite, and a regression caught by it.
//!
//! A log summariser parses 40,000 lines, counts them per endpoint in batches, and renders the
//! top ten. Six commits run as usual and are recorded; then a "refactor" replaces the
//! `HashMap` in `count_batch` with a `Vec` scanned for each line, and its two runs are
//! checked against the history: the first is flagged, the second blocks, and the breakdown
//! says the time went into `count_batch`.
//!
//! Run: `cargo run --release --example perf_history --features history` (the whole story in a
//! temporary database, with the library). With `--once [--slow]` it runs the summariser once, for
//! `PROFKIT_OUT=run.json` to write its profile and `profkit history record/check` to use it
//! (CI does that: see `.ci/run`).

use std::collections::HashMap;

use profkit::ClockKind;
use profkit::history::{CheckOptions, Metric, RunMeta, Store, TrendOptions, trend};
use profkit::profile;

const LINES: usize = 40_000;
const ENDPOINTS: usize = 400;
const BATCH: usize = 2_000;

struct Entry<'a> {
    endpoint: &'a str,
    millis: u64,
}

fn log_lines() -> Vec<String> {
    (0..LINES)
        .map(|i| {
            let endpoint = (i * 7919) % ENDPOINTS;
            format!(
                "2024-05-01T12:00:00Z GET /api/v1/resource_{endpoint} 200 {}ms",
                i % 97
            )
        })
        .collect()
}

#[profile]
fn parse_all(lines: &[String]) -> Vec<Entry<'_>> {
    lines
        .iter()
        .filter_map(|line| {
            let mut fields = line.split(' ');
            let endpoint = fields.nth(2)?;
            let millis = fields.nth(1)?.trim_end_matches("ms").parse().ok()?;
            Some(Entry { endpoint, millis })
        })
        .collect()
}

/// Per endpoint: requests and total milliseconds.
type Table<'a> = HashMap<&'a str, (u64, u64)>;

/// Counts one batch of entries into the table. `slow`: the refactor that kept the counts in a
/// `Vec` and scanned it for each line.
#[profile]
fn count_batch<'a>(table: &mut Table<'a>, batch: &[Entry<'a>], slow: bool) {
    if slow {
        let mut rows: Vec<(&str, (u64, u64))> = table.drain().collect();
        for e in batch {
            match rows.iter_mut().find(|(k, _)| *k == e.endpoint) {
                Some((_, (n, ms))) => {
                    *n += 1;
                    *ms += e.millis;
                }
                None => rows.push((e.endpoint, (1, e.millis))),
            }
        }
        table.extend(rows);
    } else {
        for e in batch {
            let (n, ms) = table.entry(e.endpoint).or_default();
            *n += 1;
            *ms += e.millis;
        }
    }
}

#[profile]
fn aggregate<'a>(entries: &[Entry<'a>], slow: bool) -> Table<'a> {
    let mut table = Table::new();
    for batch in entries.chunks(BATCH) {
        count_batch(&mut table, batch, slow);
    }
    table
}

#[profile]
fn render(table: &Table<'_>) -> String {
    let mut rows: Vec<_> = table.iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    rows.iter()
        .take(10)
        .map(|(endpoint, (n, ms))| format!("{endpoint:<28} {n:>6} requests {ms:>9} ms\n"))
        .collect()
}

/// The summariser, once: parse, count, render.
#[profile]
fn summarise(lines: &[String], slow: bool) -> String {
    let entries = parse_all(lines);
    let table = aggregate(&entries, slow);
    render(&table)
}

/// The whole story with the library, in a temporary database.
fn story(lines: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("profkit-perf-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("runs.db");
    let mut store = Store::open(&db)?;
    // Metrics of the slowed function and of its caller: cumtime, p50, p99 (the defaults).
    let options = CheckOptions::new().machine("example");
    for i in 1..=6 {
        let (_, report) = profkit::record(|| summarise(lines, false));
        store.record(&report, &RunMeta::new(format!("c{i}")).machine("example"))?;
    }
    println!("recorded 6 runs of the summariser in {}\n", db.display());
    for (n, commit) in [(1, "slow1"), (2, "slow2")] {
        let (_, report) = profkit::record(|| summarise(lines, true));
        let verdict = store.check(&report, &options)?;
        println!(
            "-- slowed run {n}: {} regression(s), blocked: {}",
            verdict.regressions().len(),
            verdict.blocked()
        );
        if n == 2 {
            println!("\n{}", verdict.to_markdown());
        }
        store.record(&report, &RunMeta::new(commit).machine("example"))?;
    }
    let cumtime = Metric::named("cumtime").ok_or("no cumtime metric")?;
    let t = trend(
        &store,
        &TrendOptions::new(cumtime)
            .function("count_batch")
            .machine("example"),
    )?;
    print!("{}", t.to_text());
    drop(store);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lines = log_lines();
    // CPU time, not wall time: a busy machine then slows nothing down but the code itself.
    profkit::set_clock(ClockKind::ThreadCpu);
    if args.iter().any(|a| a == "--once") {
        let slow = args.iter().any(|a| a == "--slow");
        let top = summarise(&lines, slow);
        println!(
            "{} lines summarised{}; busiest: {}",
            lines.len(),
            if slow { " (slow counting)" } else { "" },
            top.lines().next().unwrap_or("").trim_end()
        );
        return;
    }
    if let Err(e) = story(&lines) {
        eprintln!("perf_history: {e}");
        std::process::exit(1);
    }
}
