//! `#[profile(size = ..)]`: each call's input size recorded with its inclusive time, a growth
//! class fitted to them, `Expect::grows_at_most`, and the views. Times come from the test
//! clock, so every fit here is exact and deterministic.

use std::time::Duration;

use profkit::ComplexityClass::{self, *};
use profkit::profile;
use profkit::testing::{TestClock, advance};

/// 12 sizes from 100 to 100,000, log-spaced.
fn sizes() -> Vec<u64> {
    (0..12)
        .map(|i| (100.0 * 10f64.powf(3.0 * f64::from(i) / 11.0)).round() as u64)
        .collect()
}

fn spend(ns: f64) {
    advance(Duration::from_nanos(ns.round() as u64));
}

#[profile(size = n)]
fn constant(n: u64) {
    let _ = n;
    spend(5_000.0);
}

#[profile(size = n)]
fn logarithmic(n: u64) {
    spend(300.0 * (n as f64).ln());
}

#[profile(size = items.len())]
fn linear(items: Vec<u8>) -> usize {
    spend(20.0 * items.len() as f64);
    items.len() // the body moves `items` after the size was taken
}

#[profile(size = n)]
fn linearithmic(n: u32) {
    let n = f64::from(n);
    spend(4.0 * n * n.ln());
}

#[profile(size = *n)]
fn quadratic(n: &u64) {
    spend(0.01 * (*n as f64).powi(2));
}

#[profile(size = n / 10)]
fn cubic(n: i64) {
    spend(1e-6 * (n as f64 / 10.0).powi(3));
}

#[profile(size = n)]
fn exponential(n: u8) {
    spend(10.0 * 1.5f64.powi(i32::from(n)));
}

#[test]
fn every_class_is_fitted_from_real_calls_on_the_test_clock() {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| {
        for n in sizes() {
            for _ in 0..3 {
                constant(n);
                logarithmic(n);
                linear(vec![0; n as usize]);
                linearithmic(n as u32);
                quadratic(&n);
                cubic(n as i64 * 10);
            }
        }
        for n in [2u8, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96] {
            for _ in 0..3 {
                exponential(n);
            }
        }
    });
    let expected = [
        ("constant", Constant, 0.0),
        ("logarithmic", Logarithmic, 0.2),
        ("linear", Linear, 1.0),
        ("linearithmic", Linearithmic, 1.15),
        ("quadratic", Quadratic, 2.0),
        ("cubic", Cubic, 3.0),
        ("exponential", Exponential, 12.0),
    ];
    for (name, class, exponent) in expected {
        let f = report.function(&format!("complexity::{name}")).unwrap();
        let c = f
            .complexity()
            .unwrap_or_else(|| panic!("{name}: {:?}", f.scaling()));
        assert_eq!(c.class(), class, "{name}: exponent {}", c.exponent());
        assert_eq!((c.calls(), c.sizes()), (36, 12), "{name}");
        if class != Exponential {
            assert!(
                (c.exponent() - exponent).abs() < 0.15,
                "{name}: exponent {}",
                c.exponent()
            );
        }
        assert_eq!(f.ncalls(), 36);
    }
    // The cubic's sizes are the expression's values, n / 10.
    let (lo, hi) = report
        .function("complexity::cubic")
        .unwrap()
        .complexity()
        .unwrap()
        .size_range();
    assert_eq!((lo, hi), (100, 100_000));
}

#[profile(size = n)]
async fn fetch_all(n: u64) -> u64 {
    // Two polls: the busy time of both counts, the wait between them does not.
    spend(10.0 * n as f64);
    Yield(false).await;
    spend(10.0 * n as f64);
    n
}

struct Yield(bool);

impl std::future::Future for Yield {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// Polls `f` to completion; 1 ms passes between polls (waiting, outside the function).
fn block_on_waiting<F: std::future::Future>(f: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        advance(Duration::from_millis(1));
    }
}

#[test]
fn an_async_fn_records_the_busy_time_of_all_its_polls() {
    let _clock = TestClock::install().unwrap();
    let (sum, report) = profkit::record(|| {
        let mut sum = 0;
        for n in sizes() {
            sum += block_on_waiting(fetch_all(n));
            sum += block_on_waiting(fetch_all(n));
        }
        sum
    });
    assert_eq!(sum, 2 * sizes().iter().sum::<u64>());
    let f = report.function("complexity::fetch_all").unwrap();
    let c = f.complexity().unwrap();
    assert_eq!((c.class(), c.calls(), c.sizes()), (Linear, 24, 12));
    let first = c.points().next().unwrap();
    // 2 x 10 ns x 100, without the 1 ms wait.
    assert_eq!(first, (100, Duration::from_nanos(2_000)));
}

