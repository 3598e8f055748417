//! [`Report`]: the merged profile, and what it answers: its functions, totals, threads, clock
//! and provenance. Statistics are derived in `stats`, merging is in `merge`, look-ups by name in
//! `lookup`; the views and file formats add their methods from the floors above.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::collect::registry::{self, NamedProfile};
use crate::collect::{ClockKind, SiteInfo, memory};
use crate::data::{MemCounts, PerCall, Profile};
use crate::error::LookupError;

use super::growth::Snapshot;
use super::lookup::find;
use super::stats::{FunctionStats, derive_functions};

/// A profile: every profiled function with its calls, times, callers and callees.
///
/// Obtained from [`profkit::report()`](crate::report) (the whole process) or
/// [`profkit::record`](crate::record) (one closure). `Display` prints the table of Python's
/// `pstats.Stats.print_stats()`, sorted by cumulative time; [`Report::stats`] chooses another
/// order or a limit.
///
/// # Start here
/// - **Print it**: `print!("{report}")`, or [`Report::stats`] to sort (a [`SortKey`]), filter
///   and limit the table; [`Report::tree`] (the call tree), [`Report::latency`]
///   (percentiles), [`Report::memory`] (allocations), [`Report::threads`] (per thread name).
/// - **One function**: [`Report::function`] gives its [`FunctionStats`]: calls, tottime,
///   cumtime, [`callers`](FunctionStats::callers), [`callees`](FunctionStats::callees),
///   [`latency`](FunctionStats::latency), [`memory`](FunctionStats::memory).
/// - **Assert in a test**: [`Report::expect`] and [`Report::expect_not_called`].
/// - **What to fix first**: [`Report::what_if`] and [`Report::share`] (Amdahl's law).
/// - **Files**: [`Report::write`] (the format its extension names), [`Report::read`] and
///   [`Report::read_all`] (by content), [`Report::merge`] (pstats' `Stats.add`).
///
/// [`SortKey`]: crate::SortKey
///
/// ```
/// #[profkit::profile]
/// fn work() -> u64 { (0..100u64).sum() }
///
/// let (_, report) = profkit::record(|| { work(); work() });
/// let f = report.function("work").unwrap();
/// assert_eq!(f.ncalls(), 2);
/// assert!(f.tottime() <= f.cumtime());
/// println!("{report}");
/// ```
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Sorted by (file, line, name): the order ties keep in every listing.
    pub(crate) functions: Vec<FunctionStats>,
    /// What the functions were derived from, kept for the call-tree view and for merging.
    pub(crate) profile: Profile,
    pub(crate) sites: Arc<[SiteInfo]>,
    /// One report per thread name (empty in a thread's own report).
    pub(crate) threads: Vec<ThreadReport>,
    pub(crate) clocks: Vec<ClockKind>,
    pub(crate) meta: Meta,
}

/// What was profiled and when: kept in files, shown by tools.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) program: Option<Arc<str>>,
    pub(crate) started_unix_ns: Option<u64>,
    pub(crate) duration_ns: Option<u64>,
    /// The process heap's live bytes when the report was made, and their peak (when the
    /// allocator wrapper was in use).
    pub(crate) heap_now: Option<(u64, u64)>,
    /// The live blocks and bytes that no path holds and profkit's own, read with `heap_now`
    /// (so that the rows add up to its live bytes); not kept in files, which keep the rows.
    pub(crate) untracked_live: Option<((i64, i64), (i64, i64))>,
    /// The process's peak resident memory (the OS's figure) when the report was made.
    pub(crate) max_rss_bytes: Option<u64>,
    /// The profiler's own cost per call that was taken out of the times.
    pub(crate) compensation: Option<PerCall>,
    /// Which process made the report, and its number there (`None`: a report built
    /// otherwise, or read from a file without it).
    pub(crate) origin: Option<Origin>,
    /// The series of live-heap snapshots taken in the run so far (`profkit::snapshot`,
    /// `PROFKIT_SNAPSHOT_EVERY`), for [`Report::growth`].
    pub(crate) snapshots: Arc<[Snapshot]>,
}

impl Meta {
    /// Equal but for where the report comes from (its origin, and the live figures read with
    /// it that a file does not keep): two reports of the same figures are equal, whichever
    /// report of which process they are.
    fn same_content(&self, other: &Meta) -> bool {
        let plain = |m: &Meta| Meta {
            origin: None,
            untracked_live: None,
            ..m.clone()
        };
        plain(self) == plain(other)
    }
}

/// Where a report of a running process comes from: the process (a token, see
/// `registry::process_token`) and the report's number in it, rising.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) process: u64,
    pub(crate) sequence: u64,
    /// How many `reset()`s the process had run (a window cannot span one).
    pub(crate) resets: u64,
}

