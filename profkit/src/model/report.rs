//! The merged, deterministic profile: per-function and per-edge statistics derived from a
//! call tree with cProfile's accounting, latency distributions, and per-thread profiles.
//! Presentation lives in the submodules, one per view.

mod calls;
mod files;
#[cfg(feature = "flamegraph")]
mod flame;
mod folded;
#[cfg(feature = "json")]
mod json;
mod latency;
mod pstats_file;
mod pstats_read;
mod text;
mod tree_view;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub use calls::CallsTable;
pub(crate) use latency::latency_text;
pub use latency::{Latency, LatencyTable};
pub use text::{ParseSortKeyError, SortKey, StatsTable};
pub use tree_view::TreeView;

use crate::clock::ClockKind;
use crate::error::LookupError;
use crate::profile::Profile;
use crate::registry::NamedProfile;
use crate::site::{FutureTotals, ROOT_SITE, SiteInfo};
use crate::tree::{EDGE_PRIMITIVE, PRIMITIVE, TreeNode};

/// A profile: every profiled function with its calls, times, callers and callees.
///
/// Obtained from [`profkit::report()`](crate::report) (the whole process) or
/// [`profkit::record`](crate::record) (one closure). `Display` prints the table of Python's
/// `pstats.Stats.print_stats()`, sorted by cumulative time; [`Report::stats`] chooses another
/// order or a limit.
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
    functions: Vec<FunctionStats>,
    /// What the functions were derived from, kept for the call-tree view and for merging.
    profile: Profile,
    sites: Arc<[SiteInfo]>,
    futures: Arc<[FutureTotals]>,
    /// One report per thread name (empty in a thread's own report).
    threads: Vec<ThreadReport>,
    clocks: Vec<ClockKind>,
    meta: Meta,
}

/// What was profiled and when: kept in files, shown by tools.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) program: Option<Arc<str>>,
    pub(crate) started_unix_ns: Option<u64>,
    pub(crate) duration_ns: Option<u64>,
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
    Meta {
        program,
        started_unix_ns: started
            .and_then(|s| s.duration_since(std::time::UNIX_EPOCH).ok())
            .map(nanos),
        duration_ns: duration.map(nanos),
    }
}

impl Meta {
    /// The meta data of two reports added together: the first program named, and the time
    /// from the earlier start to the later end.
    fn merge(&mut self, other: &Meta) {
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
    name: Arc<str>,
    report: Report,
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

/// The statistics of one function (one row of the pstats table).
///
/// ```
/// #[profkit::profile]
/// fn fib(n: u32) -> u32 { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }
///
/// let (_, report) = profkit::record(|| fib(15));
/// let f = report.function("fib").unwrap();
/// assert_eq!((f.ncalls(), f.primitive_calls()), (1973, 1));
/// ```
#[derive(Clone, Debug)]
pub struct FunctionStats {
    /// The call site this row sums (an index into the report's site table).
    site: u32,
    name: Arc<str>,
    file: Arc<str>,
    line: u32,
    ncalls: u64,
    primitive_calls: u64,
    tottime_ns: u64,
    cumtime_ns: u64,
    callers: Vec<EdgeStats>,
    callees: Vec<EdgeStats>,
    futures: Option<FutureStats>,
    latency: Option<Latency>,
}

/// What the futures of an `async fn` did, beyond the busy time that
/// [`tottime`](FunctionStats::tottime) and [`cumtime`](FunctionStats::cumtime) give.
///
/// ```
/// # use std::future::Future;
/// # fn block_on<F: Future>(f: F) -> F::Output {
/// #     let waker = std::task::Waker::noop();
/// #     let mut cx = std::task::Context::from_waker(&waker);
/// #     let mut f = std::pin::pin!(f);
/// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// #[profkit::profile]
/// async fn fetch(id: u64) -> u64 { id }
///
/// let (_, report) = profkit::record(|| block_on(fetch(7)));
/// let futures = report.function("fetch").unwrap().futures().unwrap();
/// assert_eq!((futures.completed(), futures.cancelled(), futures.polls()), (1, 0, 1));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FutureStats {
    totals: FutureTotals,
}

impl FutureStats {
    /// Futures that ran to completion (a poll that panicked also ends its future here).
    pub fn completed(&self) -> u64 {
        self.totals.completed
    }

