//! pprof files read by the real client: `go tool pprof` lists the same functions, times and
//! calls as profkit's own table, for a profile recorded with a test clock (exact numbers).
//!
//! `go` is a test tool like python3: `.ci/run` installs it (Debian's `golang-go` brings
//! `go tool pprof`) and sets `PROFKIT_REQUIRE_GO=1`, so that in CI a missing `go` fails. On a
//! machine without it and without that variable, the tests that need it say so on stderr and
//! check only what profkit alone can.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use profkit::testing::{TestClock, advance};
use profkit::{Report, profile};

mod common;
use common::pprof::{go, pprof, top};

#[profile]
fn fib(n: u32) -> u32 {
    advance(Duration::from_nanos(10));
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

#[profile]
fn fetch_row(id: u64) -> u64 {
    advance(Duration::from_micros(100));
    id
}

#[profile]
fn get_users(ids: &[u64]) -> u64 {
    advance(Duration::from_micros(7));
    ids.iter().map(|&id| fetch_row(id)).sum()
}

#[profile]
fn serve() {
    advance(Duration::from_micros(3));
    for _ in 0..4 {
        get_users(&[1, 2, 3]);
    }
    fib(12);
    profkit::profile_scope!("serve::render", {
        advance(Duration::from_micros(11));
        fetch_row(9);
    });
}

/// One run of `serve` and a `fib(15)` at the top, with the test clock.
fn recorded() -> Report {
    let _clock = TestClock::install().unwrap();
    profkit::record(|| {
        serve();
        fib(15);
    })
    .1
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("profkit-pprof-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn go_tool_pprof_lists_profkits_functions_times_and_calls() {
    let report = recorded();
    let dir = scratch("top");
    let file = dir.join("profile.pb.gz");
    // By extension, as PROFKIT_OUT and `profkit merge -o` choose it.
    report.write(&file).unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), report.to_pprof().unwrap());
    let Some(go) = go() else { return };

    let all = ["-nodefraction=0", "-edgefraction=0", "-nodecount=100000"];
    // Own time: flat is tottime, cum is cumtime (recursion once), in exact nanoseconds.
    let mut args = vec!["-top", "-unit=ns", "-sample_index=time"];
    args.extend(all);
    let (rows, total) = top(&pprof(go, &args, &file), "ns");
    let expected: BTreeMap<String, (u64, u64)> = report
        .functions()
        .map(|f| {
            let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap();
            (f.name().to_owned(), (ns(f.tottime()), ns(f.cumtime())))
        })
        .collect();
    assert_eq!(rows, expected);
    assert_eq!(total, report.total_time().as_nanos() as u64);
    // The numbers the test clock makes, by hand: fib(12) is 465 calls, fib(15) 1,973.
    assert_eq!(rows["pprof::fib"], ((465 + 1973) * 10, (465 + 1973) * 10));
    assert_eq!(rows["pprof::fetch_row"], (1_300_000, 1_300_000));
    assert_eq!(rows["serve::render"], (11_000, 111_000));

    // Calls: flat is ncalls.
    let mut args = vec!["-top", "-sample_index=calls"];
    args.extend(all);
    let (rows, total) = top(&pprof(go, &args, &file), "");
    let calls: BTreeMap<String, u64> = rows.into_iter().map(|(k, (f, _))| (k, f)).collect();
    let expected: BTreeMap<String, u64> = report
        .functions()
        .map(|f| (f.name().to_owned(), f.ncalls()))
        .collect();
    assert_eq!(calls, expected);
    assert_eq!(total, report.total_calls());
    assert_eq!(calls["pprof::fib"], 2438);

    // The raw profile: the value types, file and line of each function, the thread label.
    let raw = pprof(go, &["-raw"], &file);
    assert!(raw.contains("calls/count time/nanoseconds[dflt]"), "{raw}");
    let fetch = report.function("fetch_row").unwrap();
    let location = format!("pprof::fetch_row {}:{}", fetch.file(), fetch.line());
    assert!(raw.contains(&location), "no {location:?} in:\n{raw}");
    let thread = &report.threads()[0];
    assert!(
        raw.contains(&format!("thread:[{}]", thread.name())),
        "{raw}"
    );

    // -traces: one trace per call path with time, recursion folded as in the folded stacks.
    let traces = pprof(go, &["-traces"], &file);
    let blocks: Vec<&str> = traces.split("-----------+").skip(1).collect();
    let paths_with_time = report_paths_with_time(&report);
    assert_eq!(blocks.len() - 1, paths_with_time, "{traces}"); // the last is the closing rule
    let deepest = blocks
        .iter()
        .map(|b| b.matches("pprof::fib").count())
        .max()
        .unwrap();
    assert_eq!(
        deepest, 1,
        "fib(15)'s 15 nested levels are one frame: no stack names a function twice"
    );
}

