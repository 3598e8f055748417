//! Reading `.prof` files: profkit's own (round trip) and Python's cProfile dumps (with marshal
//! back-references); corrupt, truncated or foreign input is a typed error with a byte offset,
//! never a panic; merging a file with itself doubles every count.

mod common;

use std::process::Command;
use std::time::Duration;

use common::Rng;
use profkit::testing::{TestClock, advance};
use profkit::{Report, profile};

#[profile]
fn fib(n: u64) -> u64 {
    advance(Duration::from_nanos(1_234_567));
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

#[profile]
fn outer() -> u64 {
    advance(Duration::from_micros(3));
    fib(12) + fib(5)
}

fn sample() -> Report {
    let _clock = TestClock::install().unwrap();
    profkit::record(outer).1
}

fn rows(r: &Report) -> Vec<String> {
    r.functions()
        .flat_map(|f| {
            std::iter::once(format!(
                "{} {} {} {:?} {:?}",
                f.std_name(),
                f.ncalls(),
                f.primitive_calls(),
                f.tottime(),
                f.cumtime()
            ))
            .chain(f.callers().iter().map(move |e| {
                format!(
                    "  {} <- {} {} {} {:?} {:?}",
                    f.name(),
                    e.name(),
                    e.ncalls(),
                    e.primitive_calls(),
                    e.tottime(),
                    e.cumtime()
                )
            }))
            .chain(
                f.callees()
                    .iter()
                    .map(move |e| format!("  {} -> {} {}", f.name(), e.name(), e.ncalls())),
            )
        })
        .collect()
}

#[test]
fn profkits_files_read_back_to_the_same_numbers_and_table() {
    let report = sample();
    let back = Report::from_pstats_bytes(&report.to_pstats_bytes()).unwrap();
    assert_eq!(rows(&back), rows(&report));
    assert_eq!(back.to_string(), report.to_string());
    assert_eq!(
        back.stats().callers().to_string(),
        report.stats().callers().to_string()
    );
    assert_eq!(
        back.stats().callees().to_string(),
        report.stats().callees().to_string()
    );
    assert_eq!(back.function("fib").unwrap().ncalls(), 465 + 15);
    assert!(back.folded().is_empty(), "a pstats file has no call paths");
}

#[test]
fn a_file_merged_with_itself_doubles_every_count() {
    let report = sample();
    let path = std::env::temp_dir().join(format!("profkit-merge-{}.prof", std::process::id()));
    report.write_pstats(&path).unwrap();
    let mut a = Report::read_pstats(&path).unwrap();
    let b = Report::read_pstats(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    a.merge(&b);
    assert_eq!(a.len(), report.len());
    for (twice, once) in a.functions().zip(report.functions()) {
        assert_eq!(twice.name(), once.name());
        assert_eq!(twice.ncalls(), 2 * once.ncalls());
        assert_eq!(twice.primitive_calls(), 2 * once.primitive_calls());
        assert_eq!(twice.tottime(), 2 * once.tottime());
        assert_eq!(twice.cumtime(), 2 * once.cumtime());
        for (e2, e1) in twice.callers().iter().zip(once.callers()) {
            assert_eq!(
                (e2.ncalls(), e2.primitive_calls()),
                (2 * e1.ncalls(), 2 * e1.primitive_calls())
            );
        }
    }
    assert_eq!(a.total_calls(), 2 * report.total_calls());
    // An in-process report merged with a file report: sums, without a call tree.
    let mut live = sample();
    live.merge(&b);
    assert_eq!(live.function("fib").unwrap().ncalls(), 2 * 480);
}

/// A real cProfile dump of a small program; returns the dump and pstats' counts.
fn cprofile_dump() -> (Vec<u8>, Vec<String>) {
    // Tests run in parallel: one file per call.
    static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path =
        std::env::temp_dir().join(format!("profkit-cprofile-{}-{n}.prof", std::process::id()));
    let program = r#"
import cProfile, pstats, sys
def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)
def is_even(n): return True if n == 0 else not is_odd(n)
def is_odd(n): return is_even(n - 1)
def main():
    fib(15); is_even(5); sorted([3, 1, 2]); len("abc")
p = cProfile.Profile(); p.runcall(main); p.dump_stats(sys.argv[1])
for (f, l, n), (cc, nc, tt, ct, callers) in sorted(pstats.Stats(sys.argv[1]).stats.items()):
    print(f"{n} {nc} {cc}")
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(program)
        .arg(&path)
        .output()
        .expect("python3 runs (it is on every machine and in CI)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let counts = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    (bytes, counts)
}

#[test]
fn pythons_own_cprofile_dumps_are_read_with_their_references() {
    let (bytes, python_counts) = cprofile_dump();
    assert!(bytes.contains(&b'r'), "the dump uses back-references");
    let report = Report::from_pstats_bytes(&bytes).unwrap();
    let mut ours: Vec<(String, String, u32, String)> = report
        .functions()
        .map(|f| {
            (
                f.file().to_owned(),
                f.name().to_owned(),
                f.line(),
                format!("{} {} {}", f.name(), f.ncalls(), f.primitive_calls()),
            )
        })
        .collect();
    ours.sort_by(|a, b| (&a.0, a.2, &a.1).cmp(&(&b.0, b.2, &b.1)));
    let ours: Vec<String> = ours.into_iter().map(|r| r.3).collect();
    assert_eq!(ours, python_counts);
    let fib = report.function("fib").unwrap();
    assert_eq!((fib.ncalls(), fib.primitive_calls()), (1973, 1));
    let edge = fib.caller("fib").unwrap();
    assert_eq!((edge.ncalls(), edge.primitive_calls()), (1972, 2));
    assert_eq!(report.function("is_even").unwrap().ncalls(), 6);
    // Built-ins print as pstats prints them.
    assert!(
        report
            .to_string()
            .contains("{built-in method builtins.sorted}"),
        "{report}"
    );
}

/// Found by the `prof` fuzz target: a file whose callers are not all keys (written by another
/// tool, or damaged) was written back with those callers still missing as keys, which pstats
/// requires, and each write added the `{profkit}` row, so a round trip changed the report.
#[test]
fn callers_that_are_not_keys_become_keys_of_0_calls_when_written() {
    let script = "import marshal, sys\n\
        f = ('a.py', 1, 'f'); g = ('b.py', 2, 'g'); top = ('~', 0, '<profkit>')\n\
        stats = {f: (1, 2, 0.5, 0.75, {g: (2, 1, 0.5, 0.75), top: (1, 1, 0.25, 0.5)})}\n\
        sys.stdout.buffer.write(marshal.dumps(stats))\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = Report::from_pstats_bytes(&out.stdout).unwrap();
    assert_eq!(report.len(), 1);
    let written = report.to_pstats_bytes();
    let once = Report::from_pstats_bytes(&written).unwrap();
    let keys: Vec<String> = once.functions().map(|f| f.std_name()).collect();
    assert_eq!(keys, ["a.py:1(f)", "b.py:2(g)", "{profkit}"]);
    assert_eq!(once.function("g").unwrap().ncalls(), 0);
    assert_eq!(once.function("f").unwrap().ncalls(), 2);
    // A fixed point from then on, and Python finds every caller among the keys.
    assert_eq!(
        Report::from_pstats_bytes(&once.to_pstats_bytes())
            .unwrap()
            .to_pstats_bytes(),
        once.to_pstats_bytes()
    );
    let check = "import marshal, sys\n\
        s = marshal.loads(sys.stdin.buffer.read())\n\
        print(all(c in s for v in s.values() for c in v[4]), len(s))\n";
    let mut child = Command::new("python3")
        .args(["-c", check])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &written).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "True 3\n");
}