    /// Futures dropped after their first poll, before they completed (cancelled). A future
    /// dropped without ever being polled ran nothing and is not counted.
    pub fn cancelled(&self) -> u64 {
        self.totals.cancelled
    }

    /// Polls of all these futures.
    pub fn polls(&self) -> u64 {
        self.totals.polls
    }

    /// Wall time from each future's first poll to its end, summed (the busy time inside polls
    /// is `cumtime`; the rest is time spent waiting).
    pub fn wall_time(&self) -> Duration {
        Duration::from_nanos(self.totals.wall_ns)
    }
}

/// The statistics of one caller -> callee edge, seen from one of its ends: in
/// [`FunctionStats::callers`] it names the caller, in [`FunctionStats::callees`] the callee.
///
/// The numbers are those of pstats' `print_callers`: calls of the callee made directly from the
/// caller, how many of them were not nested in another call of the same pair, the callee's own
/// time in them, and their inclusive time counted once per outermost call of the pair.
///
/// ```
/// #[profkit::profile]
/// fn child() {}
/// #[profkit::profile]
/// fn parent() { for _ in 0..3 { child() } }
///
/// let (_, report) = profkit::record(parent);
/// let edge = report.function("child").unwrap().caller("parent").unwrap();
/// assert_eq!(edge.ncalls(), 3);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdgeStats {
    name: Arc<str>,
    file: Arc<str>,
    line: u32,
    ncalls: u64,
    primitive_calls: u64,
    tottime_ns: u64,
    cumtime_ns: u64,
}

#[derive(Default, Clone, Copy)]
struct Acc {
    ncalls: u64,
    primitive_calls: u64,
    tottime_ns: u64,
    cumtime_ns: u64,
}

impl Acc {
    fn add(&mut self, calls: u64, own: u64, incl: u64, primitive: bool) {
        // Saturating: a profile read from a file may hold any numbers.
        self.ncalls = self.ncalls.saturating_add(calls);
        self.tottime_ns = self.tottime_ns.saturating_add(own);
        if primitive {
            self.primitive_calls = self.primitive_calls.saturating_add(calls);
            self.cumtime_ns = self.cumtime_ns.saturating_add(incl);
        }
    }
}

impl Report {
    /// A report of the profiles of several thread names.
    pub(crate) fn from_threads(
        named: Vec<NamedProfile>,
        sites: Arc<[SiteInfo]>,
        futures: Arc<[FutureTotals]>,
    ) -> Report {
        let mut total = Profile::default();
        let mut clocks: Vec<ClockKind> = Vec::new();
        let no_futures: Arc<[FutureTotals]> = Arc::new([]);
        let threads = named
            .into_iter()
            .map(|np| {
                total.add(&np.profile);
                for c in &np.clocks {
                    if !clocks.contains(c) {
                        clocks.push(*c);
                    }
                }
                let report = Report::build(
                    np.profile,
                    sites.clone(),
                    no_futures.clone(),
                    Vec::new(),
                    np.clocks,
                );
                ThreadReport {
                    name: np.name,
                    report,
                }
            })
            .collect();
        Report::build(total, sites, futures, threads, clocks)
    }

    /// A report of functions alone (read from a file): no call tree, threads or clock.
    pub(crate) fn from_functions(functions: Vec<FunctionStats>) -> Report {
        Report {
            functions,
            ..Report::default()
        }
    }

