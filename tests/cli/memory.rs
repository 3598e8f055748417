//! The command line over profiles with memory figures: `view --sort bytes` / `--memory`,
//! `diff --metric bytes|allocs|cum_bytes|peak`, and the memory budgets of `check`.
//!
//! This test program installs `profkit::Alloc` as its global allocator, so the profiles it
//! records (and the one it writes through `PROFKIT_OUT` when run as a probe) carry exact heap
//! figures: a `Vec::<u64>::with_capacity(1000)` is one allocation of 8,000 bytes. The `cli`
//! test has no such allocator: its profiles are the ones without memory figures.

use std::hint::black_box;
use std::path::Path;

use serde_json::Value;

#[global_allocator]
static ALLOC: profkit::Alloc = profkit::Alloc::system();

// The helpers of the `cli` test; this program uses a part of them.
#[allow(dead_code)]
#[path = "support.rs"]
mod support;

use support::{arg, budgets, profkit, scratch};

/// One allocation of `capacity` u64s (8 bytes each), kept by the caller.
#[profkit::profile]
fn read_rows(capacity: usize) -> Vec<u64> {
    Vec::with_capacity(capacity)
}

/// `temporaries` allocations of 8,000 bytes, each freed before the next: own allocations and
/// frees, and a peak of one block.
#[profkit::profile]
fn parse_rows(rows: &[u64], temporaries: usize) -> usize {
    let mut n = rows.len();
    for _ in 0..temporaries {
        let scratch: Vec<u64> = Vec::with_capacity(1000);
        n += black_box(scratch).capacity();
    }
    n
}

/// Allocates nothing itself; frees the rows its callee made. Per call: 1 + `temporaries`
/// allocations below it, and a peak of the rows plus one temporary.
#[profkit::profile]
fn handle(shape: MemShape) -> usize {
    let rows = read_rows(shape.capacity);
    parse_rows(&rows, shape.temporaries)
}

/// How much a recorded program allocates.
#[derive(Clone, Copy)]
struct MemShape {
    requests: u32,
    /// u64s `read_rows` allocates per call.
    capacity: usize,
    /// 8,000-byte temporaries `parse_rows` allocates per call.
    temporaries: usize,
}

/// 4 requests, each: `read_rows` 1 x 8,000 bytes, `parse_rows` 2 x 8,000 bytes.
const BASE: MemShape = MemShape {
    requests: 4,
    capacity: 1000,
    temporaries: 2,
};

fn run(shape: MemShape) {
    for _ in 0..shape.requests {
        black_box(handle(shape));
    }
}

/// Records `shape` (isolated from the other tests running meanwhile) and writes it as
/// `dir/name`, JSON or pstats by extension.
fn write(dir: &Path, name: &str, shape: MemShape) -> String {
    let (_, report) = profkit::record(|| run(shape));
    let path = dir.join(name);
    report.write(&path).expect("profile written");
    path.display().to_string()
}

/// The JSON row of the function whose name ends with `::{name}`.
fn row<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"].as_str().unwrap().ends_with(&format!("::{name}")))
        .unwrap_or_else(|| panic!("no row {name}: {doc}"))
}

/// A JSON row's heap figures: (allocs, bytes, frees, freed_bytes, retained_bytes, cum_allocs,
/// cum_bytes, peak_bytes).
fn figures(doc: &Value, name: &str) -> (u64, u64, u64, u64, i64, u64, u64, u64) {
    let m = &row(doc, name)["memory"];
    let n = |key: &str| {
        m[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} of {name}: {m}"))
    };
    (
        n("allocs"),
        n("bytes"),
        n("frees"),
        n("freed_bytes"),
        m["retained_bytes"].as_i64().unwrap(),
        n("cum_allocs"),
        n("cum_bytes"),
        n("peak_bytes"),
    )
}

/// The names of a memory table's function rows, in order.
fn table_order(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.contains("cli_memory::"))
        .map(|l| l.rsplit("::").next().unwrap().trim().to_owned())
        .collect()
}

