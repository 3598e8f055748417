//! `profkit history` as a program over real SQLite files and, when `PROFKIT_TEST_PG` names a
//! server, PostgreSQL schemas (the flow, a first check, bad requests on both): record, check (exit 0, then 1 when
//! the regression repeats), show, first-bad, list, export; four recorders at once; a recorder
//! killed in the middle of its transaction; files that are not a history.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use profkit::Report;

use crate::common::pg::Place;
use crate::common::synthetic::profile_json;
use crate::support::{Run, Shape, arg, profkit, scratch, write};

/// `profkit ARGS` on the history of `place` (`--schema` added after `--db` on PostgreSQL).
fn pk<S: AsRef<str>>(place: &Place, args: &[S]) -> Run {
    profkit(place.args(args))
}

/// `fetch_row` of each recorded run: within ±1.5% of 1 ms.
const STEADY_MICROS: [u64; 6] = [1000, 1010, 995, 1005, 990, 1015];

fn shape(fetch_micros: u64) -> Shape {
    Shape {
        fetch_micros,
        ..Shape::default()
    }
}

fn record_all(place: &Place, dir: &Path, db: &str) {
    for (i, micros) in STEADY_MICROS.into_iter().enumerate() {
        let file = write(dir, &format!("run{i}.json"), shape(micros));
        let out = pk(
            place,
            &[
                "history",
                "record",
                "--db",
                db,
                "--commit",
                &format!("c{i}"),
                "--machine",
                "ci",
                "--label",
                "rustc=1.95",
                &file,
            ],
        );
        assert!(
            out.ok().starts_with(&format!("recorded run {} of ", i + 1)),
            "{}",
            out.stdout
        );
    }
}