    /// A report of everything in `profile`; `futures` and `threads` complete it.
    pub(crate) fn build(
        profile: Profile,
        sites: Arc<[SiteInfo]>,
        futures: Arc<[FutureTotals]>,
        threads: Vec<ThreadReport>,
        clocks: Vec<ClockKind>,
    ) -> Report {
        let functions = derive_functions(&profile, &sites, &futures);
        Report {
            functions,
            profile,
            sites,
            futures,
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

    /// Adds `other` to this report, as pstats' `Stats.add` does: functions with the same file,
    /// line and name, and edges between them, have their counts and times summed, and latency
    /// distributions are added. Two reports of this process also merge their call trees; with
    /// a report read from a file (which has none) the result has no call tree.
    ///
    /// ```
    /// # #[profkit::profile] fn step() {}
    /// let (_, mut a) = profkit::record(step);
    /// let (_, b) = profkit::record(|| { step(); step() });
    /// a.merge(&b);
    /// assert_eq!(a.function("step").unwrap().ncalls(), 3);
    /// ```
    pub fn merge(&mut self, other: &Report) {
        let mut meta = std::mem::take(&mut self.meta);
        meta.merge(&other.meta);
        self.merge_content(other);
        self.meta = meta;
    }

    fn merge_content(&mut self, other: &Report) {
        if other.functions.is_empty() && !other.has_tree() {
            return;
        }
        if self.functions.is_empty() && !self.has_tree() {
            *self = other.clone();
            return;
        }
        if !(self.has_tree() && other.has_tree()) {
            self.functions = merge_functions(&self.functions, &other.functions);
            self.profile = Profile::default();
            self.threads.clear();
            for c in &other.clocks {
                if !self.clocks.contains(c) {
                    self.clocks.push(*c);
                }
            }
            return;
        }
        self.merge_trees(other);
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

    fn merge_trees(&mut self, other: &Report) {
        let (sites, remap) = unify_sites(&self.sites, &other.sites);
        let mut profile = std::mem::take(&mut self.profile);
        let to = |site: u32| remap.as_ref().map_or(site, |r| r[site as usize]);
        match &remap {
            None => profile.add(&other.profile),
            Some(_) => {
                let nodes: Vec<TreeNode> = other
                    .profile
                    .tree
                    .nodes()
                    .iter()
                    .map(|n| TreeNode {
                        site: to(n.site),
                        ..*n
                    })
                    .collect();
                profile.tree.add(&nodes);
                for (site, d) in &other.profile.hists {
                    profile.hists.entry(to(*site)).or_default().merge(d);
                }
            }
        }
        let mut futures: Vec<FutureTotals> = (0..sites.len())
            .map(|i| self.futures.get(i).cloned().unwrap_or_default())
            .collect();
        for (j, t) in other.futures.iter().enumerate() {
            if let Some(slot) = futures.get_mut(to(j as u32) as usize) {
                *slot = add_future_totals(std::mem::take(slot), Some(t));
            }
        }
        let mut threads = std::mem::take(&mut self.threads);
        for t in &other.threads {
            match threads.iter_mut().find(|mine| mine.name == t.name) {
                Some(mine) => mine.report.merge(&t.report),
                None => threads.push(t.clone()),
            }
        }
        threads.sort_by(|a, b| a.name.cmp(&b.name));
        let mut clocks = std::mem::take(&mut self.clocks);
        for c in &other.clocks {
            if !clocks.contains(c) {
                clocks.push(*c);
            }
        }
        *self = Report::build(profile, sites, futures.into(), threads, clocks);
    }

    /// Adds `other` (a report of other threads) as `merge` does; the future statistics, which
    /// are process-wide, are not added twice.
    pub(crate) fn merge_threads(&mut self, other: &Report) {
        let futures = self.futures.clone();
        self.merge(other);
        self.futures = futures;
        self.functions = derive_functions(&self.profile, &self.sites, &self.futures);
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

    /// The pstats table with a chosen order and length; `Display` prints it.
    ///
    /// ```
    /// use profkit::SortKey;
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// let text = report.stats().sort(SortKey::TotTime).limit(10).to_string();
    /// assert!(text.contains("Ordered by: internal time"));
    /// ```
    pub fn stats(&self) -> StatsTable<'_> {
        StatsTable::new(self)
    }

    /// The latency table: per function, calls, min, p50, p90, p99, p99.9, max, mean and
    /// standard deviation.
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// println!("{}", report.latency().limit(20));
    /// ```
    pub fn latency(&self) -> LatencyTable<'_> {
        LatencyTable::new(self)
    }

    /// The call tree: every call path with its cumulative time and share of its parent and of
    /// the total.
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// println!("{}", report.tree().min_share(0.01));
    /// ```
    pub fn tree(&self) -> TreeView<'_> {
        TreeView::new(self)
    }
}

/// Reports are equal when everything they show is: functions with their edges, latency and
/// futures, the call tree (compared by call paths of (file, line, name), not by internal ids),
/// threads, clocks, program, start and duration.
impl PartialEq for Report {
    fn eq(&self, other: &Report) -> bool {
        self.functions == other.functions
            && self.threads == other.threads
            && self.clocks == other.clocks
            && self.meta == other.meta
            && self.canonical_tree() == other.canonical_tree()
    }
}

type PathKey = Vec<(Arc<str>, u32, Arc<str>)>;

impl Report {
    /// The call tree as a map from call path to (flags, calls, own, inclusive), for comparing.
    fn canonical_tree(&self) -> std::collections::BTreeMap<PathKey, (u8, u64, u64, u64)> {
        let nodes = self.profile.tree.nodes();
        let shown = self.profile.tree.shown();
        let mut paths: Vec<PathKey> = vec![Vec::new(); nodes.len()];
        let mut out = std::collections::BTreeMap::new();
        for (i, n) in nodes.iter().enumerate().skip(1) {
            if !shown[i] {
                continue;
            }
            let info = self
                .sites
                .get(n.site as usize)
                .cloned()
                .unwrap_or_else(unknown_site);
            let mut path = paths.get(n.parent as usize).cloned().unwrap_or_default();
            path.push((info.file, info.line, info.name));
            let e: &mut (u8, u64, u64, u64) = out.entry(path.clone()).or_insert((0, 0, 0, 0));
            e.0 |= n.flags;
            e.1 = e.1.saturating_add(n.calls);
            e.2 = e.2.saturating_add(n.own_ns);
            e.3 = e.3.saturating_add(n.incl_ns);
            paths[i] = path;
        }
        out
    }
}

/// Equal when every number shown is; the internal call-site id is not compared.
impl PartialEq for FunctionStats {
    fn eq(&self, other: &FunctionStats) -> bool {
        self.key() == other.key()
            && (
                self.ncalls,
                self.primitive_calls,
                self.tottime_ns,
                self.cumtime_ns,
            ) == (
                other.ncalls,
                other.primitive_calls,
                other.tottime_ns,
                other.cumtime_ns,
            )
            && self.callers == other.callers
            && self.callees == other.callees
            && self.latency == other.latency
            && self.futures.as_ref().map(FutureStats::numbers)
                == other.futures.as_ref().map(FutureStats::numbers)
    }
}

impl FutureStats {
    fn numbers(&self) -> [u64; 4] {
        let t = &self.totals;
        [t.completed, t.cancelled, t.polls, t.wall_ns]
    }
}

/// pstats' `Stats.add` on function rows: rows and edges with equal (file, line, name) keys
/// are summed.
fn merge_functions(a: &[FunctionStats], b: &[FunctionStats]) -> Vec<FunctionStats> {
    fn add_edges(into: &mut Vec<EdgeStats>, from: &[EdgeStats]) {
        for e in from {
            match into.iter_mut().find(|x| x.key() == e.key()) {
                Some(x) => {
                    x.ncalls = x.ncalls.saturating_add(e.ncalls);
                    x.primitive_calls = x.primitive_calls.saturating_add(e.primitive_calls);
                    x.tottime_ns = x.tottime_ns.saturating_add(e.tottime_ns);
                    x.cumtime_ns = x.cumtime_ns.saturating_add(e.cumtime_ns);
                }
                None => into.push(e.clone()),
            }
        }
        into.sort_by(|x, y| x.key().cmp(&y.key()));
    }
    let mut merged: Vec<FunctionStats> = a.to_vec();
    let mut index: HashMap<(Arc<str>, u32, Arc<str>), usize> = merged
        .iter()
        .enumerate()
        .map(|(i, f)| ((f.file.clone(), f.line, f.name.clone()), i))
        .collect();
    for f in b {
        let key = (f.file.clone(), f.line, f.name.clone());
        match index.get(&key).and_then(|&i| merged.get_mut(i)) {
            Some(m) => {
                m.ncalls = m.ncalls.saturating_add(f.ncalls);
                m.primitive_calls = m.primitive_calls.saturating_add(f.primitive_calls);
                m.tottime_ns = m.tottime_ns.saturating_add(f.tottime_ns);
                m.cumtime_ns = m.cumtime_ns.saturating_add(f.cumtime_ns);
                add_edges(&mut m.callers, &f.callers);
                add_edges(&mut m.callees, &f.callees);
                m.latency = match (m.latency.take(), &f.latency) {
                    (Some(mut x), Some(y)) => {
                        x.merge(y);
                        Some(x)
                    }
                    (x, y) => x.or_else(|| y.clone()),
                };
                m.futures = match (m.futures.take(), &f.futures) {
                    (Some(x), y) => Some(FutureStats {
                        totals: add_future_totals(x.totals, y.as_ref().map(|y| &y.totals)),
                    }),
                    (None, y) => y.clone(),
                };
            }
            None => {
                index.insert(key, merged.len());
                merged.push(f.clone());
            }
        }
    }
    merged.sort_by(|x, y| x.key().cmp(&y.key()));
    merged
}

/// A site table for two reports' trees, and where the second's sites went in it (`None`: the
/// tables agree on the sites they share, as two reports of one process do, and the longer one
/// serves both). Sites of other reports (read from files) are matched by (file, line, name).
fn unify_sites(a: &Arc<[SiteInfo]>, b: &Arc<[SiteInfo]>) -> (Arc<[SiteInfo]>, Option<Vec<u32>>) {
    let same = |x: &SiteInfo, y: &SiteInfo| match (x.site, y.site) {
        (Some(p), Some(q)) => std::ptr::eq(p, q),
        _ => (&x.file, x.line, &x.name) == (&y.file, y.line, &y.name),
    };
    if a.iter().zip(b.iter()).all(|(x, y)| same(x, y)) {
        let longer = if b.len() > a.len() { b } else { a };
        return (longer.clone(), None);
    }
    let mut sites: Vec<SiteInfo> = a.to_vec();
    let mut index: HashMap<(Arc<str>, u32, Arc<str>), u32> = sites
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, s)| ((s.file.clone(), s.line, s.name.clone()), i as u32))
        .collect();
    let remap = b
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i == ROOT_SITE as usize {
                return ROOT_SITE;
            }
            let next = sites.len() as u32;
            *index
                .entry((s.file.clone(), s.line, s.name.clone()))
                .or_insert_with(|| {
                    sites.push(s.clone());
                    next
                })
        })
        .collect();
    (sites.into(), Some(remap))
}

