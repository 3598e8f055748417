//! profkit's `.prof` files are what Python's `pstats` reads: python3 loads them
//! (`tests/twins/check_prof.py`), checks what viewers need and pstats' own consistency, and
//! must find the counts profkit found and print the table profkit prints.

use std::path::PathBuf;
use std::process::Command;
use std::thread;
use std::time::Duration;

use profkit::testing::{TestClock, advance};
use profkit::{Report, profile};

#[profile]
fn fib(n: u64) -> u64 {
    advance(Duration::from_nanos(1_234));
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

#[profile]
fn leaf(i: u64) -> u64 {
    i * 3
}

#[profile]
fn worker(n: u64) -> u64 {
    (0..n).map(leaf).sum()
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("profkit-{name}-{}.prof", std::process::id()))
}

/// Runs the checker on `report` written to a file; returns its count lines and its table.
fn check(report: &Report, name: &str) -> (Vec<String>, String) {
    let path = scratch(name);
    report.write_pstats(&path).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/twins/check_prof.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python3 runs (it is on every machine and in CI)");
    std::fs::remove_file(&path).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let (counts, table) = stdout.split_once("===== print_stats\n").unwrap();
    (counts.lines().map(String::from).collect(), table.to_owned())
}

/// The report's table as pstats prints it from the `.prof` file: without the line that states
/// profkit's own cost taken out of a real clock's times (the file has no field for it; the
/// times in it are already compensated).
fn pstats_part(report: &Report) -> String {
    let text = report.to_string();
    if let Some(c) = report.compensation() {
        let line = format!(
            "   profkit's own cost taken out: {:.1} ns per call from the call, {:.1} ns from its \
             caller\n",
            c.own_ns(),
            c.caller_ns()
        );
        assert!(text.contains(&line), "{text}");
        return text.replacen(&line, "", 1);
    }
    text
}

#[test]
fn python_pstats_reads_recursion_exactly() {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| fib(15));
    let (counts, table) = check(&report, "fib");
    assert_eq!(
        counts,
        [
            "F <profkit> 0 0",
            "F pstats_file::fib 1973 1",
            "E <profkit> pstats_file::fib 1 1",
            "E pstats_file::fib pstats_file::fib 1972 2"
        ]
    );
    // pstats prints profkit's table, plus the `{profkit}` root row (0 calls, so the totals
    // are the same).
    let without_root: String = table
        .lines()
        .filter(|l| !l.ends_with(" {profkit}"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(without_root, report.to_string());
    assert!(
        table.contains("        0    0.000             0.002          {profkit}"),
        "{table}"
    );
}

#[test]
fn python_pstats_reads_a_multi_thread_profile_exactly() {
    let (_, report) = profkit::record(|| {
        thread::scope(|s| {
            for _ in 0..4 {
                profkit::spawn_scoped(s, || worker(1_000));
            }
        });
    });
    let (counts, table) = check(&report, "threads");
    assert_eq!(
        counts,
        [
            "F pstats_file::leaf 4000 4000",
            "E pstats_file::worker pstats_file::leaf 4000 4000",
            "F pstats_file::worker 4 4",
        ]
    );
    assert_eq!(table, pstats_part(&report));
}

#[test]
fn names_outside_ascii_and_long_names_survive() {
    // Written through the scope macro, whose names are free-form.
    let long: &'static str = "a_name_longer_than_two_hundred_and_fifty_five_bytes_\
        xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
        xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
        xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    assert!(long.len() > 255);
    let (_, report) = profkit::record(|| {
        profkit::profile_scope!("café::crème");
        profkit::profile_scope!(
            "a_name_longer_than_two_hundred_and_fifty_five_bytes_\
        xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
        xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
        xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        );
    });
    let (counts, table) = check(&report, "names");
    assert!(
        counts.contains(&"F café::crème 1 1".to_owned()),
        "{counts:?}"
    );
    assert!(counts.contains(&format!("F {long} 1 1")), "{counts:?}");
    assert_eq!(table, pstats_part(&report));
}

#[profile]
fn still_running() -> Report {
    leaf(1);
    leaf(2);
    // Reported from inside a call that has not returned.
    profkit::record(|| {
        leaf(3);
    })
    .1
}

#[test]
fn a_caller_that_has_not_returned_is_a_row_with_no_calls() {
    let (inner, outer) = profkit::record(still_running);
    // Inside: `leaf`'s caller is the running `still_running`, which has a row of its own.
    let leaf = inner.function("pstats_file::leaf").unwrap();
    assert_eq!(leaf.caller("still_running").unwrap().ncalls(), 1);
    assert_eq!(inner.function("still_running").unwrap().ncalls(), 0);
    assert!(
        inner.tree().to_string().contains("    pstats_file::leaf"),
        "{}",
        inner.tree()
    );
    // And the file keeps "every caller is a key".
    check(&inner, "running");
    assert_eq!(outer.function("still_running").unwrap().ncalls(), 1);
}
