//! The history library on both backends (each test on SQLite, then on a fresh schema of the
//! PostgreSQL server of `PROFKIT_TEST_PG`: `common::pg`): runs recorded and read back whole, the detection rules through a store (the issue's cases, with exact times from a
//! test clock), the breakdown and the order by impact, metrics a profile lacks, migration of
//! an older schema, and the files that are refused: not a database, another program's
//! database, a newer schema, a damaged one.

mod common;

use std::path::PathBuf;

use common::pg::{Backend, Hist};
use std::time::Duration;

use profkit::Report;
use profkit::history::{
    Change, CheckOptions, Copied, HistoryErrorKind, Metric, PgStore, Rules, RunFilter, RunMeta,
    RunStore, SCHEMA_VERSION, Store, TrendOptions, copy,
};
use profkit::testing::{TestClock, advance};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("profkit-history-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[profkit::profile]
fn tokenize(micros: u64) {
    advance(Duration::from_micros(micros));
}

#[profkit::profile]
fn resolve(micros: u64) {
    advance(Duration::from_micros(micros));
}

/// `parse` does 10 us of its own and calls `tokenize` and `resolve` (times in microseconds of
/// a test clock: exact).
#[profkit::profile]
fn parse(tokenize_us: u64, resolve_us: u64) {
    advance(Duration::from_micros(10));
    tokenize(tokenize_us);
    resolve(resolve_us);
}

/// A small helper that runs beside `parse` (its share of the program is small).
#[profkit::profile]
fn log_line(micros: u64) {
    advance(Duration::from_micros(micros));
}

fn run(tokenize_us: u64, resolve_us: u64, log_us: u64) -> Report {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| {
        parse(tokenize_us, resolve_us);
        log_line(log_us);
    });
    report
}

/// Tokenize times of a steady history: within ±2%.
const STEADY: [u64; 8] = [1000, 1010, 990, 1005, 995, 1000, 1020, 985];

fn cumtime_only() -> CheckOptions {
    CheckOptions::new().metrics([Metric::named("cumtime").unwrap()])
}

fn store_with(backend: &Backend, tokenize: &[u64]) -> Hist {
    let mut store = backend.fresh("store_with");
    for (i, &t) in tokenize.iter().enumerate() {
        store
            .record(&run(t, 100, 5), &RunMeta::new(format!("c{i}")))
            .unwrap();
    }
    store
}

fn change_of(store: &Hist, report: &Report, function: &str) -> (Change, bool) {
    let verdict = store.check(report, &cumtime_only()).unwrap();
    let f = verdict
        .findings()
        .iter()
        .find(|f| f.subject().ends_with(function))
        .unwrap_or_else(|| panic!("{function} not judged:\n{verdict}"));
    (f.change(), f.blocked())
}

crate::on_both_backends! {
fn a_run_is_kept_whole_and_read_back(backend: &Backend) {
    let report = run(1000, 100, 5);
    let mut store = backend.fresh_reopenable("whole");
    let meta = RunMeta::new("4f2a9c1d")
        .branch("feature")
        .machine("ci")
        .label("rustc", "1.95");
    let info = store.record(&report, &meta).unwrap();

    let mut store = store.reopen();
    let runs = store.runs(&RunFilter::new()).unwrap();
    assert_eq!(runs, vec![info.clone()]);
    assert_eq!((info.branch(), info.machine()), ("feature", "ci"));
    assert_eq!(info.labels()["rustc"], "1.95");
    assert_eq!(info.function_count(), 4);
    assert_eq!(info.clock(), Some("manual"));
    assert_eq!(store.profile(info.id()).unwrap(), report);

    let samples = RunStore::samples(&*store, &[info.id()], None).unwrap();
    let key = samples[0]
        .functions()
        .find(|k| k.name().ends_with("::tokenize"))
        .unwrap()
        .clone();
    let cumtime = Metric::named("cumtime").unwrap();
    assert_eq!(samples[0].value(&key, cumtime), Some(1_000_000));
    assert_eq!(
        samples[0].value(&key, Metric::named("ncalls").unwrap()),
        Some(1)
    );
    let p50 = samples[0]
        .value(&key, Metric::named("p50").unwrap())
        .unwrap();
    assert!(p50.abs_diff(1_000_000) <= 1_000_000 / 64, "{p50}");
    // One function's samples only, in the order of the runs asked for.
    let second = store
        .record(&run(2000, 100, 5), &RunMeta::new("second"))
        .unwrap();
    let both = RunStore::samples(&*store, &[second.id(), info.id()], Some(&key)).unwrap();
    assert_eq!(both.len(), 2);
    assert_eq!(both[0].value(&key, cumtime), Some(2_000_000));
    assert_eq!(both[1].value(&key, cumtime), Some(1_000_000));
    assert_eq!(both[0].functions().count(), 1);
    let functions = store.functions().unwrap();
    assert_eq!(functions.len(), 4);
    assert!(functions.windows(2).all(|w| w[0] < w[1]), "{functions:?}");
}
}