#[test]
fn view_sort_bytes_prints_the_memory_table() {
    let dir = scratch("memory-view");
    let json = write(&dir, "p.json", BASE);
    let out = profkit(["view", &json, "--sort", "bytes"]).ok().to_owned();
    assert!(out.starts_with("Memory: "), "{out}");
    assert!(out.contains("Ordered by: bytes allocated"), "{out}");
    // parse_rows 64,000 bytes, read_rows 32,000, handle none of its own.
    assert_eq!(
        table_order(&out),
        ["parse_rows", "read_rows", "handle"],
        "{out}"
    );
    let parse = out.lines().find(|l| l.contains("::parse_rows")).unwrap();
    let cols: Vec<&str> = parse.split_whitespace().collect();
    // allocs, bytes, live, livebytes, cumallocs, cumbytes, cumlive, frees, freed, retained,
    // peak/call, function: every temporary is freed, so nothing of parse_rows is live.
    assert_eq!(
        cols,
        [
            "8",
            "62.5",
            "KiB",
            "0",
            "0",
            "B",
            "8",
            "62.5",
            "KiB",
            "0",
            "B",
            "8",
            "62.5",
            "KiB",
            "0",
            "B",
            "7.81",
            "KiB",
            "cli_memory::parse_rows"
        ],
        "{parse}"
    );
    assert!(out.contains("<outside profiled calls>") && out.contains("<profkit bookkeeping>"));
    // The function name is the last column: no line is padded after it.
    assert!(
        out.lines().all(|l| l == l.trim_end()),
        "trailing whitespace in:\n{out}"
    );

    // The other memory keys, --memory (bytes by default), --limit and --filter.
    let order = |args: &[&str]| {
        let mut all = vec!["view", json.as_str()];
        all.extend_from_slice(args);
        table_order(profkit(all).ok())
    };
    assert_eq!(
        order(&["--sort", "cum_bytes"]),
        ["handle", "parse_rows", "read_rows"]
    );
    // 16,000 bytes, then two of 8,000 in (file, line) order.
    assert_eq!(
        order(&["--sort", "peak"]),
        ["handle", "read_rows", "parse_rows"]
    );
    assert_eq!(
        order(&["--sort", "allocs"]),
        ["parse_rows", "read_rows", "handle"]
    );
    assert_eq!(order(&["--memory"]), ["parse_rows", "read_rows", "handle"]);
    assert_eq!(
        order(&["--memory", "--sort", "name", "--limit", "2"]),
        ["handle", "parse_rows"]
    );
    assert_eq!(order(&["--memory", "--filter", "read_"]), ["read_rows"]);
    // With --callers, a memory key orders pstats' callers table.
    let out = profkit(["view", &json, "--sort", "bytes", "--callers"])
        .ok()
        .to_owned();
    assert!(out.contains("was called by..."), "{out}");
    // The pstats table is unchanged by the memory figures.
    let out = profkit(["view", &json]).ok().to_owned();
    assert!(out.contains("Ordered by: cumulative time") && !out.contains("Memory:"));
}

