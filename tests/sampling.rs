//! Sampled timing (`profkit::set_sampling`, `PROFKIT_SAMPLE`): calls, primitive calls, edges
//! and the call tree stay exact; times are estimated from the timed calls without bias. The
//! test clock makes every call's cost known, so the estimates are compared with the exact
//! totals computed by hand.
//!
//! The rate is process-wide, so the tests of this file take turns (`LOCK`).

mod common;

use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use common::{ns, sampled};

use profkit::profile;
use profkit::testing::{TestClock, advance};

static LOCK: Mutex<()> = Mutex::new(());

#[global_allocator]
static ALLOC: profkit::Alloc = profkit::Alloc::system();

#[profile]
fn leaf() {
    advance(ns(100));
}

#[profile]
fn outer(n: u64) {
    advance(ns(1_000));
    for _ in 0..n {
        leaf();
    }
}

#[profile]
fn other_caller(n: u64) {
    for _ in 0..n {
        leaf();
    }
}

#[test]
fn counts_edges_and_the_tree_are_exact_and_a_uniform_workload_is_estimated_exactly() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _clock = TestClock::install().unwrap();
    let (_, report) = sampled(16, || {
        profkit::record(|| {
            for _ in 0..10 {
                outer(1_000);
            }
            other_caller(3_000);
        })
    });
    assert_eq!(report.sampling(), Some(16));
    let leaf = report.function("leaf").unwrap();
    assert_eq!((leaf.ncalls(), leaf.primitive_calls()), (13_000, 13_000));
    // Every call of leaf costs 100 ns, so the mean of any sample of them is 100 ns.
    assert_eq!(leaf.tottime(), ns(1_300_000));
    assert_eq!(leaf.cumtime(), ns(1_300_000));
    // Only the timed calls have a duration: about one in 16 (the first of each path always).
    let timed = leaf.latency().unwrap().count();
    assert!(
        (13_000 / 32..13_000 / 8).contains(&timed),
        "{timed} timed calls"
    );
    let outer = report.function("outer").unwrap();
    assert_eq!(outer.ncalls(), 10);
    assert_eq!(outer.tottime(), ns(10_000));
    assert_eq!(outer.cumtime(), ns(10 * (1_000 + 1_000 * 100)));
    let mut edges: Vec<(String, u64, Duration)> = leaf
        .callers()
        .iter()
        .map(|e| (e.name().to_string(), e.ncalls(), e.cumtime()))
        .collect();
    edges.sort();
    assert_eq!(
        edges,
        vec![
            ("sampling::other_caller".to_string(), 3_000, ns(300_000)),
            ("sampling::outer".to_string(), 10_000, ns(1_000_000)),
        ]
    );
    // The header says the times are estimates, and at which rate.
    assert!(
        report
            .to_string()
            .contains("sampled timing: about 1 call in 16 timed"),
        "{report}"
    );
}

/// A call of `mixed(i)` costs `10 * (i % 7 + 1)` ns, and every 16th call 1 µs more: a
/// periodic pattern that a fixed period of 16 would always time in the same phase.
#[profile]
fn mixed(i: u64) {
    advance(ns(10 * (i % 7 + 1)));
    if i.is_multiple_of(16) {
        advance(ns(1_000));
    }
}

#[profile]
fn driver(n: u64) {
    for i in 0..n {
        advance(ns(5));
        mixed(i);
    }
}

/// The exact cost of `mixed(0..n)`, by hand.
fn mixed_total(n: u64) -> u64 {
    (0..n)
        .map(|i| 10 * (i % 7 + 1) + if i.is_multiple_of(16) { 1_000 } else { 0 })
        .sum()
}