crate::on_both_backends! {
/// The issue's cases, through a store: a steady history and a steady value, a 15% step that is
/// an outlier, a 15% step inside a noisy history, fewer than 5 runs.
fn the_issues_cases_through_a_store(backend: &Backend) {
    let steady = store_with(backend, &STEADY);
    assert_eq!(
        change_of(&steady, &run(1002, 100, 5), "tokenize"),
        (Change::Unchanged, false)
    );
    assert_eq!(
        change_of(&steady, &run(1150, 100, 5), "tokenize"),
        (Change::Regression, false)
    );
    assert_eq!(
        change_of(&steady, &run(850, 100, 5), "tokenize"),
        (Change::Improvement, false)
    );
    // Swings of ±25%: 1150 is 15% up but no outlier.
    let noisy = store_with(backend, &[750, 1250, 900, 1200, 1000, 800, 1150, 1050]);
    assert_eq!(
        change_of(&noisy, &run(1150, 100, 5), "tokenize"),
        (Change::Unchanged, false)
    );
    let young = store_with(backend, &STEADY[..4]);
    assert_eq!(
        change_of(&young, &run(2000, 100, 5), "tokenize"),
        (Change::InsufficientData, false)
    );
}
}

crate::on_both_backends! {
fn only_a_regression_that_repeats_blocks(backend: &Backend) {
    let mut store = store_with(backend, &STEADY);
    let bad = run(1500, 100, 5);
    assert_eq!(
        change_of(&store, &bad, "tokenize"),
        (Change::Regression, false)
    );
    store.record(&bad, &RunMeta::new("bad1")).unwrap();
    // One bad run, then a good one: nothing blocks.
    assert_eq!(
        change_of(&store, &run(1000, 100, 5), "tokenize"),
        (Change::Unchanged, false)
    );
    // Two in a row: blocked.
    assert_eq!(
        change_of(&store, &bad, "tokenize"),
        (Change::Regression, true)
    );
    let verdict = store.check(&bad, &cumtime_only()).unwrap();
    assert!(verdict.blocked());
    // --consecutive 3 needs one more.
    let three = cumtime_only().rules(Rules {
        consecutive: 3,
        ..Rules::default()
    });
    assert!(!store.check(&bad, &three).unwrap().blocked());
}
}

