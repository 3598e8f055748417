//! Mutated profiles and budgets files never panic: the readers say what is wrong or read
//! something. A property test with a fixed seed, bounded in cases (it runs in `cargo test`).

use std::time::{Duration, Instant};

use crate::common::Rng;
use crate::support::{Shape, arg, profkit, python_dump, record, scratch};

/// One random change of `bytes`: bit flips, a truncation, an insertion, a deletion, an
/// overwrite with interesting bytes, or a duplicated run.
fn mutate(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let len = b.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                b[i] ^= 1 << rng.below(8);
            }
            1 => b.truncate(rng.below(len + 1)),
            2 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(8);
                let junk: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                b.splice(i..i, junk);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = (1 + rng.below(16)).min(len - i);
                b.drain(i..i + n);
            }
            4 if len > 0 => {
                const EDGES: [u8; 10] = [0, 0xff, 0x7f, 0x80, b'{', b'}', b'"', b'[', b'9', b'-'];
                let i = rng.below(len);
                b[i] = EDGES[rng.below(EDGES.len())];
            }
            5 if len > 4 => {
                // A length or count field made huge.
                let i = rng.below(len - 4);
                b[i..i + 4].copy_from_slice(&[0xff, 0xff, 0xff, 0x7f]);
            }
            _ if len > 0 => {
                let i = rng.below(len);
                let n = (1 + rng.below(32)).min(len - i);
                let run = b[i..i + n].to_vec();
                b.splice(i..i, run);
            }
            _ => b.push(rng.next() as u8),
        }
    }
    b
}

fn seeds(test: &str) -> Vec<(&'static str, Vec<u8>)> {
    let report = record(Shape {
        old_function: true,
        ..Shape::default()
    });
    let dir = scratch(&format!("robust-seeds-{test}"));
    let python = std::fs::read(python_dump(&dir)).unwrap();
    vec![
        ("json", report.to_json().into_bytes()),
        ("prof", report.to_pstats_bytes()),
        ("python", python),
    ]
}

#[test]
fn mutated_profiles_never_panic_the_library_reader() {
    let seeds = seeds("library");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let start = Instant::now();
    let (mut ok, mut err, mut cases) = (0, 0, 0);
    // 20,000 cases (about a second in a debug build); stop early on a slow machine so the suite stays fast.
    while cases < 20_000 && start.elapsed() < Duration::from_secs(5) {
        for (_, seed) in &seeds {
            let bytes = mutate(&mut rng, seed);
            let result = std::panic::catch_unwind(|| {
                profkit::Report::from_bytes(&bytes).map(|r| {
                    // What the subcommands then do with a report read from a file.
                    let _ = (
                        r.stats().to_string(),
                        r.stats().callers().to_string(),
                        r.latency().to_string(),
                    );
                    let _ = (
                        r.tree().to_string(),
                        r.folded(),
                        r.to_json(),
                        r.to_pstats_bytes(),
                    );
                })
            });
            match result {
                Ok(Ok(())) => ok += 1,
                Ok(Err(_)) => err += 1,
                Err(_) => panic!("Report::from_bytes panicked on {bytes:?}"),
            }
            cases += 1;
        }
    }
    assert!(cases >= 300, "only {cases} cases ran");
    assert!(
        err > cases / 2,
        "most mutations are errors: {ok} read, {err} refused"
    );
    eprintln!(
        "{cases} mutated profiles in {:?}: {ok} read, {err} refused",
        start.elapsed()
    );
}

#[test]
fn mutated_profiles_never_panic_the_binary() {
    let dir = scratch("robust-binary");
    let seeds = seeds("binary");
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let budgets = dir.join("b.toml");
    std::fs::write(&budgets, "[[budget]]\nfunction = \"fib\"\nncalls = 1\n").unwrap();
    let budgets = budgets.display().to_string();
    for i in 0..60 {
        let (kind, seed) = &seeds[i % seeds.len()];
        let path = arg(
            &dir,
            &format!("m{i}.{}", if *kind == "json" { "json" } else { "prof" }),
        );
        std::fs::write(&path, mutate(&mut rng, seed)).unwrap();
        let svg = arg(&dir, "m.svg");
        let runs = match i % 4 {
            0 => profkit(["view", &path, "--format", "json"]),
            1 => profkit(["flame", &path, "-o", &svg]),
            2 => profkit(["check", &path, "--budgets", &budgets]),
            _ => profkit(["diff", &path, &path, "--metric", "ncalls"]),
        };
        assert!(
            matches!(runs.code, 0..=2),
            "status {} on {path}: {}",
            runs.code,
            runs.stderr
        );
        assert!(!runs.stderr.contains("panicked"), "{path}: {}", runs.stderr);
        if runs.code == 2 {
            assert_eq!(runs.stderr.lines().count(), 1, "{}", runs.stderr);
            assert!(
                runs.stderr.starts_with(&format!("profkit: {path}: ")),
                "{}",
                runs.stderr
            );
        }
    }
}

#[test]
fn mutated_budgets_never_panic_the_binary() {
    let dir = scratch("robust-budgets");
    let profile = arg(&dir, "p.json");
    record(Shape::default()).write_json(&profile).unwrap();
    let seed = br#"[[budget]]
function = "fetch_row"
p99 = "2ms"
p50 = "1ms"
ncalls = 100
severity = "error"

[[budget]]
function = "fetch_row"
per_call_of = "get_users"
max_per_call = 3
severity = "warning"
"#;
    let mut rng = Rng(0x853c_49e6_748f_ea9b);
    let mut statuses = [0; 3];
    for i in 0..60 {
        let path = arg(&dir, &format!("b{i}.toml"));
        std::fs::write(&path, mutate(&mut rng, seed)).unwrap();
        let out = profkit(["check", &profile, "--budgets", &path]);
        assert!(
            matches!(out.code, 0..=2),
            "status {} on {path}: {}",
            out.code,
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{path}: {}", out.stderr);
        if out.code == 2 {
            assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
            assert!(
                out.stderr.starts_with(&format!("profkit: {path}: ")),
                "{}",
                out.stderr
            );
        }
        statuses[out.code as usize] += 1;
    }
    assert!(
        statuses[2] > 0,
        "some mutations are malformed: {statuses:?}"
    );
}
