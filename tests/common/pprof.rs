//! `go tool pprof`, the real pprof client, for the tests that check profkit's pprof files.
//!
//! `go` is a test tool like python3: `.ci/run` installs it (Debian's `golang-go` brings
//! `go tool pprof`) and sets `PROFKIT_REQUIRE_GO=1`, so that in CI a missing `go` fails. On a
//! machine without it and without that variable, the tests that need it say so on stderr and
//! check only what profkit alone can.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// `go`, or `None` (said on stderr) on a developer machine without it; in CI, a failure.
pub(crate) fn go() -> Option<&'static str> {
    let found = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some("go");
    }
    let required = std::env::var_os("PROFKIT_REQUIRE_GO").is_some_and(|v| v != "0")
        || std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    assert!(
        !required,
        "`go` is not on PATH, and this run requires it: .ci/run installs it with \
         `apt-get install -y golang-go`"
    );
    eprintln!(
        "NOTE: `go` is not installed, so `go tool pprof` did not check the pprof files \
         (apt-get install golang-go; .ci/run does)"
    );
    None
}

/// `go tool pprof ARGS FILE`'s stdout.
pub(crate) fn pprof(go: &str, args: &[&str], file: &Path) -> String {
    let out = Command::new(go)
        .args(["tool", "pprof"])
        .args(args)
        .arg(file)
        .output()
        .expect("go tool pprof runs");
    assert!(
        out.status.success(),
        "go tool pprof {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The rows of `-top` as name -> (flat, cum), numbers without their unit suffix, and the
/// total of the "Showing nodes accounting for X, 100% of X total" line.
pub(crate) fn top(text: &str, unit: &str) -> (BTreeMap<String, (u64, u64)>, u64) {
    let number = |s: &str| -> u64 {
        s.strip_suffix(unit)
            .unwrap_or(s)
            .parse()
            .unwrap_or_else(|_| panic!("not a number in {unit}: {s:?}\n{text}"))
    };
    let total = text
        .lines()
        .find_map(|l| l.strip_prefix("Showing nodes accounting for "))
        .and_then(|l| l.split(" of ").nth(1))
        .and_then(|l| l.strip_suffix(" total"))
        .map(number)
        .unwrap_or_else(|| panic!("no total in:\n{text}"));
    let rows = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("flat"))
        .skip(1)
        .map(|l| {
            // Five numbers, then the name (which may hold spaces).
            let cols: Vec<&str> = l.split_whitespace().collect();
            assert!(cols.len() >= 6, "a -top row: {l:?}");
            (cols[5..].join(" "), (number(cols[0]), number(cols[3])))
        })
        .collect();
    (rows, total)
}
