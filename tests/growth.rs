//! Growth of the live heap through a run: snapshots taken at given times (deterministic), a
//! path that keeps more and more is listed with its exact rate and steadiness, one that holds
//! a steady level is not; the series survives the JSON file. One test: the series is the
//! process's.

use std::collections::VecDeque;
use std::time::Duration;

#[global_allocator]
static ALLOC: profkit::Alloc = profkit::Alloc::system();

mod service {
    use std::collections::VecDeque;

    /// Keeps every entry: 2,048 bytes per call, never freed.
    #[profkit::profile]
    pub fn remember(cache: &mut Vec<Vec<u8>>) {
        cache.push(vec![0; 2048]);
    }

    /// Keeps the last four entries: its live bytes stay at 4 x 512 once full.
    #[profkit::profile]
    pub fn recent(window: &mut VecDeque<Vec<u8>>) {
        if window.len() == 4 {
            window.pop_front();
        }
        window.push_back(vec![0; 512]);
    }
}

#[test]
fn a_growing_path_is_listed_with_its_rate_and_a_steady_one_is_not() {
    let mut cache = Vec::with_capacity(64);
    let mut window = VecDeque::with_capacity(4);
    for _ in 0..4 {
        service::recent(&mut window);
    }
    // Eleven snapshots ten seconds apart; between two, three entries are remembered, and the
    // window turns over twice.
    for i in 0..11u64 {
        if i > 0 {
            for _ in 0..3 {
                service::remember(&mut cache);
            }
            service::recent(&mut window);
            service::recent(&mut window);
        }
        profkit::snapshot_at(Duration::from_secs(10 * i));
    }
    let report = profkit::report();
    let growth = report.growth();
    let names: Vec<&str> = growth.paths().iter().map(|g| g.name()).collect();
    assert_eq!(names, ["growth::service::remember"], "{growth}");
    let g = &growth.paths()[0];
    // 3 x 2,048 bytes every 10 s: 36,864 bytes a minute, rising in every interval.
    assert_eq!(g.bytes_per_minute(), 36_864.0);
    assert_eq!((g.rose(), g.intervals()), (10, 10));
    assert_eq!(g.first_and_last(), (0, 30 * 2048));
    let recent = report.function("recent").unwrap().memory().unwrap();
    assert_eq!((recent.live_allocs(), recent.live_bytes()), (4, 2048));

    let text = growth.to_string();
    assert!(
        text.starts_with("Live heap growth over 11 snapshots in 100.0 s"),
        "{text}"
    );
    let row = text.lines().find(|l| l.ends_with("remember")).unwrap();
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cols,
        [
            "+36.0",
            "KiB/min",
            "10/10",
            "0",
            "B",
            "60.0",
            "KiB",
            "growth::service::remember"
        ]
    );
    assert!(!text.contains("recent"), "{text}");

    // The series is kept in the JSON file, and reads back to the same table.
    let back = profkit::Report::from_json_bytes(report.to_json().as_bytes()).unwrap();
    assert_eq!(back.growth().paths(), growth.paths());
    // A reset clears it.
    profkit::reset();
    assert!(profkit::report().growth().paths().is_empty());
    assert!(
        profkit::report()
            .growth()
            .to_string()
            .contains("0 snapshots")
    );
    drop((cache, window));
}
