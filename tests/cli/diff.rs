//! `profkit diff`: regressions past the threshold and the floor, noise below it, new and
//! vanished functions, and its JSON.

use crate::support::{Shape, profkit, scratch, write};

#[test]
fn a_regression_past_threshold_and_floor_fails_the_diff() {
    let dir = scratch("diff-regression");
    let base = write(&dir, "base.json", Shape::default());
    // Each fetch takes 3 ms instead of 1 ms: fetch_row's cumtime goes from 12 ms to 36 ms.
    let new = write(
        &dir,
        "new.json",
        Shape {
            fetch_micros: 3000,
            ..Shape::default()
        },
    );
    let out = profkit([
        "diff",
        &base,
        &new,
        "--threshold",
        "10%",
        "--min-delta",
        "1ms",
    ]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let first = out
        .stdout
        .lines()
        .find(|l| l.contains("REGRESSED"))
        .expect("a regression");
    // Sorted by impact: get_users and fetch_row both grew by 24 ms; fib did not change.
    assert!(
        first.contains("+24.0 ms") && first.contains("+200.0%"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("2 regressions in cumtime"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("(1 unchanged not shown)"),
        "{}",
        out.stdout
    );
    // Short names, as in the other tables; --full-names gives the whole path.
    assert!(
        out.stdout
            .lines()
            .any(|l| l.ends_with("  support::fetch_row")),
        "{}",
        out.stdout
    );
    let full = profkit(["diff", &base, &new, "--min-delta", "1ms", "--full-names"]);
    assert!(
        full.stdout
            .lines()
            .any(|l| l.ends_with("  cli::support::fetch_row")),
        "{}",
        full.stdout
    );

    for metric in ["p99", "p50", "max", "tottime"] {
        let out = profkit([
            "diff",
            &base,
            &new,
            "--metric",
            metric,
            "--min-delta",
            "1ms",
        ]);
        assert_eq!(out.code, 1, "{metric}: {}", out.stdout);
        assert!(out.stdout.contains("fetch_row"), "{}", out.stdout);
    }
    // The same profile: nothing changed.
    let out = profkit(["diff", &base, &base]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("no regression"), "{}", out.stdout);
}

#[test]
fn a_change_below_the_floor_is_noise() {
    let dir = scratch("diff-noise");
    let base = write(&dir, "base.json", Shape::default());
    // +50%, but only +6 ms in total and +0.5 ms per call.
    let new = write(
        &dir,
        "new.json",
        Shape {
            fetch_micros: 1500,
            ..Shape::default()
        },
    );
    let out = profkit(["diff", &base, &new, "--min-delta", "10ms"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("slower") && !out.stdout.contains("REGRESSED"),
        "{}",
        out.stdout
    );
    // p99: fetch_row +0.5 ms, get_users +1.5 ms (three fetches per call); the floor is 2 ms.
    let out = profkit(["diff", &base, &new, "--metric", "p99", "--min-delta", "2ms"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    // Below the relative threshold: +50% is not more than 60%.
    let out = profkit(["diff", &base, &new, "--threshold", "60%"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    // Faster is never a regression.
    let out = profkit(["diff", &new, &base]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("faster"), "{}", out.stdout);
}

#[test]
fn ncalls_takes_a_count_as_its_floor() {
    let dir = scratch("diff-ncalls");
    let base = write(&dir, "base.prof", Shape::default());
    let more = write(
        &dir,
        "more.prof",
        Shape {
            rows: 4,
            ..Shape::default()
        },
    );
    // fetch_row: 12 -> 16 calls (+4, +33%).
    let out = profkit([
        "diff",
        &base,
        &more,
        "--metric",
        "ncalls",
        "--min-delta",
        "5",
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let out = profkit([
        "diff",
        &base,
        &more,
        "--metric",
        "ncalls",
        "--min-delta",
        "4",
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout
            .lines()
            .any(|l| l.contains("REGRESSED") && l.contains("+4")),
        "{}",
        out.stdout
    );
    profkit([
        "diff",
        &base,
        &more,
        "--metric",
        "ncalls",
        "--min-delta",
        "1ms",
    ])
    .bad_input("--min-delta");
    profkit(["diff", &base, &more, "--min-delta", "5"]).bad_input("needs a unit");
    // A .prof has no latency: say so rather than find no change.
    profkit(["diff", &base, &more, "--metric", "p99"]).bad_input("has no latency");
}

#[test]
fn new_and_vanished_functions_are_listed_and_json_parses() {
    let dir = scratch("diff-new");
    let base = write(
        &dir,
        "base.json",
        Shape {
            old_function: true,
            ..Shape::default()
        },
    );
    let new = write(
        &dir,
        "new.json",
        Shape {
            new_function: true,
            fetch_micros: 3000,
            ..Shape::default()
        },
    );
    let out = profkit(["diff", &base, &new]);
    assert_eq!(out.code, 1);
    let after = |title: &str| {
        let text = &out.stdout[out
            .stdout
            .find(title)
            .unwrap_or_else(|| panic!("{title}: {}", out.stdout))..];
        text.lines().nth(1).unwrap_or("").to_owned()
    };
    assert!(
        after("new (only in NEW)").contains("added_later"),
        "{}",
        out.stdout
    );
    assert!(
        after("vanished (only in BASE)").contains("removed_later"),
        "{}",
        out.stdout
    );

    let out = profkit([
        "diff",
        &base,
        &new,
        "--format",
        "json",
        "--min-delta",
        "1ms",
    ]);
    assert_eq!(out.code, 1);
    let doc = out.json();
    assert_eq!(doc["metric"], "cumtime");
    assert_eq!(doc["regressions"].as_u64(), Some(2));
    let first = &doc["changes"][0];
    assert_eq!(first["regression"], true);
    assert_eq!(first["delta"].as_f64(), Some(0.024));
    assert_eq!(first["relative"].as_f64(), Some(2.0));
    assert_eq!(doc["new_functions"][0]["value"].as_f64(), Some(70e-6));
    assert!(
        doc["vanished_functions"][0]["name"]
            .as_str()
            .unwrap()
            .ends_with("removed_later")
    );
    assert_eq!(doc["min_delta"].as_f64(), Some(0.001));
}

#[test]
fn with_cpu_time_in_both_a_change_says_how_much_was_cpu_and_how_much_waiting() {
    let dir = scratch("diff-cpu");
    let with_cpu = |fetch_micros, cpu| Shape {
        fetch_micros,
        fetch_cpu_micros: Some(cpu),
        ..Shape::default()
    };
    // 12 fetches of 1 ms, 0.9 ms of it CPU; then of 3 ms: the 24 ms more are all waiting
    // (a slower database), or all CPU (a slower parser).
    let base = write(&dir, "base.json", with_cpu(1000, 900));
    let waits = write(&dir, "waits.json", with_cpu(3000, 900));
    let computes = write(&dir, "computes.json", with_cpu(3000, 2900));
    let out = profkit(["diff", &base, &waits, "--min-delta", "1ms"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let header = out.stdout.lines().nth(2).unwrap_or("");
    assert!(
        header.contains("cpu") && header.contains("wait"),
        "{}",
        out.stdout
    );
    let row = |text: &str, name: &str| {
        text.lines()
            .find(|l| l.ends_with(&format!("  support::{name}")))
            .unwrap_or_else(|| panic!("{name}: {text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    // status, base, new, delta, change, cpu delta, wait delta, function.
    assert_eq!(
        row(&out.stdout, "fetch_row"),
        "REGRESSED 12.0 ms 36.0 ms +24.0 ms +200.0% 0 ns +24.0 ms support::fetch_row"
    );
    let out = profkit(["diff", &base, &computes, "--min-delta", "1ms"]);
    assert_eq!(
        row(&out.stdout, "fetch_row"),
        "REGRESSED 12.0 ms 36.0 ms +24.0 ms +200.0% +24.0 ms 0 ns support::fetch_row"
    );
    // Own time: get_users' 5 us per call did not change, nor its CPU (none).
    let json = profkit([
        "diff", &base, &waits, "--metric", "tottime", "--format", "json",
    ])
    .json();
    let fetch = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().ends_with("fetch_row"))
        .unwrap();
    assert_eq!(fetch["delta"].as_f64(), Some(0.024));
    assert_eq!(fetch["cpu_delta"].as_f64(), Some(0.0));
    assert_eq!(fetch["wait_delta"].as_f64(), Some(0.024));

    // The metrics themselves: cumulative CPU time and waiting time.
    let out = profkit([
        "diff", &base, &computes, "--metric", "cpu", "--format", "json",
    ]);
    assert_eq!(out.code, 1);
    let doc = out.json();
    let first = &doc["changes"][0];
    // get_users and fetch_row both: 12 x 0.9 ms of CPU, then 12 x 2.9 ms.
    assert_eq!(
        (first["base"].as_f64(), first["new"].as_f64()),
        (Some(0.0108), Some(0.0348))
    );
    let out = profkit(["diff", &base, &computes, "--metric", "wait"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("(3 unchanged not shown)"),
        "{}",
        out.stdout
    );
    let out = profkit(["diff", &base, &waits, "--metric", "wait"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(
        row(&out.stdout, "fetch_row"),
        "REGRESSED 1.20 ms 25.2 ms +24.0 ms +2000.0% support::fetch_row"
    );

    // Without CPU time on one side: no columns, and the CPU metrics are refused.
    let plain = write(&dir, "plain.json", Shape::default());
    let out = profkit(["diff", &plain, &waits]);
    assert!(
        !out.stdout.lines().nth(2).unwrap_or("").contains("wait"),
        "{}",
        out.stdout
    );
    assert!(
        row(&out.stdout, "fetch_row").ends_with("+200.0% support::fetch_row"),
        "{}",
        out.stdout
    );
    profkit(["diff", &plain, &waits, "--metric", "cpu"]).bad_input("has no CPU figures");
    profkit(["diff", &waits, &plain, "--metric", "wait"]).bad_input("PROFKIT_CPU=1");
}