#[profile(size = n)]
fn on_threads(n: u64) {
    spend(7.0 * n as f64);
}

#[test]
fn calls_on_several_threads_merge_into_one_fit() {
    // Each thread records half the sizes, with its own test clock; neither half alone has
    // the calls to fit, their merge does.
    let halves: Vec<profkit::Report> = std::thread::scope(|s| {
        let threads: Vec<_> = [0, 1]
            .map(|half| {
                s.spawn(move || {
                    let _clock = TestClock::install().unwrap();
                    profkit::record(|| {
                        for n in sizes().into_iter().skip(half).step_by(2) {
                            on_threads(n);
                        }
                    })
                    .1
                })
            })
            .into_iter()
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for half in &halves {
        let f = half.function("complexity::on_threads").unwrap();
        assert!(f.complexity().is_none(), "{:?}", f.scaling());
    }
    let mut report = halves[0].clone();
    report.merge(&halves[1]);
    let c = report
        .function("complexity::on_threads")
        .unwrap()
        .complexity()
        .unwrap();
    assert_eq!((c.class(), c.calls(), c.sizes()), (Linear, 12, 12));
    assert_eq!(c.size_range(), (100, 100_000));
}

#[profile(size = n)]
fn narrow(n: u64) {
    spend(n as f64);
}

#[profile]
fn unsized_fn() {}

#[test]
fn without_spread_or_sizes_there_is_a_reason_and_no_class() {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| {
        for n in [100, 150, 200, 300, 500] {
            for _ in 0..4 {
                narrow(n);
            }
        }
        narrow(0);
        unsized_fn();
    });
    let f = report.function("complexity::narrow").unwrap();
    assert!(f.complexity().is_none());
    let growth = f.scaling().unwrap();
    assert_eq!(growth.calls(), 21);
    assert_eq!(
        growth.why_not().unwrap().to_string(),
        "not enough spread: sizes 100 to 500, a 10x range is needed"
    );
    assert!(report.function("unsized_fn").unwrap().scaling().is_none());
    let view = report.complexity_view().to_string();
    assert!(
        view.contains(
            "complexity::narrow: no growth fitted (not enough spread: sizes 100 to 500, a 10x \
             range is needed; 21 sized calls)"
        ),
        "{view}"
    );
}

#[profile(size = n)]
fn dedupe(n: u64) {
    spend(0.3 * (n as f64).powi(2));
}

fn dedupe_report() -> profkit::Report {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| {
        for n in sizes() {
            dedupe(n);
            dedupe(n);
        }
    });
    report
}

#[test]
fn grows_at_most_passes_for_the_class_and_any_faster_one() {
    let report = dedupe_report();
    for class in [Quadratic, Cubic, Exponential] {
        report.expect("dedupe").grows_at_most(class);
    }
}

#[test]
fn grows_at_most_fails_with_the_fit_and_the_points() {
    let report = dedupe_report();
    let message = panic_message(|| {
        report
            .expect("dedupe")
            .grows_at_most(ComplexityClass::Linear);
    });
    let head = "profkit: complexity::dedupe grows as O(n^2) (exponent 2.00, 12 sizes from 100 \
                to 100000), at most O(n) expected\n  size    100:   3.00 µs\n  size    187:   \
                10.5 µs\n";
    assert!(message.starts_with(head), "{message}");
    assert!(message.contains("  size 100000:    3.00 s\n"), "{message}");
}

#[test]
fn grows_at_most_without_sized_calls_says_so() {
    let (_, report) = profkit::record(unsized_fn);
    let message = panic_message(|| {
        report.expect("unsized_fn").grows_at_most(Linear);
    });
    assert!(
        message.starts_with(
            "profkit: `complexity::unsized_fn` has no sized calls: give it #[profile(size = \
             <expr>)]"
        ),
        "{message}"
    );
}

fn panic_message(f: impl FnOnce()) -> String {
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_err();
    err.downcast_ref::<String>().cloned().unwrap_or_default()
}