#[test]
fn a_mixed_periodic_workload_is_estimated_without_bias() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _clock = TestClock::install().unwrap();
    const N: u64 = 400_000;
    let exact = mixed_total(N);
    let (_, report) = sampled(16, || profkit::record(|| driver(N)));
    let f = report.function("mixed").unwrap();
    assert_eq!(f.ncalls(), N);
    let est = f.tottime().as_nanos() as f64;
    // About 25,000 timed calls of a cost whose standard deviation is 2.4 times its mean (the
    // 1 µs every 16th call): the estimate's standard error is 1.5%; 12% is 8 of them.
    // A fixed period of 16 would read +915% (timing the dear phase: 1,040 ns against 102.5 ns
    // a call) or -61% (40 ns a call) off.
    let off = (est - exact as f64).abs() / exact as f64;
    assert!(
        off < 0.12,
        "estimated {est} ns, exact {exact} ns: {:.1}% off",
        off * 100.0
    );
    // The caller's own time is its 5 ns per iteration, estimated as its (exactly measured)
    // inclusive time less the callee's estimate: as close as that estimate.
    let d = report.function("driver").unwrap();
    assert_eq!(d.cumtime(), ns(5 * N + exact));
    let own = d.tottime().as_nanos() as f64;
    assert!(
        (own - (5 * N) as f64).abs() < 0.12 * exact as f64,
        "driver's own {own}"
    );
}

#[test]
fn the_estimate_matches_exact_mode_on_the_same_workload_within_a_few_percent() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _clock = TestClock::install().unwrap();
    const N: u64 = 200_000;
    let workload = || {
        for i in 0..N {
            mixed(i % 7 + 16 * (i % 5)); // no 1 µs outlier is only in a few phases
        }
    };
    let (_, exact) = profkit::record(workload);
    let (_, estimated) = sampled(16, || profkit::record(workload));
    assert_eq!(exact.sampling(), None);
    let (e, s) = (
        exact.function("mixed").unwrap(),
        estimated.function("mixed").unwrap(),
    );
    assert_eq!(e.ncalls(), s.ncalls());
    let (te, ts) = (e.tottime().as_nanos() as f64, s.tottime().as_nanos() as f64);
    // 12,500 timed calls, the cost's standard deviation 1.9 times its mean (1 µs in one call
    // of 7): standard error 1.7%; 10% is 6 of them.
    assert!(
        (ts - te).abs() / te < 0.1,
        "exact {te} ns, estimated {ts} ns"
    );
}

/// Ten frames of 10 ns each.
#[profile]
fn recurse(depth: u32) {
    advance(ns(10));
    if depth > 0 {
        recurse(depth - 1);
    }
}

/// 5,000 recursions ten frames deep, recorded at rate 16.
fn recursions_sampled() -> profkit::Report {
    sampled(16, || {
        profkit::record(|| {
            for _ in 0..5_000 {
                recurse(9);
            }
        })
    })
    .1
}

#[test]
fn recursion_is_timed_as_a_whole_and_never_double_counts_cumtime() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _clock = TestClock::install().unwrap();
    let report = recursions_sampled();
    let f = report.function("recurse").unwrap();
    assert_eq!((f.ncalls(), f.primitive_calls()), (50_000, 5_000));
    // cumtime counts the outermost frames only: 5,000 x 100 ns, not the sum of all frames.
    assert_eq!(f.cumtime(), ns(500_000));
    assert_eq!(f.tottime(), ns(500_000));
    let latency = f.latency().unwrap();
    assert_eq!(latency.max(), ns(100));
    assert!(latency.count() < 5_000 / 4, "{} timed", latency.count());
}

#[test]
fn a_function_called_three_times_is_never_zero() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _clock = TestClock::install().unwrap();
    let (_, report) = sampled(16, || {
        profkit::record(|| {
            for _ in 0..3 {
                leaf();
            }
        })
    });
    let f = report.function("leaf").unwrap();
    assert_eq!(f.ncalls(), 3);
    // The first call of a path is always timed, and stands for the other two.
    assert_eq!(f.tottime(), ns(300));
    assert!(f.latency().unwrap().count() >= 1);
}

#[test]
fn exact_mode_times_every_call() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| other_caller(100));
    assert_eq!(report.sampling(), None);
    let f = report.function("leaf").unwrap();
    assert_eq!(f.latency().unwrap().count(), 100);
    assert!(!report.to_string().contains("sampled"));
}