/// The meta data of a report of this process: the program's name, the start, and the time
/// from the start to now unless `duration` is given.
pub(crate) fn meta(started: Option<std::time::SystemTime>, duration: Option<Duration>) -> Meta {
    let program = std::env::args_os().next().and_then(|a| {
        std::path::Path::new(&a)
            .file_name()
            .map(|n| Arc::from(n.to_string_lossy().as_ref()))
    });
    let duration = duration.or_else(|| started.and_then(|s| s.elapsed().ok()));
    let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    let heap = memory::installed().then(|| {
        let (_, live, peak) = registry::heap();
        // Nothing is allocated between these two readings.
        let untracked = memory::untracked_and_overhead_live();
        let live = u64::try_from(live).unwrap_or(0);
        (
            (live, u64::try_from(peak).unwrap_or(0).max(live)),
            untracked,
        )
    });
    let heap_now = heap.map(|h| h.0);
    let untracked_live = heap.map(|h| h.1);
    Meta {
        program,
        started_unix_ns: started
            .and_then(|s| s.duration_since(std::time::UNIX_EPOCH).ok())
            .map(nanos),
        duration_ns: duration.map(nanos),
        heap_now,
        untracked_live,
        max_rss_bytes: memory::max_rss_bytes(),
        compensation: None,
        origin: Some(Origin {
            process: registry::process_token(),
            sequence: registry::next_sequence(),
            resets: registry::resets(),
        }),
        snapshots: Arc::default(),
    }
}

impl Meta {
    /// The meta data of two reports added together: the first program named, and the time
    /// from the earlier start to the later end.
    pub(crate) fn merge(&mut self, other: &Meta) {
        if self.program.is_none() {
            self.program = other.program.clone();
        }
        let span = |m: &Meta| {
            m.started_unix_ns
                .map(|s| (s, s.saturating_add(m.duration_ns.unwrap_or(0))))
        };
        if let Some((start, end)) = match (span(self), span(other)) {
            (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
            (a, b) => a.or(b),
        } {
            self.started_unix_ns = Some(start);
            self.duration_ns = Some(end - start);
        } else if self.duration_ns.is_none() {
            self.duration_ns = other.duration_ns;
        }
        // Runs added together needed, at most, the most either needed.
        self.heap_now = match (self.heap_now, other.heap_now) {
            (Some(a), Some(b)) => Some((a.0.max(b.0), a.1.max(b.1))),
            (a, b) => a.or(b),
        };
        self.compensation = self.compensation.or(other.compensation);
        self.max_rss_bytes = match (self.max_rss_bytes, other.max_rss_bytes) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        // A sum of reports is no single moment of one process, nor one run's series.
        self.origin = None;
        if self.snapshots.is_empty() {
            self.snapshots = other.snapshots.clone();
        }
    }
}

/// The profile of the threads of one name (`std::thread` names; `<unnamed>` for threads without
/// one): threads that ended and threads still running.
///
/// ```
/// #[profkit::profile]
/// fn work() {}
///
/// std::thread::Builder::new()
///     .name("worker".into())
///     .spawn(work)
///     .unwrap()
///     .join()
///     .unwrap();
/// let report = profkit::report();
/// let worker = report.threads().iter().find(|t| t.name() == "worker").unwrap();
/// assert_eq!(worker.report().function("work").unwrap().ncalls(), 1);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadReport {
    pub(crate) name: Arc<str>,
    pub(crate) report: Report,
}

impl ThreadReport {
    /// The thread name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What threads of this name recorded.
    pub fn report(&self) -> &Report {
        &self.report
    }
}

impl Report {
    /// A report of the profiles of several thread names; `unrecorded` is heap activity of
    /// threads that did not record, which counts outside profiled calls.
    pub(crate) fn from_threads(
        named: Vec<NamedProfile>,
        sites: Arc<[SiteInfo]>,
        unrecorded: Option<MemCounts>,
    ) -> Report {
        let mut total = Profile::default();
        if let Some(mem) = &unrecorded {
            total.memory = true;
            total.add_unrecorded(mem);
        }
        let mut clocks: Vec<ClockKind> = Vec::new();
        let threads = named
            .into_iter()
            .map(|np| {
                total.add(&np.profile);
                for c in &np.clocks {
                    if !clocks.contains(c) {
                        clocks.push(*c);
                    }
                }
                let report = Report::build(np.profile, sites.clone(), Vec::new(), np.clocks);
                ThreadReport {
                    name: np.name,
                    report,
                }
            })
            .collect();
        Report::build(total, sites, threads, clocks)
    }

    /// A report of functions alone (read from a file): no call tree, threads or clock.
    pub(crate) fn from_functions(functions: Vec<FunctionStats>) -> Report {
        Report {
            functions,
            ..Report::default()
        }
    }

