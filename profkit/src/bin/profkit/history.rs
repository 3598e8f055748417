//! `profkit history`: record runs in a history (a SQLite file or a PostgreSQL server), check a
//! profile against the rolling median of the last runs, show a metric's trend, list runs, find
//! the first bad commit, export a stored profile, copy a history between backends. A thin shell
//! over `profkit::history`.

use std::path::{Path, PathBuf};

use profkit::Report;
use profkit::history::{
    CheckOptions, DEFAULT_BRANCH, DEFAULT_MACHINE, DEFAULT_SCHEMA, HistoryError, HistoryErrorKind,
    PgStore, Rules, RunFilter, RunId, RunMeta, RunStore, Store, TrendOptions,
    check as check_history, copy, is_postgres, parse_metrics, runs_json, runs_markdown, runs_text,
    trend,
};

use crate::diff::parse_threshold;
use crate::output::{EXIT_FAILED, EXIT_OK, Failure, Outcome, emit};
use crate::view::files_label;

/// Track performance over time: record runs, check a profile against them, show trends.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  profkit history record --db runs.db --commit $(git rev-parse HEAD) --machine ci profile.json
  profkit history check --db runs.db --machine ci profile.json --format markdown
  profkit history show --db runs.db --machine ci --function parse --metric p99 --svg trend.svg
  profkit history list --db runs.db --last 10
  profkit history first-bad --db runs.db --machine ci --function parse --metric cumtime
  profkit history export --db runs.db 4f2a9c1 -o then.json
  profkit history record --db postgres://ci@db.internal/perf --commit $SHA profile.json
  profkit history copy --from runs.db --to postgres://ci@db.internal/perf

--db is a SQLite file, or a PostgreSQL server shared by many runners: a URL
(postgres://USER@HOST:PORT/DB?sslmode=require&connect_timeout=10) or key=value string, with
the password from the URL, PGPASSWORD or ~/.pgpass; default: $PROFKIT_HISTORY_DB. Runs are
compared only with runs of the same --branch (default: $PROFKIT_BRANCH, else main)
and --machine (default: $PROFKIT_MACHINE, else default).")]
pub(crate) struct HistoryArgs {
    #[command(subcommand)]
    command: HistoryCommand,
}

#[derive(Debug, clap::Subcommand)]
enum HistoryCommand {
    Record(RecordArgs),
    Check(CheckArgs),
    Show(ShowArgs),
    List(ListArgs),
    FirstBad(FirstBadArgs),
    Export(ExportArgs),
    Copy(CopyArgs),
}

/// Text, Markdown or JSON.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Tables for people.
    #[default]
    Text,
    /// A Markdown table, for a pull-request comment or $GITHUB_STEP_SUMMARY.
    Markdown,
    /// One JSON document for programs (times in seconds).
    Json,
}

/// The series a run belongs to.
#[derive(Debug, clap::Args)]
struct SeriesArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The branch [default: $PROFKIT_BRANCH, else main].
    #[arg(long, value_name = "BRANCH")]
    branch: Option<String>,
    /// The machine label [default: $PROFKIT_MACHINE, else default].
    #[arg(long, value_name = "MACHINE")]
    machine: Option<String>,
}

/// Where the history is.
#[derive(Debug, clap::Args)]
struct DbArgs {
    /// The history: a SQLite file, or a PostgreSQL server (postgres://USER@HOST:PORT/DB or
    /// key=value) [default: $PROFKIT_HISTORY_DB].
    #[arg(long, value_name = "DB")]
    db: Option<String>,
    /// The PostgreSQL schema of the history [default: $PROFKIT_HISTORY_SCHEMA, else profkit].
    #[arg(long, value_name = "SCHEMA")]
    schema: Option<String>,
}

impl DbArgs {
    fn target(&self) -> Result<String, Failure> {
        self.db
            .clone()
            .or_else(|| std::env::var("PROFKIT_HISTORY_DB").ok())
            .filter(|d| !d.trim().is_empty())
            .ok_or_else(|| {
                Failure::input(
                    "no history named: give --db (a SQLite file or a postgres:// URL) or set \
                     PROFKIT_HISTORY_DB",
                )
            })
    }

