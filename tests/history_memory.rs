//! The history with memory figures: bytes are exact from run to run, so a function that starts
//! allocating three times as much is a regression of `cum_bytes` (and blocks on its second
//! run), while the time metrics of the same runs are left alone; the process's peak heap and
//! RSS are recorded too.

use std::hint::black_box;

use profkit::history::{Change, CheckOptions, Metric, RunFilter, RunMeta, Store};

#[global_allocator]
static ALLOC: profkit::Alloc = profkit::Alloc::system();

#[profkit::profile]
fn build_rows(rows: usize) -> usize {
    let v: Vec<u64> = Vec::with_capacity(rows);
    black_box(v).capacity()
}

#[profkit::profile]
fn handle(rows: usize) -> usize {
    (0..4).map(|_| build_rows(rows)).sum()
}

fn run(rows: usize) -> profkit::Report {
    profkit::record(|| handle(rows)).1
}

#[test]
fn a_function_that_allocates_three_times_as_much_is_a_memory_regression() {
    let mut store = Store::in_memory().unwrap();
    for i in 0..6 {
        store
            .record(&run(1000), &RunMeta::new(format!("c{i}")))
            .unwrap();
    }
    let runs = store.runs(&RunFilter::new()).unwrap();
    assert_eq!(runs.len(), 6);
    let metrics = [
        Metric::named("cum_bytes").unwrap(),
        Metric::named("allocs").unwrap(),
    ];
    let options = CheckOptions::new().metrics(metrics);

    // The same run again: nothing moved (bytes are exact, not noisy).
    let verdict = store.check(&run(1000), &options).unwrap();
    assert!(verdict.regressions().is_empty(), "{}", verdict.to_text());
    assert!(!verdict.blocked());

    // Three times the bytes in the same number of allocations.
    let slow = run(3000);
    let verdict = store.check(&slow, &options).unwrap();
    let regressed: Vec<String> = verdict
        .regressions()
        .iter()
        .map(|f| format!("{} {}", f.subject(), f.metric().name()))
        .collect();
    assert_eq!(
        regressed,
        // Equal impact (each holds all of the run's bytes but profkit's few): name order.
        [
            "history_memory::build_rows cum_bytes",
            "history_memory::handle cum_bytes"
        ],
        "{}",
        verdict.to_text()
    );
    let handle = verdict
        .regressions()
        .into_iter()
        .find(|f| f.subject().ends_with("handle"))
        .unwrap();
    assert_eq!(handle.value(), 4 * 24_000);
    assert_eq!(handle.change(), Change::Regression);
    assert!(!verdict.blocked(), "one run warns; two in a row block");
    assert!(verdict.to_markdown().contains("cum_bytes"));

    // Recorded, then seen again: blocked.
    store.record(&slow, &RunMeta::new("slow1")).unwrap();
    let verdict = store.check(&run(3000), &options).unwrap();
    assert!(verdict.blocked(), "{}", verdict.to_text());

    // The process's memory figures are in the run rows.
    let peak_heap = Metric::named("peak_heap").unwrap();
    let max_rss = Metric::named("max_rss").unwrap();
    let runs = store.runs(&RunFilter::new()).unwrap();
    assert_eq!(runs.len(), 7);
    for metric in [peak_heap, max_rss] {
        assert!(
            runs.iter().all(|r| r.value(metric).unwrap_or(0) > 0),
            "{}",
            metric.name()
        );
    }
}

/// Blocks kept for good by a leaky function.
static KEPT: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());

#[profkit::profile]
fn leaky(blocks: usize) {
    let mut kept = KEPT.lock().unwrap();
    for _ in 0..blocks {
        kept.push(vec![0; 100]);
    }
}

#[test]
fn a_function_that_starts_keeping_memory_is_a_live_bytes_regression() {
    KEPT.lock().unwrap().reserve(100);
    let mut store = Store::in_memory().unwrap();
    for i in 0..6 {
        let (_, report) = profkit::record(|| leaky(2));
        store
            .record(&report, &RunMeta::new(format!("c{i}")))
            .unwrap();
    }
    let options = CheckOptions::new().metrics([Metric::named("live_bytes").unwrap()]);
    let (_, leaking) = profkit::record(|| leaky(20));
    let verdict = store.check(&leaking, &options).unwrap();
    let regressions = verdict.regressions();
    assert_eq!(regressions.len(), 1, "{}", verdict.to_text());
    assert!(regressions[0].subject().ends_with("leaky"));
    assert_eq!(regressions[0].value(), 2_000);
}
