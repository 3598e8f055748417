//! Amdahl's law over reports recorded with a test clock, against values computed by hand.

use std::time::Duration;

use profkit::testing::{TestClock, advance};
use profkit::{LookupError, WhatIfError, profile};

#[profile]
fn parse() {
    advance(Duration::from_millis(30));
}

#[profile]
fn run() {
    advance(Duration::from_millis(70));
    parse();
}

/// `a` = 30 ms, `1 / (0.7 + 0.3 / k)`: the example (30% of the time, 10x faster is
/// 1.37x overall; free is at most 1 / 0.7).
#[test]
fn thirty_percent_ten_times_faster_is_1_37x_and_free_is_1_43x() {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(run);
    assert_eq!(report.total_time(), Duration::from_millis(100));
    assert_eq!(report.share("parse").unwrap(), 0.3);
    assert_eq!(report.share("run").unwrap(), 1.0);
    let exact = |x: f64, want: f64| assert!((x - want).abs() < 1e-12, "{x} != {want}");
    // 1 / (0.7 + 0.03) = 1.369863...
    exact(report.what_if("parse", 10.0).unwrap(), 1.369_863_013_698_63);
    // 1 / (0.7 + 0.06) = 1.315789...
    exact(
        report.what_if("parse", 5.0).unwrap(),
        1.315_789_473_684_210_5,
    );
    // 1 / 0.7 = 1.428571...
    exact(
        report.what_if("parse", f64::INFINITY).unwrap(),
        1.428_571_428_571_428_6,
    );
    // Twice as slow: 1 / (0.7 + 0.6) = 0.769...
    exact(
        report.what_if("parse", 0.5).unwrap(),
        0.769_230_769_230_769_2,
    );
    // The root is all of the time: 3x faster is 3x, and free would be infinitely fast.
    exact(report.what_if("run", 3.0).unwrap(), 3.0);
    assert_eq!(report.what_if("run", f64::INFINITY).unwrap(), f64::INFINITY);
    // Nothing changes at a factor of 1.
    exact(report.what_if("parse", 1.0).unwrap(), 1.0);
}