/// Fills each function's callees from the other functions' callers (a file holds one side).
fn link_callees(functions: &mut [FunctionStats]) {
    let index: HashMap<(Arc<str>, u32, Arc<str>), usize> = functions
        .iter()
        .enumerate()
        .map(|(i, f)| ((f.file.clone(), f.line, f.name.clone()), i))
        .collect();
    let mut callees: Vec<Vec<EdgeStats>> = vec![Vec::new(); functions.len()];
    for f in functions.iter() {
        for e in &f.callers {
            if let Some(&i) = index.get(&(e.file.clone(), e.line, e.name.clone())) {
                callees[i].push(EdgeStats {
                    name: f.name.clone(),
                    file: f.file.clone(),
                    line: f.line,
                    ..e.clone()
                });
            }
        }
    }
    for (f, mut c) in functions.iter_mut().zip(callees) {
        c.sort_by(|a, b| a.key().cmp(&b.key()));
        f.callees = c;
    }
}

fn add_future_totals(mut a: FutureTotals, b: Option<&FutureTotals>) -> FutureTotals {
    if let Some(b) = b {
        a.completed = a.completed.saturating_add(b.completed);
        a.cancelled = a.cancelled.saturating_add(b.cancelled);
        a.polls = a.polls.saturating_add(b.polls);
        a.wall_ns = a.wall_ns.saturating_add(b.wall_ns);
        a.latency = match (a.latency.take(), &b.latency) {
            (Some(mut x), Some(y)) => {
                let _ = x.add(y);
                Some(x)
            }
            (x, y) => x.or_else(|| y.clone()),
        };
    }
    a
}