crate::on_both_backends! {
fn regressions_are_sorted_by_impact_and_explained_by_their_callees(backend: &Backend) {
    let store = store_with(backend, &STEADY);
    // tokenize (about 90% of the program) +20%; log_line (under 1%) +100%.
    let report = run(1200, 100, 10);
    let verdict = store.check(&report, &cumtime_only()).unwrap();
    let names: Vec<String> = verdict
        .regressions()
        .iter()
        .map(|f| f.subject().rsplit("::").next().unwrap().to_owned())
        .collect();
    // parse and tokenize first (share x change about 0.18), log_line last (0.005 x 1.0).
    assert_eq!(
        names.last().map(String::as_str),
        Some("log_line"),
        "{verdict}"
    );
    assert!(names.contains(&"tokenize".into()) && names.contains(&"parse".into()));
    let log = verdict.regressions().into_iter().last().unwrap();
    assert!((log.relative().unwrap() - 1.0).abs() < 1e-9);
    assert!(log.impact().unwrap() < 0.01, "{:?}", log.impact());
    let parse = verdict
        .regressions()
        .into_iter()
        .find(|f| f.subject().ends_with("::parse"))
        .unwrap();
    let impact = parse.impact().unwrap();
    // parse was 1110 of 1115 us; it grew by 200 us: the program by 200 / 1115 = 17.9%.
    assert!((impact - 200.0 / 1115.0).abs() < 0.01, "{impact}");
    // Where parse's time went: into tokenize, against the run nearest the median.
    let b = parse.breakdown().expect("a breakdown");
    assert!(
        b.parts()[0].label().ends_with("::tokenize"),
        "{:?}",
        b.parts()
    );
    assert_eq!(b.parts()[0].new_value(), 1_200_000);
    assert!(b.parts()[0].delta() >= 180_000, "{:?}", b.parts());
    assert!(STEADY.iter().any(|&t| b.parts()[0].base() == t * 1000));
    let markdown = verdict.to_markdown();
    assert!(
        markdown.contains("Where the time went in <code>history::parse</code>"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| -> `history::tokenize` |"),
        "{markdown}"
    );
}
}

crate::on_both_backends! {
fn runs_of_other_machines_branches_and_the_commit_itself_are_not_the_baseline(backend: &Backend) {
    let mut store = store_with(backend, &STEADY);
    for i in 0..8 {
        let slow = run(3000, 100, 5);
        store
            .record(&slow, &RunMeta::new(format!("m{i}")).machine("laptop"))
            .unwrap();
        store
            .record(&slow, &RunMeta::new(format!("b{i}")).branch("feature"))
            .unwrap();
    }
    assert_eq!(
        change_of(&store, &run(1000, 100, 5), "tokenize"),
        (Change::Unchanged, false)
    );
    let laptop = cumtime_only().machine("laptop");
    let v = store.check(&run(1000, 100, 5), &laptop).unwrap();
    assert_eq!(v.window().len(), 8);
    assert!(v.window().iter().all(|r| r.machine() == "laptop"));
    // Recorded first, then checked: its own run is left out.
    let bad = run(2000, 100, 5);
    store.record(&bad, &RunMeta::new("new")).unwrap();
    let options = cumtime_only().exclude_commit("new");
    let v = store.check(&bad, &options).unwrap();
    assert!(v.window().iter().all(|r| r.commit() != "new"));
    assert!(!v.regressions().is_empty());
}
}

crate::on_both_backends! {
fn a_metric_the_profile_lacks_is_reported_not_taken_as_zero(backend: &Backend) {
    let dir = scratch(&common::pg::fresh_name("lacks"));
    let prof = dir.join("p.prof");
    let mut store = backend.fresh("lacks");
    // Five runs from .prof files: no latency, so no p99 is stored (NULL, not 0).
    for i in 0..5 {
        run(1000, 100, 5).write_pstats(&prof).unwrap();
        let from_file = Report::read(&prof).unwrap();
        store
            .record(&from_file, &RunMeta::new(format!("p{i}")))
            .unwrap();
    }
    let p99 = Metric::named("p99").unwrap();
    let from_file = Report::read(&prof).unwrap();
    let v = store
        .check(&from_file, &CheckOptions::new().metrics([p99]))
        .unwrap();
    assert_eq!(v.missing_metrics(), [p99]);
    assert!(v.findings().is_empty());
    // By default the metrics the profile lacks are left out quietly: cumtime is judged.
    let v = store.check(&from_file, &CheckOptions::new()).unwrap();
    assert!(v.missing_metrics().is_empty());
    assert!(v.findings().iter().all(|f| f.metric().name() == "cumtime"));
    assert!(v.findings().iter().all(|f| f.change() == Change::Unchanged));
    // A .json profile's p99 against runs without any: insufficient data, never "infinitely
    // slower than 0".
    let v = store
        .check(&run(1000, 100, 5), &CheckOptions::new().metrics([p99]))
        .unwrap();
    assert!(!v.findings().is_empty());
    assert!(
        v.findings()
            .iter()
            .all(|f| f.change() == Change::InsufficientData),
        "{v}"
    );
}
}

crate::on_both_backends! {
fn a_trend_marks_regressions_and_the_first_bad_commit(backend: &Backend) {
    let mut tokenize: Vec<u64> = STEADY.to_vec();
    tokenize.extend([1400, 1410, 1395, 1405, 1400, 1402]);
    let store = store_with(backend, &tokenize);
    let cumtime = Metric::named("cumtime").unwrap();
    let t = store.trend(&TrendOptions::new(cumtime).function("tokenize")).unwrap();
    assert_eq!(t.points().len(), 14);
    assert_eq!(t.first_bad().unwrap().run().commit(), "c8");
    assert_eq!(t.points()[8].change(), Some(Change::Regression));
    assert_eq!(t.points()[2].change(), Some(Change::InsufficientData));
    assert!(
        t.to_text().contains("first bad: run 9, commit c8"),
        "{}",
        t.to_text()
    );
    let last3 = store
        .trend(&TrendOptions::new(cumtime).function("tokenize").last(3))
        .unwrap();
    assert_eq!(last3.points().len(), 3);
    assert!(last3.first_bad().is_none());
    // A per-function metric without a function, an unknown function: errors that say so.
    let e = store.trend(&TrendOptions::new(cumtime)).unwrap_err();
    assert!(e.to_string().contains("per-function metric"), "{e}");
    let e = store.trend(&TrendOptions::new(cumtime).function("tokenise")).unwrap_err();
    assert!(
        e.to_string().contains("close matches: history::tokenize"),
        "{e}"
    );
}
}

/// Schema version 1, as an older profkit wrote it: the migration to the current one keeps its
/// runs and adds the memory columns.
#[test]
fn an_older_schema_is_migrated_and_keeps_its_runs() {
    let dir = scratch("migrate");
    let db = dir.join("runs.db");
    let mut store = Store::open(&db).unwrap();
    store
        .record(&run(1000, 100, 5), &RunMeta::new("old1"))
        .unwrap();
    drop(store);
    // Take the file back to version 1: drop what versions 2 to 4 added.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "ALTER TABLE samples DROP COLUMN exponent_milli;
         ALTER TABLE samples DROP COLUMN growth_class;
         ALTER TABLE runs DROP COLUMN sampling;
         ALTER TABLE runs DROP COLUMN peak_heap_bytes;
         ALTER TABLE runs DROP COLUMN max_rss_bytes;
         ALTER TABLE samples DROP COLUMN bytes;
         ALTER TABLE samples DROP COLUMN allocs;
         ALTER TABLE samples DROP COLUMN cum_bytes;
         ALTER TABLE samples DROP COLUMN peak_bytes;
         ALTER TABLE samples DROP COLUMN cum_cpu_ns;
         ALTER TABLE samples DROP COLUMN wait_ns;
         ALTER TABLE samples DROP COLUMN live_bytes;
         PRAGMA user_version = 1;",
    )
    .unwrap();
    assert!(conn.prepare("SELECT max_rss_bytes FROM runs").is_err());
    drop(conn);

    let mut store = Store::open(&db).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    store
        .record(&run(1000, 100, 5), &RunMeta::new("new1"))
        .unwrap();
    let commits: Vec<String> = store
        .runs(&RunFilter::new())
        .unwrap()
        .iter()
        .map(|r| r.commit().to_owned())
        .collect();
    assert_eq!(commits, ["new1", "old1"]);
    drop(store);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let nulls: i64 = conn
        .query_row(
            "SELECT count(*) FROM runs WHERE peak_heap_bytes IS NULL AND max_rss_bytes IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // The migrated run has neither; the new one has the OS's peak RSS (it needs no
    // allocator wrapper) but no heap figures (this test installs none).
    assert_eq!(nulls, 1);
    let with_rss: i64 = conn
        .query_row(
            "SELECT count(*) FROM runs WHERE peak_heap_bytes IS NULL AND max_rss_bytes > 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(with_rss, 1);
}

#[test]
fn files_that_are_not_a_history_are_refused_with_the_path_and_the_reason() {
    let dir = scratch("refused");
    let text = dir.join("notes.db");
    std::fs::write(
        &text,
        "a text file with a database's name, long enough to be read\n".repeat(20),
    )
    .unwrap();
    let e = Store::open(&text).unwrap_err();
    assert!(matches!(e.kind(), HistoryErrorKind::NotADatabase), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!("{}: not a SQLite database", text.display())
    );
    assert!(e.is_bad_file());

    let foreign = dir.join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);")
        .unwrap();
    let e = Store::open(&foreign).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: a SQLite database, but not a profkit history (it has the tables invoices)",
            foreign.display()
        )
    );

    let newer = dir.join("newer.db");
    drop(Store::open(&newer).unwrap());
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99;")
        .unwrap();
    let e = Store::open(&newer).unwrap_err();
    assert!(
        matches!(e.kind(), HistoryErrorKind::NewerSchema { found: 99, supported } if *supported == SCHEMA_VERSION)
    );
    assert!(e.to_string().contains("schema version 99"), "{e}");

    // A history whose pages were overwritten in the middle.
    let damaged = dir.join("damaged.db");
    let mut store = Store::open(&damaged).unwrap();
    for i in 0..20 {
        store
            .record(&run(1000, 100, 5), &RunMeta::new(format!("c{i}")))
            .unwrap();
    }
    drop(store);
    // Fold the WAL into the file, then overwrite every page after the first with garbage.
    rusqlite::Connection::open(&damaged)
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
        .unwrap();
    let mut bytes = std::fs::read(&damaged).unwrap();
    assert!(bytes.len() > 8192, "{}", bytes.len());
    for (i, b) in bytes.iter_mut().enumerate().skip(4096) {
        *b = (i * 31 % 251) as u8;
    }
    std::fs::write(&damaged, &bytes).unwrap();
    let e = Store::open(&damaged)
        .and_then(|s| s.runs(&RunFilter::new()).map(|_| s))
        .unwrap_err();
    assert!(e.is_bad_file(), "{e:?}");
    assert!(
        e.to_string()
            .starts_with(&format!("{}: ", damaged.display())),
        "{e}"
    );

    let e = Store::open(&dir).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("is a directory, not a database file"),
        "{e}"
    );
    let e = Store::open_existing(dir.join("missing.db")).unwrap_err();
    assert!(e.to_string().ends_with("missing.db: no such file"), "{e}");
    assert!(!dir.join("missing.db").exists());
}

