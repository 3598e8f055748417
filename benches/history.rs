//! The history at the size: 1,000 recorded runs of 500 functions each.
//!
//! `cargo bench -p profkit-suite --bench history` builds that database in a temporary directory, prints its
//! size and the time of one record and one check, then divan's timings of `check` (`steady`:
//! a profile where nothing changed; `slowed`: 10 functions slowed down, which also reads the
//! baseline's profile for each breakdown) and of `record`. In test mode (`cargo test --benches`) the database
//! has 30 runs, so that CI stays fast.
//!
//! With `PROFKIT_TEST_PG` set to a PostgreSQL URL (`.ci/postgres start DIR` prints one), the
//! same history is built in a schema of that server too, and `check_pg` and `record_pg` time
//! it beside SQLite's; without it they measure nothing.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use common::synthetic::profile_json;
use profkit::Report;
use profkit::history::{CheckOptions, PgStore, RunMeta, Store};

const FUNCTIONS: usize = 500;
const RUNS: usize = 1_000;

struct Fixture {
    db: PathBuf,
    steady: Report,
    slowed: Report,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

/// The history on PostgreSQL: the server, its schema (dropped at the end), the profiles.
struct PgFixture {
    schema: common::pg::Schema,
    steady: Report,
    slowed: Report,
}

static PG: OnceLock<Option<PgFixture>> = OnceLock::new();

fn build_pg(runs: usize, print: bool) -> Option<PgFixture> {
    let url = std::env::var("PROFKIT_TEST_PG")
        .ok()
        .filter(|u| !u.is_empty())?;
    let schema = common::pg::Schema::fresh(&url, "bench");
    let mut store = PgStore::connect_to_schema(&url, &schema.name).expect("a new history");
    let start = Instant::now();
    for i in 0..runs {
        let r = report(i as u64 + 1, false);
        store
            .record(&r, &RunMeta::new(format!("{i:040x}")).machine("bench"))
            .expect("recorded");
    }
    let built = start.elapsed();
    drop(store);
    let fixture = PgFixture {
        schema,
        steady: report(runs as u64 + 1, false),
        slowed: report(runs as u64 + 2, true),
    };
    if print {
        let bytes: i64 = common::pg::admin(&url)
            .query_one(
                "SELECT sum(pg_total_relation_size(c.oid))::int8 FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relkind = 'r'",
                &[&fixture.schema.name],
            )
            .expect("the schema's size")
            .get(0);
        let options = CheckOptions::new().machine("bench");
        let start = Instant::now();
        let store = PgStore::connect_existing(&url, &fixture.schema.name).expect("the history");
        let verdict = store.check(&fixture.slowed, &options).expect("a verdict");
        let checked = start.elapsed();
        println!(
            "PostgreSQL: {runs} runs of {FUNCTIONS} functions: {:.1} MB ({:.1} kB per run, \
             tables with indexes and TOAST), recorded in {:.1} s ({:.1} ms per run); connect + \
             check of a profile with 10 slower functions: {:.1} ms, {} regressions",
            bytes as f64 / 1e6,
            bytes as f64 / 1e3 / runs as f64,
            built.as_secs_f64(),
            built.as_secs_f64() * 1e3 / runs as f64,
            checked.as_secs_f64() * 1e3,
            verdict.regressions().len(),
        );
    }
    Some(fixture)
}

fn pg_fixture() -> Option<&'static PgFixture> {
    PG.get_or_init(|| build_pg(30, false)).as_ref()
}

fn report(seed: u64, slowed: bool) -> Report {
    // Functions 100..110 take 40% longer in the slowed profile.
    let json = profile_json(FUNCTIONS, seed, |i| {
        if slowed && (100..110).contains(&i) {
            1.4
        } else {
            1.0
        }
    });
    Report::from_json_bytes(json.as_bytes()).expect("a generated profile")
}

