//! CPU time on caller -> callee edges and in the callers/callees views, exact with the test
//! clocks (`TestClock` for wall time, `TestCpuClock` for CPU time); and a thread without a
//! per-thread CPU clock reporting `None`, never zero.

use std::time::Duration;

use profkit::testing::{TestClock, TestCpuClock, advance, advance_cpu, inject_calibration};

const US: Duration = Duration::from_micros(1);

/// 100 us of wall time, `cpu_us` of them on the CPU.
#[profkit::profile]
fn fetch(cpu_us: u32) {
    advance(100 * US);
    advance_cpu(cpu_us * US);
}

/// A fetch served from memory: mostly CPU. 10 us of its own, all CPU.
#[profkit::profile]
fn cached() {
    advance(10 * US);
    advance_cpu(10 * US);
    fetch(90);
}

/// A fetch that waits on the network, twice, and recursion through itself once.
#[profkit::profile]
fn remote(depth: u32) {
    fetch(10);
    if depth > 0 {
        remote(depth - 1);
    }
}

#[profkit::profile]
fn handler() {
    cached();
    remote(1);
}

fn ns(d: Option<Duration>) -> Option<u64> {
    d.map(|d| d.as_nanos() as u64)
}

#[test]
fn each_edge_carries_its_callees_cpu_time_own_and_cumulative() {
    let _clock = TestClock::install().unwrap();
    let _cpu = TestCpuClock::install();
    let (_, report) = profkit::record(handler);
    assert!(report.has_cpu());
    let f = |name: &str| report.function(name).unwrap();
    let fetch = f("fetch");
    // Rows: fetch ran 3 times, 90 + 10 + 10 us of CPU in 300 us.
    assert_eq!(ns(fetch.cpu_time()), Some(110_000));
    assert_eq!(ns(fetch.wait_time()), Some(190_000));
    // Edges: the same split by caller.
    let from_cached = fetch.caller("cached").unwrap();
    assert_eq!(ns(from_cached.cpu_time()), Some(90_000));
    assert_eq!(ns(from_cached.cum_cpu_time()), Some(90_000));
    assert_eq!(ns(from_cached.wait_time()), Some(10_000));
    assert_eq!(from_cached.cpu_share(), Some(0.9));
    let from_remote = fetch.caller("remote").unwrap();
    assert_eq!(from_remote.ncalls(), 2);
    assert_eq!(ns(from_remote.cpu_time()), Some(20_000));
    assert_eq!(ns(from_remote.wait_time()), Some(180_000));
    // handler -> cached: cached's own 10 us of CPU and its fetch's 90, in 110 us.
    let edge = f("handler").callee("cached").unwrap();
    assert_eq!(
        (
            ns(edge.cpu_time()),
            ns(edge.cum_cpu_time()),
            ns(edge.wait_time())
        ),
        (Some(10_000), Some(100_000), Some(10_000))
    );
    // remote -> remote (recursion): the inner call's CPU, own 0, cumulative its fetch's 10.
    let rec = f("remote").caller("remote").unwrap();
    assert_eq!(
        (
            ns(rec.cpu_time()),
            ns(rec.cum_cpu_time()),
            ns(rec.wait_time())
        ),
        (Some(0), Some(10_000), Some(90_000))
    );
    // handler -> remote counts the outer call once, with both fetches beneath.
    let edge = f("handler").callee("remote").unwrap();
    assert_eq!(
        (ns(edge.cum_cpu_time()), edge.cumtime().as_nanos()),
        (Some(20_000), 200_000)
    );
    // The callee side of a function holds the same figures.
    let other_side = f("cached").callee("fetch").unwrap();
    assert_eq!(
        (other_side.cpu_time(), other_side.cum_cpu_time()),
        (from_cached.cpu_time(), from_cached.cum_cpu_time())
    );
}

#[test]
fn the_calls_views_show_each_edges_cpu_share_only_when_recorded() {
    let _clock = TestClock::install().unwrap();
    let with_cpu = {
        let _cpu = TestCpuClock::install();
        profkit::record(handler).1
    };
    let text = with_cpu.stats().callers().to_string();
    let header = text
        .lines()
        .find(|l| l.contains("ncalls"))
        .expect("a header");
    assert!(
        header.ends_with("ncalls  tottime  cumtime     cpu%"),
        "{text}"
    );
    let line = |text: &str, from: &str, to: &str| -> String {
        text.lines()
            .skip_while(|l| !l.contains(&format!("({to})")))
            .find(|l| l.ends_with(&format!("({from})")))
            .unwrap_or_else(|| panic!("{from} -> {to}: {text}"))
            .to_owned()
    };
    // fetch <- cached: 1 call, 0.090 ms own, 90% CPU.
    assert!(
        line(&text, "cpu_edges::cached", "cpu_edges::fetch")
            .contains("1    0.000    0.000    90.0%  "),
        "{text}"
    );
    let callees = with_cpu.stats().callees().to_string();
    assert!(
        line(&callees, "cpu_edges::remote", "cpu_edges::handler").contains("    10.0%  "),
        "{callees}"
    );
    // Without CPU time: pstats' columns only.
    let plain = profkit::record(handler).1;
    let text = plain.stats().callers().to_string();
    assert!(!text.contains("cpu%"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.trim_end().ends_with("ncalls  tottime  cumtime")),
        "{text}"
    );
}

#[test]
fn edge_cpu_time_survives_json_merging_and_compensation() {
    let _clock = TestClock::install().unwrap();
    let _cpu = TestCpuClock::install();
    let (_, report) = profkit::record(handler);
    let edge = |r: &profkit::Report| {
        r.function("fetch")
            .unwrap()
            .caller("remote")
            .unwrap()
            .clone()
    };
    let back = profkit::Report::from_json_bytes(report.to_json().as_bytes()).unwrap();
    assert_eq!(edge(&back), edge(&report));
    // The edge's figures are in the file for readers of the rows alone: 4 rows and 5 edges,
    // in the report and in its one thread.
    assert_eq!(
        report.to_json().matches("\"cum_cpu_ns\"").count(),
        2 * (4 + 5)
    );
    // Two reports added: the edge's CPU times add up.
    let mut sum = report.clone();
    sum.merge(&report);
    assert_eq!(ns(edge(&sum).cpu_time()), Some(40_000));
    // With a cost per call taken out, an edge loses it from its CPU time as from its own time:
    // fetch has no callee, so 2 calls x 4 ns.
    let _figures = inject_calibration(4.0, 2.5);
    let (_, compensated) = profkit::record(handler);
    assert_eq!(ns(edge(&compensated).cpu_time()), Some(20_000 - 8));
}

#[test]
fn a_thread_without_a_cpu_clock_reports_none_never_zero() {
    let _clock = TestClock::install().unwrap();
    let _cpu = TestCpuClock::missing();
    let (_, report) = profkit::record(handler);
    assert!(!report.has_cpu());
    for f in report.functions() {
        assert_eq!(
            (f.cpu_time(), f.cum_cpu_time(), f.wait_time(), f.verdict()),
            (None, None, None, None),
            "{}",
            f.name()
        );
        for e in f.callers() {
            assert_eq!((e.cpu_time(), e.wait_time()), (None, None));
        }
    }
    let text = report.to_string();
    assert!(!text.contains("cpu%"), "{text}");
    let json = report.to_json();
    assert!(!json.contains("cpu_ns"), "{json}");
}