/// pstats' numbers from a profile: a function sums its call-tree nodes, an edge sums the nodes
/// whose parent runs its caller; the primitive parts take only nodes flagged so.
fn derive_functions(
    profile: &Profile,
    sites: &[SiteInfo],
    futures: &[FutureTotals],
) -> Vec<FunctionStats> {
    let nodes = profile.tree.nodes();
    let mut functions: HashMap<u32, Acc> = HashMap::new();
    let mut edges: HashMap<(u32, u32), Acc> = HashMap::new();
    // A path with time but no call: polls of a future that ends (or ended) on another path,
    // or has not ended yet. Its busy time counts; pstats shows `ncalls` 0 with a blank percall.
    let shown = profile.tree.shown();
    for (_, node) in nodes.iter().enumerate().skip(1).filter(|(i, _)| shown[*i]) {
        functions.entry(node.site).or_default().add(
            node.calls,
            node.own_ns,
            node.incl_ns,
            node.flags & PRIMITIVE != 0,
        );
        let caller = nodes
            .get(node.parent as usize)
            .map_or(ROOT_SITE, |p| p.site);
        if caller != ROOT_SITE {
            edges.entry((caller, node.site)).or_default().add(
                node.calls,
                node.own_ns,
                node.incl_ns,
                node.flags & EDGE_PRIMITIVE != 0,
            );
        }
    }
    let info = |site: u32| {
        sites
            .get(site as usize)
            .cloned()
            .unwrap_or_else(unknown_site)
    };
    let edge = |other: u32, acc: &Acc| {
        let i = info(other);
        EdgeStats {
            name: i.name,
            file: i.file,
            line: i.line,
            ncalls: acc.ncalls,
            primitive_calls: acc.primitive_calls,
            tottime_ns: acc.tottime_ns,
            cumtime_ns: acc.cumtime_ns,
        }
    };
    let mut callers: HashMap<u32, Vec<EdgeStats>> = HashMap::new();
    let mut callees: HashMap<u32, Vec<EdgeStats>> = HashMap::new();
    for (&(caller, callee), acc) in &edges {
        callers.entry(callee).or_default().push(edge(caller, acc));
        callees.entry(caller).or_default().push(edge(callee, acc));
    }
    let mut functions: Vec<FunctionStats> = functions
        .into_iter()
        .map(|(site, acc)| {
            let i = info(site);
            let mut callers = callers.remove(&site).unwrap_or_default();
            let mut callees = callees.remove(&site).unwrap_or_default();
            callers.sort_by(|a, b| a.key().cmp(&b.key()));
            callees.sort_by(|a, b| a.key().cmp(&b.key()));
            let totals = futures.get(site as usize).cloned().unwrap_or_default();
            // Sync calls: inclusive time of each primitive call; async: wall time of each
            // completed future.
            let latency = match profile.hists.get(&site) {
                Some(d) if !d.is_empty() => Some(Latency::new(d.clone())),
                _ => totals
                    .latency
                    .as_ref()
                    .filter(|h| !h.is_empty())
                    .map(|h| Latency::new(crate::dist::Dist::from_histogram(h))),
            };
            FunctionStats {
                site,
                name: i.name,
                file: i.file,
                line: i.line,
                ncalls: acc.ncalls,
                primitive_calls: acc.primitive_calls,
                tottime_ns: acc.tottime_ns,
                cumtime_ns: acc.cumtime_ns,
                callers,
                callees,
                futures: (!totals.is_empty()).then_some(FutureStats { totals }),
                latency,
            }
        })
        .collect();
    functions.sort_by(|a, b| a.key().cmp(&b.key()));
    functions
}

