//! **history**: performance over time. Every run's profile is recorded in a SQLite file
//! ([`Store`]) or on a PostgreSQL server that many CI runners share (`PgStore`, feature
//! `history-postgres`); a new profile is [`check`]ed against the rolling median of the last runs of its
//! branch and machine, function by function, and a [`trend`] shows one metric across runs with
//! the commit where a sustained step began. Floor 5: it reads [`Report`]s and files, and
//! nothing below imports it.
//!
//! - `metric`: the table of metrics ([`Metric::all`]) and how each is read from a profile.
//! - `rules`: the detection rules on plain numbers (median, Tukey's fences, blocking, steps).
//! - `store`: the [`RunStore`] interface detection reads through, and its values.
//! - `sqlite`: [`Store`], all of SQLite's SQL: schema, migrations, WAL, one transaction per
//!   run.
//! - `postgres` (feature `history-postgres`): `PgStore`, the same history on a PostgreSQL
//!   server shared by many CI runners: all of its SQL, the same schema steps.
//! - `check`, `trend`: detection over a [`RunStore`]; `render` and `svg`: text, Markdown,
//!   JSON and the SVG chart.
//!
//! ```
//! use profkit::history::{CheckOptions, RunMeta, Store};
//! use profkit::testing::{TestClock, advance};
//! use std::time::Duration;
//!
//! #[profkit::profile]
//! fn handle(micros: u64) { advance(Duration::from_micros(micros)); }
//!
//! let clock = TestClock::install().unwrap();
//! let mut store = Store::in_memory().unwrap(); // or Store::open("runs.db")
//! for (i, micros) in [100, 102, 99, 101, 100, 100].into_iter().enumerate() {
//!     let (_, report) = profkit::record(|| handle(micros));
//!     store.record(&report, &RunMeta::new(format!("commit-{i}")).machine("ci")).unwrap();
//! }
//! let (_, slower) = profkit::record(|| handle(180));
//! let options = CheckOptions::new().machine("ci");
//! let verdict = store.check(&slower, &options).unwrap();
//! assert_eq!(verdict.regressions().len(), 3); // cumtime, p50 and p99 of `handle`
//! println!("{}", verdict.to_markdown());
//! # drop(clock);
//! ```
//!
//! [`Report`]: crate::Report

mod check;
mod error;
mod metric;
#[cfg(feature = "history-postgres")]
mod postgres;
mod render;
mod rules;
mod sqlite;
mod store;
#[cfg(feature = "history-svg")]
mod svg;
mod trend;

pub use check::{Breakdown, CheckOptions, DEFAULT_METRICS, Finding, Part, Verdict, check};
pub use error::{HistoryError, HistoryErrorKind};
pub use metric::{Metric, Unit};
#[cfg(feature = "history-postgres")]
pub use postgres::{DEFAULT_SCHEMA, PgStore};
pub use render::{runs_json, runs_markdown, runs_text};
pub use rules::{
    Assessment, Baseline, Change, Rules, SeriesVerdict, assess, assess_class, assess_each, judge,
    judge_class, step_starts,
};
pub use sqlite::{SCHEMA_VERSION, Store};
pub use store::{
    Copied, DEFAULT_BRANCH, DEFAULT_MACHINE, FunctionKey, RunFilter, RunId, RunInfo, RunMeta,
    RunSamples, RunStore, Values, copy,
};
pub use trend::{Trend, TrendOptions, TrendPoint, find_function, trend};

/// Whether `db` names a PostgreSQL server (a `postgres://` or `postgresql://` URL, or a libpq
/// `key=value` string such as `host=db dbname=perf`) rather than a SQLite file.
///
/// ```
/// use profkit::history::is_postgres;
/// assert!(is_postgres("postgres://ci@db:5432/perf"));
/// assert!(is_postgres("host=db dbname=perf"));
/// assert!(!is_postgres("runs.db"));
/// ```
#[cfg(feature = "history-postgres")]
pub fn is_postgres(db: &str) -> bool {
    postgres::is_postgres(db)
}

/// Parses a comma-separated list of metric names (`p50,p99,cumtime`), in order, without
/// repeats.
///
/// # Errors
/// The first unknown name, with the names there are.
///
/// ```
/// let m = profkit::history::parse_metrics("p99,cumtime").unwrap();
/// assert_eq!(m.len(), 2);
/// assert!(profkit::history::parse_metrics("p42").is_err());
/// ```
pub fn parse_metrics(text: &str) -> Result<Vec<&'static Metric>, String> {
    metric::parse_list(text)
}
