//! What a history is, apart from where it is kept: the [`RunStore`] interface that detection
//! reads through, the values it passes ([`RunMeta`], [`RunInfo`], [`FunctionKey`],
//! [`RunSamples`]), and the one place a profile's numbers are taken out of a [`Report`].
//! SQLite implements it in `sqlite`; a shared server would be another implementation.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::model::Report;

use super::error::HistoryError;
use super::metric::{Metric, Source, ns};

/// A run's number in its history (SQLite's row id: increasing in the order runs were
/// recorded).
///
/// ```
/// let id = profkit::history::RunId(42);
/// assert_eq!(id.to_string(), "42");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(pub i64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad_integral(self.0 >= 0, "", &self.0.unsigned_abs().to_string())
    }
}

/// The branch a run is recorded on, or checked against, when none is given.
///
/// ```
/// assert_eq!(profkit::history::RunMeta::new("x").branch_name(), profkit::history::DEFAULT_BRANCH);
/// ```
pub const DEFAULT_BRANCH: &str = "main";
/// The machine label of a run when none is given.
///
/// ```
/// assert_eq!(profkit::history::RunMeta::new("x").machine_name(), profkit::history::DEFAULT_MACHINE);
/// ```
pub const DEFAULT_MACHINE: &str = "default";

/// What to record with a profile: the commit, the branch and machine that make its series,
/// the time, and free-form labels.
///
/// ```
/// use profkit::history::RunMeta;
///
/// let meta = RunMeta::new("4f2a9c1")
///     .branch("main")
///     .machine("ci-ubuntu-2core")
///     .label("rustc", "1.95");
/// assert_eq!(meta.commit(), "4f2a9c1");
/// assert_eq!(meta.labels()["rustc"], "1.95");
/// assert_eq!(RunMeta::new("x").branch_name(), "main");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunMeta {
    commit: String,
    branch: String,
    machine: String,
    recorded_at: Option<SystemTime>,
    labels: BTreeMap<String, String>,
    /// The profkit version to record instead of this one's (a run copied between histories
    /// keeps the version that recorded it).
    version: Option<String>,
}

impl RunMeta {
    /// A run of `commit` on branch [`DEFAULT_BRANCH`] and machine [`DEFAULT_MACHINE`],
    /// recorded now.
    pub fn new(commit: impl Into<String>) -> RunMeta {
        RunMeta {
            commit: commit.into(),
            branch: DEFAULT_BRANCH.to_owned(),
            machine: DEFAULT_MACHINE.to_owned(),
            recorded_at: None,
            labels: BTreeMap::new(),
            version: None,
        }
    }

    /// The branch: runs are compared only with runs of the same branch and machine.
    pub fn branch(mut self, branch: impl Into<String>) -> RunMeta {
        self.branch = branch.into();
        self
    }

    /// The machine label (`ci-ubuntu-2core`, `laptop`): timings of different machines are
    /// never compared.
    pub fn machine(mut self, machine: impl Into<String>) -> RunMeta {
        self.machine = machine.into();
        self
    }

    /// When the run happened (default: when it is recorded).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// assert_eq!(profkit::history::RunMeta::new("x").recorded_at(at).time(), Some(at));
    /// ```
    pub fn recorded_at(mut self, at: SystemTime) -> RunMeta {
        self.recorded_at = Some(at);
        self
    }

    /// A free-form label (`rustc=1.95`, `pr=123`); a key given twice keeps the last value.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> RunMeta {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// The commit.
    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// The branch.
    pub fn branch_name(&self) -> &str {
        &self.branch
    }

    /// The machine label.
    pub fn machine_name(&self) -> &str {
        &self.machine
    }

    /// The time given with [`RunMeta::recorded_at`], if any.
    pub fn time(&self) -> Option<SystemTime> {
        self.recorded_at
    }

    /// The labels, by key.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    /// The meta of a run recorded before, as it was: commit, series, time, labels and the
    /// profkit version that recorded it (what [`copy`] records in the other history).
    pub(crate) fn of_run(run: &RunInfo) -> RunMeta {
        RunMeta {
            commit: run.commit.clone(),
            branch: run.branch.clone(),
            machine: run.machine.clone(),
            recorded_at: Some(run.recorded_at()),
            labels: run.labels.clone(),
            version: Some(run.profkit_version.clone()),
        }
    }

    /// The profkit version to record: this one's, or a copied run's own.
    pub(crate) fn profkit_version(&self) -> &str {
        self.version.as_deref().unwrap_or(env!("CARGO_PKG_VERSION"))
    }