fn unknown_site() -> SiteInfo {
    SiteInfo {
        name: Arc::from("<unknown>"),
        file: Arc::from("~"),
        line: 0,
        site: None,
    }
}

/// Whether `query` names `full`: equal, or a suffix starting at a `::` boundary.
pub(crate) fn name_matches(full: &str, query: &str) -> bool {
    full == query
        || (full.len() > query.len()
            && full.ends_with(query)
            && full[..full.len() - query.len()].ends_with("::"))
}

fn find<'a, T>(
    items: &'a [T],
    query: &str,
    name: impl Fn(&T) -> &Arc<str>,
    label: impl Fn(&T) -> String,
) -> Result<&'a T, LookupError> {
    // An exact name wins over suffix matches, but two functions may share it (two scopes of
    // one name, `__init__` in a Python profile): then it is ambiguous too.
    let exact: Vec<&T> = items.iter().filter(|i| &**name(i) == query).collect();
    let matches: Vec<&T> = if exact.is_empty() {
        items
            .iter()
            .filter(|i| name_matches(name(i), query))
            .collect()
    } else {
        exact
    };
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(LookupError::Unknown {
            query: query.to_owned(),
            close: close_matches(items.iter().map(|i| &**name(i)), query),
        }),
        many => {
            // Candidates that share a name are told apart by where they are.
            let same = many.iter().all(|i| name(i) == name(many[0]));
            Err(LookupError::Ambiguous {
                query: query.to_owned(),
                candidates: many
                    .iter()
                    .map(|i| if same { label(i) } else { name(i).to_string() })
                    .collect(),
            })
        }
    }
}