#[test]
fn a_large_profile_is_stored_compactly_and_read_back() {
    let json = common::synthetic::profile_json(2_000, 1, |_| 1.0);
    let report = Report::from_json_bytes(json.as_bytes()).unwrap();
    assert_eq!(report.len(), 2_000);
    let dir = scratch("large");
    let db = dir.join("runs.db");
    let mut store = Store::open(&db).unwrap();
    let info = store.record(&report, &RunMeta::new("big")).unwrap();
    assert_eq!(store.profile(info.id()).unwrap(), report);
    drop(store);
    let size = std::fs::metadata(&db).unwrap().len()
        + std::fs::metadata(dir.join("runs.db-wal")).map_or(0, |m| m.len());
    // 2,000 functions of samples and a deflated profile: well under the JSON's own size.
    assert!(
        size < json.len() as u64,
        "{size} bytes for {} of JSON",
        json.len()
    );
}

/// PostgreSQL's schema version 1, as a profkit of then created it: the migration to the
/// current one keeps its runs and adds the memory columns, as SQLite's does.
#[test]
fn postgres_an_older_schema_is_migrated_and_keeps_its_runs() {
    let Some(url) = common::pg::server() else {
        return;
    };
    let schema = common::pg::Schema::fresh(&url, "migrate");
    let mut store = PgStore::connect_to_schema(&url, &schema.name).unwrap();
    store
        .record(&run(1000, 100, 5), &RunMeta::new("old1"))
        .unwrap();
    drop(store);
    let mut admin = common::pg::admin(&url);
    admin
        .batch_execute(&format!(
            "SET search_path TO {};
             ALTER TABLE runs DROP COLUMN peak_heap_bytes, DROP COLUMN max_rss_bytes,
                 DROP COLUMN sampling;
             ALTER TABLE samples DROP COLUMN bytes, DROP COLUMN allocs, DROP COLUMN cum_bytes,
                 DROP COLUMN peak_bytes, DROP COLUMN cum_cpu_ns, DROP COLUMN wait_ns,
                 DROP COLUMN live_bytes, DROP COLUMN exponent_milli, DROP COLUMN growth_class;
             UPDATE history_version SET version = 1;",
            schema.name
        ))
        .unwrap();
    let mut store = PgStore::connect_to_schema(&url, &schema.name).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    store
        .record(&run(1000, 100, 5), &RunMeta::new("new1"))
        .unwrap();
    let commits: Vec<String> = store
        .runs(&RunFilter::new())
        .unwrap()
        .iter()
        .map(|r| r.commit().to_owned())
        .collect();
    assert_eq!(commits, ["new1", "old1"]);
    let mut count = |sql: &str| -> i64 {
        admin
            .query_one(&format!("SELECT count(*) FROM {}.{sql}", schema.name), &[])
            .unwrap()
            .get(0)
    };
    assert_eq!(
        count("runs WHERE peak_heap_bytes IS NULL AND max_rss_bytes IS NULL"),
        1
    );
    assert_eq!(
        count("runs WHERE peak_heap_bytes IS NULL AND max_rss_bytes > 0"),
        1
    );
    // Every metric has its column on the server.
    for m in Metric::all() {
        let table = if m.is_per_function() {
            "samples"
        } else {
            "runs"
        };
        admin
            .query(
                &format!("SELECT {} FROM {}.{table}", m.column_name(), schema.name),
                &[],
            )
            .unwrap_or_else(|e| panic!("{}: no column {table}.{}: {e}", m.name(), m.column_name()));
    }
}

