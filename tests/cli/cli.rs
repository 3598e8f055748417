//! The `profkit` command line, run as a program over real files: profiles this test records
//! (with a test clock, so every number is exact), and a dump of Python's own cProfile.

mod bad_input;
mod check;
mod complexity;
// The generator the other tests' mutation loops use.
#[path = "../common/mod.rs"]
mod common;
mod diff;
mod history;
mod history_pg;
mod pprof;
mod robustness;
mod stdio;
mod support;
mod what_if;
mod without_memory;

use support::{Shape, arg, profkit, python_dump, scratch, write};

#[test]
fn view_prints_the_pstats_table_of_json_prof_and_python_dumps() {
    let dir = scratch("view-formats");
    let json = write(&dir, "p.json", Shape::default());
    let prof = write(&dir, "p.prof", Shape::default());
    let python = python_dump(&dir);
    for file in [&json, &prof] {
        let out = profkit(["view", file]).ok().to_owned();
        assert!(out.contains("Ordered by: cumulative time"), "{out}");
        let fib = out.lines().find(|l| l.contains("fib")).expect("a fib row");
        assert!(fib.trim_start().starts_with("1973/1 "), "{fib}");
        assert!(out.contains("fetch_row"), "{out}");
    }
    let out = profkit(["view", &python]).ok().to_owned();
    let fib = out
        .lines()
        .find(|l| l.ends_with("(fib)"))
        .expect("a fib row");
    assert!(fib.trim_start().starts_with("1973/1 "), "{out}");
}