/// Run by [`profkit_sample_is_read_and_a_bad_value_is_one_line_and_exact_mode`] in a child
/// process with `PROFKIT_SAMPLE` set; prints the rate in effect.
#[test]
fn env_child() {
    let Ok(want) = std::env::var("SAMPLING_TEST_CHILD") else {
        return;
    };
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| other_caller(1_000));
    assert_eq!(profkit::sampling().to_string(), want);
    assert_eq!(report.function("leaf").unwrap().ncalls(), 1_000);
    assert_eq!(
        report.sampling(),
        (want != "1").then(|| want.parse().unwrap())
    );
}

#[test]
fn profkit_sample_is_read_and_a_bad_value_is_one_line_and_exact_mode() {
    let exe = std::env::current_exe().unwrap();
    for (value, rate, warns) in [
        ("16", "16", false),
        ("0", "1", true),
        ("-4", "1", true),
        ("often", "1", true),
    ] {
        let out = Command::new(&exe)
            .args(["--exact", "env_child", "--test-threads=1", "--nocapture"])
            .env("PROFKIT_SAMPLE", value)
            .env("SAMPLING_TEST_CHILD", rate)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "PROFKIT_SAMPLE={value}: {}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("PROFKIT_SAMPLE"))
            .collect();
        if warns {
            assert_eq!(
                lines,
                [format!(
                    "profkit: PROFKIT_SAMPLE={value:?} is not a positive whole number of calls; timing every call"
                )],
                "{stderr}"
            );
        } else {
            assert!(lines.is_empty(), "{stderr}");
        }
    }
}

/// The same workload, `slow` times slower, as one report.
fn history_run(rate: u32, slow: u64) -> profkit::Report {
    let _clock = TestClock::install().unwrap();
    sampled(rate, || {
        profkit::record(|| {
            for _ in 0..slow {
                other_caller(200);
            }
        })
    })
    .1
}