#[test]
fn view_json_rows_carry_exact_memory_figures() {
    let dir = scratch("memory-view-json");
    let json = write(&dir, "p.json", BASE);
    let doc = profkit(["view", &json, "--sort", "bytes", "--format", "json"]).json();
    assert_eq!(doc["sort"], "bytes allocated");
    let names: Vec<&str> = doc["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "cli_memory::parse_rows",
            "cli_memory::read_rows",
            "cli_memory::handle"
        ]
    );
    // (allocs, bytes, frees, freed_bytes, retained_bytes, cum_allocs, cum_bytes, peak_bytes)
    assert_eq!(
        figures(&doc, "read_rows"),
        (4, 32_000, 0, 0, 32_000, 4, 32_000, 8_000)
    );
    assert_eq!(
        figures(&doc, "parse_rows"),
        (8, 64_000, 8, 64_000, 0, 8, 64_000, 8_000)
    );
    // handle allocates nothing itself and frees the rows read_rows made; one call holds the
    // rows and one temporary at most.
    assert_eq!(
        figures(&doc, "handle"),
        (0, 0, 4, 32_000, -32_000, 12, 96_000, 16_000)
    );
    assert_eq!(
        row(&doc, "handle")["memory"]["cum_retained_bytes"].as_i64(),
        Some(0)
    );

    // The rows, outside and profkit's own add up to the allocator's totals.
    let own: u64 = doc["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["memory"]["allocs"].as_u64().unwrap())
        .sum();
    let heap = &doc["heap"];
    assert_eq!(
        own + doc["memory_outside"]["allocs"].as_u64().unwrap()
            + doc["memory_overhead"]["allocs"].as_u64().unwrap(),
        heap["total_allocs"].as_u64().unwrap(),
        "{doc}"
    );
    assert!(doc["max_rss_bytes"].as_u64().unwrap() > 0);

    // Without a memory key the rows keep the pstats order and still carry their figures.
    let doc = profkit(["view", &json, "--format", "json"]).json();
    assert_eq!(doc["sort"], "cumulative time");
    assert_eq!(
        row(&doc, "handle")["memory"]["cum_bytes"].as_u64(),
        Some(96_000)
    );
}

#[test]
fn a_prof_file_has_no_memory_figures_and_says_so() {
    let dir = scratch("memory-prof");
    let prof = write(&dir, "p.prof", BASE);
    let json = write(&dir, "p.json", BASE);
    for key in ["bytes", "allocs", "cum_bytes", "peak"] {
        profkit(["view", &prof, "--sort", key])
            .bad_input(&format!("p.prof: has no memory figures for --sort {key}"));
        profkit(["view", &prof, "--sort", key, "--format", "json"])
            .bad_input("has no memory figures");
    }
    profkit(["view", &prof, "--memory"]).bad_input("has no memory figures for --memory");
    for metric in ["bytes", "allocs", "cum_bytes", "peak"] {
        profkit(["diff", &json, &prof, "--metric", metric]).bad_input(&format!(
            "p.prof: has no memory figures for --metric {metric}"
        ));
        profkit(["diff", &prof, &json, "--metric", metric]).bad_input("a .prof file keeps none");
    }
    // The .prof still has the time figures.
    assert!(profkit(["view", &prof]).ok().contains("parse_rows"));
}

/// `BASE` and the same program whose parse_rows makes 10 temporaries a call instead of 2:
/// 8 -> 40 allocations, 64,000 -> 320,000 bytes; the peak of one call stays one temporary.
fn base_and_more_temporaries(test: &str) -> (String, String) {
    let dir = scratch(test);
    let base = write(&dir, "base.json", BASE);
    let more = MemShape {
        temporaries: 10,
        ..BASE
    };
    (base, write(&dir, "new.json", more))
}

