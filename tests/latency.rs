//! Latency distributions: the inclusive time of each outermost call (recursion counted once),
//! exact up to the documented bucket precision, with the test clock.

use std::time::Duration;

use profkit::testing::{TestClock, advance};
use profkit::{SortKey, profile};

#[profile]
fn request(micros: u64) {
    advance(Duration::from_micros(micros));
}

#[profile]
fn recurse(depth: u32) {
    advance(Duration::from_micros(10));
    if depth > 0 {
        recurse(depth - 1);
    }
}

#[profile]
fn steady() {
    advance(Duration::from_micros(5));
}

/// Within the documented precision: 1/64 of the value.
fn close(got: Duration, want: Duration) -> bool {
    let (g, w) = (got.as_nanos() as f64, want.as_nanos() as f64);
    (g - w).abs() <= w / 64.0
}

#[test]
fn percentiles_of_a_known_distribution() {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| {
        for us in 1..=1000 {
            request(us);
        }
    });
    let l = report.function("request").unwrap().latency().unwrap();
    assert_eq!(l.count(), 1000);
    let us = Duration::from_micros;
    for (got, want) in [
        (l.min(), us(1)),
        (l.p50(), us(500)),
        (l.p90(), us(900)),
        (l.p99(), us(990)),
        (l.p999(), us(999)),
        (l.max(), us(1000)),
        (l.mean(), Duration::from_nanos(500_500)),
    ] {
        assert!(close(got, want), "{got:?} vs {want:?}");
    }
    // The standard deviation of 1..=1000 µs is 288.7 µs.
    assert!(
        close(l.stdev(), Duration::from_nanos(288_675)),
        "{:?}",
        l.stdev()
    );
    assert_eq!(l.histogram().len(), 1000);
}

#[test]
fn recursion_records_only_outermost_calls() {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| {
        recurse(9); // 10 frames, 100 µs
        recurse(0); // 1 frame, 10 µs
    });
    let f = report.function("recurse").unwrap();
    assert_eq!((f.ncalls(), f.primitive_calls()), (11, 2));
    let l = f.latency().unwrap();
    assert_eq!(l.count(), 2);
    assert!(close(l.max(), Duration::from_micros(100)), "{:?}", l.max());
    assert!(close(l.min(), Duration::from_micros(10)), "{:?}", l.min());
}

#[test]
fn the_latency_table_and_sorting_by_p99_and_max() {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| {
        for us in [1, 2, 3, 400] {
            request(us);
        }
        for _ in 0..4 {
            steady();
        }
        recurse(3);
    });
    // The library's order: the rows of its pstats table sorted by the key.
    let names = |key: SortKey| -> Vec<String> {
        let table = report.stats().sort(key).to_string();
        table
            .lines()
            .filter_map(|l| l.rsplit_once('(').map(|(_, n)| n.trim_end_matches(')')))
            .filter(|n| n.starts_with("latency::"))
            .map(String::from)
            .collect()
    };
    // request: p99 and max 400 µs; recurse: 40 µs; steady: 5 µs.
    assert_eq!(
        names(SortKey::P99),
        ["latency::request", "latency::recurse", "latency::steady"]
    );
    assert_eq!(
        names(SortKey::Max),
        ["latency::request", "latency::recurse", "latency::steady"]
    );
    let table = report.latency().to_string();
    let rows: Vec<&str> = table.lines().skip(2).collect();
    assert_eq!(rows.len(), 3, "{table}");
    assert!(rows[0].starts_with("latency::request "), "{table}");
    assert!(rows[2].starts_with("latency::steady "), "{table}");
    assert!(
        table.starts_with("Latency per call (clock: manual;"),
        "{table}"
    );
    let by_max = report.stats().sort(SortKey::Max).to_string();
    let first_row = by_max.lines().find(|l| l.contains("latency::")).unwrap();
    assert!(first_row.ends_with("(latency::request)"), "{by_max}");
    assert!(by_max.contains("Ordered by: maximum latency"), "{by_max}");
}
