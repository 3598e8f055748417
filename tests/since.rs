//! Windows between two reports of this process (`Report::since`): exact calls, times and
//! latencies of what happened in between, and typed errors for pairs that are no window.
//! Each test names its own functions, so tests running at once do not disturb its figures.

use std::time::Duration;

use profkit::testing::{TestClock, advance};
use profkit::{Report, SinceError};

#[profkit::profile]
fn served(micros: u64) {
    advance(Duration::from_micros(micros));
}

#[profkit::profile]
fn handler(micros: u64) {
    advance(Duration::from_micros(1));
    served(micros);
}

#[test]
fn a_window_has_exactly_the_calls_times_and_latencies_in_between() {
    let _clock = TestClock::install().unwrap();
    for _ in 0..3 {
        handler(10);
    }
    let earlier = profkit::report();
    for _ in 0..2 {
        handler(1000);
    }
    let later = profkit::report();
    let window = later.since(&earlier).unwrap();

    let h = window.function("handler").unwrap();
    assert_eq!((h.ncalls(), h.primitive_calls()), (2, 2));
    assert_eq!(h.tottime(), Duration::from_micros(2));
    assert_eq!(h.cumtime(), Duration::from_micros(2002));
    let s = window.function("served").unwrap();
    assert_eq!(s.tottime(), Duration::from_micros(2000));
    let l = h.latency().unwrap();
    assert_eq!(l.count(), 2);
    assert_eq!(
        (l.min(), l.max()),
        (Duration::from_micros(1001), Duration::from_micros(1001))
    );
    // The edge handler -> served too.
    let callers = s.callers();
    let edge = callers
        .iter()
        .find(|e| e.name().ends_with("handler"))
        .unwrap();
    assert_eq!(edge.ncalls(), 2);
    // The later report itself still has everything.
    assert_eq!(later.function("handler").unwrap().ncalls(), 5);
    assert!(
        window
            .duration()
            .is_some_and(|d| d <= later.duration().unwrap())
    );
}

#[profkit::profile]
fn bucketed(micros: u64) {
    advance(Duration::from_micros(micros));
}

#[test]
fn latencies_past_the_exact_samples_subtract_by_bucket() {
    let _clock = TestClock::install().unwrap();
    for us in 1..=40 {
        bucketed(us);
    }
    let earlier = profkit::report();
    for us in 1..=50 {
        bucketed(us * 100);
    }
    let window = profkit::report().since(&earlier).unwrap();
    let f = window.function("bucketed").unwrap();
    assert_eq!(f.ncalls(), 50);
    let l = f.latency().unwrap();
    assert_eq!(l.count(), 50);
    // Within the buckets' 1/64.
    let min = l.min().as_nanos() as f64;
    assert!((min - 100_000.0).abs() <= 100_000.0 / 64.0, "{min}");
}

#[profkit::profile]
fn quiet() {}

#[test]
fn a_function_idle_in_the_window_shows_no_calls() {
    quiet();
    let earlier = profkit::report();
    let window = profkit::report().since(&earlier).unwrap();
    assert!(window.function("quiet").is_err(), "nothing happened to it");
}

#[profkit::profile]
fn in_files() {
    advance(Duration::from_micros(7));
}

#[test]
fn windows_work_between_reports_read_back_from_json() {
    let _clock = TestClock::install().unwrap();
    in_files();
    let earlier = profkit::report();
    in_files();
    in_files();
    let later = profkit::report();
    let from_memory = later.since(&earlier).unwrap();
    let read = |r: &Report| Report::from_json_bytes(r.to_json().as_bytes()).unwrap();
    let from_files = read(&later).since(&read(&earlier)).unwrap();
    for w in [&from_memory, &from_files] {
        let f = w.function("in_files").unwrap();
        assert_eq!((f.ncalls(), f.tottime()), (2, Duration::from_micros(14)));
    }
}