    fn schema(&self) -> String {
        pick(&self.schema, "PROFKIT_HISTORY_SCHEMA", DEFAULT_SCHEMA)
    }

    /// Opens the history, creating it when there is none.
    fn open(&self) -> Result<Db, Failure> {
        Db::open(&self.target()?, &self.schema(), true)
    }

    /// Opens a history that must be there already.
    fn open_existing(&self) -> Result<Db, Failure> {
        Db::open(&self.target()?, &self.schema(), false)
    }
}

/// An open history.
enum Db {
    Sqlite(Store, PathBuf),
    Postgres(PgStore),
}

impl Db {
    fn open(target: &str, schema: &str, create: bool) -> Result<Db, Failure> {
        if is_postgres(target) {
            return Ok(Db::Postgres(if create {
                PgStore::connect_to_schema(target, schema)?
            } else {
                PgStore::connect_existing(target, schema)?
            }));
        }
        let path = PathBuf::from(target);
        let store = if create {
            Store::open(&path)?
        } else {
            Store::open_existing(&path)?
        };
        Ok(Db::Sqlite(store, path))
    }

    fn store(&self) -> &dyn RunStore {
        match self {
            Db::Sqlite(s, _) => s,
            Db::Postgres(s) => s,
        }
    }

    fn store_mut(&mut self) -> &mut dyn RunStore {
        match self {
            Db::Sqlite(s, _) => s,
            Db::Postgres(s) => s,
        }
    }

    /// The file, or the server and schema (never a password).
    fn label(&self) -> String {
        match self {
            Db::Sqlite(_, path) => path.display().to_string(),
            Db::Postgres(s) => format!("{}, schema {}", s.server(), s.schema()),
        }
    }
}

impl SeriesArgs {
    fn branch(&self) -> String {
        pick(&self.branch, "PROFKIT_BRANCH", DEFAULT_BRANCH)
    }

    fn machine(&self) -> String {
        pick(&self.machine, "PROFKIT_MACHINE", DEFAULT_MACHINE)
    }
}

/// The argument, else the environment variable when set and not empty, else the default.
fn pick(arg: &Option<String>, var: &str, default: &str) -> String {
    arg.clone()
        .or_else(|| std::env::var(var).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| default.to_owned())
}

/// The detection rules.
#[derive(Debug, clap::Args)]
struct RulesArgs {
    /// How many of the latest runs form the baseline.
    #[arg(long, value_name = "RUNS", default_value_t = 20)]
    window: usize,
    /// The change from the median a value must exceed: `10%` (or `10`).
    #[arg(long, value_name = "PERCENT", default_value = "10%", value_parser = parse_threshold)]
    threshold: f64,
    /// Fewer runs with a value than this: insufficient data, never a failure.
    #[arg(long, value_name = "RUNS", default_value_t = 5)]
    min_samples: usize,
    /// A regression blocks only when it also showed in the runs before: this many in a row.
    #[arg(long, value_name = "RUNS", default_value_t = 2)]
    consecutive: usize,
}

impl RulesArgs {
    fn rules(&self) -> Rules {
        Rules {
            window: self.window,
            threshold: self.threshold,
            min_samples: self.min_samples,
            consecutive: self.consecutive,
        }
    }
}

/// Record a run: one or more profile files of one run (merged first) with its commit.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  profkit history record --db runs.db --commit $(git rev-parse HEAD) profile.json
  profkit history record --db runs.db --commit $SHA --branch main --machine ci \\
      --label rustc=1.95 --label runner=ubuntu-24.04 shard1.json shard2.json

Several files are added together first (pstats' Stats.add), as one run. The whole profile
is kept (deflated JSON), so any run can be exported, viewed or diffed later. record does not
check; check does not record. Exit status: 0 recorded, 2 bad input.")]
struct RecordArgs {
    #[command(flatten)]
    series: SeriesArgs,
    /// The commit the profile measured.
    #[arg(long, value_name = "SHA")]
    commit: String,
    /// A free-form label, `key=value`; repeat for more.
    #[arg(long = "label", value_name = "KEY=VALUE", value_parser = parse_label)]
    labels: Vec<(String, String)>,
    /// Profile files (.json, .prof); several are added together first.
    #[arg(required = true, value_name = "PROFILE")]
    files: Vec<PathBuf>,
}

fn parse_label(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(format!("{s:?}: expected key=value")),
    }
}