/// Up to five names that contain the query or whose last segment is a few edits away.
fn close_matches<'a>(names: impl Iterator<Item = &'a str>, query: &str) -> Vec<String> {
    let q = query.to_lowercase();
    let q_last = q.rsplit("::").next().unwrap_or(&q);
    let mut scored: Vec<(usize, &str)> = names
        .filter_map(|n| {
            let lower = n.to_lowercase();
            let last = lower.rsplit("::").next().unwrap_or(&lower);
            let d = edit_distance(last, q_last);
            if lower.contains(&q) || last.contains(q_last) {
                Some((0, n))
            } else if d <= 2.max(q_last.len() / 3) {
                Some((d, n))
            } else {
                None
            }
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(5)
        .map(|(_, n)| n.to_owned())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

macro_rules! stats_accessors {
    ($ty:ty) => {
        impl $ty {
            /// The qualified function name, e.g. `app::db::fetch_row`.
            pub fn name(&self) -> &str {
                &self.name
            }

            /// The source file of the function, as `file!()` gives it.
            pub fn file(&self) -> &str {
                &self.file
            }

            /// The line of the function's name (of the macro, for a scope).
            pub fn line(&self) -> u32 {
                self.line
            }

            /// Total calls (pstats `ncalls`, the number before the `/`).
            pub fn ncalls(&self) -> u64 {
                self.ncalls
            }

            /// Primitive calls: calls not nested inside another call of the same function
            /// (for an edge: of the same caller -> callee pair); the number after the `/`.
            pub fn primitive_calls(&self) -> u64 {
                self.primitive_calls
            }

            /// Own time summed over all calls, without time in profiled callees (`tottime`).
            pub fn tottime(&self) -> Duration {
                Duration::from_nanos(self.tottime_ns)
            }

            /// Inclusive time summed over primitive calls only, so recursion is counted once
            /// (`cumtime`).
            pub fn cumtime(&self) -> Duration {
                Duration::from_nanos(self.cumtime_ns)
            }

            /// pstats' label: `file:line(name)`; for a built-in of a Python profile (file `~`,
            /// line 0), `{name without its angle brackets}` or the bare name, as pstats prints it.
            pub fn std_name(&self) -> String {
                if &*self.file == "~" && self.line == 0 {
                    return match self
                        .name
                        .strip_prefix('<')
                        .and_then(|n| n.strip_suffix('>'))
                    {
                        Some(inner) => format!("{{{inner}}}"),
                        None => self.name.to_string(),
                    };
                }
                format!("{}:{}({})", self.file, self.line, self.name)
            }

            fn key(&self) -> (&str, u32, &str) {
                (&self.file, self.line, &self.name)
            }
        }
    };
}

stats_accessors!(FunctionStats);
stats_accessors!(EdgeStats);

impl FunctionStats {
    /// The functions that called this one, with the statistics of each edge; empty for a root
    /// (a function called with no profiled function open on its thread).
    ///
    /// ```
    /// # #[profkit::profile] fn child() {}
    /// # #[profkit::profile] fn parent() { child() }
    /// let (_, report) = profkit::record(parent);
    /// assert!(report.function("parent").unwrap().callers().is_empty());
    /// assert_eq!(report.function("child").unwrap().callers()[0].ncalls(), 1);
    /// ```
    pub fn callers(&self) -> &[EdgeStats] {
        &self.callers
    }

    /// The profiled functions this one called directly, with the statistics of each edge.
    ///
    /// ```
    /// # #[profkit::profile] fn child() {}
    /// # #[profkit::profile] fn parent() { child(); child() }
    /// let (_, report) = profkit::record(parent);
    /// assert_eq!(report.function("parent").unwrap().callees()[0].ncalls(), 2);
    /// ```
    pub fn callees(&self) -> &[EdgeStats] {
        &self.callees
    }

    /// The edge from the caller named `name` (qualified, or a unique suffix).
    ///
    /// # Errors
    /// As [`Report::function`], among this function's callers.
    ///
    /// ```
    /// # #[profkit::profile] fn child() {}
    /// # #[profkit::profile] fn parent() { child() }
    /// let (_, report) = profkit::record(parent);
    /// assert_eq!(report.function("child").unwrap().caller("parent").unwrap().ncalls(), 1);
    /// ```
    pub fn caller(&self, name: &str) -> Result<&EdgeStats, LookupError> {
        find(&self.callers, name, |e| &e.name, EdgeStats::std_name)
    }

    /// The edge to the callee named `name` (qualified, or a unique suffix).
    ///
    /// # Errors
    /// As [`Report::function`], among this function's callees.
    ///
    /// ```
    /// # #[profkit::profile] fn child() {}
    /// # #[profkit::profile] fn parent() { child() }
    /// let (_, report) = profkit::record(parent);
    /// assert_eq!(report.function("parent").unwrap().callee("child").unwrap().ncalls(), 1);
    /// ```
    pub fn callee(&self, name: &str) -> Result<&EdgeStats, LookupError> {
        find(&self.callees, name, |e| &e.name, EdgeStats::std_name)
    }

    /// For an `async fn`: its futures' completions, cancellations, polls and wall time
    /// (`None` for a function with no future that ended). See [`FutureStats`].
    pub fn futures(&self) -> Option<&FutureStats> {
        self.futures.as_ref()
    }

    /// The distribution of this function's call durations: the inclusive time of each
    /// primitive (outermost) call, so recursion does not skew it; for an `async fn`, the wall
    /// time of each completed future. `None` when no such call ended.
    ///
    /// ```
    /// # #[profkit::profile] fn fib(n: u32) -> u32 { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }
    /// let (_, report) = profkit::record(|| { fib(10); fib(10) });
    /// let latency = report.function("fib").unwrap().latency().unwrap();
    /// assert_eq!(latency.count(), 2); // two outermost calls, not 354 frames
    /// assert!(latency.p50() <= latency.p99() && latency.p99() <= latency.max());
    /// ```
    pub fn latency(&self) -> Option<&Latency> {
        self.latency.as_ref()
    }
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

    #[test]
    fn suffixes_match_only_at_path_boundaries() {
        assert!(name_matches("app::db::fetch_row", "fetch_row"));
        assert!(name_matches("app::db::fetch_row", "db::fetch_row"));
        assert!(name_matches("app::db::fetch_row", "app::db::fetch_row"));
        assert!(!name_matches("app::db::fetch_row", "row"));
        assert!(!name_matches("app::db::fetch_row", "b::fetch_row"));
        assert!(name_matches("<app::Disk as app::Store>::get", "get"));
    }

    #[test]
    fn close_matches_rank_containment_then_distance() {
        let names = [
            "a::fetch_row",
            "a::fetch_rows_all",
            "a::fetch_col",
            "a::unrelated",
        ];
        let close = close_matches(names.iter().copied(), "fetch_ro");
        assert_eq!(
            close,
            vec!["a::fetch_row", "a::fetch_rows_all", "a::fetch_col"]
        );
        let close = close_matches(names.iter().copied(), "fetch_rw");
        assert_eq!(close, vec!["a::fetch_row"]);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
