//! profkit's JSON files: a report written and read back is equal to the original (functions,
//! edges, latency buckets, futures, call tree, threads, clock, program, start, duration);
//! merging a file with itself doubles every count; bad input is an error that says where and
//! what, never a panic. Also the SVG flame graph (feature `flamegraph`).

mod common;

use std::process::Command;
use std::time::Duration;

use common::Rng;
use profkit::testing::{TestClock, advance};
use profkit::{Report, profile};

#[profile]
fn fib(n: u64) -> u64 {
    advance(Duration::from_nanos(1_000 + 37 * n));
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

#[profile]
async fn fetch(id: u64) -> u64 {
    advance(Duration::from_micros(5));
    id
}

#[profile]
fn part(i: u64) -> u64 {
    advance(Duration::from_micros(i));
    i
}

#[profile]
fn outer() -> u64 {
    advance(Duration::from_micros(3));
    let scoped = profkit::profile_scope!("outer::scope", {
        advance(Duration::from_micros(2));
        fib(10)
    });
    let parts: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (1..=3)
            .map(|i| {
                profkit::spawn_scoped(s, move || {
                    // Kept until the thread ends: dropping it inside the recording would start
                    // a new one and leave these calls out of the scoped report.
                    std::mem::forget(TestClock::install().unwrap());
                    part(i) + part(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    scoped + fib(7) + parts + common::block_on(fetch(4))
}

/// A report with recursion, a scope, three threads, an async fn and latency, on test clocks.
fn sample() -> Report {
    let _clock = TestClock::install().unwrap();
    profkit::record(outer).1
}

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("profkit-json-{}-{name}", std::process::id()))
}

#[test]
fn a_report_read_back_from_json_is_equal_to_the_original() {
    let report = sample();
    assert_eq!(report.function("fib").unwrap().ncalls(), 177 + 41);
    assert_eq!(report.function("part").unwrap().ncalls(), 6);
    assert!(
        report.threads().len() >= 2,
        "the test thread and the scoped ones"
    );
    assert!(report.function("fetch").unwrap().futures().is_some());
    assert!(report.function("fib").unwrap().latency().is_some());

    let json = report.to_json();
    let back = Report::from_json_bytes(json.as_bytes()).unwrap();
    assert_eq!(back, report);
    // What equality covers, seen through every view.
    assert_eq!(
        back.to_json(),
        json,
        "writing it again gives the same bytes"
    );
    assert_eq!(back.to_string(), report.to_string());
    assert_eq!(back.tree().to_string(), report.tree().to_string());
    assert_eq!(back.latency().to_string(), report.latency().to_string());
    assert_eq!(back.folded(), report.folded());
    assert_eq!(
        back.stats().callers().to_string(),
        report.stats().callers().to_string()
    );
    assert_eq!(back.clock(), Some(profkit::ClockKind::Manual));
    assert_eq!(back.program(), report.program());
    assert_eq!(back.started(), report.started());
    assert_eq!(back.duration(), report.duration());
    for (a, b) in back.threads().iter().zip(report.threads()) {
        assert_eq!(a.name(), b.name());
        assert_eq!(a.report().to_string(), b.report().to_string());
    }
    let (a, b) = (
        back.function("fetch").unwrap(),
        report.function("fetch").unwrap(),
    );
    assert_eq!(
        a.latency().unwrap().histogram().len(),
        b.latency().unwrap().histogram().len()
    );
    assert_eq!(
        a.futures().unwrap().wall_time(),
        b.futures().unwrap().wall_time()
    );
}

#[test]
fn equality_sees_a_changed_thread_bucket_program_or_duration() {
    let report = sample();
    let json = report.to_json();
    let calls = format!("\"ncalls\":{}", report.function("part").unwrap().ncalls());
    assert!(json.contains(&calls));
    for changed in [
        json.replacen("{\"name\":\"<unnamed>\"", "{\"name\":\"worker\"", 1),
        json.replacen("\"program\":", "\"program\":null,\"x\":", 1),
        json.replacen("\"duration_ns\":", "\"duration_ns\":1", 1),
    ] {
        assert!(changed != json);
        let other = Report::from_json_bytes(changed.as_bytes()).unwrap();
        assert!(other != report);
    }
    // One latency bucket's value.
    let latency_at = json.find("\"latency\":[[").unwrap() + "\"latency\":[[".len();
    let comma = latency_at + json[latency_at..].find(',').unwrap();
    let changed = format!(
        "{}{}9{}",
        &json[..latency_at],
        &json[latency_at..comma],
        &json[comma..]
    );
    assert!(Report::from_json_bytes(changed.as_bytes()).unwrap() != report);
    // A listed row that disagrees with the tree is refused, not read as either.
    let outer = report.function("outer").unwrap();
    let site = json
        .find("\"name\":\"json::outer\"")
        .map(|at| json[..at].matches("\"name\":").count())
        .unwrap();
    let row = |calls: u64| {
        format!(
            "{{\"site\":{site},\"ncalls\":{calls},\"primitive_calls\":1,\"tottime_ns\":{},\
             \"cumtime_ns\":{},\"callers\"",
            outer.tottime().as_nanos(),
            outer.cumtime().as_nanos()
        )
    };
    assert!(json.contains(&row(1)), "{}", row(1));
    let e = Report::from_json_bytes(json.replacen(&row(1), &row(7), 1).as_bytes()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "the report: functions[{}] (json::outer): ncalls is 7, but the call tree gives 1",
            report
                .functions()
                .position(|f| f.name() == "json::outer")
                .unwrap()
        )
    );
    // And an edge.
    let edge = "{\"site\":1,\"ncalls\":1,\"primitive_calls\":1,\"tottime_ns\":1259,";
    assert!(json.contains(edge));
    {
        let e = Report::from_json_bytes(
            json.replacen(edge, &edge.replace("1259", "1260"), 1)
                .as_bytes(),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .ends_with("the callers listed are not the call tree's"),
            "{e}"
        );
    }
}

#[test]
fn a_pstats_report_without_a_tree_round_trips_too() {
    let prof = Report::from_pstats_bytes(&sample().to_pstats_bytes()).unwrap();
    let json = prof.to_json();
    assert!(json.contains("\"tree\":null"));
    let back = Report::from_json_bytes(json.as_bytes()).unwrap();
    assert_eq!(back, prof);
    assert_eq!(
        back.stats().callees().to_string(),
        prof.stats().callees().to_string()
    );
}

#[test]
fn a_file_merged_with_itself_doubles_every_count_and_keeps_its_tree() {
    let report = sample();
    let path = temp("merge.json");
    report.write_json(&path).unwrap();
    let twice = Report::read_all([&path, &path]).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(twice.len(), report.len());
    for (two, one) in twice.functions().zip(report.functions()) {
        assert_eq!(two.name(), one.name());
        assert_eq!(
            (
                two.ncalls(),
                two.primitive_calls(),
                two.tottime(),
                two.cumtime()
            ),
            (
                2 * one.ncalls(),
                2 * one.primitive_calls(),
                2 * one.tottime(),
                2 * one.cumtime()
            )
        );
        for (e2, e1) in two.callers().iter().zip(one.callers()) {
            assert_eq!(e2.name(), e1.name());
            assert_eq!(
                (
                    e2.ncalls(),
                    e2.primitive_calls(),
                    e2.tottime(),
                    e2.cumtime()
                ),
                (
                    2 * e1.ncalls(),
                    2 * e1.primitive_calls(),
                    2 * e1.tottime(),
                    2 * e1.cumtime()
                )
            );
        }
        if let Some(l1) = one.latency() {
            let l2 = two.latency().unwrap();
            assert_eq!(l2.count(), 2 * l1.count());
            assert_eq!((l2.p50(), l2.max()), (l1.p50(), l1.max()));
        }
        if let Some(f1) = one.futures() {
            assert_eq!(two.futures().unwrap().completed(), 2 * f1.completed());
        }
    }
    // The call tree is kept and doubled: every folded line's value is twice the original's.
    let doubled: Vec<String> = report
        .folded()
        .lines()
        .map(|l| {
            let (path, ns) = l.rsplit_once(' ').unwrap();
            format!("{path} {}", 2 * ns.parse::<u64>().unwrap())
        })
        .collect();
    assert_eq!(twice.folded().lines().collect::<Vec<_>>(), doubled);
    assert_eq!(twice.threads().len(), report.threads().len());
}

#[test]
fn a_live_report_merged_with_a_file_keeps_the_call_tree() {
    let report = sample();
    let back = Report::from_json_bytes(report.to_json().as_bytes()).unwrap();
    let mut live = sample();
    live.merge(&back);
    assert_eq!(live.function("fib").unwrap().ncalls(), 2 * (177 + 41));
    assert!(!live.folded().is_empty());
    assert_eq!(
        live.total_time(),
        2 * report.total_time(),
        "the same test clock times twice"
    );
    // And with a pstats file (no tree): the rows still add up.
    let prof = Report::from_pstats_bytes(&report.to_pstats_bytes()).unwrap();
    live.merge(&prof);
    assert_eq!(live.function("fib").unwrap().ncalls(), 3 * (177 + 41));
}

#[test]
fn python_reads_the_json_and_finds_the_same_numbers() {
    let report = sample();
    let path = temp("python.json");
    report.write_json(&path).unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(
            "import json, sys\n\
             d = json.load(open(sys.argv[1]))\n\
             assert (d['format'], d['version']) == ('profkit', 3)\n\
             name = {i: s['name'] for i, s in enumerate(d['sites'])}\n\
             rows = {name[f['site']]: f for f in d['functions']}\n\
             fib = rows['json::fib']\n\
             print(fib['ncalls'], fib['primitive_calls'], sum(f['tottime_ns'] for f in d['functions']),\n\
                   sum(c for _, c in fib['latency']), sum(n[4] for n in d['tree']))",
        )
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fib = report.function("fib").unwrap();
    let total = report.total_time().as_nanos();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "{} {} {total} {} {total}\n",
            fib.ncalls(),
            fib.primitive_calls(),
            fib.latency().unwrap().count()
        )
    );
}

fn error(bytes: &[u8]) -> String {
    Report::from_bytes(bytes).unwrap_err().to_string()
}

#[test]
fn bad_json_says_where_and_what() {
    let json = sample().to_json();
    assert_eq!(
        error(b"  \n"),
        "at byte 0: the file is empty: there is no profile in it"
    );
    let cut = error(&json.as_bytes()[..json.len() / 2]);
    assert!(
        cut.starts_with("at line 1, column ")
            && cut.ends_with("the file ends early (truncated JSON)"),
        "{cut}"
    );
    assert_eq!(
        error(br#"{"format": "speedscope", "version": 1}"#),
        "\"format\" is \"speedscope\", not \"profkit\": not a profkit profile"
    );
    assert_eq!(
        error(b"{\"format\": \"profkit\", \"version\": 4}"),
        "schema version 4 is not one this profkit reads (it reads versions 1 to 3)"
    );
    // Versions 1 (no memory fields) and 2 (no sizes) still read.
    for old in ["\"version\":1", "\"version\":2"] {
        let v = json.replacen("\"version\":3", old, 1);
        assert!(
            Report::from_bytes(v.as_bytes()).unwrap()
                == Report::from_bytes(json.as_bytes()).unwrap()
        );
    }
    assert_eq!(
        error(br#"{"traceEvents": []}"#),
        "no \"format\": \"profkit\" field: not a profkit profile"
    );
    let wrong_type = json.replacen("\"ncalls\":", "\"ncalls\":\"many\",\"x\":", 1);
    let e = Report::from_bytes(wrong_type.as_bytes()).unwrap_err();
    assert!(e.line_column().is_some(), "{e}");
    assert!(
        e.to_string().contains("invalid type: string \"many\""),
        "{e}"
    );
    let bad_site = json.replacen(
        "\"functions\":[{\"site\":",
        "\"functions\":[{\"site\":9999",
        1,
    );
    assert!(
        error(bad_site.as_bytes()).contains("functions[0] names site 9999"),
        "{}",
        error(bad_site.as_bytes())
    );
    let bad_parent = json.replacen("\"tree\":[[", "\"tree\":[[0,5,", 1);
    let bad_parent = bad_parent.replacen("[0,5,", "[0,5,0,0,0,0],[", 1);
    assert!(
        error(bad_parent.as_bytes()).contains("tree[0]: its parent 5 does not come before it"),
        "{}",
        error(bad_parent.as_bytes())
    );
    // Neither JSON nor pstats: read as pstats, which says so at byte 0.
    assert!(error(b"\x89PNG\r\n").starts_with("at byte 0: "));
}

#[test]
fn files_are_named_in_errors_and_huge_files_are_refused_unread() {
    let path = temp("huge.json");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len((1 << 30) + 1).unwrap();
    let e = Report::read(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: 1073741825 bytes is more than a profile can be (the limit is 1073741824)",
            path.display()
        )
    );
    let missing = temp("missing.json");
    let e = Report::read(&missing).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("{}: ", missing.display()))
    );
    assert_eq!(e.path(), Some(missing.as_path()));
}

