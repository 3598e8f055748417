//! `profkit view --what-if`: the column, one estimate with the share it used, and bad specs.

use crate::support::{Shape, profkit, scratch, write};

// The default shape (support.rs): fib(15), 1,973 calls of 10 ns = 19,730 ns; four get_users
// calls of 5 us own time and 3 fetch_row calls of 1,000 us each: 12,020,000 ns. The total is
// 12,039,730 ns.
const TOTAL_NS: f64 = 12_039_730.0;

#[test]
fn the_column_shows_each_rows_ceiling() {
    let dir = scratch("what-if-column");
    let json = write(&dir, "p.json", Shape::default());
    let out = profkit(["view", &json, "--what-if"]).ok().to_owned();
    assert!(out.contains("  if free filename:lineno(function)"), "{out}");
    // fib: 19,730 of 12,039,730 ns; free: 1 / (1 - share) = 1.0016...
    let fib = out.lines().find(|l| l.contains("(support::fib)")).unwrap();
    assert!(fib.contains("    1.00x "), "{fib}");
    // get_users is 12,020,000 ns: 1 / (1 - 0.99836) = 610.2x
    let share = 12_020_000.0 / TOTAL_NS;
    let ceiling = format!("{:.2}x", 1.0 / (1.0 - share));
    let get_users = out.lines().find(|l| l.contains("get_users")).unwrap();
    assert!(get_users.contains(&ceiling), "{get_users} lacks {ceiling}");
    // The JSON rows carry the same numbers.
    let doc = profkit(["view", &json, "--what-if", "--format", "json"]).json();
    let row = doc["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "cli::support::get_users")
        .unwrap();
    assert!(
        (row["share"].as_f64().unwrap() - share).abs() < 1e-12,
        "{row}"
    );
    let free = row["max_speedup_if_free"].as_f64().unwrap();
    assert!((free - 1.0 / (1.0 - share)).abs() < 1e-6, "{row}");
    // Without the flag, no column and no fields.
    let plain = profkit(["view", &json]).ok().to_owned();
    assert!(!plain.contains("if free"), "{plain}");
}

#[test]
fn an_estimate_says_the_share_it_used() {
    let dir = scratch("what-if-estimate");
    let json = write(&dir, "p.json", Shape::default());
    let out = profkit(["view", &json, "--what-if", "fetch_row=5x"])
        .ok()
        .to_owned();
    // fetch_row: 12,000,000 of 12,039,730 ns.
    let share = 12_000_000.0 / TOTAL_NS;
    let speedup = 1.0 / ((1.0 - share) + share / 5.0);
    assert!(
        out.starts_with(&format!(
            "cli::support::fetch_row: {:.1}% of the profiled time (cumtime 0.012000 s of 0.012040 s)\n",
            share * 100.0
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("if it were 5x faster: {speedup:.2}x overall")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "if it took no time: {:.2}x overall at most",
            1.0 / (1.0 - share)
        )),
        "{out}"
    );
    assert!(out.contains("profile again"), "{out}");

    let doc = profkit([
        "view",
        &json,
        "--what-if",
        "cli::support::fib=inf",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(doc["function"], "cli::support::fib");
    assert_eq!(
        doc["factor"],
        serde_json::Value::Null,
        "infinite: null in JSON"
    );
    let share = 19_730.0 / TOTAL_NS;
    assert!(
        (doc["share"].as_f64().unwrap() - share).abs() < 1e-15,
        "{doc}"
    );
    assert!((doc["speedup"].as_f64().unwrap() - 1.0 / (1.0 - share)).abs() < 1e-12);
}

#[test]
fn a_bad_spec_an_unknown_function_or_a_factor_at_most_0_is_one_line() {
    let dir = scratch("what-if-bad");
    let json = write(&dir, "p.json", Shape::default());
    for (spec, says) in [
        ("fetch_row", "no `=`"),
        ("fetch_row=fast", "is not a factor"),
        ("fetch_row=0x", "must be positive"),
        ("fetch_row=-3", "must be positive"),
        ("=5x", "no function"),
        ("fetch_rows=2x", "no profiled function named `fetch_rows`"),
    ] {
        profkit(["view", &json, "--what-if", spec]).bad_input(says);
    }
    // The spec is checked before any file is read.
    profkit(["view", "/nonexistent.json", "--what-if", "x=0"]).bad_input("must be positive");
    // A file name taken as the spec says how to ask for the column.
    profkit(["view", "--what-if", &json]).bad_input("put --what-if after the files");
}

/// Issue 22: a function whose own time per call is about profkit's own cost is marked `~` in
/// the table, counted at its end, and its what-if estimate says it is unreliable.
#[test]
fn a_function_about_as_long_as_profkits_cost_is_marked_and_its_estimate_unreliable() {
    let dir = scratch("what-if-small");
    // fib's 1,973 calls take 10 ns each on the test clock (19,730 ns of cumtime); with 2 ns
    // from the call and 1 ns from its caller taken out (3 ns per call), what is left per call
    // is under 3 x 3 ns. get_users' calls take milliseconds.
    let report = {
        let _figures = profkit::testing::inject_calibration(2.0, 1.0);
        crate::support::record(Shape::default())
    };
    assert!(report.is_too_small_to_time(report.function("fib").unwrap()));
    assert!(!report.is_too_small_to_time(report.function("get_users").unwrap()));
    let json = dir.join("small.json");
    report.write_json(&json).unwrap();
    let json = json.display().to_string();

    let table = profkit(["view", &json]).ok().to_owned();
    let fib = table
        .lines()
        .find(|l| l.contains("(support::fib)"))
        .unwrap();
    assert!(fib.ends_with("(support::fib) ~"), "{fib}");
    let users = table.lines().find(|l| l.contains("get_users")).unwrap();
    assert!(!users.ends_with('~'), "{users}");
    assert!(
        table.contains(
            "   ~ 1 function takes under 3x profkit's own cost per call (3.0 ns) a call: their \
             times are mostly profkit's; #[profile(skip)] leaves them out\n"
        ),
        "{table}"
    );

    let out = profkit(["view", &json, "--what-if", "fib=2x"])
        .ok()
        .to_owned();
    assert!(out.contains("\nunreliable: its calls take "), "{out}");
    let doc = profkit(["view", &json, "--what-if", "fib=2x", "--format", "json"]).json();
    assert_eq!(doc["unreliable"], true, "{doc}");
    let doc = profkit([
        "view",
        &json,
        "--what-if",
        "get_users=2x",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(doc["unreliable"], false, "{doc}");
}