/// Call paths with own time: the folded stacks' lines.
fn report_paths_with_time(report: &Report) -> usize {
    report.folded().lines().count()
}

#[test]
fn threads_are_labelled_and_merged_reports_keep_the_numbers() {
    let mut report = recorded();
    let worker = std::thread::Builder::new()
        .name("worker".into())
        .spawn(|| {
            let _clock = TestClock::install().unwrap();
            profkit::record(|| fib(10)).1
        })
        .unwrap()
        .join()
        .unwrap();
    report.merge(&worker);
    let dir = scratch("threads");
    let file = dir.join("merged.pprof");
    report.write(&file).unwrap();
    let Some(go) = go() else { return };
    let args = [
        "-top",
        "-unit=ns",
        "-nodefraction=0",
        "-nodecount=100000",
        "-tagfocus=thread=worker",
    ];
    let (rows, total) = top(&pprof(go, &args, &file), "ns");
    // Only the worker's fib(10): 177 calls of 10 ns.
    assert_eq!(rows.keys().collect::<Vec<_>>(), ["pprof::fib"]);
    assert_eq!(rows["pprof::fib"], (1770, 1770));
    assert_eq!(total, report.total_time().as_nanos() as u64, "of the whole");
    let args = ["-top", "-unit=ns", "-nodefraction=0", "-nodecount=100000"];
    let (rows, _) = top(&pprof(go, &args, &file), "ns");
    assert_eq!(rows["pprof::fib"].0, (465 + 1973 + 177) * 10);
}

#[test]
fn a_report_without_call_paths_is_refused_and_an_unwritable_path_named() {
    let report = recorded();
    let from_pstats = Report::from_pstats_bytes(&report.to_pstats_bytes()).unwrap();
    let e = from_pstats.to_pprof().unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    assert!(e.to_string().contains("pstats"), "{e}");
    let dir = scratch("refused");
    let path = dir.join("p.pb.gz");
    let e = from_pstats.write(&path).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("cannot write {}: ", path.display()))
    );
    assert!(!path.exists());
    let e = report.write("/nonexistent-dir/p.pb.gz").unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot write /nonexistent-dir/p.pb.gz: No such file or directory (os error 2)"
    );
    // An empty report is an empty profile, which pprof reads.
    let empty = Report::default().to_pprof().unwrap();
    let file = dir.join("empty.pb.gz");
    std::fs::write(&file, empty).unwrap();
    // And profkit, which does not read pprof, says what the file is.
    let e = Report::read(&file).unwrap_err();
    assert!(
        e.to_string().contains("a gzip file (a pprof profile?)"),
        "{e}"
    );
    if let Some(go) = go() {
        let raw = pprof(go, &["-raw"], &file);
        assert!(raw.contains("calls/count"), "{raw}");
    }
}

/// CPU figures (PROFKIT_CPU=1) come as a `cpu` sample type beside the time: `handle` (100 ns,
/// 10 of them on a CPU) calls `query` (90 ns, none on a CPU).
#[test]
fn cpu_time_is_a_sample_type_of_its_own() {
    let json = r#"{"format":"profkit","version":3,"program":null,"started_unix_ns":null,
        "duration_ns":null,"sites":[{"name":"app::handle","file":"a.rs","line":1},
        {"name":"app::query","file":"a.rs","line":5}],"clocks":["wall"],"functions":[],
        "tree":[[0,0,3,1,10,100],[1,1,3,1,90,90]],"tree_cpu_ns":[10,0],"threads":[]}"#;
    let report = Report::from_json_bytes(json.as_bytes()).unwrap();
    assert!(report.has_cpu());
    let dir = scratch("cpu");
    let file = dir.join("profile.pb.gz");
    report.write(&file).unwrap();
    let Some(go) = go() else { return };
    let args = ["-top", "-unit=ns", "-sample_index=cpu", "-nodefraction=0"];
    let (rows, total) = top(&pprof(go, &args, &file), "ns");
    assert_eq!(total, 10);
    assert_eq!(rows["app::handle"], (10, 10));
    // The time stays the default sample type.
    let (rows, total) = top(&pprof(go, &["-top", "-unit=ns"], &file), "ns");
    assert_eq!(total, 100);
    assert_eq!(rows["app::query"], (90, 90));
}