#[test]
fn diff_by_allocations_is_tracemallocs_compare_to_per_function() {
    let (base, new) = base_and_more_temporaries("memory-diff-allocs");
    let out = profkit(["diff", &base, &new, "--metric", "allocs"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("REGRESSED"))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        cols[..5],
        ["REGRESSED", "8", "40", "+32", "+400.0%"],
        "{line}"
    );
    assert!(line.ends_with("cli_memory::parse_rows"), "{line}");
    assert!(
        out.stdout.contains("1 regression in allocs"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("(2 unchanged not shown)"),
        "{}",
        out.stdout
    );

    // --min-delta is a count of allocations: 32 more is not below 32, but below 33.
    let at = |floor: &str| {
        profkit([
            "diff",
            &base,
            &new,
            "--metric",
            "allocs",
            "--min-delta",
            floor,
        ])
    };
    assert_eq!(at("32").code, 1);
    let out = at("33");
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("more"), "{}", out.stdout);
    at("1ms").bad_input("--min-delta \"1ms\": with --metric allocs it is a number of allocations");

    // The other way round: fewer allocations, never a regression.
    let out = profkit(["diff", &new, &base, "--metric", "allocs"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("fewer") && out.stdout.contains("-32"),
        "{}",
        out.stdout
    );
}

#[test]
fn diff_by_bytes_takes_a_size_as_its_floor() {
    let (base, new) = base_and_more_temporaries("memory-diff-bytes");
    // parse_rows: 64,000 -> 320,000 bytes, 256,000 = 250 KiB more.
    let at = |metric: &str, floor: &str| {
        profkit([
            "diff",
            &base,
            &new,
            "--metric",
            metric,
            "--min-delta",
            floor,
        ])
    };
    let out = at("bytes", "250KiB");
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("regression: more than 10% and at least 250 KiB"),
        "{}",
        out.stdout
    );
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("REGRESSED"))
        .unwrap();
    assert!(
        line.contains("62.5 KiB") && line.contains("312.5 KiB") && line.contains("+250 KiB"),
        "{line}"
    );
    assert_eq!(at("bytes", "256001B").code, 0);
    assert_eq!(at("bytes", "256KB").code, 1, "256 KB is 256,000 bytes");
    assert_eq!(at("bytes", "0.25MiB").code, 0, "0.25 MiB is 262,144 bytes");
    // cum_bytes: handle and parse_rows both grew by 256,000 bytes.
    let out = at("cum_bytes", "250KiB");
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("2 regressions in cum_bytes"),
        "{}",
        out.stdout
    );
    // The peak of one call did not move: one temporary at a time.
    let out = at("peak", "1B");
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("no regression in peak"),
        "{}",
        out.stdout
    );
    at("bytes", "5").bad_input("--min-delta \"5\" needs a unit: B, KB, MB, GB, KiB, MiB or GiB");
    profkit(["diff", &base, &new, "--metric", "peak", "--min-delta=-5KB"])
        .bad_input("--min-delta \"-5KB\" is negative");

    // JSON: integers of bytes.
    let doc = profkit(["diff", &base, &new, "--metric", "bytes", "--format", "json"]).json();
    assert_eq!(
        (doc["metric"].as_str(), doc["unit"].as_str()),
        (Some("bytes"), Some("bytes"))
    );
    let c = &doc["changes"][0];
    assert_eq!(c["name"], "cli_memory::parse_rows");
    assert_eq!(
        (c["base"].as_u64(), c["new"].as_u64(), c["delta"].as_i64()),
        (Some(64_000), Some(320_000), Some(256_000))
    );
    assert_eq!(c["regression"], true);
}

#[test]
fn diff_by_peak_finds_the_call_that_needs_more_heap() {
    let dir = scratch("memory-diff-peak");
    let base = write(&dir, "base.json", BASE);
    // read_rows allocates 100 times as much: its peak goes from 8,000 to 800,000 bytes.
    let new = write(
        &dir,
        "new.json",
        MemShape {
            capacity: 100_000,
            ..BASE
        },
    );
    let doc = profkit(["diff", &base, &new, "--metric", "peak", "--format", "json"]).json();
    let changes: Vec<(&str, i64)> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["delta"].as_i64().unwrap()))
        .collect();
    // Equal changes keep (file, line, name) order.
    assert_eq!(
        changes,
        [
            ("cli_memory::read_rows", 792_000),
            ("cli_memory::handle", 792_000)
        ]
    );
    assert_eq!(doc["regressions"].as_u64(), Some(2));
}

