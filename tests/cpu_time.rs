//! profkit's own cost taken out (issue 21), and the CPU figures when CPU time is not recorded.
//!
//! The arithmetic is checked exactly with the test clock and injected calibration figures; the
//! CPU attribution exactly in `collect::cpu`'s unit tests with made-up clock readings, and
//! with real threads in `tests/cpu_sampling.rs` (its own process: CPU recording is global).

use std::time::Duration;

use profkit::testing::{TestClock, advance, inject_calibration};

#[profkit::profile]
fn leaf() {
    advance(Duration::from_nanos(100));
}

#[profkit::profile]
fn mid() {
    advance(Duration::from_nanos(40));
    leaf();
    leaf();
}

#[profkit::profile]
fn top() {
    advance(Duration::from_nanos(30));
    for _ in 0..3 {
        mid();
    }
    leaf();
}

#[test]
fn the_test_clock_is_never_compensated() {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(top);
    assert_eq!(report.compensation(), None);
    assert_eq!(
        report.function("top").unwrap().cumtime(),
        Duration::from_nanos(30 + 3 * 240 + 100)
    );
    assert!(!report.to_string().contains("own cost taken out"));
}

#[test]
fn injected_figures_come_out_of_rows_edges_and_the_tree() {
    let _clock = TestClock::install().unwrap();
    let _figures = inject_calibration(4.0, 2.5);
    let (_, report) = profkit::record(top);
    let ns = |d: Duration| d.as_nanos() as u64;
    let f = |name: &str| report.function(name).unwrap();
    // leaf: 7 calls of 100 ns, 4 ns each out of its own time.
    assert_eq!(ns(f("leaf").tottime()), 7 * 96);
    assert_eq!(ns(f("leaf").cumtime()), 7 * 96);
    // mid: 3 calls; own 40 - 4 - 2 x 2.5 = 31 each; inclusive 240 - 4 - 2 x 6.5 = 223 each.
    assert_eq!((ns(f("mid").tottime()), ns(f("mid").cumtime())), (93, 669));
    // top: 1 call with 4 direct callee calls (3 mid, 1 leaf) and 10 below in all:
    // own 30 - 4 - 4 x 2.5 = 16; inclusive 850 - 4 - 10 x 6.5 = 781.
    assert_eq!((ns(f("top").tottime()), ns(f("top").cumtime())), (16, 781));
    // The edges carry the same compensated numbers.
    let edge = f("leaf").caller("mid").unwrap();
    assert_eq!((edge.ncalls(), ns(edge.tottime())), (6, 6 * 96));
    assert_eq!(ns(f("leaf").caller("top").unwrap().cumtime()), 96);
    // Own times add up to the root's inclusive time, as without compensation.
    assert_eq!(report.total_time(), f("top").cumtime());
    let c = report.compensation().unwrap();
    assert_eq!((c.own_ns(), c.caller_ns()), (4.0, 2.5));
    let text = report.to_string();
    assert!(
        text.contains(
            "profkit's own cost taken out: 4.0 ns per call from the call, 2.5 ns from its caller"
        ),
        "{text}"
    );
    // The figures travel in the JSON file.
    let back = profkit::Report::from_json_bytes(report.to_json().as_bytes()).unwrap();
    assert_eq!(back.compensation(), Some(c));
    assert_eq!(back, report);
}

#[test]
fn a_cost_larger_than_a_time_stops_at_zero() {
    let _clock = TestClock::install().unwrap();
    let _figures = inject_calibration(150.0, 1_000.0);
    let (_, report) = profkit::record(top);
    for f in report.functions() {
        assert_eq!(f.tottime(), Duration::ZERO, "{}", f.name());
        assert_eq!(f.cumtime(), Duration::ZERO, "{}", f.name());
    }
}

#[test]
fn without_cpu_recording_the_cpu_figures_are_none_and_the_table_unchanged() {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(top);
    let f = report.function("top").unwrap();
    assert_eq!(
        (f.cpu_time(), f.cum_cpu_time(), f.wait_time(), f.cpu_share()),
        (None, None, None, None)
    );
    assert!(!report.has_cpu());
    assert!(!report.to_string().contains("cpu%"));
    assert!(!report.to_json().contains("cpu_ns"));
    let err = report
        .folded_by(profkit::StackMetric::Wait)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no CPU figures"), "{err}");
    assert!(!report.tree().to_string().contains("cpu%"));
}