#[test]
fn the_tables_show_a_growth_column_only_when_a_function_has_sized_calls() {
    let _clock = TestClock::install().unwrap();
    let (_, plain) = profkit::record(unsized_fn);
    let text = plain.to_string();
    assert!(
        text.contains("  percall filename:lineno(function)\n"),
        "{text}"
    );
    assert!(!plain.latency().to_string().contains("growth"));

    let (_, report) = profkit::record(|| {
        for n in sizes() {
            dedupe(n);
            dedupe(n);
        }
        narrow(5);
        unsized_fn();
    });
    let text = report.to_string();
    assert!(
        text.contains("  percall     growth filename:lineno(function)\n"),
        "{text}"
    );
    let row = |name: &str| {
        text.lines()
            .find(|l| l.ends_with(&format!("({name})")))
            .unwrap_or_else(|| panic!("{text}"))
            .to_owned()
    };
    assert!(row("complexity::dedupe").contains("     O(n^2) tests/complexity.rs:"));
    assert!(row("complexity::narrow").contains("          ? tests/complexity.rs:"));
    assert!(row("complexity::unsized_fn").contains("          - tests/complexity.rs:"));
    let latency = report.latency().to_string();
    let header = latency.lines().nth(1).unwrap();
    assert!(header.ends_with("  std dev      growth"), "{latency}");
    let dedupe = latency.lines().find(|l| l.contains("dedupe")).unwrap();
    assert!(dedupe.ends_with("      O(n^2)"), "{latency}");
}

#[test]
fn the_complexity_view_plots_each_fitted_function() {
    let report = dedupe_report();
    let view = report.complexity_view().to_string();
    let expected = "\
complexity::dedupe grows as O(n^2) (exponent 2.00, 12 sizes from 100 to 100000), 24 calls; error 0.0%, r^2 1.000
   3.00 s |                                               *
          |                                      *    *
          |                                  *
          |                          *   *
          |                 *   *
          |             *
          |    *    *
  3.00 µs |*
          +------------------------------------------------
           100                                        100000  size (log scales)
  size    100:   3.00 µs
  size    187:   10.5 µs
";
    assert!(view.starts_with(expected), "{view}");
    assert!(view.ends_with("  size 100000:    3.00 s\n"), "{view}");
}

#[test]
fn json_keeps_the_sized_calls_and_the_fit_reads_back() {
    let report = dedupe_report();
    let json = report.to_json();
    assert!(
        json.contains(r#""sizes":[{"count":2,"points":[[100,3000],[100,3000]]}"#),
        "{json}"
    );
    let back = profkit::Report::from_json_bytes(json.as_bytes()).unwrap();
    assert_eq!(back, report);
    let c = back.function("dedupe").unwrap().complexity().unwrap();
    assert_eq!((c.class(), c.calls(), c.sizes()), (Quadratic, 24, 12));
    // Merged reports add their sized calls.
    let mut twice = back.clone();
    twice.merge(&report);
    assert_eq!(
        twice.function("dedupe").unwrap().scaling().unwrap().calls(),
        48
    );
}

#[profile(size = n)]
fn grows(n: u64, power: i32, scale: f64) {
    spend(scale * (n as f64).powi(power));
}

fn growth_run(power: i32, scale: f64) -> profkit::Report {
    let _clock = TestClock::install().unwrap();
    profkit::record(|| {
        for n in sizes() {
            grows(n, power, scale);
            grows(n, power, scale);
        }
    })
    .1
}

#[test]
fn the_history_flags_a_function_whose_growth_got_worse() {
    use profkit::history::{Change, CheckOptions, Metric, RunMeta, Store};

    let mut store = Store::in_memory().unwrap();
    for i in 0..6 {
        store
            .record(&growth_run(1, 10.0), &RunMeta::new(format!("c{i}")))
            .unwrap();
    }
    let exponent = Metric::named("exponent").unwrap();
    let options = CheckOptions::new().metrics([exponent]);
    // Twice as slow per item, still linear: the exponent did not move.
    let verdict = store.check(&growth_run(1, 20.0), &options).unwrap();
    assert!(verdict.regressions().is_empty(), "{}", verdict.to_text());
    // Quadratic now.
    let verdict = store.check(&growth_run(2, 0.01), &options).unwrap();
    let regressions = verdict.regressions();
    assert_eq!(regressions.len(), 1, "{}", verdict.to_text());
    let f = regressions[0];
    assert_eq!(f.subject(), "complexity::grows");
    assert_eq!((f.value(), f.change()), (2000, Change::Regression));
    assert!(verdict.to_text().contains("2.00"), "{}", verdict.to_text());
}