/// Schemas that are not a profkit history: another program's, a newer profkit's. The same
/// one-line errors as SQLite's, with the server in front instead of the path.
#[test]
fn postgres_schemas_that_are_not_a_history_are_refused() {
    let Some(url) = common::pg::server() else {
        return;
    };
    let server = PgStore::server_of(&url).unwrap();
    let foreign = common::pg::Schema::fresh(&url, "foreign");
    let mut admin = common::pg::admin(&url);
    admin
        .batch_execute(&format!(
            "CREATE SCHEMA {0}; CREATE TABLE {0}.invoices (id int, total real);",
            foreign.name
        ))
        .unwrap();
    let e = PgStore::connect_to_schema(&url, &foreign.name).unwrap_err();
    assert!(e.is_bad_file());
    assert_eq!(
        e.to_string(),
        format!(
            "{server}: the schema \"{}\" holds another program's tables (invoices), not a \
             profkit history (choose another with --schema)",
            foreign.name
        )
    );
    let newer = common::pg::Schema::fresh(&url, "newer");
    drop(PgStore::connect_to_schema(&url, &newer.name).unwrap());
    admin
        .batch_execute(&format!(
            "UPDATE {}.history_version SET version = 99",
            newer.name
        ))
        .unwrap();
    let e = PgStore::connect_to_schema(&url, &newer.name).unwrap_err();
    assert!(
        matches!(e.kind(), HistoryErrorKind::NewerSchema { found: 99, supported } if *supported == SCHEMA_VERSION)
    );
    assert_eq!(
        e.to_string(),
        format!(
            "{server}: written by a newer profkit: schema version 99, this profkit reads up to \
             {SCHEMA_VERSION} (upgrade profkit)"
        )
    );
    // Nothing was created in the refused schemas.
    let tables: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = $1",
            &[&foreign.name],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 1);
}