#[test]
fn view_sorts_limits_filters_and_shows_callers_callees_tree_and_percentiles() {
    let dir = scratch("view-options");
    let json = write(&dir, "p.json", Shape::default());
    let out = profkit(["view", &json, "--sort", "ncalls", "--limit", "1"])
        .ok()
        .to_owned();
    assert!(out.contains("Ordered by: call count"), "{out}");
    let rows: Vec<&str> = out.lines().filter(|l| l.contains(".rs:")).collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert!(rows[0].contains("fib"), "{out}");

    let out = profkit(["view", &json, "--filter", "fetch_row"])
        .ok()
        .to_owned();
    assert!(
        out.contains("fetch_row") && !out.contains("(cli::support::fib)"),
        "{out}"
    );

    let out = profkit(["view", &json, "--callers", "--filter", "fetch_row"])
        .ok()
        .to_owned();
    assert!(
        out.contains("was called by...") && out.contains("get_users"),
        "{out}"
    );
    let out = profkit(["view", &json, "--callees", "--filter", "get_users"])
        .ok()
        .to_owned();
    assert!(
        out.contains("called...") && out.contains("fetch_row"),
        "{out}"
    );

    let out = profkit(["view", &json, "--tree"]).ok().to_owned();
    assert!(out.contains("call path"), "{out}");
    let path = out
        .lines()
        .find(|l| l.contains("fetch_row"))
        .expect("a fetch_row path");
    // Tables show a free function with its module only; --full-names gives its whole path.
    assert!(
        path.ends_with("    support::fetch_row") && !path.contains("cli::"),
        "indented under get_users: {out}"
    );
    let full = profkit(["view", &json, "--tree", "--full-names"])
        .ok()
        .to_owned();
    assert!(
        full.lines()
            .any(|l| l.ends_with("    cli::support::fetch_row")),
        "{full}"
    );
    let out = profkit(["view", &json, "--tree", "--depth", "1"])
        .ok()
        .to_owned();
    assert!(!out.contains("fetch_row"), "{out}");

    let out = profkit(["view", &json, "--percentiles"]).ok().to_owned();
    assert!(out.contains("p99.9") && out.contains("fetch_row"), "{out}");
    // Every fetch took 1 ms of the test clock.
    let row = out.lines().find(|l| l.contains("fetch_row")).unwrap();
    assert!(row.contains("12 ") && row.contains("1.00 ms"), "{row}");

    profkit(["view", &json, "--tree", "--format", "json"]).bad_input("--tree has no JSON form");
    profkit(["view", &json, "--filter", "(unclosed"]).bad_input("not a regular expression");
    let prof = write(&dir, "p.prof", Shape::default());
    profkit(["view", &prof, "--tree"]).bad_input("has no call tree");
    profkit(["view", &prof, "--percentiles"]).bad_input("has no latency");
    profkit(["view", &prof, "--percentiles", "--format", "json"]).bad_input("has no latency");

    let out = profkit(["view", &json, "--sort", "fastest"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("fastest"), "{}", out.stderr);
}

#[test]
fn view_json_has_one_row_per_function_with_exact_numbers() {
    let dir = scratch("view-json");
    let json = write(&dir, "p.json", Shape::default());
    let doc = profkit(["view", &json, "--format", "json"]).json();
    let functions = doc["functions"].as_array().unwrap();
    assert_eq!(functions.len(), 3);
    let fib = functions
        .iter()
        .find(|f| f["name"].as_str().unwrap().ends_with("::fib"))
        .unwrap();
    assert_eq!(
        (fib["ncalls"].as_u64(), fib["primitive_calls"].as_u64()),
        (Some(1973), Some(1))
    );
    let fetch = functions
        .iter()
        .find(|f| f["name"].as_str().unwrap().ends_with("::fetch_row"))
        .unwrap();
    assert_eq!(fetch["ncalls"].as_u64(), Some(12));
    assert_eq!(fetch["cumtime_s"].as_f64(), Some(0.012));
    assert_eq!(fetch["latency"]["count"].as_u64(), Some(12));
    let p99 = fetch["latency"]["p99_s"].as_f64().unwrap();
    assert!((p99 - 0.001).abs() < 0.001 / 32.0, "{p99}");
    assert_eq!(fetch["callers"][0]["ncalls"].as_u64(), Some(12));
    // The first row is the one the table sorts first: get_users (12.02 ms cumulative).
    assert!(
        functions[0]["name"]
            .as_str()
            .unwrap()
            .ends_with("::get_users")
    );
    assert_eq!(doc["total_calls"].as_u64(), Some(1973 + 4 + 12));

    let doc = profkit([
        "view", &json, "--format", "json", "--limit", "1", "--sort", "calls",
    ])
    .json();
    assert_eq!(doc["functions"].as_array().unwrap().len(), 1);
    assert_eq!(doc["functions"][0]["ncalls"].as_u64(), Some(1973));

    let doc = profkit(["view", &json, "--format", "json", "--percentiles"]).json();
    assert_eq!(
        doc["functions"].as_array().unwrap().len(),
        3,
        "every function has latency"
    );
}

#[test]
fn merge_adds_files_together_in_the_format_of_the_output() {
    let dir = scratch("merge");
    let json = write(&dir, "p.json", Shape::default());
    let prof = write(&dir, "p.prof", Shape::default());
    let out = arg(&dir, "twice.json");
    profkit(["merge", &json, &json, "-o", &out]).ok();
    let doc = profkit(["view", &out, "--format", "json", "--filter", "fib"]).json();
    assert_eq!(doc["functions"][0]["ncalls"].as_u64(), Some(2 * 1973));
    assert_eq!(doc["functions"][0]["primitive_calls"].as_u64(), Some(2));

    // A .json and a .prof: summed as pstats' Stats.add, written as a pstats file.
    let both = arg(&dir, "both.prof");
    profkit(["merge", &json, &prof, "-o", &both]).ok();
    let text = profkit(["view", &both]).ok().to_owned();
    assert!(
        text.lines().any(|l| l.trim_start().starts_with("3946/2 ")),
        "{text}"
    );

    // View merges several files the same way.
    let text = profkit(["view", &json, &json]).ok().to_owned();
    assert!(
        text.lines().any(|l| l.trim_start().starts_with("3946/2 ")),
        "{text}"
    );

    for name in ["m.svg", "m.folded", "m.txt"] {
        let path = arg(&dir, name);
        profkit(["merge", &json, &json, "-o", &path]).ok();
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(written.contains("fetch_row"), "{name}: {written}");
    }
    profkit(["merge", &json, "-o", &arg(&dir, "m.png")]).bad_input("unknown output format .png");
    profkit(["merge", &prof, "-o", &arg(&dir, "m2.svg")]).bad_input("has no call tree");
    assert!(!dir.join("m.png").exists() && !dir.join("m2.svg").exists());
}

#[test]
fn flame_draws_an_svg_or_prints_folded_stacks() {
    let dir = scratch("flame");
    let json = write(&dir, "p.json", Shape::default());
    let svg = arg(&dir, "flame.svg");
    profkit(["flame", &json, "-o", &svg]).ok();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.starts_with("<?xml") && text.contains("<svg"),
        "{}",
        &text[..100]
    );
    assert!(text.contains("fetch_row") && text.contains("get_users"));

    let folded = profkit(["flame", &json, "--folded"]).ok().to_owned();
    // 12 fetches of 1 ms each, all on one path.
    assert!(
        folded
            .lines()
            .any(|l| l.ends_with("cli::support::get_users;cli::support::fetch_row 12000000")),
        "{folded}"
    );
    let out = arg(&dir, "p.folded");
    profkit(["flame", &json, "--folded", "-o", &out]).ok();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), folded);

    let prof = write(&dir, "p.prof", Shape::default());
    profkit(["flame", &prof, "-o", &arg(&dir, "no.svg")]).bad_input("has no call tree");
    profkit(["flame", &json]).bad_input("-o");
}