/// Check a profile against the history: exit 1 when a regression blocks.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  profkit history check --db runs.db profile.json
  profkit history check --db runs.db --branch main --machine ci profile.json \\
      --metric p50,p99,cumtime --format markdown >> $GITHUB_STEP_SUMMARY
  profkit history check --db runs.db profile.json --window 30 --threshold 5% --consecutive 1

Per function and metric, the baseline is the median of the last --window runs of --branch on
--machine. A change is a regression when it exceeds --threshold AND the value lies above
Q3 + 1.5 x IQR of those runs (an outlier), an improvement in the mirror case. Fewer than
--min-samples runs with a value is insufficient data, never a failure. A regression blocks
only when the same function and metric also regressed in the --consecutive - 1 runs recorded
before. Rows are sorted by impact on the whole program (the function's share of the total
time x its change); each regression shows where the time went against the run nearest the
median. --commit leaves that commit's runs out of the baseline (record-then-check). A missing
database is an empty history. Exit status: 0 nothing blocks, 1 a regression blocks, 2 bad
input.")]
struct CheckArgs {
    #[command(flatten)]
    series: SeriesArgs,
    #[command(flatten)]
    rules: RulesArgs,
    /// The metrics to judge, comma-separated: ncalls, tottime, cumtime, p50, p90, p99, max,
    /// bytes, allocs, cum_bytes, peak, live_bytes (memory: profkit::Alloc), cpu, wait
    /// (PROFKIT_CPU=1), exponent, growth (growth with the input size: #[profile(size = ..)];
    /// both judged by the fitted class: a worse class is a regression), wall, peak_heap,
    /// max_rss, sampling (the sampled-timing rate: PROFKIT_SAMPLE)
    /// [default: cumtime,p50,p99, those the profile has].
    #[arg(long, value_name = "METRICS")]
    metric: Option<String>,
    /// Leave the runs of this commit out of the baseline.
    #[arg(long, value_name = "SHA")]
    commit: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Profile files of the run to check (.json, .prof); several are added together first.
    #[arg(required = true, value_name = "PROFILE")]
    files: Vec<PathBuf>,
}

/// One metric across runs: value, rolling median, change, marks; optionally an SVG chart.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  profkit history show --db runs.db                          wall time of each run
  profkit history show --db runs.db --function parse --metric p99 --last 50
  profkit history show --db runs.db --function app::db::fetch_row --svg trend.svg

