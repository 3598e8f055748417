//! With the `enable` feature off, instrumented code runs unchanged and nothing is recorded.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use profkit_compile_out::{Counter, fetch, fib, profiled_leaf, store};

fn block_on<F: Future>(f: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn run_everything() -> u64 {
    let mut c = Counter(0);
    profkit::profile_scope!("test scope");
    let from_async = block_on(profkit::profile_async!("async part", async { 0 }));
    from_async + profiled_leaf(2) + fib(10) + c.bump() + store::total(&[1, 2]) + block_on(fetch(1))
}

#[test]
fn instrumented_code_runs_and_nothing_is_recorded() {
    assert!(!profkit::is_enabled());
    profkit::enable();
    assert!(!profkit::is_enabled(), "no recording exists to enable");
    let (value, report) = profkit::record(run_everything);
    assert_eq!(value, 6 + 55 + 1 + 3 + 2);
    assert!(report.is_empty());
    assert!(profkit::report().is_empty());
    profkit::reset();
    profkit::disable();
    assert_eq!(
        profkit::report().to_string(),
        "         0 function calls in 0.000 seconds\n\n"
    );
    let clock = profkit::testing::TestClock::install().unwrap();
    clock.advance(std::time::Duration::from_secs(1));
    profkit::testing::advance(std::time::Duration::from_secs(1));
}

#[test]
fn write_report_writes_the_empty_table() {
    let path = std::env::temp_dir().join(format!("profkit-off-{}.txt", std::process::id()));
    profkit::write_report(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(text.starts_with("         0 function calls"));
}