/// Eight runners opening a new history at once: the advisory lock makes one of them create
/// the schema and the others wait for it and use it.
#[test]
fn postgres_runners_creating_one_schema_at_once_create_it_once() {
    let Some(url) = common::pg::server() else {
        return;
    };
    let schema = common::pg::Schema::fresh(&url, "race");
    let barrier = std::sync::Barrier::new(8);
    let ids: Vec<i64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (url, name, barrier) = (&url, &schema.name, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let mut store = PgStore::connect_to_schema(url, name).unwrap();
                    store
                        .record(&run(1000, 100, 5), &RunMeta::new(format!("r{i}")))
                        .unwrap()
                        .id()
                        .0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 8, "{ids:?}");
    let store = PgStore::connect_existing(&url, &schema.name).unwrap();
    assert_eq!(store.runs(&RunFilter::new()).unwrap().len(), 8);
    assert_eq!(store.functions().unwrap().len(), 4);
}

/// A history copied from SQLite to PostgreSQL and back is the same history: runs, labels,
/// times, versions, samples and profiles; a second copy copies nothing.
#[test]
fn postgres_a_history_copied_there_and_back_is_whole() {
    let Some(url) = common::pg::server() else {
        return;
    };
    let dir = scratch("copy");
    let mut lite = Store::open(dir.join("runs.db")).unwrap();
    for (i, &t) in STEADY.iter().enumerate() {
        let meta = RunMeta::new(format!("c{i}"))
            .machine(if i % 2 == 0 { "ci" } else { "laptop" })
            .label("i", i.to_string());
        lite.record(&run(t, 100, 5), &meta).unwrap();
    }
    let schema = common::pg::Schema::fresh(&url, "copy");
    let mut pg = PgStore::connect_to_schema(&url, &schema.name).unwrap();
    let done = copy(&lite, &mut pg).unwrap();
    assert_eq!((done.copied, done.skipped), (8, 0));
    assert_eq!(
        copy(&lite, &mut pg).unwrap(),
        Copied {
            copied: 0,
            skipped: 8
        }
    );
    let mut back = Store::open(dir.join("back.db")).unwrap();
    assert_eq!(copy(&pg, &mut back).unwrap().copied, 8);
    let strip = |runs: Vec<profkit::history::RunInfo>| -> Vec<String> {
        runs.iter()
            .map(|r| {
                format!(
                    "{} {} {} {:?} {:?} {} {} {:?}",
                    r.commit(),
                    r.branch(),
                    r.machine(),
                    r.recorded_at(),
                    r.labels(),
                    r.profkit_version(),
                    r.function_count(),
                    r.value(Metric::named("wall").unwrap())
                )
            })
            .collect()
    };
    let all = RunFilter::new();
    let original = lite.runs(&all).unwrap();
    assert_eq!(strip(pg.runs(&all).unwrap()), strip(original.clone()));
    assert_eq!(strip(back.runs(&all).unwrap()), strip(original.clone()));
    let cumtime = Metric::named("cumtime").unwrap();
    for (a, b) in original.iter().zip(pg.runs(&all).unwrap()) {
        assert_eq!(pg.profile(b.id()).unwrap(), lite.profile(a.id()).unwrap());
        let sa = RunStore::samples(&lite, &[a.id()], None).unwrap();
        let sb = RunStore::samples(&pg, &[b.id()], None).unwrap();
        for key in sa[0].functions() {
            assert_eq!(sa[0].value(key, cumtime), sb[0].value(key, cumtime));
            assert_eq!(sa[0].of(key), sb[0].of(key));
        }
    }
}