#[test]
fn check_holds_functions_and_the_process_to_memory_budgets() {
    let dir = scratch("memory-check");
    let json = write(&dir, "p.json", BASE);
    // Per handle call: 3 allocations, 24,000 bytes (callees included), peak 16,000 bytes.
    let pass = budgets(
        &dir,
        r#"
[[budget]]
function = "handle"
max_bytes_per_call = "24000B"
max_allocs_per_call = 3
max_peak_mb = "16KB"

[[budget]]
function = "read_rows"
max_peak_mb = "7.82KiB"

[[process]]
max_memory_mb = "64GB"
max_heap_mb = "64GiB"
"#,
    );
    let out = profkit(["check", &json, "--budgets", &pass]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("ok: all 6 budget checks pass"),
        "{}",
        out.stdout
    );

    let fail = budgets(
        &dir,
        r#"
[[budget]]
function = "handle"
max_bytes_per_call = "20KB"
max_allocs_per_call = 2.5
max_peak_mb = "15KiB"

[[budget]]
function = "parse_rows"
max_allocs_per_call = 1
severity = "warning"

[[process]]
max_memory_mb = "1MB"
"#,
    );
    let out = profkit(["check", &json, "--budgets", &fail]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let expect = [
        "error   handle bytes per call: 24 KB per call > budget 20 KB per call (",
        "error   handle allocs per call: 3 allocs per call > budget 2.5 allocs per call (",
        "error   handle peak heap per call: 15.6 KiB > budget 15 KiB (",
        "warning parse_rows allocs per call: 2 allocs per call > budget 1 allocs per call (",
        "error   <process> peak RSS: ",
    ];
    for (line, start) in lines.iter().zip(expect) {
        assert!(
            line.starts_with(start),
            "{line:?} should start with {start:?}"
        );
    }
    assert!(lines[0].ends_with("budgets.toml:2)"), "{}", lines[0]);
    assert!(lines[4].contains(" MB > budget 1 MB (") && lines[4].ends_with("budgets.toml:13)"));
    assert_eq!(
        lines[5], "5 of 5 budget checks broken: 4 errors, 1 warning",
        "{}",
        out.stdout
    );

    let doc = profkit(["check", &json, "--budgets", &fail, "--format", "json"]).json();
    let v = &doc["violations"];
    assert_eq!(
        (
            v[0]["function"].as_str(),
            v[0]["actual"].as_f64(),
            v[0]["budget"].as_f64()
        ),
        (Some("handle"), Some(24_000.0), Some(20_000.0))
    );
    assert_eq!(v[0]["unit"], "bytes per call");
    assert_eq!(
        (v[2]["actual"].as_u64(), v[2]["unit"].as_str()),
        (Some(16_000), Some("bytes"))
    );
    assert!(v[4]["function"].is_null(), "a process budget: {}", v[4]);
    assert_eq!(v[4]["budget"].as_u64(), Some(1_000_000));
    assert!(v[4]["actual"].as_u64().unwrap() > 1_000_000);
}

#[test]
fn memory_budgets_on_a_prof_file_cannot_be_checked_whatever_their_severity() {
    let dir = scratch("memory-check-prof");
    let prof = write(&dir, "p.prof", BASE);
    let b = budgets(
        &dir,
        r#"
[[budget]]
function = "handle"
max_bytes_per_call = "1GB"
max_allocs_per_call = 1000
max_peak_mb = "1GB"
severity = "warning"

[[process]]
max_memory_mb = "64GB"
max_heap_mb = "64GB"
severity = "warning"
"#,
    );
    let out = profkit(["check", &prof, "--budgets", &b]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{}", out.stdout);
    for line in &lines[..3] {
        assert!(line.starts_with("error   handle "), "{line}");
        assert!(
            line.contains(": no memory figures in the profile ("),
            "{line}"
        );
    }
    assert!(
        lines[3]
            .starts_with("error   <process> peak RSS: budget 64 GB: no peak RSS in the profile"),
        "{}",
        lines[3]
    );
    assert!(lines[4].contains("<process> peak heap: budget 64 GB: no memory figures"));
    assert_eq!(
        lines[5],
        "5 of 5 budget checks broken: 5 errors, 0 warnings"
    );
}

#[test]
fn bad_memory_budgets_are_one_line_naming_the_key_and_status_2() {
    let dir = scratch("memory-check-bad");
    let json = write(&dir, "p.json", BASE);
    for (limit, says) in [
        (
            "max_bytes_per_call = 512",
            "budgets.toml: line 4: max_bytes_per_call: \"512\" needs a unit: B, KB, MB, GB, KiB, MiB or GiB (e.g. \"512MB\")",
        ),
        (
            "max_peak_mb = \"-1MB\"",
            "line 4: max_peak_mb: \"-1MB\" is negative",
        ),
        (
            "max_peak_mb = \"a lot\"",
            "line 4: max_peak_mb: \"a lot\" is not a size",
        ),
        (
            "max_allocs_per_call = -1",
            "line 4: max_allocs_per_call: -1 is negative",
        ),
        (
            "max_allocs_per_call = \"few\"",
            "line 4: max_allocs_per_call: \"few\" is not a number",
        ),
        (
            "max_memory_mb = \"1GB\"",
            "line 4: max_memory_mb bounds the whole process: put it in a [[process]] table",
        ),
    ] {
        let b = budgets(
            &dir,
            &format!("\n[[budget]]\nfunction = \"handle\"\n{limit}\n"),
        );
        profkit(["check", &json, "--budgets", &b]).bad_input(says);
    }
    for (limit, says) in [
        (
            "max_memory_mb = 512",
            "line 3: max_memory_mb: \"512\" needs a unit",
        ),
        (
            "max_memory_mb = -512",
            "line 3: max_memory_mb: \"-512\" is negative",
        ),
        (
            "max_heap_mb = \"512 megs\"",
            "line 3: max_heap_mb: \"512 megs\": unknown unit \"megs\"",
        ),
        (
            "max_heap_mb = [1]",
            "line 3: max_heap_mb: a array is not a size",
        ),
    ] {
        let b = budgets(&dir, &format!("\n[[process]]\n{limit}\n"));
        profkit(["check", &json, "--budgets", &b]).bad_input(says);
    }
}

/// Run as a probe (by the test below): a program that records and exits, writing its
/// profile through `PROFKIT_OUT` as any program would.
#[test]
fn probe() {
    if std::env::var_os("CLI_MEMORY_PROBE").is_some() {
        run(BASE);
    }
}

#[test]
fn a_profile_written_at_exit_through_profkit_out_has_the_programs_memory() {
    let dir = scratch("memory-exit");
    let out = arg(&dir, "exit.json");
    let probe = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "probe", "--test-threads", "1", "--quiet"])
        .env("CLI_MEMORY_PROBE", "1")
        .env("PROFKIT_OUT", &out)
        .output()
        .unwrap();
    assert!(probe.status.success(), "{probe:?}");
    let doc = profkit(["view", &out, "--sort", "bytes", "--format", "json"]).json();
    assert_eq!(
        figures(&doc, "handle"),
        (0, 0, 4, 32_000, -32_000, 12, 96_000, 16_000)
    );
    assert_eq!(
        figures(&doc, "read_rows"),
        (4, 32_000, 0, 0, 32_000, 4, 32_000, 8_000)
    );
    // The process report holds the whole run: the test harness allocates outside.
    assert!(doc["memory_outside"]["allocs"].as_u64().unwrap() > 0);
}