    /// Refuses what cannot be a run: an empty or multi-line commit, branch or machine, an
    /// empty label key.
    pub(crate) fn validate(&self) -> Result<(), HistoryError> {
        for (what, value) in [
            ("commit", &self.commit),
            ("branch", &self.branch),
            ("machine", &self.machine),
        ] {
            if value.trim().is_empty() {
                return Err(HistoryError::invalid(format!("the {what} is empty")));
            }
            if value.contains(['\n', '\r']) {
                return Err(HistoryError::invalid(format!(
                    "the {what} {value:?} spans several lines"
                )));
            }
        }
        if self.labels.keys().any(|k| k.trim().is_empty()) {
            return Err(HistoryError::invalid("a label has an empty key"));
        }
        Ok(())
    }
}

/// How a function is known across runs: its name and file, and, for the rare functions that
/// share both (two `profile_scope!("step")` in one file), their order in the file. The line is
/// not part of it, so a function keeps its history when code above it moves.
///
/// ```
/// use profkit::history::FunctionKey;
/// let key = FunctionKey::new("app::parse", "src/app.rs");
/// assert_eq!(key.to_string(), "app::parse");
/// assert_eq!(key.ordinal(), 0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FunctionKey {
    name: Arc<str>,
    file: Arc<str>,
    ordinal: u32,
}

impl FunctionKey {
    /// The first function named `name` in `file`.
    pub fn new(name: impl Into<Arc<str>>, file: impl Into<Arc<str>>) -> FunctionKey {
        FunctionKey::with_ordinal(name, file, 0)
    }

    pub(crate) fn with_ordinal(
        name: impl Into<Arc<str>>,
        file: impl Into<Arc<str>>,
        ordinal: u32,
    ) -> FunctionKey {
        FunctionKey {
            name: name.into(),
            file: file.into(),
            ordinal,
        }
    }

    /// The qualified name (`app::db::fetch_row`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The source file.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// 0, or for the n-th function of the same name in the same file (by line), n - 1.
    pub fn ordinal(&self) -> u32 {
        self.ordinal
    }

    pub(crate) fn name_arc(&self) -> &Arc<str> {
        &self.name
    }
}

/// The name, then ` (2nd in FILE)` for a function that shares its name and file.
impl fmt::Display for FunctionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if self.ordinal > 0 {
            write!(f, " (#{} in {})", self.ordinal + 1, self.file)?;
        }
        Ok(())
    }
}

/// The keys of `report`'s functions, in its order (by file, line, name).
pub(crate) fn keys_of(report: &Report) -> Vec<FunctionKey> {
    let mut seen: HashMap<(&str, &str), u32> = HashMap::new();
    report
        .functions()
        .map(|f| {
            let n = seen.entry((f.name(), f.file())).or_insert(0);
            let key = FunctionKey::with_ordinal(f.name.clone(), f.file.clone(), *n);
            *n += 1;
            key
        })
        .collect()
}

/// One value per metric of [`Metric::all`], in its order; `None` where the run lacks it.
///
/// ```
/// use profkit::history::{Metric, Values};
/// let mut values: Values = vec![None; Metric::all().len()];
/// values[0] = Some(3); // ncalls, the first metric
/// assert_eq!(Metric::all()[0].name(), "ncalls");
/// ```
pub type Values = Vec<Option<u64>>;

/// One function's numbers in a profile, as a store records them.
#[derive(Clone, Debug)]
pub(crate) struct FunctionRow {
    pub(crate) key: FunctionKey,
    pub(crate) line: u32,
    /// Per-function metrics only; process ones are `None`.
    pub(crate) values: Values,
}

/// Everything a store records of a profile besides the profile itself.
#[derive(Clone, Debug)]
pub(crate) struct Extract {
    pub(crate) functions: Vec<FunctionRow>,
    /// Process metrics only; per-function ones are `None`.
    pub(crate) process: Values,
    pub(crate) total_ns: u64,
}

/// The numbers of `report`, through the metric table: the only place a store reads a profile.
pub(crate) fn extract(report: &Report) -> Extract {
    let functions = report
        .functions()
        .zip(keys_of(report))
        .map(|(f, key)| FunctionRow {
            key,
            line: f.line(),
            values: Metric::all().iter().map(|m| m.of_function(f)).collect(),
        })
        .collect();
    let process = Metric::all()
        .iter()
        .map(|m| match m.source {
            Source::Process(read) => read(report),
            Source::Function(_) => None,
        })
        .collect();
    Extract {
        functions,
        process,
        total_ns: ns(report.total_time()),
    }
}