/// `sslmode=require` connects with TLS (the test server has a self-signed certificate:
/// encrypted, not verified, as libpq's `require`); `disable` without.
#[test]
fn postgres_tls_when_the_url_asks_for_it() {
    let Some(url) = common::pg::server() else {
        return;
    };
    let mut admin = common::pg::admin(&url);
    let has_ssl: String = admin.query_one("SHOW ssl", &[]).unwrap().get(0);
    if has_ssl != "on" {
        eprintln!("NOTE: the test server has no TLS (.ci/postgres gives it a certificate)");
        return;
    }
    let schema = common::pg::Schema::fresh(&url, "tls");
    let sep = if url.contains('?') { '&' } else { '?' };
    for (mode, expected) in [("require", true), ("disable", false)] {
        let app = format!("tls_{mode}_{}", std::process::id());
        let store = PgStore::connect_to_schema(
            &format!("{url}{sep}sslmode={mode}&application_name={app}"),
            &schema.name,
        )
        .unwrap();
        let ssl: bool = admin
            .query_one(
                "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                 WHERE a.application_name = $1",
                &[&app],
            )
            .unwrap()
            .get(0);
        assert_eq!(ssl, expected, "sslmode={mode}");
        assert!(store.runs(&RunFilter::new()).unwrap().is_empty());
    }
}

/// A server that is not there, a wrong password, a user without the right to create the
/// schema, a malformed string: one line each, with the server (never the password).
#[test]
fn postgres_connections_that_fail_say_why_in_one_line() {
    let Some(url) = common::pg::server() else {
        return;
    };
    let server = PgStore::server_of(&url).unwrap();
    let password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(user, _)| user.split_once(':'))
        .map(|(_, p)| p.to_owned())
        .expect("PROFKIT_TEST_PG has a password");
    let wrong = url.replacen(&format!(":{password}@"), ":not-the-password@", 1);
    let e = PgStore::connect(&wrong).unwrap_err().to_string();
    assert_eq!(
        e,
        format!("{server}: password authentication failed for user \"postgres\" (wrong password?)")
    );

    let role = format!("norights_{}", std::process::id());
    let mut admin = common::pg::admin(&url);
    admin
        .batch_execute(&format!(
            "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN PASSWORD 'pw{role}';"
        ))
        .unwrap();
    let host_part = url.split_once('@').unwrap().1;
    let limited = format!("postgres://{role}:pw{role}@{host_part}");
    let e = PgStore::connect_to_schema(&limited, "profkit_norights")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with(&format!("postgres://{role}@")), "{e}");
    assert!(
        e.contains(
            ": cannot create the history's schema \"profkit_norights\": permission denied for \
             database"
        ),
        "{e}"
    );
    admin.batch_execute(&format!("DROP ROLE {role}")).unwrap();

    // A port nobody listens on: refused at once, with the host and port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let e = PgStore::connect(&format!("postgres://ci:secret@127.0.0.1:{port}/perf"))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!(
            "postgres://ci@127.0.0.1:{port}/perf: cannot connect: "
        )),
        "{e}"
    );
    assert!(!e.contains("secret") && !e.contains('\n'), "{e}");
    // A server that takes the connection and never answers: given up after connect_timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let start = std::time::Instant::now();
    let e = PgStore::connect(&format!(
        "postgres://ci@127.0.0.1:{port}/perf?connect_timeout=1"
    ))
    .unwrap_err()
    .to_string();
    let took = start.elapsed();
    assert_eq!(
        e,
        format!(
            "postgres://ci@127.0.0.1:{port}/perf: cannot connect: no answer within 1 s \
             (connect_timeout)"
        )
    );
    assert!(took >= std::time::Duration::from_secs(1), "{took:?}");
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    drop(silent);
}

#[profkit::profile(size = n)]
fn scales(n: u64, power: f64, scale: f64) {
    advance(Duration::from_nanos(
        (scale * (n as f64).powf(power)).round() as u64,
    ));
}

/// One run of `scales` over sizes 100 to 100,000, its time `scale * n^power`, on the test clock.
fn scaling_run(power: f64, scale: f64) -> Report {
    let _clock = TestClock::install().unwrap();
    profkit::record(|| {
        for i in 0..12 {
            let n = (100.0 * 10f64.powf(3.0 * f64::from(i) / 11.0)).round() as u64;
            scales(n, power, scale);
            scales(n, power, scale);
        }
    })
    .1
}

