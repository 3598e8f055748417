//! Profile before you optimize.
//!
//! 50,000 records, 500 distinct keys once trimmed and lower-cased. The first version cleans
//! each record and keeps it if a linear `Vec::contains` scan has not seen it yet; a natural
//! guess is that the string cleaning (an allocation per record) is the cost. The profile says
//! otherwise, and the `HashSet` version confirms it.
//!
//! Run: `cargo run --release --example quickstart`

use std::collections::HashSet;

use profkit::profile;

#[profile]
fn load_records(n: usize) -> Vec<String> {
    (0..n).map(|i| format!(" Record_{} ", i % 500)).collect()
}

#[profile]
fn clean(raw: &str) -> String {
    raw.trim().to_lowercase()
}

#[profile]
fn seen_before(unique: &[String], key: &String) -> bool {
    unique.contains(key)
}

#[profile]
fn dedupe_linear(records: &[String]) -> Vec<String> {
    let mut unique = Vec::new();
    for raw in records {
        let key = clean(raw);
        if !seen_before(&unique, &key) {
            unique.push(key);
        }
    }
    unique
}

#[profile]
fn dedupe_hashed(records: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut unique = Vec::new();
    for raw in records {
        let key = clean(raw);
        if seen.insert(key.clone()) {
            unique.push(key);
        }
    }
    unique
}

fn percent(part: std::time::Duration, whole: std::time::Duration) -> f64 {
    100.0 * part.as_secs_f64() / whole.as_secs_f64().max(f64::MIN_POSITIVE)
}

fn main() {
    let records = load_records(50_000);
    let linear = dedupe_linear(&records);
    let hashed = dedupe_hashed(&records);
    assert_eq!(linear, hashed);
    println!("{} records, {} unique\n", records.len(), linear.len());

    let report = profkit::report();
    print!("{report}");

    let lookup = |name: &str| report.function(name).expect("profiled above");
    let (linear, scan) = (lookup("dedupe_linear"), lookup("seen_before"));
    let cleaning = lookup("clean")
        .caller("dedupe_linear")
        .expect("clean is called by it");
    println!(
        "dedupe_linear: {:.1} ms, of which the Vec::contains scan {:.0}% and the string \
         cleaning {:.0}%.",
        linear.cumtime().as_secs_f64() * 1e3,
        percent(scan.cumtime(), linear.cumtime()),
        percent(cleaning.cumtime(), linear.cumtime()),
    );
    let hashed = lookup("dedupe_hashed");
    println!(
        "dedupe_hashed: {:.1} ms with the same cleaning: the scan was the problem, {:.0}x faster.",
        hashed.cumtime().as_secs_f64() * 1e3,
        linear.cumtime().as_secs_f64() / hashed.cumtime().as_secs_f64().max(f64::MIN_POSITIVE),
    );
}