/// A recorded run, without its profile.
///
/// ```
/// # #[profkit::profile] fn step() {}
/// use profkit::history::{Metric, RunMeta, Store};
///
/// let (_, report) = profkit::record(step);
/// let mut store = Store::in_memory().unwrap();
/// let run = store.record(&report, &RunMeta::new("4f2a9c1").label("pr", "12")).unwrap();
/// assert_eq!((run.commit(), run.branch(), run.machine()), ("4f2a9c1", "main", "default"));
/// assert_eq!(run.function_count(), 1);
/// assert_eq!(run.labels()["pr"], "12");
/// assert!(run.value(Metric::named("wall").unwrap()).is_some());
/// assert_eq!(run.profkit_version(), env!("CARGO_PKG_VERSION"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunInfo {
    pub(crate) id: RunId,
    pub(crate) commit: String,
    pub(crate) branch: String,
    pub(crate) machine: String,
    pub(crate) recorded_unix_ns: i64,
    pub(crate) program: Option<String>,
    pub(crate) clock: Option<String>,
    pub(crate) profkit_version: String,
    pub(crate) function_count: u64,
    pub(crate) total_ns: u64,
    pub(crate) process: Values,
    pub(crate) labels: BTreeMap<String, String>,
}

impl RunInfo {
    /// Its number in the history.
    pub fn id(&self) -> RunId {
        self.id
    }

    /// The commit it measured.
    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// The commit's first 12 characters.
    pub fn short_commit(&self) -> &str {
        let end = self
            .commit
            .char_indices()
            .nth(12)
            .map_or(self.commit.len(), |(i, _)| i);
        &self.commit[..end]
    }

    /// The branch.
    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// The machine label.
    pub fn machine(&self) -> &str {
        &self.machine
    }

    /// When it was recorded (or the time given with [`RunMeta::recorded_at`]).
    pub fn recorded_at(&self) -> SystemTime {
        let ns = self.recorded_unix_ns;
        if ns >= 0 {
            UNIX_EPOCH + Duration::from_nanos(ns as u64)
        } else {
            UNIX_EPOCH - Duration::from_nanos(ns.unsigned_abs())
        }
    }

    /// The profiled program's name, when the profile said.
    pub fn program(&self) -> Option<&str> {
        self.program.as_deref()
    }

    /// The clock of the profile (`wall`, `cpu`, `manual`), when it used one.
    pub fn clock(&self) -> Option<&str> {
        self.clock.as_deref()
    }

    /// The version of profkit that recorded it.
    pub fn profkit_version(&self) -> &str {
        &self.profkit_version
    }

    /// How many functions its profile has.
    pub fn function_count(&self) -> u64 {
        self.function_count
    }

    /// The profile's total time (every function's own time, summed).
    pub fn total_time(&self) -> Duration {
        Duration::from_nanos(self.total_ns)
    }

    /// The value of a process metric (`wall`); `None` for a per-function metric or when the
    /// profile lacked it.
    pub fn value(&self, metric: &Metric) -> Option<u64> {
        self.process.get(metric.index()).copied().flatten()
    }

    /// The labels, by key.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    /// The recording time as `YYYY-MM-DD HH:MM` (UTC).
    pub fn date(&self) -> String {
        utc_minute(self.recorded_unix_ns)
    }
}

/// `YYYY-MM-DD HH:MM` in UTC, from Unix nanoseconds.
pub(crate) fn utc_minute(unix_ns: i64) -> String {
    let secs = unix_ns.div_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Which runs to list: of a branch, a machine, a commit; without a commit; the latest `limit`.
///
/// ```
/// use profkit::history::RunFilter;
/// let filter = RunFilter::new().branch("main").machine("ci").limit(20);
/// assert_eq!(filter.limit_value(), Some(20));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunFilter {
    pub(crate) branch: Option<String>,
    pub(crate) machine: Option<String>,
    pub(crate) commit_prefix: Option<String>,
    pub(crate) exclude_commit: Option<String>,
    pub(crate) limit: Option<usize>,
}

impl RunFilter {
    /// Every run.
    pub fn new() -> RunFilter {
        RunFilter::default()
    }

    /// Only runs of this branch.
    pub fn branch(mut self, branch: impl Into<String>) -> RunFilter {
        self.branch = Some(branch.into());
        self
    }