#[test]
fn flame_by_bytes_draws_where_the_memory_went() {
    let dir = scratch("memory-flame");
    let json = write(&dir, "p.json", BASE);
    // Folded stacks by bytes: each path's own bytes (4 requests).
    let folded = profkit(["flame", &json, "--folded", "--metric", "bytes"])
        .ok()
        .to_owned();
    let lines: Vec<&str> = folded.lines().collect();
    assert_eq!(
        lines,
        [
            "cli_memory::handle;cli_memory::read_rows 32000",
            "cli_memory::handle;cli_memory::parse_rows 64000",
        ],
        "{folded}"
    );
    let allocs = profkit(["flame", &json, "--folded", "--metric", "allocs"])
        .ok()
        .to_owned();
    assert!(
        allocs.contains("cli_memory::handle;cli_memory::parse_rows 8\n"),
        "{allocs}"
    );
    let svg = arg(&dir, "heap.svg");
    profkit(["flame", &json, "--metric", "bytes", "-o", &svg]).ok();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.contains("bytes allocated") && text.contains("parse_rows"),
        "{text}"
    );
    // A .prof has no memory figures: one line, status 2, nothing drawn.
    let prof = write(&dir, "p.prof", BASE);
    profkit(["flame", &prof, "--folded", "--metric", "bytes"])
        .bad_input("p.prof: has no memory figures for --metric bytes");
}