crate::on_both_backends! {
/// `--metric exponent` (and `growth`) flag a worse growth class, not a moved exponent: a
/// near-constant function whose exponent goes from 0.02 to 0.05 keeps its class.
fn the_growth_class_is_judged_not_the_exponent(backend: &Backend) {
    let mut store = backend.fresh_reopenable("growth");
    for i in 0..6 {
        store
            .record(&scaling_run(0.02, 5_000.0), &RunMeta::new(format!("c{i}")))
            .unwrap();
    }
    let mut store = store.reopen();
    let exponent = Metric::named("exponent").unwrap();
    let growth = Metric::named("growth").unwrap();
    let judged = |store: &dyn RunStore, report: &Report, metric: &'static Metric| {
        let verdict =
            profkit::history::check(store, report, &CheckOptions::new().metrics([metric]))
                .unwrap();
        let f = verdict
            .findings()
            .iter()
            .find(|f| f.subject().ends_with("::scales"))
            .unwrap_or_else(|| panic!("not judged:\n{verdict}"))
            .clone();
        (f, verdict.to_text())
    };
    let base = scaling_run(0.02, 5_000.0);
    let class = base.function("scales").unwrap().complexity().unwrap().class();
    assert!(class <= profkit::ComplexityClass::Logarithmic, "{class:?}");

    // 0.02 -> 0.05: two and a half times the exponent, the same class.
    let near = scaling_run(0.05, 5_000.0);
    let (f, text) = judged(&*store, &near, exponent);
    assert_eq!(f.value(), 50, "{text}");
    assert_eq!(f.baseline().unwrap().median, 20.0, "{text}");
    assert_eq!((f.change(), f.classes()), (Change::Unchanged, Some((class, class))), "{text}");
    // The relative rule alone would have flagged it.
    assert_eq!(
        profkit::history::judge(&[Some(20.0); 6], 50.0, &Rules::default()).assessment.change,
        Change::Regression
    );

    // Linear now: a worse class, shown as such; the growth metric says the same.
    let linear = scaling_run(1.0, 50.0);
    for metric in [exponent, growth] {
        let (f, text) = judged(&*store, &linear, metric);
        assert_eq!(f.change(), Change::Regression, "{text}");
        assert_eq!(f.classes(), Some((class, profkit::ComplexityClass::Linear)));
        assert!(!f.blocked(), "one run: not yet blocking\n{text}");
        assert!(text.contains(&format!("{}->O(n)", class.notation())), "{text}");
    }
    // Recorded, and again: two in a row block.
    store.record(&linear, &RunMeta::new("linear")).unwrap();
    let (f, text) = judged(&*store, &linear, exponent);
    assert!(f.blocked() && f.streak() == 2, "{text}");
    // A class below the baseline's is an improvement; the same class is unchanged.
    let (f, text) = judged(&*store, &scaling_run(0.0, 5_000.0), growth);
    let want = if class == profkit::ComplexityClass::Constant {
        Change::Unchanged
    } else {
        Change::Improvement
    };
    assert_eq!(f.change(), want, "{text}");
    // The stored class reads back as the rank of the class.
    let runs = store.runs(&RunFilter::new()).unwrap();
    let samples = RunStore::samples(&*store, &[runs[0].id()], None).unwrap();
    let key = samples[0].functions().find(|k| k.name().ends_with("::scales")).unwrap().clone();
    assert_eq!(samples[0].value(&key, growth), Some(2), "the newest run is O(n)");
}
}

crate::on_both_backends! {
/// `history trend --metric exponent` judges as `history check` does: the growth class, not a
/// moved exponent. Six near-constant runs at 0.02, three at 0.05 (2.5 times the exponent, the
/// relative rule's step), then three linear ones: one step, where the class rose.
fn a_trend_of_the_exponent_steps_where_the_class_rose(backend: &Backend) {
    let mut store = backend.fresh("trend-growth");
    let runs = [(0.02, 5_000.0); 6]
        .into_iter()
        .chain([(0.05, 5_000.0); 3])
        .chain([(1.0, 50.0); 3]);
    for (i, (power, scale)) in runs.enumerate() {
        store
            .record(&scaling_run(power, scale), &RunMeta::new(format!("c{i}")))
            .unwrap();
    }
    let exponent = Metric::named("exponent").unwrap();
    let growth = Metric::named("growth").unwrap();
    for metric in [exponent, growth] {
        let t = store.trend(&TrendOptions::new(metric).function("scales")).unwrap();
        let text = t.to_text();
        assert_eq!(t.points().len(), 12, "{text}");
        let steps: Vec<usize> = (0..12).filter(|&i| t.points()[i].is_step()).collect();
        assert_eq!(steps, vec![9], "{metric}: one step, at the first linear run\n{text}");
        assert_eq!(t.first_bad().unwrap().run().commit(), "c9", "{text}");
        for i in 6..9 {
            assert_eq!(t.points()[i].change(), Some(Change::Unchanged), "{metric} run {i}\n{text}");
        }
        assert_eq!(t.points()[9].change(), Some(Change::Regression), "{text}");
    }
    // By the relative rule, the exponents alone would step at the first 0.05 run.
    let exponents: Vec<Option<f64>> = [20.0; 6].into_iter().chain([50.0; 3]).map(Some).collect();
    assert_eq!(profkit::history::step_starts(&exponents, &Rules::default()), vec![6]);
    // The median shown for the exponent is the exponents' (in thousandths), not the classes'.
    let t = store.trend(&TrendOptions::new(exponent).function("scales")).unwrap();
    let median = t.points()[9].assessment().unwrap().baseline.unwrap().median;
    assert!((20.0..=50.0).contains(&median), "{median}");
}
}
