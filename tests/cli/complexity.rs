//! `profkit view --complexity`: the growth of each function with sized calls, from a file.

use std::time::Duration;

use profkit::testing::{TestClock, advance};

use super::support::{Shape, arg, profkit, scratch, write};

#[profkit::profile(size = n)]
fn scan(n: u64) {
    advance(Duration::from_nanos(40 * n));
}

#[profkit::profile(size = n)]
fn pairs(n: u64) {
    advance(Duration::from_nanos(n * n / 10));
}

fn sized_profile(dir: &std::path::Path) -> String {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| {
        for n in [200, 500, 1_000, 2_000, 5_000, 10_000] {
            scan(n);
            scan(n);
            pairs(n);
            pairs(n);
        }
    });
    let path = arg(dir, "sized.json");
    report.write(&path).unwrap();
    path
}

#[test]
fn view_complexity_prints_each_fit_with_its_plot() {
    let dir = scratch("view-complexity");
    let file = sized_profile(&dir);
    let out = profkit(["view", &file, "--complexity"]).ok().to_owned();
    assert!(
        out.contains(
            "complexity::pairs grows as O(n^2) (exponent 2.00, 6 sizes from 200 to 10000), 12 \
             calls; error 0.0%, r^2 1.000\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("complexity::scan grows as O(n) (exponent 1.00, 6 sizes from 200 to 10000)"),
        "{out}"
    );
    assert!(out.contains("  size 10000:    400 µs\n"), "{out}");
    // Short names by default, as every table; --full-names gives the full path.
    assert!(!out.contains("cli::complexity::pairs"), "{out}");
    let full = profkit(["view", &file, "--complexity", "--full-names"])
        .ok()
        .to_owned();
    assert!(
        full.contains("cli::complexity::pairs grows as O(n^2)"),
        "{full}"
    );
    // The table shows the class in its growth column (and the short name, issue 22's default).
    let table = profkit(["view", &file]).ok().to_owned();
    let pairs = table
        .lines()
        .find(|l| l.ends_with("(complexity::pairs)"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(pairs.contains(" O(n^2) "), "{table}");

    let json = profkit(["view", &file, "--complexity", "--format", "json"]).json();
    let rows = json["functions"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let pairs = rows
        .iter()
        .find(|r| r["name"] == "cli::complexity::pairs")
        .unwrap();
    assert_eq!(pairs["growth"]["class"], "O(n^2)");
    assert_eq!(pairs["growth"]["calls"], 12);
    assert_eq!(pairs["growth"]["points"][0][0], 200);
}

#[test]
fn view_complexity_of_a_profile_without_sized_calls_is_bad_input() {
    let dir = scratch("view-complexity-none");
    let file = write(&dir, "p.json", Shape::default());
    profkit(["view", &file, "--complexity"]).bad_input("has no sized calls");
}