#[profile]
fn fib(n: u32) -> u32 {
    advance(Duration::from_nanos(10));
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

#[profile]
fn outer() {
    advance(Duration::from_nanos(19_730));
    fib(15);
}

/// Recursion counts once: `fib(15)` is 1,973 calls of 10 ns, 19,730 ns of cumtime (not the
/// sum over its 1,973 frames), half of `outer`'s 39,460 ns.
#[test]
fn recursion_counts_once() {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(outer);
    let f = report.function("fib").unwrap();
    assert_eq!((f.ncalls(), f.primitive_calls()), (1973, 1));
    assert_eq!(f.cumtime(), Duration::from_nanos(19_730));
    assert_eq!(report.share("fib").unwrap(), 0.5);
    // 1 / (0.5 + 0.5 / 2) = 4/3; free: 1 / 0.5 = 2.
    assert!((report.what_if("fib", 2.0).unwrap() - 4.0 / 3.0).abs() < 1e-12);
    assert_eq!(report.what_if("fib", f64::INFINITY).unwrap(), 2.0);
}

#[profile]
fn load() {
    advance(Duration::from_millis(20));
}

#[profile]
fn compute() {
    advance(Duration::from_millis(60));
}

#[profile]
fn save() {
    advance(Duration::from_millis(20));
}

/// Several roots and several threads: the total is the time in profiled code on all of them
/// (pstats' "in T seconds"), and one thread's share is in its own report.
#[test]
fn the_total_is_every_root_on_every_thread() {
    let _clock = TestClock::install().unwrap();
    let (_, mut report) = profkit::record(|| {
        load();
        compute();
        save();
    });
    let worker = std::thread::Builder::new()
        .name("worker".into())
        .spawn(|| {
            let _clock = TestClock::install().unwrap();
            profkit::record(compute).1 // another 60 ms, on another thread
        })
        .unwrap()
        .join()
        .unwrap();
    report.merge(&worker);
    assert_eq!(report.total_time(), Duration::from_millis(160));
    // compute: 120 of 160 ms = 0.75; 4x faster: 1 / (0.25 + 0.1875) = 2.2857...
    assert_eq!(report.share("compute").unwrap(), 0.75);
    assert!((report.what_if("compute", 4.0).unwrap() - 1.0 / 0.4375).abs() < 1e-12);
    assert_eq!(report.what_if("compute", f64::INFINITY).unwrap(), 4.0);
    // load: 20 of 160 ms = 0.125; free: 1 / 0.875.
    assert_eq!(report.share("load").unwrap(), 0.125);
    assert!((report.what_if("load", f64::INFINITY).unwrap() - 8.0 / 7.0).abs() < 1e-12);
    // On the first thread alone compute is 60 of 100 ms.
    let main = report
        .threads()
        .iter()
        .find(|t| t.name() != "worker")
        .expect("the recording thread");
    assert_eq!(main.report().share("compute").unwrap(), 0.6);
    assert_eq!(
        main.report().what_if("compute", f64::INFINITY).unwrap(),
        2.5
    );
    let worker = report.threads().iter().find(|t| t.name() == "worker");
    assert_eq!(worker.unwrap().report().share("compute").unwrap(), 1.0);
}

#[test]
fn a_bad_factor_or_name_is_a_typed_error() {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(run);
    for factor in [0.0, -0.0, -5.0, f64::NAN, f64::NEG_INFINITY] {
        match report.what_if("parse", factor) {
            Err(WhatIfError::Factor(x)) => assert!(x.is_nan() || x == factor),
            other => panic!("{factor}: {other:?}"),
        }
    }
    match report.what_if("pasre", 2.0) {
        Err(WhatIfError::Lookup(LookupError::Unknown { close, .. })) => {
            assert_eq!(close, ["what_if::parse"])
        }
        other => panic!("{other:?}"),
    }
    let err = report.what_if("pasre", 2.0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no profiled function named `pasre` in this report; close matches: what_if::parse"
    );
    // The factor is checked first: a bad factor is wrong whatever the name.
    assert!(matches!(
        report.what_if("nothing", 0.0),
        Err(WhatIfError::Factor(_))
    ));
}

#[test]
fn an_empty_report_has_nothing_to_gain() {
    #[profile]
    fn instant() {}
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(instant);
    assert_eq!(report.total_time(), Duration::ZERO);
    assert_eq!(report.share("instant").unwrap(), 0.0);
    assert_eq!(report.what_if("instant", f64::INFINITY).unwrap(), 1.0);
}

#[test]
fn the_table_gets_the_ceiling_of_every_row() {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| {
        load();
        compute();
        save();
        run();
    });
    // Lines of the functions, so that the table does not depend on this file's layout.
    let at = |name: &str| report.function(name).unwrap().line();
    assert_eq!(
        report.stats().what_if().to_string(),
        format!(
            "         5 function calls in 0.200 seconds

   Ordered by: cumulative time
   if free: the overall speedup if the function took no time, 1 / (1 - cumtime / 0.200)

   ncalls  tottime  percall  cumtime  percall  if free filename:lineno(function)
        1    0.070    0.070    0.100    0.100    2.00x tests/what_if.rs:{}(what_if::run)
        1    0.060    0.060    0.060    0.060    1.43x tests/what_if.rs:{}(what_if::compute)
        1    0.030    0.030    0.030    0.030    1.18x tests/what_if.rs:{}(what_if::parse)
        1    0.020    0.020    0.020    0.020    1.11x tests/what_if.rs:{}(what_if::load)
        1    0.020    0.020    0.020    0.020    1.11x tests/what_if.rs:{}(what_if::save)


",
            at("run"),
            at("compute"),
            at("parse"),
            at("load"),
            at("save"),
        )
    );
    // Without the option the table is pstats' own, unchanged.
    assert!(!report.stats().to_string().contains("if free"));
    // Sorting and restrictions apply as to the plain table.
    let top = report.stats().what_if().limit(1).to_string();
    assert!(top.contains("List reduced from 5 to 1"), "{top}");
    assert_eq!(top.matches("x tests/").count(), 1, "{top}");
    // A root that is all of the time has no ceiling.
    let (_, whole) = profkit::record(run);
    assert!(whole.stats().what_if().to_string().contains(&format!(
        "     inf tests/what_if.rs:{}(what_if::run)",
        at("run")
    )));
}
