//! Profiles of a program without `profkit::Alloc` (this test installs none): memory options
//! say so in one line (status 2), memory budgets cannot be checked, and the OS's peak RSS,
//! which needs no allocator, can.

use crate::support::{Shape, budgets, profkit, scratch, write};

#[test]
fn memory_options_on_a_profile_without_memory_figures_are_one_line_and_status_2() {
    let dir = scratch("no-memory");
    let json = write(&dir, "p.json", Shape::default());
    for key in ["bytes", "allocs", "cum_bytes", "peak"] {
        profkit(["view", &json, "--sort", key]).bad_input(&format!(
            "p.json: has no memory figures for --sort {key} (record the program with \
             `#[global_allocator] static A: profkit::Alloc = profkit::Alloc::system();`"
        ));
        profkit(["view", &json, "--sort", key, "--format", "json"])
            .bad_input("has no memory figures");
    }
    profkit(["view", &json, "--memory"]).bad_input("p.json: has no memory figures for --memory");
    for metric in ["bytes", "allocs"] {
        let out = profkit(["flame", &json, "--folded", "--metric", metric]);
        out.bad_input(&format!(
            "p.json: has no memory figures for --metric {metric}"
        ));
        assert!(out.stdout.is_empty(), "nothing drawn: {}", out.stdout);
    }
    for metric in ["bytes", "allocs", "cum_bytes", "peak"] {
        let out = profkit(["diff", &json, &json, "--metric", metric]);
        out.bad_input(&format!("has no memory figures for --metric {metric}"));
        assert!(out.stdout.is_empty(), "no zeros printed: {}", out.stdout);
    }
    // The rows say it too: no memory, not zero memory.
    let doc = profkit(["view", &json, "--format", "json"]).json();
    assert!(doc["functions"][0]["memory"].is_null(), "{doc}");
    assert!(doc["heap"].is_null() && doc["memory_outside"].is_null());
}

#[test]
fn memory_budgets_need_memory_figures_but_the_peak_rss_does_not() {
    let dir = scratch("no-memory-check");
    let json = write(&dir, "p.json", Shape::default());
    let budgets = budgets(
        &dir,
        r#"
[[budget]]
function = "fetch_row"
max_allocs_per_call = 100
severity = "warning"

[[process]]
max_heap_mb = "1GB"
severity = "warning"

[[process]]
max_memory_mb = "64GiB"
"#,
    );
    let out = profkit(["check", &json, "--budgets", &budgets]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with(
            "error   fetch_row allocs per call: budget 100 allocs per call: no memory figures \
             in the profile ("
        ),
        "{}",
        out.stdout
    );
    assert!(
        lines[1].starts_with("error   <process> peak heap: budget 1 GB: no memory figures"),
        "{}",
        out.stdout
    );
    // The peak RSS was measured (any profkit .json has it) and is far below 64 GiB.
    assert_eq!(
        lines[2], "2 of 3 budget checks broken: 2 errors, 0 warnings",
        "{}",
        out.stdout
    );
}