    /// A report of everything in `profile`; `threads` completes it.
    pub(crate) fn build(
        profile: Profile,
        sites: Arc<[SiteInfo]>,
        threads: Vec<ThreadReport>,
        clocks: Vec<ClockKind>,
    ) -> Report {
        let functions = derive_functions(&profile, &sites);
        Report {
            functions,
            profile,
            sites,
            threads,
            clocks,
            meta: Meta::default(),
        }
    }

    /// Sets what was profiled and when.
    pub(crate) fn with_meta(mut self, meta: Meta) -> Report {
        self.meta = meta;
        self
    }

    pub(crate) fn has_tree(&self) -> bool {
        self.profile.tree.nodes().len() > 1
    }

    /// Whether the report holds call paths: reports of this process and of profkit's JSON do;
    /// a report read from a pstats file (functions and callers only) does not, so its
    /// [`tree`](Report::tree) and [`folded`](Report::folded) stacks are empty.
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// assert!(report.has_call_tree());
    /// let from_pstats = profkit::Report::from_pstats_bytes(&report.to_pstats_bytes()).unwrap();
    /// assert!(!from_pstats.has_call_tree());
    /// ```
    pub fn has_call_tree(&self) -> bool {
        self.has_tree()
    }

    /// The name of the profiled program (its executable's file name), when known.
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// assert!(report.program().is_some());
    /// ```
    pub fn program(&self) -> Option<&str> {
        self.meta.program.as_deref()
    }

    /// When recording started: the first profiled call of the process or the last
    /// [`reset`](crate::reset) for [`report()`](crate::report), the start of the closure for
    /// [`record`](crate::record).
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// assert!(report.started().unwrap() <= std::time::SystemTime::now());
    /// ```
    pub fn started(&self) -> Option<std::time::SystemTime> {
        self.meta
            .started_unix_ns
            .map(|ns| std::time::UNIX_EPOCH + Duration::from_nanos(ns))
    }

    /// How long recording ran: from [`Report::started`] to the report (wall time).
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// assert!(report.duration().unwrap() >= report.function("a").unwrap().cumtime());
    /// ```
    pub fn duration(&self) -> Option<Duration> {
        self.meta.duration_ns.map(Duration::from_nanos)
    }

    /// The report of each thread name, sorted by name.
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// assert_eq!(report.threads().len(), 1);
    /// ```
    pub fn threads(&self) -> &[ThreadReport] {
        &self.threads
    }

    /// The clock the times were measured with; `None` when the report mixes clocks (the clock
    /// was changed without a reset) or recorded nothing.
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// assert_eq!(report.clock(), Some(profkit::ClockKind::Wall));
    /// ```
    pub fn clock(&self) -> Option<ClockKind> {
        match self.clocks.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// The sampling rate when the report's times are estimates from sampled timing
    /// ([`set_sampling`](crate::set_sampling), `PROFKIT_SAMPLE`): about one call in this many
    /// per call path and thread was timed. `None`: every call was timed. Call counts are exact
    /// either way.
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// assert_eq!(report.sampling(), None);
    /// ```
    pub fn sampling(&self) -> Option<u32> {
        self.profile.sampling
    }

    /// Every function that completed at least one call, ordered by (file, line, name).
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// for f in report.functions() {
    ///     println!("{} {}", f.name(), f.ncalls());
    /// }
    /// ```
    pub fn functions(&self) -> std::slice::Iter<'_, FunctionStats> {
        self.functions.iter()
    }

    /// The number of functions in the report.
    ///
    /// ```
    /// assert_eq!(profkit::Report::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.functions.len()
    }

    /// Whether no profiled function completed a call.
    ///
    /// ```
    /// let (_, report) = profkit::record(|| ());
    /// assert!(report.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }

    /// Looks a function up by its qualified name (`app::db::fetch_row`) or by a suffix that
    /// starts at a `::` boundary and matches one function only (`fetch_row`, `db::fetch_row`).
    ///
    /// # Errors
    /// [`LookupError::Unknown`] (with the closest names) when nothing matches,
    /// [`LookupError::Ambiguous`] (with every match) when a suffix matches several functions.
    ///
    /// ```
    /// #[profkit::profile]
    /// fn fetch_row() {}
    ///
    /// let (_, report) = profkit::record(fetch_row);
    /// assert_eq!(report.function("fetch_row").unwrap().ncalls(), 1);
    /// let err = report.function("fetch_rows").unwrap_err();
    /// assert!(err.to_string().contains("fetch_row"));
    /// ```
    pub fn function(&self, name: &str) -> Result<&FunctionStats, LookupError> {
        find(&self.functions, name, |f| &f.name, FunctionStats::std_name)
    }

    /// The sum of every function's calls (pstats' "N function calls").
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(|| { a(); a() });
    /// assert_eq!(report.total_calls(), 2);
    /// ```
    pub fn total_calls(&self) -> u64 {
        self.functions
            .iter()
            .fold(0u64, |acc, f| acc.saturating_add(f.ncalls))
    }

    /// The sum of every function's primitive calls (pstats' "(M primitive calls)").
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// assert_eq!(report.primitive_calls(), 1);
    /// ```
    pub fn primitive_calls(&self) -> u64 {
        self.functions
            .iter()
            .fold(0u64, |acc, f| acc.saturating_add(f.primitive_calls))
    }

    /// The sum of every function's own time (pstats' "in T seconds"): the time spent in
    /// profiled code, each nanosecond counted once.
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// assert_eq!(report.total_time(), report.function("a").unwrap().tottime());
    /// ```
    pub fn total_time(&self) -> Duration {
        Duration::from_nanos(
            self.functions
                .iter()
                .fold(0u64, |acc, f| acc.saturating_add(f.tottime_ns)),
        )
    }
}