    /// Only runs of this machine.
    pub fn machine(mut self, machine: impl Into<String>) -> RunFilter {
        self.machine = Some(machine.into());
        self
    }

    /// Only runs whose commit starts with `prefix`.
    pub fn commit(mut self, prefix: impl Into<String>) -> RunFilter {
        self.commit_prefix = Some(prefix.into());
        self
    }

    /// No run of this commit (a check of a commit that was recorded already compares it with
    /// the runs before it, not with itself).
    pub fn exclude_commit(mut self, commit: impl Into<String>) -> RunFilter {
        self.exclude_commit = Some(commit.into());
        self
    }

    /// Only the latest `n` runs that match.
    pub fn limit(mut self, n: usize) -> RunFilter {
        self.limit = Some(n);
        self
    }

    /// The limit, if any.
    pub fn limit_value(&self) -> Option<usize> {
        self.limit
    }
}

/// The per-function values of one run.
///
/// ```
/// # #[profkit::profile] fn step() {}
/// use profkit::history::{Metric, RunMeta, RunStore, Store};
/// let (_, report) = profkit::record(step);
/// let mut store = Store::in_memory().unwrap();
/// let run = store.record(&report, &RunMeta::new("c1")).unwrap();
/// let samples = RunStore::samples(&store, &[run.id()], None).unwrap();
/// let key = samples[0].functions().next().unwrap().clone();
/// assert_eq!(samples[0].value(&key, Metric::named("ncalls").unwrap()), Some(1));
/// ```
#[derive(Clone, Debug)]
pub struct RunSamples {
    pub(crate) run: RunId,
    pub(crate) functions: HashMap<FunctionKey, Values>,
}

impl RunSamples {
    /// The run.
    pub fn run(&self) -> RunId {
        self.run
    }

    /// The values of `function` in this run (indexed like [`Metric::all`]), if it ran.
    pub fn of(&self, function: &FunctionKey) -> Option<&Values> {
        self.functions.get(function)
    }

    /// The value of `metric` for `function`, if the run has it.
    pub fn value(&self, function: &FunctionKey, metric: &Metric) -> Option<u64> {
        self.of(function)?.get(metric.index()).copied().flatten()
    }

    /// Every function of the run.
    pub fn functions(&self) -> impl Iterator<Item = &FunctionKey> {
        self.functions.keys()
    }
}

/// Where runs are kept. Detection ([`check`](super::check), [`trend`](super::trend)) reads
/// only through this, so another database (a shared PostgreSQL server) is one more
/// implementation; [`Store`](super::Store) is SQLite's.
///
/// ```
/// use profkit::history::{RunFilter, RunStore, Store};
///
/// /// How many runs a store holds, whatever keeps them.
/// fn count(store: &dyn RunStore) -> usize {
///     store.runs(&RunFilter::new()).map_or(0, |runs| runs.len())
/// }
/// assert_eq!(count(&Store::in_memory().unwrap()), 0);
/// ```
pub trait RunStore {
    /// Stores `report` as one run, all of it or nothing.
    ///
    /// # Errors
    /// The store's reason: a file that cannot be written, a lock held too long, `meta` that
    /// is not a run (an empty commit).
    fn record(&mut self, report: &Report, meta: &RunMeta) -> Result<RunInfo, HistoryError>;

    /// The runs that match `filter`, newest first.
    ///
    /// # Errors
    /// The store's reason.
    fn runs(&self, filter: &RunFilter) -> Result<Vec<RunInfo>, HistoryError>;

    /// The per-function values of `runs` (in that order); only `function`'s when one is
    /// given.
    ///
    /// # Errors
    /// The store's reason.
    fn samples(
        &self,
        runs: &[RunId],
        function: Option<&FunctionKey>,
    ) -> Result<Vec<RunSamples>, HistoryError>;

    /// Every function any run has.
    ///
    /// # Errors
    /// The store's reason.
    fn functions(&self) -> Result<Vec<FunctionKey>, HistoryError>;

    /// The whole profile of a run, as it was recorded.
    ///
    /// # Errors
    /// [`HistoryErrorKind::UnknownRun`](super::HistoryErrorKind::UnknownRun) for a run that
    /// is not there; a profile that no longer reads back.
    fn profile(&self, run: RunId) -> Result<Report, HistoryError>;