/// Blocks a leaky handler keeps for good.
static KEPT: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());

/// Keeps `n` blocks of 1,000 bytes (a cache that never evicts), and frees a temporary.
#[profkit::profile]
fn remember(n: usize) {
    let scratch = vec![0u8; 500];
    black_box(&scratch);
    let mut kept = KEPT.lock().unwrap();
    for _ in 0..n {
        kept.push(vec![1; 1000]);
    }
}

#[test]
fn diff_by_live_bytes_is_tracemallocs_compare_to_of_what_stays() {
    KEPT.lock().unwrap().reserve(64);
    let dir = scratch("memory-diff-live");
    let snapshot = |name: &str, n: usize| {
        let (_, report) = profkit::record(|| remember(n));
        let path = dir.join(name);
        report.write(&path).unwrap();
        path.display().to_string()
    };
    let (base, new) = (snapshot("base.json", 2), snapshot("new.json", 10));
    let out = profkit(["diff", &base, &new, "--metric", "live_bytes"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("REGRESSED"))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(line.ends_with("cli_memory::remember"), "{line}");
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        cols[..7],
        ["REGRESSED", "1.95", "KiB", "9.77", "KiB", "+7.81", "KiB"],
        "{line}"
    );
    let doc = profkit([
        "diff",
        &base,
        &new,
        "--metric",
        "live_bytes",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(doc["metric"], "live_bytes", "{doc}");

    // The memory table of the new profile puts what stays first, live beside allocated.
    let out = profkit(["view", &new, "--memory"]).ok().to_owned();
    assert!(out.contains("Ordered by: live bytes"), "{out}");
    let row = out.lines().find(|l| l.ends_with("::remember")).unwrap();
    let cols: Vec<&str> = row.split_whitespace().collect();
    // 11 allocations (10 kept, the temporary freed), 10 of them live.
    assert_eq!(
        cols[..6],
        ["11", "10.3", "KiB", "10", "9.77", "KiB"],
        "{row}"
    );
}

/// The growth table from a file: the report is built by hand from a JSON file whose snapshots
/// show one function rising and one at a level (the process's own series is shared with the
/// other tests of this program, so it is not used).
#[test]
fn view_growth_lists_the_functions_whose_live_bytes_rose() {
    let dir = scratch("memory-growth");
    let (_, report) = profkit::record(|| remember(1));
    let mut doc: Value = serde_json::from_str(&report.to_json()).unwrap();
    let snapshots: Vec<Value> = (0..5u64)
        .map(|i| {
            serde_json::json!({
                "at_ns": i * 30_000_000_000,
                "live": [["app::insert", 1024 * i], ["app::level", 4096 - 512 * (i % 2)]],
            })
        })
        .collect();
    doc["snapshots"] = Value::Array(snapshots);
    let path = dir.join("grow.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    let file = path.display().to_string();

    let out = profkit(["view", &file, "--growth"]).ok().to_owned();
    assert!(
        out.starts_with("Live heap growth over 5 snapshots in 120.0 s"),
        "{out}"
    );
    let row = out.lines().find(|l| l.ends_with("app::insert")).unwrap();
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols[..3], ["+2.00", "KiB/min", "4/4"], "{row}");
    assert!(!out.contains("app::level"), "{out}");

    let json = profkit(["view", &file, "--growth", "--format", "json"]).json();
    assert_eq!(json["growth"][0]["name"], "app::insert");
    assert_eq!(json["growth"][0]["bytes_per_minute"], 2048.0);
    assert_eq!(json["growth"].as_array().unwrap().len(), 1);
}