#[test]
fn five_thousand_mutated_json_files_never_panic() {
    let json = sample().to_json().into_bytes();
    let digits = b"0123456789";
    let mut rng = Rng(0x51_7cc1_b727_220a);
    let (mut ok, mut errors) = (0, 0);
    for _ in 0..5_000 {
        let mut bytes = json.clone();
        for _ in 0..=rng.below(3) {
            let at = rng.below(bytes.len());
            match rng.below(6) {
                0 => bytes[at] = rng.next() as u8,
                // The largest numbers a file can hold, so sums of them must not overflow.
                5 if bytes[at].is_ascii_digit() => {
                    let start = at
                        - bytes[..at]
                            .iter()
                            .rev()
                            .take_while(|b| b.is_ascii_digit())
                            .count();
                    let end = at
                        + bytes[at..]
                            .iter()
                            .take_while(|b| b.is_ascii_digit())
                            .count();
                    bytes.splice(start..end, u64::MAX.to_string().bytes());
                }
                // Numbers are most of the file: change them to other numbers, so that many
                // mutants are valid JSON with wrong contents (huge values, bad ids).
                1 | 2 if bytes[at].is_ascii_digit() => bytes[at] = digits[rng.below(10)],
                1 => bytes.insert(at, digits[rng.below(10)]),
                2 => {
                    bytes.remove(at);
                }
                3 => bytes.truncate(at.max(1)),
                _ => bytes.insert(at, rng.next() as u8),
            }
        }
        match Report::from_bytes(&bytes) {
            Ok(r) => {
                ok += 1;
                let _ = (r.to_string(), r.tree().to_string(), r.to_json());
            }
            Err(e) => {
                errors += 1;
                assert!(!e.message().is_empty());
            }
        }
    }
    assert!(ok > 100 && errors > 1_000, "{ok} read, {errors} refused");
}

#[test]
fn the_flame_graph_covers_the_total_own_time() {
    let report = sample();
    let svg = String::from_utf8(report.flamegraph_svg().unwrap()).unwrap();
    for f in report.functions() {
        assert!(svg.contains(f.name()), "{} missing", f.name());
    }
    let total = report.total_time().as_nanos();
    let all = format!("<title>all ({} ns, 100%)</title>", group_thousands(total));
    assert!(svg.contains(&all), "no {all:?} in the svg");
    // A report with no call tree has nothing to draw: an error, not an empty picture.
    let prof = Report::from_pstats_bytes(&report.to_pstats_bytes()).unwrap();
    let e = prof.write_flamegraph(temp("none.svg")).unwrap_err();
    assert!(e.to_string().contains("nothing to draw"), "{e}");
    assert!(!temp("none.svg").exists());
}

fn group_thousands(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