crate::on_both_backends! {
fn record_check_show_first_bad_list_and_export(backend: &Backend) {
    let dir = scratch(&crate::common::pg::fresh_name("history-flow"));
    let place = &backend.place("flow");
    let db = place.db();
    record_all(place, &dir, &db);
    let slow = write(&dir, "slow.json", shape(1500));

    // The first slow run: a regression, not yet blocking.
    let first = pk(place, &[
        "history",
        "check",
        "--db",
        &db,
        "--machine",
        "ci",
        "--format",
        "markdown",
        &slow,
    ]);
    let md = first.ok();
    assert!(md.starts_with("### profkit: "), "{md}");
    assert!(md.contains("none blocking yet"), "{md}");
    assert!(
        md.contains("| regressed 1/2 | `cli::support::fetch_row` | cumtime | 12.0 ms | 18.0 ms |"),
        "{md}"
    );
    // Recorded, then checked again: two in a row block (exit 1).
    pk(place, &[
        "history",
        "record",
        "--db",
        &db,
        "--commit",
        "slow1",
        "--machine",
        "ci",
        &slow,
    ])
    .ok();
    let second = pk(place, &["history", "check", "--db", &db, "--machine", "ci", &slow]);
    assert_eq!(second.code, 1, "{}{}", second.stdout, second.stderr);
    assert!(
        second.stdout.starts_with("profkit history check: "),
        "{}",
        second.stdout
    );
    let blocked: Vec<&str> = second
        .stdout
        .lines()
        .filter(|l| l.starts_with("BLOCKED"))
        .collect();
    assert!(
        blocked
            .iter()
            .any(|l| l.contains("cumtime") && l.ends_with("cli::support::fetch_row")),
        "{}",
        second.stdout
    );
    assert!(
        second
            .stdout
            .contains("where the time went in cli::support::get_users")
    );
    let json = pk(place, &[
        "history",
        "check",
        "--db",
        &db,
        "--machine",
        "ci",
        "--format",
        "json",
        &slow,
    ]);
    assert_eq!(json.code, 1);
    let doc = json.json();
    assert_eq!(doc["blocked"], true);
    assert_eq!(doc["window"].as_array().unwrap().len(), 7);
    let top = &doc["findings"][0];
    assert_eq!(top["change"], "regression");
    assert_eq!(top["blocked"], true);
    // Another machine's history is empty: insufficient data, exit 0.
    let elsewhere = pk(place, &[
        "history",
        "check",
        "--db",
        &db,
        "--machine",
        "laptop",
        &slow,
    ]);
    assert!(
        elsewhere.ok().contains("with insufficient data"),
        "{}",
        elsewhere.stdout
    );

    // A second slow run recorded: the step is sustained.
    pk(place, &[
        "history",
        "record",
        "--db",
        &db,
        "--commit",
        "slow2",
        "--machine",
        "ci",
        &slow,
    ])
    .ok();
    // The trend of fetch_row, with the step marked and drawn.
    let svg = dir.join("trend.svg");
    let show = pk(place, &[
        "history",
        "show",
        "--db",
        &db,
        "--machine",
        "ci",
        "--function",
        "fetch_row",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    let text = show.ok();
    let slow_row = text.lines().find(|l| l.contains(" slow1 ")).unwrap();
    assert!(slow_row.contains("REGRESSED <- first bad"), "{text}");
    assert!(slow_row.contains("18.0 ms"), "{text}");
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(
        drawn.starts_with("<svg") && drawn.contains("first bad: slow1"),
        "{drawn:.300}"
    );
    let bad = pk(place, &[
        "history",
        "first-bad",
        "--db",
        &db,
        "--machine",
        "ci",
        "--function",
        "support::fetch_row",
    ]);
    assert!(
        bad.ok().starts_with("first bad commit: slow1 (run 7, "),
        "{}",
        bad.stdout
    );
    let none = pk(place, &[
        "history",
        "first-bad",
        "--db",
        &db,
        "--machine",
        "ci",
        "--function",
        "fib",
    ]);
    assert!(
        none.ok()
            .starts_with("no sustained step up in cumtime of cli::support::fib")
    );

    let list = pk(place, &["history", "list", "--db", &db, "--format", "json"]);
    let runs = list.json()["runs"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 8);
    assert_eq!(runs[0]["commit"], "slow2");
    assert_eq!(runs[7]["labels"]["rustc"], "1.95");
    let text = pk(place, &["history", "list", "--db", &db, "--last", "2"]);
    assert_eq!(text.ok().lines().count(), 3, "{}", text.stdout);

    let out = dir.join("then.json");
    pk(place, &[
        "history",
        "export",
        "--db",
        &db,
        "slow1",
        "-o",
        out.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(Report::read(&out).unwrap(), Report::read(&slow).unwrap());
    pk(place, &[
        "history",
        "export",
        "--db",
        &db,
        "1",
        "-o",
        out.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(
        Report::read(&out).unwrap(),
        Report::read(dir.join("run0.json")).unwrap()
    );
    pk(place, &[
        "history",
        "export",
        "--db",
        &db,
        "zzzz",
        "-o",
        out.to_str().unwrap(),
    ])
    .bad_input("no run \"zzzz\"");
    // One line, worded without the source's indentation inside it.
    pk(place, &[
        "history",
        "export",
        "--db",
        &db,
        "zzzz",
        "-o",
        out.to_str().unwrap(),
    ])
    .bad_input("or a commit (at least 4 characters of it)");
}
}

crate::on_both_backends! {
fn check_without_a_database_yet_is_an_empty_history(backend: &Backend) {
    let dir = scratch(&crate::common::pg::fresh_name("history-first"));
    let place = &backend.place("first");
    let db = place.db();
    let p = write(&dir, "p.json", Shape::default());
    let out = pk(place, &["history", "check", "--db", &db, &p]);
    let (first, listed) = match place.schema() {
        None => (
            format!("{db} does not exist yet"),
            format!("{db}: no such file"),
        ),
        Some(schema) => {
            let server = profkit::history::PgStore::server_of(&db).unwrap();
            (
                format!("{server} has no history in schema {schema} yet"),
                format!("{server}: no history in schema \"{schema}\""),
            )
        }
    };
    assert!(out.ok().starts_with(&first), "{}", out.stdout);
    assert!(!place.exists());
    pk(place, &["history", "list", "--db", &db]).bad_input(&listed);
    assert!(!place.exists());
}
}

#[test]
fn files_that_are_not_a_history_exit_2_with_one_line() {
    let dir = scratch("history-refused");
    let p = write(&dir, "p.json", Shape::default());
    let text = dir.join("notes.db");
    std::fs::write(&text, "not a database, however it is named\n".repeat(40)).unwrap();
    let newer = dir.join("newer.db");
    profkit([
        "history",
        "record",
        "--db",
        newer.to_str().unwrap(),
        "--commit",
        "a",
        &p,
    ])
    .ok();
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute_batch("PRAGMA user_version = 7;")
        .unwrap();
    let foreign = dir.join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE songs (title TEXT);")
        .unwrap();
    let cases = [
        (&text, "not a SQLite database".to_owned()),
        (
            &newer,
            "written by a newer profkit: schema version 7, this profkit reads up to".to_owned(),
        ),
        (
            &foreign,
            "not a profkit history (it has the tables songs)".to_owned(),
        ),
    ];
    for (db, reason) in &cases {
        let db = db.to_str().unwrap();
        let expected = format!("profkit: {db}: ");
        for args in [
            vec!["history", "record", "--db", db, "--commit", "x", &p],
            vec!["history", "check", "--db", db, &p],
            vec!["history", "list", "--db", db],
            vec!["history", "show", "--db", db],
        ] {
            let out = profkit(&args);
            out.bad_input(reason);
            assert!(
                out.stderr.starts_with(&expected),
                "{args:?}: {}",
                out.stderr
            );
        }
    }
    // Not one byte of the refused files changed.
    assert!(
        std::fs::read_to_string(&text)
            .unwrap()
            .starts_with("not a database")
    );
}

crate::on_both_backends! {
fn bad_requests_exit_2_with_one_line(backend: &Backend) {
    let dir = scratch(&crate::common::pg::fresh_name("history-bad"));
    let place = &backend.place("bad");
    let db = place.db();
    let p = write(&dir, "p.json", Shape::default());
    let prof = write(&dir, "p.prof", Shape::default());
    pk(place, &["history", "record", "--db", &db, "--commit", "a", &p]).ok();
    let cases: &[(&[&str], &str)] = &[
        (
            &["history", "check", "--db", &db, "--window", "0", &p],
            "the window must hold",
        ),
        (
            &["history", "check", "--db", &db, "--min-samples", "30", &p],
            "min-samples (30) cannot be more than the window (20)",
        ),
        (
            &["history", "check", "--db", &db, "--metric", "p42", &p],
            "--metric: unknown metric \"p42\"; the metrics are ncalls, tottime, cumtime",
        ),
        (
            &["history", "check", "--db", &db, "--metric", "p99", &prof],
            "p.prof: has no p99 (a .prof file keeps no latency distributions)",
        ),
        (
            &["history", "show", "--db", &db, "--metric", "p99"],
            "--metric p99 is per function: name one with --function",
        ),
        (
            &["history", "show", "--db", &db, "--function", "fetch_rows"],
            "no function named `fetch_rows` in this history; close matches:",
        ),
        (
            &[
                "history",
                "show",
                "--db",
                &db,
                "--function",
                "fib",
                "--metric",
                "wall",
            ],
            "wall is a figure of the whole process, not of a function",
        ),
        (
            &["history", "record", "--db", &db, "--commit", " ", &p],
            "the commit is empty",
        ),
        (
            &[
                "history",
                "record",
                "--db",
                &arg(&dir, "no/such/dir/runs.db"),
                "--commit",
                "a",
                &p,
            ],
            "runs.db: cannot open the file",
        ),
        (
            &[
                "history",
                "record",
                "--db",
                &db,
                "--commit",
                "a",
                &arg(&dir, "missing.json"),
            ],
            "missing.json: No such file",
        ),
    ];
    for (args, what) in cases {
        pk(place, args).bad_input(what);
    }
    // clap's own usage errors: status 2 as well.
    let out = pk(place, &["history", "check", "--db", &db, "--threshold", "ten", &p]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let out = pk(place, &[
        "history", "record", "--db", &db, "--commit", "a", "--label", "x", &p,
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    // Nothing was recorded by the refused requests.
    let list = pk(place, &["history", "list", "--db", &db, "--format", "json"]);
    assert_eq!(list.json()["runs"].as_array().unwrap().len(), 1);
}
}

fn spawn_record(db: &str, commit: &str, file: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_profkit"))
        .args(["history", "record", "--db", db, "--commit", commit, file])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the profkit binary runs")
}

/// Four processes recording into one file at once, three times: the first time the file does
/// not exist yet, so all four also race to create it. Every run lands.
#[test]
fn four_recorders_at_once_all_land() {
    let dir = scratch("history-concurrent");
    let db = arg(&dir, "runs.db");
    let file = write(&dir, "p.json", Shape::default());
    for round in 0..3 {
        let children: Vec<Child> = (0..4)
            .map(|i| spawn_record(&db, &format!("r{round}p{i}"), &file))
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let list = profkit([
        "history", "list", "--db", &db, "--last", "100", "--format", "json",
    ]);
    let mut commits: Vec<String> = list.json()["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["commit"].as_str().unwrap().to_owned())
        .collect();
    commits.sort();
    let mut expected: Vec<String> = (0..3)
        .flat_map(|r| (0..4).map(move |p| format!("r{r}p{p}")))
        .collect();
    expected.sort();
    assert_eq!(commits, expected);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let samples: i64 = conn
        .query_row("SELECT count(*) FROM samples", [], |r| r.get(0))
        .unwrap();
    let per_run = Report::read(&file).unwrap().len() as i64;
    assert_eq!(samples, 12 * per_run);
}

fn count(db: &str, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {name}");
}

/// A recorder stopped in the middle of its transaction (its uncommitted pages already spilled
/// into the WAL file), then killed with SIGKILL: the database is as it was before that run,
/// whole, and takes the next run.
#[test]
fn a_recorder_killed_mid_run_leaves_the_database_as_it_was() {
    let dir = scratch("history-killed");
    let db = arg(&dir, "runs.db");
    let wal = dir.join("runs.db-wal");
    let small = write(&dir, "p.json", Shape::default());
    for c in ["before1", "before2"] {
        profkit(["history", "record", "--db", &db, "--commit", c, &small]).ok();
    }
    let (runs, samples) = (count(&db, "runs"), count(&db, "samples"));
    // 60,000 functions: a transaction of many megabytes, longer than SQLite's page cache.
    let big = dir.join("big.json");
    std::fs::write(&big, profile_json(60_000, 7, |_| 1.0)).unwrap();
    let big = big.to_str().unwrap().to_owned();

    let (mut runs, mut samples) = (runs, samples);
    for attempt in 0..3 {
        let start_len = std::fs::metadata(&wal).map_or(0, |m| m.len());
        let mut child = spawn_record(&db, &format!("killed{attempt}"), &big);
        let deadline = Instant::now() + Duration::from_secs(120);
        // Wait until the transaction has spilled pages into the WAL, then freeze the writer.
        while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
            if std::fs::metadata(&wal).map_or(0, |m| m.len()) > start_len + (4 << 20) {
                signal(&child, "-STOP");
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let caught = child.try_wait().unwrap().is_none();
        if caught {
            // Frozen mid-run: another reader sees the database as it was.
            assert_eq!((count(&db, "runs"), count(&db, "samples")), (runs, samples));
            child.kill().unwrap(); // SIGKILL, which a stopped process takes too
        }
        let status = child.wait().unwrap();
        let after = (count(&db, "runs"), count(&db, "samples"));
        if caught {
            assert!(!status.success());
            assert_eq!(after, (runs, samples), "half a run is in the database");
            check_whole_and_writable(&db, runs, samples);
            return;
        }
        // It ended before it could be frozen: then it recorded all of its run.
        assert!(
            status.success(),
            "attempt {attempt}: the recorder failed on its own"
        );
        assert_eq!(after, (runs + 1, samples + 60_000));
        (runs, samples) = after;
    }
    panic!("the recorder was never caught in the middle of its transaction");
}

fn check_whole_and_writable(db: &str, runs: i64, samples: i64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    drop(conn);
    let dir = Path::new(db).parent().unwrap();
    let small = arg(dir, "p.json");
    profkit(["history", "record", "--db", db, "--commit", "after", &small]).ok();
    assert_eq!(count(db, "runs"), runs + 1);
    assert!(count(db, "samples") > samples);
}