#[test]
fn the_history_keeps_the_rate_and_check_does_not_compare_sampled_with_exact_times() {
    use profkit::history::{CheckOptions, Metric, RunFilter, RunMeta, Store};
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("profkit-sampling-history-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut store = Store::open(dir.join("h.db")).unwrap();
    for i in 0..6 {
        let meta = RunMeta::new(format!("exact{i}"));
        store.record(&history_run(1, 1), &meta).unwrap();
    }
    let rate = Metric::named("sampling").unwrap();
    let runs = store.runs(&RunFilter::new()).unwrap();
    assert!(runs.iter().all(|r| r.value(rate).is_none()));
    let options = CheckOptions::new().metrics([Metric::named("cumtime").unwrap()]);

    // Three times slower, exact: a regression.
    let regressed = |v: &profkit::history::Verdict| {
        v.findings()
            .iter()
            .any(|f| f.change() == profkit::history::Change::Regression)
    };
    let verdict = store.check(&history_run(1, 3), &options).unwrap();
    assert!(regressed(&verdict), "{verdict}");
    // Three times slower but sampled: not compared with the exact runs, and said so.
    let verdict = store.check(&history_run(16, 3), &options).unwrap();
    assert!(!regressed(&verdict), "{verdict}");
    let text = verdict.to_string();
    assert!(
        text.contains("times not compared with 6 run(s) of the window recorded with exact timing"),
        "{text}"
    );
    // A sampled run keeps its rate.
    let info = store
        .record(&history_run(16, 1), &RunMeta::new("sampled"))
        .unwrap();
    assert_eq!(info.value(rate), Some(16));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn json_and_pprof_carry_the_rate_and_old_json_reads_as_exact() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let report = history_run(16, 1);
    let json = report.to_json();
    assert!(json.contains(r#""sampling":16"#), "{json}");
    let back = profkit::Report::from_json_bytes(json.as_bytes()).unwrap();
    assert_eq!(back.sampling(), Some(16));
    assert_eq!(back, report, "the JSON reads back whole");
    assert_eq!(back.function("leaf").unwrap().ncalls(), 200);
    // A file without the field (older, or exact) reads as exact.
    let exact = history_run(1, 1).to_json();
    assert!(!exact.contains(r#""sampling":"#));
    let back = profkit::Report::from_json_bytes(exact.as_bytes()).unwrap();
    assert_eq!(back.sampling(), None);

    let dir = std::env::temp_dir().join(format!("profkit-sampling-pprof-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sampled.pb.gz");
    report.write(&file).unwrap();
    let Some(go) = common::pprof::go() else {
        std::fs::remove_dir_all(&dir).unwrap();
        return;
    };
    let raw = common::pprof::pprof(go, &["-raw"], &file);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        raw.contains(
            "profkit: sampled timing: about 1 call in 16 timed; times estimated, counts exact"
        ),
        "{raw}"
    );
}

/// One allocation of 64 bytes per call.
#[profile]
fn allocating(i: u64) -> usize {
    let v: Vec<u64> = vec![i; 8];
    std::hint::black_box(&v).len()
}

#[test]
fn allocations_stay_exact_under_sampling() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _clock = TestClock::install().unwrap();
    let (_, report) = sampled(16, || {
        profkit::record(|| {
            for i in 0..1_000 {
                allocating(i);
            }
        })
    });
    let f = report.function("allocating").unwrap();
    assert_eq!(f.ncalls(), 1_000);
    let m = f.memory().expect("the allocator wrapper is installed");
    assert_eq!((m.allocs(), m.bytes()), (1_000, 64_000));
}

#[profile]
fn twin_a() {
    advance(ns(100));
}

#[profile]
fn twin_b() {
    advance(ns(300));
}

/// Two paths whose untimed calls alternate under one caller: each call takes the thread's
/// cache of the last untimed path from the other (its countdown is handed back to its node
/// and taken again), and each path still times about one call in 16, its own.
#[test]
fn paths_whose_untimed_calls_alternate_keep_their_own_countdowns() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _clock = TestClock::install().unwrap();
    let (_, report) = sampled(16, || {
        profkit::record(|| {
            for _ in 0..16_000 {
                twin_a();
                twin_b();
            }
        })
    });
    for (name, cost) in [("twin_a", 100), ("twin_b", 300)] {
        let f = report.function(name).unwrap();
        assert_eq!(f.ncalls(), 16_000, "{name}");
        // Uniform costs: any sample of the calls estimates them exactly.
        assert_eq!(f.tottime(), ns(16_000 * cost), "{name}");
        // About 1,000 timed calls each; a countdown lost or shared would time every call
        // (16,000) or far fewer than 500.
        let timed = f.latency().unwrap().count();
        assert!((700..1_400).contains(&timed), "{name}: {timed} timed calls");
    }
}

#[profile]
fn maybe_stuck(entered: Option<(&std::sync::mpsc::Sender<()>, &std::sync::mpsc::Receiver<()>)>) {
    if let Some((entered, release)) = entered {
        entered.send(()).unwrap();
        let _ = release.recv();
    }
}

/// `/debug/profkit/threads` on a thread whose innermost open call is untimed: it names the
/// open calls and says why it gives no duration (the call read no clock), rather than blaming
/// a thread-CPU clock.
#[test]
fn the_threads_page_says_an_untimed_innermost_call_has_no_duration() {
    use std::io::{Read, Write};
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (release, wait) = std::sync::mpsc::channel();
    let (entered, is_in) = std::sync::mpsc::channel();
    // A path's first call is always timed; the next is untimed unless the gap drawn after the
    // first is 0, one chance in 2^31 - 1 at this rate.
    profkit::set_sampling(1 << 30);
    let worker = std::thread::Builder::new()
        .name("untimed-worker".into())
        .spawn(move || {
            let _clock = TestClock::install().unwrap();
            maybe_stuck(None);
            maybe_stuck(Some((&entered, &wait)));
        })
        .unwrap();
    is_in.recv().unwrap();
    let server = profkit::serve("127.0.0.1:0").unwrap();
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    stream
        .write_all(b"GET /debug/profkit/threads HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    release.send(()).unwrap();
    worker.join().unwrap();
    profkit::set_sampling(1);
    let block = text
        .split("\nthread ")
        .find(|b| b.contains("\"untimed-worker\""))
        .unwrap_or_else(|| panic!("{text}"));
    let lines: Vec<&str> = block.lines().collect();
    assert!(
        lines[0].ends_with(
            "1 profiled calls open (the innermost untimed, sampled timing: no duration)"
        ),
        "{block}"
    );
    assert!(
        lines[1].trim_start().starts_with("sampling::maybe_stuck ("),
        "{block}"
    );
}

/// A `record` in which a function's only call is untimed (its path was timed before, outside
/// the window) estimates it from the path's timed calls so far, not as zero.
#[test]
fn a_window_whose_calls_were_all_untimed_is_estimated_from_the_paths_timed_calls() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _clock = TestClock::install().unwrap();
    // The path's first call is timed; at this rate the next ones are untimed (one chance in
    // 2^31 - 1 of a timed one).
    let reports = sampled(1 << 30, || {
        leaf();
        (0..3).map(|_| profkit::record(leaf).1).collect::<Vec<_>>()
    });
    for report in reports {
        let f = report.function("leaf").unwrap();
        assert_eq!(f.ncalls(), 1);
        assert_eq!((f.tottime(), f.cumtime()), (ns(100), ns(100)));
    }
    // Two calls in a window: the mean of the timed calls so far, twice.
    let report = sampled(1 << 30, || {
        leaf();
        profkit::record(|| other_caller(2)).1
    });
    let f = report.function("leaf").unwrap();
    assert_eq!((f.ncalls(), f.tottime()), (2, ns(200)));
}

/// Compensation under sampling (issue 27): what an untimed call costs its caller comes out of
/// the caller's times, once. With the test clock no call costs anything, so the injected
/// figures are what is taken out, and the arithmetic is exact: a timed call takes `own` from
/// itself and `caller` from its caller; an untimed one `untimed` from its caller. Each call's
/// estimate holds `own` per call, untimed calls included, so a caller's own time (inclusive
/// less the callees' estimates) loses only `untimed - own` more per untimed callee call.
/// 10 ns of its own per call of `leaf`.
#[profile]
fn busy_caller(n: u64) {
    for _ in 0..n {
        advance(ns(10));
        leaf();
    }
}

#[test]
fn compensation_takes_untimed_calls_out_of_their_callers_once() {
    use profkit::testing::inject_calibration;
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _clock = TestClock::install().unwrap();
    // A timed call of a sampled path costs its own time 4 ns, not 2.
    let _figures = inject_calibration(2.0, 5.0)
        .with_untimed(3.0)
        .with_sampled_own(4.0);
    let (_, report) = sampled(16, || {
        profkit::record(|| {
            for _ in 0..10 {
                busy_caller(1_000);
            }
        })
    });
    let ns_of = |d: Duration| d.as_nanos() as u64;
    let leaf = report.function("leaf").unwrap();
    assert_eq!(leaf.ncalls(), 10_000);
    let timed = leaf.latency().unwrap().count();
    let untimed = 10_000 - timed;
    assert!(timed > 0 && untimed > 0, "{timed} timed");
    // leaf: every call 100 ns, less 4 ns each (the estimate holds one own cost per call).
    assert_eq!(ns_of(leaf.tottime()), 10_000 * 96);
    assert_eq!(ns_of(leaf.cumtime()), 10_000 * 96);
    let o = report.function("busy_caller").unwrap();
    // Its own 10 calls: a sampled path (4 ns each) unless all 10 were timed (2 ns each).
    let mine = if o.latency().unwrap().count() < 10 {
        40
    } else {
        20
    };
    // busy_caller: own 10 x 10,000 less its own calls' cost, 5 per timed and 3 - 4 per
    // untimed leaf call (the 4 that leaf's estimate took out already).
    assert_eq!(ns_of(o.tottime()), 100_000 - mine - 5 * timed + untimed);
    // Inclusive: 10 x 110,000 less its own calls', 4 + 5 per timed and 3 per untimed leaf call.
    assert_eq!(
        ns_of(o.cumtime()),
        1_100_000 - mine - 9 * timed - 3 * untimed
    );
    // Own times still add up to the inclusive time.
    assert_eq!(o.cumtime(), o.tottime() + leaf.cumtime());
    let c = report.compensation().unwrap();
    assert_eq!(
        (
            c.own_ns(),
            c.caller_ns(),
            c.untimed_ns(),
            c.sampled_own_ns()
        ),
        (2.0, 5.0, 3.0, 4.0)
    );
    let text = report.to_string();
    assert!(
        text.contains(
            "profkit's own cost taken out: 2.0 ns per call from the call, 5.0 ns from its \
             caller; sampled: 4.0 ns per timed call from the call, 3.0 ns per untimed call \
             from its caller"
        ),
        "{text}"
    );
    // The figures travel in the JSON file; a file without them (older) reads as 0 and `own`.
    let json = report.to_json();
    let fields = r#","untimed_ps":3000,"sampled_own_ps":4000"#;
    assert!(json.contains(fields), "{json}");
    let back = profkit::Report::from_json_bytes(json.as_bytes()).unwrap();
    assert_eq!(back, report);
    let old = json.replace(fields, "");
    let back = profkit::Report::from_json_bytes(old.as_bytes()).unwrap();
    let c = back.compensation().unwrap();
    assert_eq!((c.untimed_ns(), c.sampled_own_ns()), (0.0, 2.0));
}

#[test]
fn under_recursion_every_frames_untimed_calls_come_out_once() {
    use profkit::testing::inject_calibration;
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _clock = TestClock::install().unwrap();
    // caller = untimed - own: a timed inner frame then costs the frame above it (own + caller
    // in its inclusive time, caller + own back in its own) what an untimed one does, so the
    // result does not depend on which frames were timed.
    let _figures = inject_calibration(2.0, 1.0).with_untimed(3.0);
    let report = recursions_sampled();
    let f = report.function("recurse").unwrap();
    assert_eq!((f.ncalls(), f.primitive_calls()), (50_000, 5_000));
    assert!(f.latency().unwrap().count() < 50_000 / 4);
    // 500,000 ns of frames, less 2 ns for each of the 50,000 calls and, in each of the 9 inner
    // frames' 5,000 calls, 3 - 2 (untimed) or 1 (timed) from the frame above.
    assert_eq!(f.tottime(), ns(500_000 - 100_000 - 45_000));
    // cumtime, the outermost frames': 500,000 less 5,000 x 2 for their own calls and 45,000
    // inner calls at 3 each (2 + 1 timed, 3 untimed). Equal to the sum of own times.
    assert_eq!(f.cumtime(), ns(500_000 - 10_000 - 135_000));
}

#[test]
fn exact_mode_ignores_the_sampled_figures() {
    use profkit::testing::inject_calibration;
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _clock = TestClock::install().unwrap();
    let run = |untimed: f64| {
        let _figures = inject_calibration(2.0, 5.0)
            .with_untimed(untimed)
            .with_sampled_own(untimed * 3.0);
        profkit::record(|| {
            for _ in 0..10 {
                busy_caller(1_000);
            }
        })
        .1
    };
    let (without, with) = (run(0.0), run(3.0));
    let times = |r: &profkit::Report| {
        ["busy_caller", "leaf"].map(|n| {
            let f = r.function(n).unwrap();
            (f.tottime(), f.cumtime())
        })
    };
    assert_eq!(times(&with), times(&without));
    // By hand: leaf 10,000 x 98; busy_caller own 100,000 - 20 - 10,000 x 5; inclusive
    // 1,100,000 - 20 - 10,000 x 7.
    assert_eq!(
        times(&with),
        [(ns(49_980), ns(1_029_980)), (ns(980_000), ns(980_000))]
    );
    // The header of an exact report stays as it was.
    let text = with.to_string();
    assert!(!text.contains("untimed"), "{text}");
    assert!(
        text.contains(
            "profkit's own cost taken out: 2.0 ns per call from the call, 5.0 ns from its caller\n"
        ),
        "{text}"
    );
}