    /// Runs `read` (several reads of this store) on one snapshot of the history, so that runs
    /// recorded meanwhile by other processes are either wholly seen or not at all, across all
    /// of the reads. [`check`](super::check) and [`trend`](super::trend) read through it. The
    /// default runs `read` as it is.
    ///
    /// # Errors
    /// The store's reason, or `read`'s error.
    ///
    /// ```
    /// use profkit::history::{RunFilter, RunStore, Store};
    /// let store = Store::in_memory().unwrap();
    /// let mut n = None;
    /// store
    ///     .snapshot(&mut || {
    ///         n = Some(store.runs(&RunFilter::new())?.len());
    ///         Ok(())
    ///     })
    ///     .unwrap();
    /// assert_eq!(n, Some(0));
    /// ```
    fn snapshot(
        &self,
        read: &mut dyn FnMut() -> Result<(), HistoryError>,
    ) -> Result<(), HistoryError> {
        read()
    }
}

/// `read` on one snapshot of `store` (see [`RunStore::snapshot`]), with its value.
pub(crate) fn in_snapshot<S: RunStore + ?Sized, T>(
    store: &S,
    mut read: impl FnMut() -> Result<T, HistoryError>,
) -> Result<T, HistoryError> {
    let mut out = None;
    store.snapshot(&mut || {
        out = Some(read()?);
        Ok(())
    })?;
    out.ok_or_else(|| HistoryError::invalid("the history's snapshot did not run its reads"))
}

/// What [`copy`] did.
///
/// ```
/// let c = profkit::history::Copied { copied: 3, skipped: 1 };
/// assert_eq!(c.copied + c.skipped, 4);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Copied {
    /// Runs recorded in the target.
    pub copied: usize,
    /// Runs the target had already (same commit, branch, machine and time), left alone.
    pub skipped: usize,
}

/// Copies every run of `from` into `to`, oldest first, each whole (meta, labels, profile and
/// so its samples) in its own transaction; a run `to` has already (the same commit, branch,
/// machine and recording time) is skipped, so copying again copies nothing.
///
/// # Errors
/// Either store's reason; the runs copied before the error stay.
///
/// ```
/// # #[profkit::profile] fn step() {}
/// use profkit::history::{RunFilter, RunMeta, Store, copy};
/// let (_, report) = profkit::record(step);
/// let mut a = Store::in_memory().unwrap();
/// a.record(&report, &RunMeta::new("c1").label("pr", "7")).unwrap();
/// let mut b = Store::in_memory().unwrap();
/// assert_eq!(copy(&a, &mut b).unwrap().copied, 1);
/// assert_eq!(copy(&a, &mut b).unwrap().skipped, 1);
/// let runs = b.runs(&RunFilter::new()).unwrap();
/// assert_eq!(runs[0].labels()["pr"], "7");
/// assert_eq!(b.profile(runs[0].id()).unwrap(), report);
/// ```
pub fn copy<F, T>(from: &F, to: &mut T) -> Result<Copied, HistoryError>
where
    F: RunStore + ?Sized,
    T: RunStore + ?Sized,
{
    type Key = (String, String, String, i64);
    let key = |r: &RunInfo| -> Key {
        (
            r.commit.clone(),
            r.branch.clone(),
            r.machine.clone(),
            r.recorded_unix_ns,
        )
    };
    let mut there: std::collections::HashSet<Key> =
        to.runs(&RunFilter::new())?.iter().map(key).collect();
    let mut runs = from.runs(&RunFilter::new())?;
    runs.reverse();
    let mut done = Copied::default();
    for run in &runs {
        if there.contains(&key(run)) {
            done.skipped += 1;
            continue;
        }
        let profile = from.profile(run.id)?;
        to.record(&profile, &RunMeta::of_run(run))?;
        there.insert(key(run));
        done.copied += 1;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_minutes() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00");
        assert_eq!(
            utc_minute(1_700_000_000 * 1_000_000_000),
            "2023-11-14 22:13"
        );
        assert_eq!(utc_minute(951_782_400 * 1_000_000_000), "2000-02-29 00:00");
        assert_eq!(utc_minute(-60 * 1_000_000_000), "1969-12-31 23:59");
    }

    #[test]
    fn meta_that_is_not_a_run_is_refused() {
        assert!(RunMeta::new("abc").validate().is_ok());
        assert!(RunMeta::new(" ").validate().is_err());
        assert!(RunMeta::new("a\nb").validate().is_err());
        assert!(RunMeta::new("a").branch("").validate().is_err());
        assert!(RunMeta::new("a").label("", "x").validate().is_err());
    }
}
