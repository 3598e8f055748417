//! cProfile's accounting, exactly. Every expected count below is what CPython's cProfile prints
//! for the same program: `tests/twins/accounting.py` is the twin, and
//! `counts_equal_cprofile_on_the_twin_programs` runs it and compares every function and edge.
//! Times come from a test clock, so the time identities hold to the nanosecond.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::Command;
use std::time::Duration;

use profkit::testing::{TestClock, advance};
use profkit::{Report, profile};

const US: Duration = Duration::from_micros(1);

mod chain {
    use super::*;
    #[profile]
    pub fn a() {
        advance(US);
        b();
    }
    #[profile]
    pub fn b() {
        advance(2 * US);
        c();
    }
    #[profile]
    pub fn c() {
        advance(4 * US);
    }
}

mod n_plus_one {
    use super::*;
    #[profile]
    pub fn fetch_row(i: u64) -> u64 {
        advance(US);
        i
    }
    #[profile]
    pub fn get_users() -> u64 {
        let mut total = 0;
        for i in 0..847 {
            total += fetch_row(i);
        }
        total
    }
}

#[profile]
fn fib(n: u64) -> u64 {
    advance(US);
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

mod mutual {
    use super::*;
    #[profile]
    pub fn is_even(n: u64) -> bool {
        advance(US);
        if n == 0 { true } else { !is_odd(n) }
    }
    #[profile]
    pub fn is_odd(n: u64) -> bool {
        advance(3 * US);
        is_even(n - 1)
    }
}

mod indirect {
    use super::*;
    #[profile]
    pub fn a(n: u64) {
        advance(US);
        b(n);
    }
    #[profile]
    pub fn b(n: u64) {
        advance(10 * US);
        if n > 0 {
            a(n - 1);
        }
    }
}

mod two_callers {
    use super::*;
    #[profile]
    pub fn shared() {
        advance(5 * US);
    }
    #[profile]
    pub fn left() {
        shared();
    }
    #[profile]
    pub fn right() {
        shared();
        shared();
    }
    #[profile]
    pub fn top() {
        left();
        right();
    }
}

mod panics {
    use super::*;
    #[profile]
    pub fn boom(fail: bool) {
        advance(US);
        assert!(!fail, "boom");
    }
    #[profile]
    pub fn driver() {
        let caught = catch_unwind(AssertUnwindSafe(|| boom(true)));
        assert!(caught.is_err());
        boom(false);
        boom(false);
    }
}

/// The Rust twins of the Python scenarios, by the same names.
fn scenarios() -> Vec<(&'static str, fn())> {
    vec![
        ("chain", chain::a),
        ("n_plus_one", || {
            n_plus_one::get_users();
        }),
        ("fib", || {
            fib(15);
        }),
        ("mutual", || {
            mutual::is_even(5);
        }),
        ("indirect", || indirect::a(1)),
        ("two_callers", two_callers::top),
        ("panics", panics::driver),
    ]
}

/// Runs `f` on this thread with a test clock and returns what it recorded.
fn run(f: impl FnOnce()) -> Report {
    let _clock = TestClock::install().expect("no profiled call is open");
    profkit::record(f).1
}

fn counts(report: &Report, name: &str) -> (u64, u64) {
    let f = report.function(name).unwrap();
    (f.ncalls(), f.primitive_calls())
}

fn edge(report: &Report, caller: &str, callee: &str) -> (u64, u64) {
    let e = report.function(callee).unwrap().caller(caller).unwrap();
    (e.ncalls(), e.primitive_calls())
}

/// Identities that hold for every profile measured on a test clock whose time all passes
/// inside one root call: own times partition the root's inclusive time, and no inclusive time
/// is smaller than the own or edge time it contains.
fn assert_time_identities(report: &Report) {
    // A root has calls made with no profiled function open (recursive roots call themselves).
    let from_callers =
        |f: &profkit::FunctionStats| -> u64 { f.callers().iter().map(|e| e.ncalls()).sum() };
    let roots: Vec<_> = report
        .functions()
        .filter(|f| from_callers(f) < f.ncalls())
        .collect();
    assert_eq!(roots.len(), 1, "one root expected:\n{report}");
    let total_own: Duration = report.functions().map(|f| f.tottime()).sum();
    assert_eq!(total_own, roots[0].cumtime(), "{report}");
    assert_eq!(report.total_time(), total_own);
    for f in report.functions() {
        assert!(f.tottime() <= f.cumtime(), "{}: {report}", f.name());
        for e in f.callers() {
            assert!(e.tottime() <= e.cumtime(), "{} <- {}", f.name(), e.name());
            assert!(e.cumtime() <= f.cumtime(), "{} <- {}", f.name(), e.name());
            assert!(e.tottime() <= f.tottime(), "{} <- {}", f.name(), e.name());
        }
        if from_callers(f) == f.ncalls() {
            // Every call has a caller, so the edges share out the function's own time.
            let edge_own: Duration = f.callers().iter().map(|e| e.tottime()).sum();
            assert_eq!(edge_own, f.tottime(), "{}", f.name());
        }
    }
}

#[test]
fn linear_chain() {
    let r = run(chain::a);
    assert_eq!(counts(&r, "chain::a"), (1, 1));
    assert_eq!(counts(&r, "chain::b"), (1, 1));
    assert_eq!(counts(&r, "chain::c"), (1, 1));
    assert_eq!(edge(&r, "chain::a", "chain::b"), (1, 1));
    assert_eq!(edge(&r, "chain::b", "chain::c"), (1, 1));
    let a = r.function("chain::a").unwrap();
    assert_eq!((a.tottime(), a.cumtime()), (US, 7 * US));
    let b = r.function("chain::b").unwrap();
    assert_eq!((b.tottime(), b.cumtime()), (2 * US, 6 * US));
    assert_eq!(r.total_calls(), 3);
    assert_time_identities(&r);
}

#[test]
fn n_plus_one_parent_calling_a_child_847_times() {
    let r = run(|| assert_eq!(n_plus_one::get_users(), 846 * 847 / 2));
    assert_eq!(counts(&r, "fetch_row"), (847, 847));
    assert_eq!(counts(&r, "get_users"), (1, 1));
    assert_eq!(edge(&r, "get_users", "fetch_row"), (847, 847));
    assert_eq!(r.function("fetch_row").unwrap().cumtime(), 847 * US);
    assert_eq!(r.function("get_users").unwrap().tottime(), Duration::ZERO);
    assert_time_identities(&r);
}

#[test]
fn naive_fib_15_is_1973_over_1_with_self_edge_1972_over_2() {
    let r = run(|| assert_eq!(fib(15), 610));
    assert_eq!(counts(&r, "fib"), (1973, 1));
    assert_eq!(edge(&r, "fib", "fib"), (1972, 2));
    let f = r.function("fib").unwrap();
    // cumtime counts the outermost frame once: 1973 frames of 1 µs own time each.
    assert_eq!(f.tottime(), 1973 * US);
    assert_eq!(f.cumtime(), 1973 * US);
    let self_edge = f.caller("fib").unwrap();
    assert_eq!(self_edge.tottime(), 1972 * US);
    // The two outermost self-calls are fib(14) and fib(13): 1219 and 753 frames.
    assert_eq!(self_edge.cumtime(), (1219 + 753) * US);
    assert_eq!((r.total_calls(), r.primitive_calls()), (1973, 1));
    assert_time_identities(&r);
}

#[test]
fn mutual_recursion_is_even_6_over_1_is_odd_5_over_1() {
    let r = run(|| assert!(!mutual::is_even(5)));
    assert_eq!(counts(&r, "is_even"), (6, 1));
    assert_eq!(counts(&r, "is_odd"), (5, 1));
    assert_eq!(edge(&r, "is_odd", "is_even"), (5, 1));
    assert_eq!(edge(&r, "is_even", "is_odd"), (5, 1));
    let even = r.function("is_even").unwrap();
    assert_eq!((even.tottime(), even.cumtime()), (6 * US, 21 * US));
    let odd = r.function("is_odd").unwrap();
    assert_eq!((odd.tottime(), odd.cumtime()), (15 * US, 20 * US));
    assert_time_identities(&r);
}

#[test]
fn indirect_recursion_a_b_a_b() {
    let r = run(|| indirect::a(1));
    assert_eq!(counts(&r, "indirect::a"), (2, 1));
    assert_eq!(counts(&r, "indirect::b"), (2, 1));
    // That call of `a` is recursive for `a` but the first of the pair b -> a.
    assert_eq!(edge(&r, "indirect::b", "indirect::a"), (1, 1));
    assert_eq!(edge(&r, "indirect::a", "indirect::b"), (2, 1));
    assert_eq!(r.function("indirect::a").unwrap().cumtime(), 22 * US);
    assert_eq!(r.function("indirect::b").unwrap().cumtime(), 21 * US);
    assert_time_identities(&r);
}

#[test]
fn one_function_called_from_two_callers() {
    let r = run(two_callers::top);
    assert_eq!(counts(&r, "shared"), (3, 3));
    assert_eq!(edge(&r, "left", "shared"), (1, 1));
    assert_eq!(edge(&r, "right", "shared"), (2, 2));
    let shared = r.function("shared").unwrap();
    assert_eq!(shared.caller("left").unwrap().cumtime(), 5 * US);
    assert_eq!(shared.caller("right").unwrap().cumtime(), 10 * US);
    let right = r.function("right").unwrap();
    assert_eq!(right.callees().len(), 1);
    assert_eq!(right.callee("shared").unwrap().ncalls(), 2);
    assert_time_identities(&r);
}

#[test]
fn a_panic_caught_by_catch_unwind_is_one_normal_call() {
    let r = run(panics::driver);
    assert_eq!(counts(&r, "boom"), (3, 3));
    assert_eq!(counts(&r, "driver"), (1, 1));
    // The calls after the panic are children of `driver`, not of the unwound `boom`.
    assert_eq!(edge(&r, "driver", "boom"), (3, 3));
    assert_eq!(r.function("boom").unwrap().callers().len(), 1);
    assert_eq!(r.function("boom").unwrap().cumtime(), 3 * US);
    assert_time_identities(&r);

    // And the thread keeps recording correctly afterwards.
    let r = run(|| assert_eq!(fib(5), 5));
    assert_eq!(counts(&r, "fib"), (15, 1));
    assert!(r.function("boom").is_err());
}

#[test]
fn scopes_are_rows_of_their_own() {
    let r = run(|| {
        profkit::profile_scope!("outer_scope");
        advance(US);
        for _ in 0..3 {
            let v = profkit::profile_scope!("inner_scope", {
                advance(2 * US);
                7
            });
            assert_eq!(v, 7);
        }
    });
    assert_eq!(counts(&r, "outer_scope"), (1, 1));
    assert_eq!(edge(&r, "outer_scope", "inner_scope"), (3, 3));
    assert_eq!(r.function("outer_scope").unwrap().cumtime(), 7 * US);
    assert_time_identities(&r);
}

#[profile(name = "custom::row")]
fn renamed() {}

#[profile]
fn located() {}
const LOCATED_LINE: u32 = line!() - 1;

#[test]
fn rows_are_named_by_path_or_by_the_name_option() {
    let r = run(|| {
        renamed();
        located();
        chain::c();
    });
    let names: Vec<&str> = r.functions().map(|f| f.name()).collect();
    assert_eq!(
        names,
        ["accounting::chain::c", "custom::row", "accounting::located"]
    );
    let f = r.function("located").unwrap();
    assert_eq!((f.file(), f.line()), ("tests/accounting.rs", LOCATED_LINE));
    assert_eq!(
        f.std_name(),
        format!("tests/accounting.rs:{LOCATED_LINE}(accounting::located)")
    );
}

#[test]
fn ambiguous_and_unknown_names_are_clear_errors() {
    let r = run(|| {
        chain::a();
        indirect::a(0);
    });
    let err = r.function("a").unwrap_err();
    assert_eq!(
        err.to_string(),
        "`a` names 2 functions; use one of: accounting::chain::a, accounting::indirect::a"
    );
    let err = r.function("chain::d").unwrap_err();
    assert!(matches!(err, profkit::LookupError::Unknown { .. }), "{err}");
    assert!(err.to_string().contains("accounting::chain::c"), "{err}");
    assert!(r.function("accounting::chain::a").is_ok());
    assert!(r.function("hain::a").is_err(), "suffixes start at `::`");
}

/// Runs the Python twin and returns its lines for each scenario.
fn cprofile_twin() -> Vec<(String, Vec<String>)> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/twins/accounting.py");
    let out = Command::new("python3")
        .arg(script)
        .output()
        .expect("python3 runs (it is on every machine and in CI)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut scenarios: Vec<(String, Vec<String>)> = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        match line.strip_prefix("S ") {
            Some(name) => scenarios.push((name.to_owned(), Vec::new())),
            None => scenarios.last_mut().unwrap().1.push(line.to_owned()),
        }
    }
    scenarios
}