/// Reports are equal when everything they show is: functions with their edges, latency and
/// futures, the call tree (compared by call paths of (file, line, name), not by internal ids),
/// threads, clocks, program, start and duration, the live-heap snapshots; not which process
/// made them, nor which of its reports they are (see [`Report::since`]).
impl PartialEq for Report {
    fn eq(&self, other: &Report) -> bool {
        self.functions == other.functions
            && self.profile.memory == other.profile.memory
            && self.profile.overhead == other.profile.overhead
            && self.profile.totals == other.profile.totals
            && self.profile.sampling == other.profile.sampling
            && self.profile.tree.nodes()[0].mem == other.profile.tree.nodes()[0].mem
            && self.threads == other.threads
            && self.clocks == other.clocks
            && self.meta.same_content(&other.meta)
            && same_tree(self, other)
    }
}

/// Flags, calls, own and inclusive time of one call path.
type PathTotals = (u8, u64, u64, u64);

/// Whether two reports' call trees hold the same call paths, named by (file, line, name), with
/// the same numbers. Paths are interned as (parent path, function) pairs, so the comparison is
/// linear in the number of paths however deep they are.
fn same_tree(a: &Report, b: &Report) -> bool {
    let mut functions: HashMap<(&str, u32, &str), u32> = HashMap::new();
    let mut paths: HashMap<(u32, u32), u32> = HashMap::new();
    let x = path_totals(a, &mut functions, &mut paths);
    let y = path_totals(b, &mut functions, &mut paths);
    (0..x.len().max(y.len())).all(|i| x.get(i).copied().flatten() == y.get(i).copied().flatten())
}

/// The totals of `report`'s shown call paths, indexed by interned path id (0: the root).
fn path_totals<'a>(
    report: &'a Report,
    functions: &mut HashMap<(&'a str, u32, &'a str), u32>,
    paths: &mut HashMap<(u32, u32), u32>,
) -> Vec<Option<PathTotals>> {
    const UNSEEN: u32 = u32::MAX;
    let nodes = report.profile.tree.nodes();
    let shown = report.profile.tree.shown();
    // The interned function of each site, looked up once per site rather than per path.
    let mut function_of: Vec<u32> = vec![UNSEEN; report.sites.len()];
    let mut path_of = vec![0u32; nodes.len()];
    let mut totals: Vec<Option<PathTotals>> = Vec::new();
    for (i, n) in nodes.iter().enumerate().skip(1) {
        if !shown[i] {
            continue;
        }
        let mut intern = |key| {
            let next = functions.len() as u32;
            *functions.entry(key).or_insert(next)
        };
        let function = match function_of.get_mut(n.site as usize) {
            Some(f) if *f != UNSEEN => *f,
            Some(f) => {
                let s = &report.sites[n.site as usize];
                *f = intern((&*s.file, s.line, &*s.name));
                *f
            }
            None => intern(("~", 0, "<unknown>")),
        };
        let parent = path_of.get(n.parent as usize).copied().unwrap_or(0);
        let next = paths.len() as u32 + 1;
        let path = *paths.entry((parent, function)).or_insert(next);
        path_of[i] = path;
        if totals.len() <= path as usize {
            totals.resize(path as usize + 1, None);
        }
        let e = totals[path as usize].get_or_insert((0, 0, 0, 0));
        e.0 |= n.flags;
        e.1 = e.1.saturating_add(n.calls);
        e.2 = e.2.saturating_add(n.own_ns);
        e.3 = e.3.saturating_add(n.incl_ns);
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_can_be_shared_sent_and_used_across_catch_unwind() {
        fn assert_traits<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
        assert_traits::<Report>();
        assert_traits::<FunctionStats>();
    }
}
