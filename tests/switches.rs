//! `PROFKIT_CPU` and `PROFKIT_CALIBRATE` read in a real process (the `exit-probe` program,
//! which writes its report at exit with `PROFKIT_OUT`): `0` and `1` are obeyed silently; any
//! other value is exactly one line on stderr, and the default.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs the probe with `vars`, writing its report to a fresh JSON file; returns its stderr and
/// the report's text.
fn run(name: &str, vars: &[(&str, &str)]) -> (String, String) {
    let dir = std::env::temp_dir().join(format!("profkit-switches-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_path: PathBuf = dir.join("report.json");
    let _ = std::fs::remove_file(&out_path);
    let mut cmd = Command::new(Path::new(env!("CARGO_BIN_EXE_exit-probe")));
    cmd.arg("return");
    for var in [
        "PROFKIT",
        "PROFKIT_OUT",
        "PROFKIT_CPU",
        "PROFKIT_CALIBRATE",
        "PROFKIT_CLOCK",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("PROFKIT_OUT", &out_path);
    cmd.envs(vars.iter().copied());
    let out = cmd.output().expect("the probe runs");
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let report = std::fs::read_to_string(&out_path).expect("the report was written");
    let _ = std::fs::remove_dir_all(&dir);
    (stderr, report)
}

/// Whether the report recorded CPU time, and whether a cost per call was taken out.
fn recorded(report: &str) -> (bool, bool) {
    (
        report.contains("\"tree_cpu_ns\""),
        report.contains("\"compensation\""),
    )
}

#[test]
fn zero_and_one_are_obeyed_without_a_word() {
    let (stderr, report) = run("defaults", &[]);
    assert_eq!(stderr, "");
    // Defaults: CPU time off, compensation on.
    assert_eq!(recorded(&report), (false, true));
    let (stderr, report) = run(
        "on-off",
        &[("PROFKIT_CPU", "1"), ("PROFKIT_CALIBRATE", "0")],
    );
    assert_eq!(stderr, "");
    // (CPU time is recorded where the platform has per-thread CPU clocks.)
    assert_eq!(recorded(&report), (cfg!(target_os = "linux"), false));
}

#[test]
fn a_bad_profkit_cpu_is_one_line_on_stderr_and_off() {
    let (stderr, report) = run("cpu-yes", &[("PROFKIT_CPU", "yes")]);
    assert_eq!(
        stderr,
        "profkit: PROFKIT_CPU=\"yes\" is not 0 or 1; using the default (0)\n"
    );
    assert_eq!(recorded(&report), (false, true));
}

#[test]
fn a_bad_profkit_calibrate_is_one_line_on_stderr_and_on() {
    let (stderr, report) = run("calibrate-2", &[("PROFKIT_CALIBRATE", "2")]);
    assert_eq!(
        stderr,
        "profkit: PROFKIT_CALIBRATE=\"2\" is not 0 or 1; using the default (1)\n"
    );
    assert_eq!(recorded(&report), (false, true));
}

#[test]
fn two_bad_switches_are_two_lines_each_said_once() {
    let (stderr, report) = run("both", &[("PROFKIT_CPU", "on"), ("PROFKIT_CALIBRATE", "")]);
    let mut lines: Vec<&str> = stderr.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "profkit: PROFKIT_CALIBRATE=\"\" is not 0 or 1; using the default (1)",
            "profkit: PROFKIT_CPU=\"on\" is not 0 or 1; using the default (0)",
        ],
        "{stderr}"
    );
    assert_eq!(recorded(&report), (false, true));
}