fn build(runs: usize, print: bool) -> Fixture {
    let dir = std::env::temp_dir().join(format!("profkit-bench-history-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let db = dir.join("runs.db");
    let mut store = Store::open(&db).expect("a new history");
    let start = Instant::now();
    for i in 0..runs {
        let r = report(i as u64 + 1, false);
        store
            .record(&r, &RunMeta::new(format!("{i:040x}")).machine("bench"))
            .expect("recorded");
    }
    let built = start.elapsed();
    drop(store);
    let fixture = Fixture {
        db,
        steady: report(runs as u64 + 1, false),
        slowed: report(runs as u64 + 2, true),
    };
    if print {
        let size = |name: &str| std::fs::metadata(dir.join(name)).map_or(0, |m| m.len());
        let bytes = size("runs.db") + size("runs.db-wal");
        let options = CheckOptions::new().machine("bench");
        let start = Instant::now();
        let store = Store::open_existing(&fixture.db).expect("the history");
        let verdict = store.check(&fixture.slowed, &options).expect("a verdict");
        let checked = start.elapsed();
        println!(
            "{runs} runs of {FUNCTIONS} functions: {:.1} MB ({:.1} kB per run), recorded in \
             {:.1} s ({:.1} ms per run); open + check of a profile with 10 slower functions: \
             {:.1} ms, {} regressions",
            bytes as f64 / 1e6,
            bytes as f64 / 1e3 / runs as f64,
            built.as_secs_f64(),
            built.as_secs_f64() * 1e3 / runs as f64,
            checked.as_secs_f64() * 1e3,
            verdict.regressions().len(),
        );
    }
    fixture
}

fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| build(30, false))
}

/// `steady`: nothing changed; `slowed`: 10 functions 40% slower, each regression explained
/// against the baseline profile nearest the median (read and parsed).
#[divan::bench(sample_count = 20, args = ["steady", "slowed"])]
fn check(bencher: divan::Bencher, profile: &str) {
    let f = fixture();
    let report = if profile == "slowed" {
        &f.slowed
    } else {
        &f.steady
    };
    let store = Store::open_existing(&f.db).expect("the history");
    let options = CheckOptions::new().machine("bench");
    bencher.bench_local(|| black_box(store.check(report, &options)).map(|v| v.blocked()));
}

#[divan::bench(sample_count = 10)]
fn record(bencher: divan::Bencher) {
    let f = fixture();
    let mut store = Store::open_existing(&f.db).expect("the history");
    let mut n = 0u64;
    bencher.bench_local(|| {
        n += 1;
        store
            .record(
                &f.steady,
                &RunMeta::new(format!("bench{n}")).branch("scratch"),
            )
            .map(|r| r.id())
    });
}

/// `check` on PostgreSQL (a `REPEATABLE READ` snapshot, three queries).
#[divan::bench(sample_count = 20, args = ["steady", "slowed"])]
fn check_pg(bencher: divan::Bencher, profile: &str) {
    let Some(f) = pg_fixture() else {
        return;
    };
    let report = if profile == "slowed" {
        &f.slowed
    } else {
        &f.steady
    };
    let store = PgStore::connect_existing(&f.schema.url, &f.schema.name).expect("the history");
    let options = CheckOptions::new().machine("bench");
    bencher.bench_local(|| black_box(store.check(report, &options)).map(|v| v.blocked()));
}

/// `record` on PostgreSQL: one transaction, the samples in one statement over arrays.
#[divan::bench(sample_count = 10)]
fn record_pg(bencher: divan::Bencher) {
    let Some(f) = pg_fixture() else {
        return;
    };
    let mut store = PgStore::connect_existing(&f.schema.url, &f.schema.name).expect("the history");
    let mut n = 0u64;
    bencher.bench_local(|| {
        n += 1;
        store
            .record(
                &f.steady,
                &RunMeta::new(format!("bench{n}")).branch("scratch"),
            )
            .map(|r| r.id())
    });
}

fn main() {
    if std::env::args().any(|a| a == "--bench") {
        let _ = FIXTURE.set(build(RUNS, true));
        let _ = PG.set(build_pg(RUNS, true));
    }
    divan::main();
    if let Some(f) = FIXTURE.get()
        && let Some(dir) = f.db.parent()
    {
        let _ = std::fs::remove_dir_all(dir);
    }
    // A static is never dropped: its schema is dropped here.
    if let Some(Some(f)) = PG.get() {
        let _ = common::pg::admin(&f.schema.url).batch_execute(&format!(
            "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
            f.schema.name
        ));
    }
}