/// profkit's report in the twin's line format (last path segment as the name).
fn twin_lines(report: &Report) -> Vec<String> {
    let short = |n: &str| n.rsplit("::").next().unwrap().to_owned();
    let mut functions: Vec<_> = report.functions().collect();
    functions.sort_by_key(|f| short(f.name()));
    let mut lines = Vec::new();
    for f in functions {
        lines.push(format!(
            "F {} {} {}",
            short(f.name()),
            f.ncalls(),
            f.primitive_calls()
        ));
        let mut callers: Vec<_> = f.callers().iter().collect();
        callers.sort_by_key(|e| short(e.name()));
        for e in callers {
            lines.push(format!(
                "E {} {} {} {}",
                short(e.name()),
                short(f.name()),
                e.ncalls(),
                e.primitive_calls()
            ));
        }
    }
    lines
}

#[test]
fn counts_equal_cprofile_on_the_twin_programs() {
    let twin = cprofile_twin();
    let ours = scenarios();
    let names = |v: Vec<&str>| v.into_iter().map(String::from).collect::<Vec<_>>();
    assert_eq!(
        twin.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        names(ours.iter().map(|(n, _)| *n).collect()),
        "the twin and the Rust programs list the same scenarios"
    );
    for ((scenario, expected), (_, program)) in twin.iter().zip(ours) {
        let report = run(program);
        assert_eq!(&twin_lines(&report), expected, "scenario {scenario}");
        assert_time_identities(&report);
    }
}