#[test]
fn empty_truncated_and_foreign_files_are_errors_at_an_offset() {
    let err = Report::from_pstats_bytes(b"").unwrap_err();
    assert_eq!(
        err.to_string(),
        "at byte 0: the file is empty: a pstats file is a marshalled dict"
    );
    let err = Report::from_pstats_bytes(b"{\"functions\": []}").unwrap_err();
    assert_eq!(err.offset(), Some(1), "{err}");
    let err = Report::from_pstats_bytes(b"ncalls  tottime").unwrap_err();
    assert_eq!(err.offset(), Some(0), "{err}");
    // A claimed string length far beyond the file: refused before anything is reserved.
    let err =
        Report::from_pstats_bytes(&[b'{', b')', 3, b'a', 0xff, 0xff, 0xff, 0x7f]).unwrap_err();
    assert_eq!(err.offset(), Some(4), "{err}");
    assert!(err.message().contains("beyond the end"), "{err}");
    // A marshalled value of the wrong shape.
    let err = Report::from_pstats_bytes(&[b'i', 1, 0, 0, 0]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "at byte 0: expected a dict of functions (a pstats file), found an int"
    );
    let path = std::env::temp_dir().join(format!("profkit-bad-{}.prof", std::process::id()));
    std::fs::write(&path, b"{X").unwrap();
    let err = Report::read_pstats(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(
        err.to_string()
            .starts_with(&format!("{}: at byte 1: ", path.display())),
        "{err}"
    );
    assert_eq!(err.path(), Some(path.as_path()));

    let (dump, _) = cprofile_dump();
    for len in 0..dump.len() {
        let err = Report::from_pstats_bytes(&dump[..len]).unwrap_err();
        assert!(
            err.offset().is_some_and(|o| o <= len),
            "prefix {len}: {err}"
        );
    }
}

#[test]
fn twenty_thousand_mutated_files_never_panic() {
    let (dump, _) = cprofile_dump();
    let ours = sample().to_pstats_bytes();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut ok, mut errors) = (0, 0);
    for i in 0..20_000 {
        let mut bytes = if i % 2 == 0 {
            dump.clone()
        } else {
            ours.clone()
        };
        for _ in 0..=rng.below(4) {
            let at = rng.below(bytes.len());
            match rng.below(4) {
                0 => bytes[at] = rng.next() as u8,
                1 => bytes[at] ^= 1 << rng.below(8),
                2 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, rng.next() as u8),
            }
            if bytes.is_empty() {
                break;
            }
        }
        match Report::from_pstats_bytes(&bytes) {
            Ok(r) => {
                ok += 1;
                let _ = r.to_string();
            }
            Err(e) => {
                errors += 1;
                assert!(e.offset().is_some_and(|o| o <= bytes.len()), "{e}");
            }
        }
    }
    assert!(errors > 10_000, "most mutations break the file ({ok} read)");
}