Each run is judged against the --window runs before it, as check would have judged it:
REGRESSED or improved; `<- first bad` marks where a sustained step up began (a run that
regressed, followed by --consecutive - 1 more, after which the level stayed up).")]
struct ShowArgs {
    #[command(flatten)]
    trend: TrendArgs,
    /// Also draw the trend as an SVG chart into this file.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Debug, clap::Args)]
struct TrendArgs {
    #[command(flatten)]
    series: SeriesArgs,
    #[command(flatten)]
    rules: RulesArgs,
    /// The function: its qualified name or a unique suffix at a `::` (`parse`, `db::fetch_row`).
    #[arg(long, value_name = "NAME")]
    function: Option<String>,
    /// The metric [default: cumtime with --function, wall without].
    #[arg(long, value_name = "METRIC")]
    metric: Option<String>,
    /// How many of the latest runs to show.
    #[arg(long, value_name = "N", default_value_t = 30)]
    last: usize,
}

/// List the recorded runs, newest first.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  profkit history list --db runs.db
  profkit history list --db runs.db --branch main --machine ci --last 5 --format json")]
struct ListArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Only runs of this branch.
    #[arg(long, value_name = "BRANCH")]
    branch: Option<String>,
    /// Only runs of this machine.
    #[arg(long, value_name = "MACHINE")]
    machine: Option<String>,
    /// Only the latest N runs.
    #[arg(long, value_name = "N", default_value_t = 20)]
    last: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Name the first commit of the latest sustained step up of one metric.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  profkit history first-bad --db runs.db --function parse --metric cumtime
  profkit history first-bad --db runs.db --metric wall --last 200

A step begins at a run that regressed against the --window runs before it and was followed by
--consecutive - 1 more regressions, after which the level stayed more than --threshold above
the median before it; a noisy run that regressed just before the step is not its start.
Exit status: 0 (found or not: the output says), 2 bad input.")]
struct FirstBadArgs {
    #[command(flatten)]
    trend: TrendArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Write a recorded run's profile to a file (.json, .prof, .txt, .folded, .svg).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  profkit history export --db runs.db 42 -o run42.json          run number 42
  profkit history export --db runs.db 4f2a9c1 -o then.json       the latest run of a commit
  profkit diff then.json profile.json

RUN is a run number (as list shows) or a commit, or the start of one (at least 4 characters);
a commit recorded several times gives its latest run.")]
struct ExportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// A run number, or a commit (or its first characters).
    #[arg(value_name = "RUN")]
    run: String,
    /// The file to write; its extension chooses the format.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    out: PathBuf,
}

impl From<HistoryError> for Failure {
    fn from(e: HistoryError) -> Failure {
        // Its Display is already `PATH: reason`.
        Failure::input(e.to_string())
    }
}

pub(crate) fn run(args: &HistoryArgs) -> Outcome {
    match &args.command {
        HistoryCommand::Record(a) => record(a),
        HistoryCommand::Check(a) => check(a),
        HistoryCommand::Show(a) => show(a),
        HistoryCommand::List(a) => list(a),
        HistoryCommand::FirstBad(a) => first_bad(a),
        HistoryCommand::Export(a) => export(a),
        HistoryCommand::Copy(a) => copy_history(a),
    }
}

fn record(args: &RecordArgs) -> Outcome {
    let report = Report::read_all(&args.files)?;
    let mut meta = RunMeta::new(&args.commit)
        .branch(args.series.branch())
        .machine(args.series.machine());
    for (k, v) in &args.labels {
        meta = meta.label(k, v);
    }
    let mut db = args.series.db.open()?;
    let run = db.store_mut().record(&report, &meta)?;
    emit(&format!(
        "recorded run {} of {}: commit {}, branch {}, machine {}, {} functions ({})\n",
        run.id(),
        files_label(&args.files),
        run.short_commit(),
        run.branch(),
        run.machine(),
        run.function_count(),
        db.label()
    ))?;
    Ok(EXIT_OK)
}

fn check(args: &CheckArgs) -> Outcome {
    let mut options = CheckOptions::new()
        .rules(args.rules.rules())
        .branch(args.series.branch())
        .machine(args.series.machine());
    if let Some(list) = &args.metric {
        options = options.metrics(parse_metrics(list).map_err(|e| metric_error(&e))?);
    }
    if let Some(c) = &args.commit {
        options = options.exclude_commit(c);
    }
    let report = Report::read_all(&args.files)?;
    let target = args.series.db.target()?;
    let schema = args.series.db.schema();
    // The first check of a project comes before its first record: an empty history.
    let missing = if is_postgres(&target) {
        (!PgStore::has_history(&target, &schema)?).then(|| {
            format!(
                "{} has no history in schema {schema} yet: there is no history to compare with",
                PgStore::server_of(&target).unwrap_or_default()
            )
        })
    } else {
        (!Path::new(&target).exists())
            .then(|| format!("{target} does not exist yet: there is no history to compare with"))
    };
    let (db, note) = match missing {
        None => (Db::open(&target, &schema, false)?, None),
        Some(note) => (Db::Sqlite(Store::in_memory()?, PathBuf::new()), Some(note)),
    };
    let verdict = check_history(db.store(), &report, &options)?;
    if let Some(m) = verdict.missing_metrics().first() {
        return Err(Failure::input(format!(
            "{}: has no {m} (a .prof file keeps no latency distributions); use the .json \
             profkit wrote, or leave {m} out of --metric",
            files_label(&args.files)
        )));
    }
    let mut text = match args.format {
        Format::Text => verdict.to_text(),
        Format::Markdown => verdict.to_markdown(),
        Format::Json => verdict.to_json(),
    };
    if let Some(note) = note
        && args.format != Format::Json
    {
        text = format!("{note}\n\n{text}");
    }
    emit(&text)?;
    Ok(if verdict.blocked() {
        EXIT_FAILED
    } else {
        EXIT_OK
    })
}

fn metric_error(e: &str) -> Failure {
    Failure::input(format!("--metric: {e}"))
}

fn trend_options(args: &TrendArgs) -> Result<TrendOptions, Failure> {
    let name = args.metric.as_deref().unwrap_or(match args.function {
        Some(_) => "cumtime",
        None => "wall",
    });
    let metric = match parse_metrics(name)
        .map_err(|e| metric_error(&e))?
        .as_slice()
    {
        [one] => *one,
        _ => return Err(metric_error("name one metric")),
    };
    if metric.is_per_function() && args.function.is_none() {
        return Err(Failure::input(format!(
            "--metric {metric} is per function: name one with --function (or use --metric wall)"
        )));
    }
    let mut options = TrendOptions::new(metric)
        .branch(args.series.branch())
        .machine(args.series.machine())
        .last(args.last)
        .rules(args.rules.rules());
    if let Some(f) = &args.function {
        options = options.function(f);
    }
    Ok(options)
}

fn show(args: &ShowArgs) -> Outcome {
    let options = trend_options(&args.trend)?;
    let db = args.trend.series.db.open_existing()?;
    let t = trend(db.store(), &options).map_err(|e| in_db(e, &db))?;
    if let Some(path) = &args.svg {
        let svg = t.to_svg()?;
        profkit::write_atomic(path, svg.as_bytes())?;
    }
    emit(&match args.format {
        Format::Text => t.to_text(),
        Format::Markdown => t.to_markdown(),
        Format::Json => t.to_json(),
    })?;
    Ok(EXIT_OK)
}

/// An error about a name or a request, said with the database it was made of.
fn in_db(e: HistoryError, db: &Db) -> Failure {
    if e.path().is_some() || e.server().is_some() {
        Failure::from(e)
    } else {
        Failure::input(format!("{}: {e}", db.label()))
    }
}

fn first_bad(args: &FirstBadArgs) -> Outcome {
    let options = trend_options(&args.trend)?;
    let db = args.trend.series.db.open_existing()?;
    let t = trend(db.store(), &options).map_err(|e| in_db(e, &db))?;
    let what = format!(
        "{} of {}",
        t.metric(),
        t.function()
            .map_or_else(|| "the process".to_owned(), ToString::to_string)
    );
    let text = match (args.format, t.first_bad()) {
        (Format::Json, _) => t.to_json(),
        (format, Some(p)) => {
            let unit = t.metric().unit();
            let a = p.assessment();
            let before = a
                .and_then(|a| a.baseline)
                .map_or("-".into(), |b| unit.show(b.median));
            let after = p.value().map_or("-".into(), |v| unit.show(v as f64));
            let commit = if format == Format::Markdown {
                format!("`{}`", p.run().commit())
            } else {
                p.run().commit().to_owned()
            };
            format!(
                "first bad commit: {commit} (run {}, {} UTC): {what} went from a median of \
                 {before} to {after}\n",
                p.run().id(),
                p.run().date()
            )
        }
        (_, None) => format!(
            "no sustained step up in {what} over the last {} runs\n",
            t.points().len()
        ),
    };
    emit(&text)?;
    Ok(EXIT_OK)
}

fn list(args: &ListArgs) -> Outcome {
    let db = args.db.open_existing()?;
    let store = db.store();
    let mut filter = RunFilter::new().limit(args.last);
    if let Some(b) = &args.branch {
        filter = filter.branch(b);
    }
    if let Some(m) = &args.machine {
        filter = filter.machine(m);
    }
    let runs = store.runs(&filter)?;
    emit(&match args.format {
        Format::Text => runs_text(&runs),
        Format::Markdown => runs_markdown(&runs),
        Format::Json => runs_json(&runs),
    })?;
    Ok(EXIT_OK)
}

fn export(args: &ExportArgs) -> Outcome {
    let db = args.db.open_existing()?;
    let store = db.store();
    let report = match args.run.trim().parse::<i64>() {
        Ok(n) => match store.profile(RunId(n)) {
            Ok(report) => report,
            Err(e) if matches!(e.kind(), HistoryErrorKind::UnknownRun(_)) => {
                store.profile(latest_of_commit(&db, &args.run)?)?
            }
            Err(e) => return Err(e.into()),
        },
        Err(_) => store.profile(latest_of_commit(&db, &args.run)?)?,
    };
    report.write(&args.out)?;
    Ok(EXIT_OK)
}

/// The latest run of the one commit that `text` is, or starts.
fn latest_of_commit(db: &Db, text: &str) -> Result<RunId, Failure> {
    let text = text.trim();
    let unknown = || {
        Failure::input(format!(
            "{}: no run {text:?}: give a run number (see `profkit history list`) or a commit \
             (at least 4 characters of it)",
            db.label()
        ))
    };
    if text.chars().count() < 4 {
        return Err(unknown());
    }
    let runs = db.store().runs(&RunFilter::new().commit(text))?;
    let commits: std::collections::BTreeSet<&str> = runs.iter().map(|r| r.commit()).collect();
    match commits.len() {
        0 => Err(unknown()),
        1 => Ok(runs[0].id()),
        n => Err(Failure::input(format!(
            "{}: {text:?} starts {n} commits: {}",
            db.label(),
            commits.into_iter().collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Copy every run of one history into another: SQLite to PostgreSQL, back, or alike.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  profkit history copy --from runs.db --to postgres://ci@db.internal:5432/perf
  profkit history copy --from postgres://ci@db.internal/perf --to backup.db

Each run is copied whole (its commit, branch, machine, time, labels, profkit version and
profile) in its own transaction, oldest first; a run the target has already (the same commit,
branch, machine and time) is skipped, so a copy run twice copies nothing the second time.
Exit status: 0 copied, 2 bad input.")]
struct CopyArgs {
    /// The history to read: a SQLite file or a PostgreSQL server.
    #[arg(long, value_name = "DB")]
    from: String,
    /// The history to write (created when there is none).
    #[arg(long, value_name = "DB")]
    to: String,
    /// The PostgreSQL schema of the history read [default: --schema].
    #[arg(long, value_name = "SCHEMA")]
    from_schema: Option<String>,
    /// The PostgreSQL schema of either history [default: $PROFKIT_HISTORY_SCHEMA, else
    /// profkit].
    #[arg(long, value_name = "SCHEMA")]
    schema: Option<String>,
}

fn copy_history(args: &CopyArgs) -> Outcome {
    let schema = pick(&args.schema, "PROFKIT_HISTORY_SCHEMA", DEFAULT_SCHEMA);
    let from_schema = args.from_schema.clone().unwrap_or_else(|| schema.clone());
    let from = Db::open(&args.from, &from_schema, false)?;
    let mut to = Db::open(&args.to, &schema, true)?;
    let done = copy(from.store(), to.store_mut())?;
    emit(&format!(
        "copied {} runs from {} to {}; {} were there already\n",
        done.copied,
        from.label(),
        to.label(),
        done.skipped
    ))?;
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use profkit::history::Metric;

    #[test]
    fn labels_are_key_value() {
        assert_eq!(
            parse_label("rustc=1.95"),
            Ok(("rustc".into(), "1.95".into()))
        );
        assert_eq!(parse_label("k="), Ok(("k".into(), String::new())));
        assert_eq!(parse_label("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_label("novalue").is_err());
        assert!(parse_label("=v").is_err());
    }

    #[test]
    fn the_help_names_every_metric() {
        let names: Vec<&str> = Metric::all().iter().map(|m| m.name()).collect();
        assert_eq!(
            names.join(", "),
            "ncalls, tottime, cumtime, p50, p90, p99, max, bytes, allocs, cum_bytes, peak, cpu, \
             wait, live_bytes, exponent, growth, wall, peak_heap, max_rss, sampling"
        );
    }
}