#[test]
fn every_subcommand_has_help_with_an_example() {
    for sub in ["view", "merge", "diff", "check", "flame"] {
        let out = profkit([sub, "--help"]).ok().to_owned();
        assert!(out.contains("Example"), "{sub}: {out}");
        assert!(out.contains(&format!("profkit {sub} ")), "{sub}: {out}");
    }
    let out = profkit(["--help"]).ok().to_owned();
    for sub in ["view", "merge", "diff", "check", "flame"] {
        assert!(out.contains(sub), "{out}");
    }
    let out = profkit(["check", "--help"]).ok().to_owned();
    assert!(
        out.contains("[[budget]]") && out.contains("per_call_of"),
        "{out}"
    );
    // A usage error is clap's, with status 2.
    assert_eq!(profkit(["view"]).code, 2);
    assert_eq!(profkit(["frobnicate"]).code, 2);
}

#[test]
fn no_colours_unless_a_terminal_and_never_with_no_color() {
    let dir = scratch("colour");
    let base = write(&dir, "base.json", Shape::default());
    let slow = write(
        &dir,
        "new.json",
        Shape {
            fetch_micros: 3000,
            ..Shape::default()
        },
    );
    // stdout is a pipe here: plain text even though NO_COLOR is unset.
    let out = profkit(["diff", &base, &slow]);
    assert_eq!(out.code, 1);
    assert!(!out.stdout.contains('\x1b'), "{:?}", out.stdout);
}

#[test]
fn colours_on_a_terminal_unless_no_color() {
    // util-linux `script` gives the program a terminal; without it there is nothing to test.
    let has_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("skipped: no `script` to run profkit on a terminal");
        return;
    }
    let dir = scratch("colour-tty");
    let base = write(&dir, "base.json", Shape::default());
    let slow = write(
        &dir,
        "new.json",
        Shape {
            fetch_micros: 3000,
            ..Shape::default()
        },
    );
    let on_tty = |no_color: &str| {
        let cmd = format!("{} diff {base} {slow}", env!("CARGO_BIN_EXE_profkit"));
        let out = std::process::Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env("NO_COLOR", no_color)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let coloured = on_tty("");
    assert!(coloured.contains("\x1b[31mREGRESSED"), "{coloured:?}");
    let plain = on_tty("1");
    assert!(
        plain.contains("REGRESSED") && !plain.contains('\x1b'),
        "{plain:?}"
    );
}

#[test]
fn a_closed_stdout_ends_quietly() {
    use std::process::{Command, Stdio};
    let dir = scratch("broken-pipe");
    let json = write(&dir, "p.json", Shape::default());
    for args in [
        vec!["view", &json, "--callers"],
        vec!["view", &json, "--format", "json"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_profkit"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader goes away before anything is written
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
