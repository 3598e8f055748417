//! Folded stacks: one line per call path, values in nanoseconds that add up to the profile's
//! total own time.

use std::time::Duration;

use profkit::profile;
use profkit::testing::{TestClock, advance};

#[profile]
fn leaf(units: u64) {
    advance(Duration::from_micros(units));
}

#[profile]
fn middle() {
    advance(Duration::from_micros(2));
    leaf(3);
    leaf(4);
}

#[profile]
fn top() {
    advance(Duration::from_micros(1));
    middle();
    leaf(5);
}

#[test]
fn folded_stacks_sum_to_the_total_own_time() {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(top);
    assert_eq!(
        report.folded(),
        "folded::top 1000\n\
         folded::top;folded::middle 2000\n\
         folded::top;folded::middle;folded::leaf 7000\n\
         folded::top;folded::leaf 5000\n"
    );
    let total: u64 = report
        .folded()
        .lines()
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<u64>().unwrap())
        .sum();
    assert_eq!(Duration::from_nanos(total), report.total_time());
}

#[test]
fn stacks_by_bytes_need_memory_figures() {
    let (_, report) = profkit::record(|| ());
    let e = report.folded_by(profkit::StackMetric::Bytes).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("no memory figures"), "{e}");
    assert_eq!(
        report.folded_by(profkit::StackMetric::OwnTime).unwrap(),
        report.folded()
    );
}