#[test]
fn pairs_that_are_no_window_are_typed_errors_with_one_line_messages() {
    let a = profkit::report();
    let b = profkit::report();
    let wrong = a.since(&b).unwrap_err();
    assert!(matches!(wrong, SinceError::WrongOrder { earlier, later } if earlier > later));
    assert!(matches!(a.since(&a), Err(SinceError::WrongOrder { .. })));

    // Another process: the same file with another process token.
    let json = a.to_json();
    let token = json.split("\"process\":").nth(1).unwrap();
    let token: String = token.chars().take_while(char::is_ascii_digit).collect();
    let other = json.replacen(
        &format!("\"process\":{token}"),
        &format!("\"process\":{}", token.parse::<u64>().unwrap() ^ 1),
        1,
    );
    let other = Report::from_json_bytes(other.as_bytes()).unwrap();
    assert_eq!(b.since(&other).unwrap_err(), SinceError::OtherProcess);

    // A report that does not say where it comes from: a merge, a version-2 file.
    let mut merged = a.clone();
    merged.merge(&a);
    assert_eq!(b.since(&merged).unwrap_err(), SinceError::NoOrigin);
    // A record() window is one thread's, not the process's.
    let (_, window) = profkit::record(|| ());
    assert_eq!(b.since(&window).unwrap_err(), SinceError::NoOrigin);
    let v2 = json.replacen("\"version\":3", "\"version\":2", 1).replacen(
        &format!("\"process\":{token},"),
        "",
        1,
    );
    let v2 = Report::from_json_bytes(v2.as_bytes()).unwrap();
    assert_eq!(b.since(&v2).unwrap_err(), SinceError::NoOrigin);

    for e in [
        wrong,
        SinceError::OtherProcess,
        SinceError::NoOrigin,
        SinceError::ResetBetween,
        SinceError::NotContained("x".into()),
    ] {
        let text = e.to_string();
        assert!(!text.contains('\n') && !text.is_empty(), "{text}");
    }
}

#[profkit::profile]
fn quick(nanos: u64) {
    advance(Duration::from_nanos(nanos));
}

/// Regression: with profkit's own cost taken out (clamped at zero per path), a path's time can
/// read lower after more calls that were faster than that cost; the window is still one, with
/// exact calls and no time below zero, and it states the figures taken out.
#[test]
fn a_window_of_compensated_reports_whose_times_went_down_keeps_exact_calls() {
    let _clock = TestClock::install().unwrap();
    let _figures = profkit::testing::inject_calibration(20.0, 0.0);
    quick(50); // 50 ns, less 20: 30 ns
    let earlier = profkit::report();
    assert_eq!(
        earlier.function("quick").unwrap().tottime(),
        Duration::from_nanos(30)
    );
    quick(5);
    quick(5); // 60 ns in 3 calls, less 60: 0 ns, below the earlier 30
    let later = profkit::report();
    assert_eq!(later.function("quick").unwrap().tottime(), Duration::ZERO);
    let window = later.since(&earlier).unwrap();
    let q = window.function("quick").unwrap();
    assert_eq!(q.ncalls(), 2);
    assert_eq!(q.tottime(), Duration::ZERO);
    assert_eq!(window.compensation(), later.compensation());
}

#[profkit::profile(size = n)]
fn sized_in_window(n: u64) {
    advance(Duration::from_nanos(n * 10));
}

/// Sized calls (`#[profile(size = ..)]`): the window counts exactly those in between; their
/// points, which a report keeps only a sample of, are the later report's.
#[test]
fn a_window_counts_the_sized_calls_in_between() {
    let _clock = TestClock::install().unwrap();
    for n in [100, 1_000] {
        sized_in_window(n);
    }
    let earlier = profkit::report();
    for n in [100, 1_000, 10_000, 100_000, 1_000_000] {
        sized_in_window(n);
        sized_in_window(n);
    }
    let later = profkit::report();
    let window = later.since(&earlier).unwrap();
    let scaling = window
        .function("sized_in_window")
        .unwrap()
        .scaling()
        .unwrap();
    assert_eq!(scaling.calls(), 10);
    assert_eq!(
        later
            .function("sized_in_window")
            .unwrap()
            .scaling()
            .unwrap()
            .calls(),
        12
    );
    let fit = window
        .function("sized_in_window")
        .unwrap()
        .complexity()
        .unwrap();
    assert_eq!(fit.class(), profkit::ComplexityClass::Linear);
    // No sized calls in between: none in the window.
    let again = profkit::report();
    let empty = again.since(&later).unwrap();
    assert!(
        empty
            .function("sized_in_window")
            .map_or(true, |f| f.scaling().is_none())
    );
}
