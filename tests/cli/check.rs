//! `profkit check`: budgets met, broken at warning level, broken at error level.

use crate::support::{Shape, budgets, profkit, scratch, write};

#[test]
fn budgets_that_hold_pass() {
    let dir = scratch("check-pass");
    let profile = write(&dir, "p.json", Shape::default());
    let b = budgets(
        &dir,
        r#"
[[budget]]
function = "fetch_row"
p50 = "2ms"
p99 = "2ms"
max = "1.5ms"
ncalls = 12
cumtime = "20ms"

[[budget]]
function = "cli::support::fetch_row"
per_call_of = "get_users"
max_per_call = 3
"#,
    );
    let out = profkit(["check", &profile, "--budgets", &b]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("ok: all 6 budget checks pass"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_broken_warning_is_printed_and_passes() {
    let dir = scratch("check-warning");
    let profile = write(&dir, "p.json", Shape::default());
    let b = budgets(
        &dir,
        r#"
[[budget]]
function = "fetch_row"
per_call_of = "get_users"
max_per_call = 1
severity = "warning"
"#,
    );
    let out = profkit(["check", &profile, "--budgets", &b]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let line = out.stdout.lines().next().unwrap();
    assert!(line.starts_with("warning"), "{line}");
    assert!(
        line.contains("calls per call of get_users: 3 calls per call > budget 1 calls per call"),
        "{line}"
    );
    assert!(line.contains("budgets.toml:2"), "{line}");
    assert!(
        out.stdout
            .contains("1 of 1 budget checks broken: 0 errors, 1 warning"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_broken_error_fails_with_every_violation_listed() {
    let dir = scratch("check-error");
    let profile = write(
        &dir,
        "p.json",
        Shape {
            fetch_micros: 3000,
            ..Shape::default()
        },
    );
    let b = budgets(
        &dir,
        r#"
[[budget]]
function = "fetch_row"
p99 = "2ms"
ncalls = 10
severity = "error"

[[budget]]
function = "get_users"
max = "1s"
severity = "warning"

[[budget]]
function = "fetch_rows"
ncalls = 1
severity = "warning"
"#,
    );
    let out = profkit(["check", &profile, "--budgets", &b]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("error") && lines[0].contains("p99: 3.00 ms > budget 2.00 ms"),
        "{}",
        out.stdout
    );
    assert!(
        lines[1].contains("ncalls: 12 calls > budget 10 calls"),
        "{}",
        out.stdout
    );
    // A function not in the profile is an error whatever the severity, with close names.
    assert!(
        lines[2].starts_with("error") && lines[2].contains("not in the profile"),
        "{}",
        out.stdout
    );
    assert!(
        lines[2].contains("cli::support::fetch_row"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("3 of 4 budget checks broken: 3 errors, 0 warnings"),
        "{}",
        out.stdout
    );

    let out = profkit(["check", &profile, "--budgets", &b, "--format", "json"]);
    assert_eq!(out.code, 1);
    let doc = out.json();
    assert_eq!(
        (doc["errors"].as_u64(), doc["warnings"].as_u64()),
        (Some(3), Some(0))
    );
    let v = &doc["violations"][0];
    assert_eq!(
        (v["metric"].as_str(), v["unit"].as_str()),
        (Some("p99"), Some("s"))
    );
    assert_eq!(v["budget"].as_f64(), Some(0.002));
    assert!((v["actual"].as_f64().unwrap() - 0.003).abs() < 0.003 / 32.0);
    assert_eq!(doc["violations"][2]["actual"], serde_json::Value::Null);
}

#[test]
fn latency_budgets_on_a_prof_cannot_pass() {
    let dir = scratch("check-prof");
    let profile = write(&dir, "p.prof", Shape::default());
    let b = budgets(
        &dir,
        "[[budget]]\nfunction = \"fetch_row\"\np99 = \"2ms\"\nseverity = \"warning\"\n",
    );
    let out = profkit(["check", &profile, "--budgets", &b]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("no latency distribution"),
        "{}",
        out.stdout
    );
    // Call budgets work on a .prof.
    let b = budgets(&dir, "[[budget]]\nfunction = \"fetch_row\"\nncalls = 12\n");
    assert_eq!(profkit(["check", &profile, "--budgets", &b]).code, 0);
}
