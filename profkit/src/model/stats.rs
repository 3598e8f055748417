//! Per-function and per-edge statistics, derived from a call tree with cProfile's accounting
//! (`Modules/_lsprof.c`): [`FunctionStats`] (one pstats row), [`EdgeStats`] (one caller ->
//! callee edge), [`FutureStats`] (an `async fn`'s futures).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::collect::SiteInfo;
use crate::data::{EDGE_PRIMITIVE, FutureCounts, IdMap, PRIMITIVE, Profile, ROOT_SITE};
use crate::error::LookupError;

use super::complexity::{Complexity, Scaling};
use super::latency::Latency;
use super::lookup::find;
use super::memory::{self, MemoryStats};

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
    pub(crate) site: u32,
    pub(crate) name: Arc<str>,
    pub(crate) file: Arc<str>,
    pub(crate) line: u32,
    pub(crate) ncalls: u64,
    pub(crate) primitive_calls: u64,
    pub(crate) tottime_ns: u64,
    pub(crate) cumtime_ns: u64,
    pub(crate) callers: Vec<EdgeStats>,
    pub(crate) callees: Vec<EdgeStats>,
    pub(crate) futures: Option<FutureStats>,
    pub(crate) latency: Option<Latency>,
    pub(crate) memory: Option<MemoryStats>,
    /// The sized calls (`#[profile(size = ..)]`) and the growth fitted to them.
    pub(crate) scaling: Option<Scaling>,
    /// Own and cumulative CPU time (ns), when CPU time was recorded beside wall time.
    pub(crate) cpu: Option<CpuNs>,
}

/// A function whose cumulative time was at least this share CPU time is CPU-bound.
pub(crate) const CPU_BOUND: f64 = 0.8;
/// A function whose cumulative time was at most this share CPU time mostly waited.
pub(crate) const WAITS: f64 = 0.2;

/// A function's CPU time in nanoseconds: own (while it was the innermost profiled call of its
/// thread) and cumulative (its primitive calls with their callees).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CpuNs {
    pub(crate) own: u64,
    pub(crate) cum: u64,
}

/// Each node's CPU time with its descendants'.
pub(crate) fn cpu_subtree_sums(tree: &crate::data::Tree) -> Vec<u64> {
    tree.subtree_sums(|n| n.cpu_ns, |sum, child| *sum = sum.saturating_add(*child))
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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FutureStats {
    pub(crate) totals: FutureCounts,
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
    pub(crate) name: Arc<str>,
    pub(crate) file: Arc<str>,
    pub(crate) line: u32,
    pub(crate) ncalls: u64,
    pub(crate) primitive_calls: u64,
    pub(crate) tottime_ns: u64,
    pub(crate) cumtime_ns: u64,
    /// The callee's CPU time in these calls: own, and cumulative over the edge's primitive
    /// calls (as `cumtime`); `None` when CPU time was not recorded.
    pub(crate) cpu: Option<CpuNs>,
}

#[derive(Default, Clone, Copy)]
struct Acc {
    ncalls: u64,
    primitive_calls: u64,
    tottime_ns: u64,
    cumtime_ns: u64,
    cpu: CpuNs,
}

/// One node's figures as a row or an edge sums them: calls, own and inclusive time, own CPU
/// time and the CPU time of its subtree (zero when not recorded).
struct NodeFigures {
    calls: u64,
    own: u64,
    incl: u64,
    cpu_own: u64,
    cpu_incl: u64,
}

impl Acc {
    fn add(&mut self, n: &NodeFigures, primitive: bool) {
        // Saturating: a profile read from a file may hold any numbers.
        self.ncalls = self.ncalls.saturating_add(n.calls);
        self.tottime_ns = self.tottime_ns.saturating_add(n.own);
        self.cpu.own = self.cpu.own.saturating_add(n.cpu_own);
        if primitive {
            self.primitive_calls = self.primitive_calls.saturating_add(n.calls);
            self.cumtime_ns = self.cumtime_ns.saturating_add(n.incl);
            self.cpu.cum = self.cpu.cum.saturating_add(n.cpu_incl);
        }
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
            && self.futures == other.futures
            && self.memory == other.memory
            && self.scaling == other.scaling
            && self.cpu == other.cpu
    }
}

/// Fills each function's callees from the other functions' callers (a file holds one side).
pub(crate) fn link_callees(functions: &mut [FunctionStats]) {
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

/// pstats' numbers from a profile: a function sums its call-tree nodes, an edge sums the nodes
/// whose parent runs its caller; the primitive parts take only nodes flagged so.
pub(crate) fn derive_functions(profile: &Profile, sites: &[SiteInfo]) -> Vec<FunctionStats> {
    let nodes = profile.tree.nodes();
    let mut functions: IdMap<u32, Acc> = IdMap::default();
    let mut edges: IdMap<(u32, u32), Acc> = IdMap::default();
    // A path with time but no call: polls of a future that ends (or ended) on another path,
    // or has not ended yet. Its busy time counts; pstats shows `ncalls` 0 with a blank percall.
    let shown = profile.tree.shown();
    let sums = if profile.memory {
        memory::subtree_sums(&profile.tree)
    } else {
        Vec::new()
    };
    let mut mem: IdMap<u32, MemoryStats> = IdMap::default();
    let cpu_sums = if profile.cpu {
        cpu_subtree_sums(&profile.tree)
    } else {
        Vec::new()
    };
    for (i, node) in nodes.iter().enumerate().skip(1).filter(|(i, _)| shown[*i]) {
        if profile.memory {
            memory::add_node(mem.entry(node.site).or_default(), &profile.tree, &sums, i);
        }
        let figures = NodeFigures {
            calls: node.calls,
            own: node.own_ns,
            incl: node.incl_ns,
            cpu_own: node.cpu_ns,
            cpu_incl: cpu_sums.get(i).copied().unwrap_or(0),
        };
        functions
            .entry(node.site)
            .or_default()
            .add(&figures, node.flags & PRIMITIVE != 0);
        let caller = nodes
            .get(node.parent as usize)
            .map_or(ROOT_SITE, |p| p.site);
        if caller != ROOT_SITE {
            edges
                .entry((caller, node.site))
                .or_default()
                .add(&figures, node.flags & EDGE_PRIMITIVE != 0);
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
            cpu: profile.cpu.then_some(acc.cpu),
        }
    };
    let mut callers: IdMap<u32, Vec<EdgeStats>> = IdMap::default();
    let mut callees: IdMap<u32, Vec<EdgeStats>> = IdMap::default();
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
            let totals = profile.futures.get(&site).copied().unwrap_or_default();
            // Sync calls: inclusive time of each primitive call; async: wall time of each
            // completed future.
            let latency = profile
                .hists
                .get(&site)
                .filter(|d| !d.is_empty())
                .map(|d| Latency::new(d.clone()));
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
                memory: profile
                    .memory
                    .then(|| mem.remove(&site).unwrap_or_default()),
                scaling: profile
                    .sizes
                    .get(&site)
                    .filter(|s| !s.is_empty())
                    .map(|s| Scaling::new(s.clone())),
                cpu: profile.cpu.then_some(acc.cpu),
            }
        })
        .collect();
    functions.sort_by(|a, b| a.key().cmp(&b.key()));
    functions
}

pub(crate) fn unknown_site() -> SiteInfo {
    SiteInfo {
        name: Arc::from("<unknown>"),
        file: Arc::from("~"),
        line: 0,
        site: None,
    }
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

            /// The name as tables show it unless told to show full names: each type and
            /// trait path from its type on (`<Value as Deserialize>::deserialize` for
            /// `<serde_json::value::Value as serde_core::de::Deserialize>::deserialize`), a
            /// free function with its module (`db::fetch_row`). A name that is not a Rust path
            /// (a scope's `"GET /users"`, a Python function) is the name itself.
            ///
            /// ```
            /// # mod app { pub struct Db; impl Db { #[profkit::profile] pub fn get(&self) {} } }
            /// let (_, report) = profkit::record(|| app::Db.get());
            /// let get = report.function("Db::get").unwrap();
            /// assert!(get.name().ends_with("::app::Db::get"));
            /// assert_eq!(get.short_name(), "Db::get");
            /// ```
            pub fn short_name(&self) -> std::borrow::Cow<'_, str> {
                crate::data::names::short(&self.name)
            }

            /// [`std_name`](Self::std_name) with the full name or the short one.
            pub(crate) fn label(&self, full: bool) -> String {
                if full || (&*self.file == "~" && self.line == 0) {
                    return self.std_name();
                }
                format!("{}:{}({})", self.file, self.line, self.short_name())
            }

            pub(crate) fn key(&self) -> (&str, u32, &str) {
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
    /// As [`Report::function`](crate::Report::function), among this function's callers.
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
    /// As [`Report::function`](crate::Report::function), among this function's callees.
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

    /// The function's heap activity: allocations, bytes, frees and peak, own and cumulative.
    /// `None` when memory was not recorded (profkit's allocator wrapper
    /// [`Alloc`] was not the global allocator, or the report was read from a
    /// `.prof` file, which has no field for it).
    ///
    /// ```rust,standalone_crate
    /// #[profkit::profile]
    /// fn a() {}
    ///
    /// // This program does not make `profkit::Alloc` its global allocator.
    /// let (_, report) = profkit::record(a);
    /// assert!(report.function("a").unwrap().memory().is_none());
    /// ```
    #[cfg_attr(feature = "memory", doc = "\n[`Alloc`]: crate::Alloc")]
    #[cfg_attr(
        not(feature = "memory"),
        doc = "\n[`Alloc`]: https://docs.rs/profkit/latest/profkit/struct.Alloc.html"
    )]
    pub fn memory(&self) -> Option<&MemoryStats> {
        self.memory.as_ref()
    }

    /// How this function's time grows with the size of its input, fitted to its sized calls
    /// (`#[profile(size = ..)]`); `None` without sized calls, or when they could not be
    /// fitted ([`scaling`](Self::scaling) then says why). See [`Complexity`].
    ///
    /// ```
    /// #[profkit::profile(size = n)]
    /// fn work(n: u64) {
    ///     profkit::testing::advance(std::time::Duration::from_nanos(n * n));
    /// }
    ///
    /// let _clock = profkit::testing::TestClock::install().unwrap();
    /// let (_, report) = profkit::record(|| {
    ///     for n in [10, 30, 100, 300, 1000] { work(n); work(n); }
    /// });
    /// let growth = report.function("work").unwrap().complexity().unwrap();
    /// assert_eq!(growth.class(), profkit::ComplexityClass::Quadratic);
    /// ```
    pub fn complexity(&self) -> Option<&Complexity> {
        self.scaling.as_ref().and_then(|g| g.fit().ok())
    }

    /// This function's sized calls and the fit or the reason there is none (what the tables'
    /// `growth` column shows); `None` for a function without `#[profile(size = ..)]` (or read
    /// from a file that has no sizes). How the live heap grew is another matter:
    /// [`Report::growth`](crate::Report::growth).
    pub fn scaling(&self) -> Option<&Scaling> {
        self.scaling.as_ref()
    }

    /// CPU time of the thread while this function was its innermost profiled call, summed
    /// over all calls (the CPU counterpart of [`tottime`](FunctionStats::tottime)). `None`
    /// when CPU time was not recorded (`PROFKIT_CPU=1` or [`set_cpu`](crate::set_cpu); a
    /// platform without a per-thread CPU clock never records it). It is sampled (about every
    /// millisecond), so it is accurate for functions that run for milliseconds in all.
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// // Not recorded unless asked for.
    /// assert_eq!(report.function("a").unwrap().cpu_time(), None);
    /// ```
    pub fn cpu_time(&self) -> Option<Duration> {
        self.cpu.map(|c| Duration::from_nanos(c.own))
    }

    /// CPU time during this function's primitive calls, callees included (the CPU
    /// counterpart of [`cumtime`](FunctionStats::cumtime)); `None` when not recorded.
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// assert_eq!(report.function("a").unwrap().cum_cpu_time(), None);
    /// ```
    pub fn cum_cpu_time(&self) -> Option<Duration> {
        self.cpu.map(|c| Duration::from_nanos(c.cum))
    }

    /// Time spent waiting (blocked, sleeping, or runnable but not running) during this
    /// function's primitive calls: cumtime minus cum CPU time, at least zero; `None` when CPU
    /// time was not recorded.
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// assert_eq!(report.function("a").unwrap().wait_time(), None);
    /// ```
    pub fn wait_time(&self) -> Option<Duration> {
        self.cpu
            .map(|c| Duration::from_nanos(self.cumtime_ns.saturating_sub(c.cum)))
    }

    /// The share of this function's cumulative time that ran on a CPU (cum CPU time over
    /// cumtime, 0 to 1); `None` when CPU time was not recorded or the function took no time.
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// assert_eq!(report.function("a").unwrap().cpu_share(), None);
    /// ```
    pub fn cpu_share(&self) -> Option<f64> {
        let c = self.cpu?;
        (self.cumtime_ns > 0).then(|| (c.cum as f64 / self.cumtime_ns as f64).min(1.0))
    }

    /// One word for [`cpu_share`](FunctionStats::cpu_share): `"cpu"` at 80% or more (CPU-bound),
    /// `"waits"` at 20% or less (it mostly waited: I/O, a lock, a sleep, or a busy machine),
    /// `"mixed"` between; `None` when CPU time was not recorded.
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// assert_eq!(report.function("a").unwrap().verdict(), None);
    /// ```
    pub fn verdict(&self) -> Option<&'static str> {
        let share = self.cpu_share()?;
        Some(if share >= CPU_BOUND {
            "cpu"
        } else if share <= WAITS {
            "waits"
        } else {
            "mixed"
        })
    }
}

impl EdgeStats {
    /// The callee's own CPU time in the calls of this edge (the CPU counterpart of the edge's
    /// [`tottime`](EdgeStats::tottime)); `None` when CPU time was not recorded.
    ///
    /// ```
    /// use std::time::Duration;
    /// use profkit::testing::{TestClock, TestCpuClock, advance, advance_cpu};
    ///
    /// #[profkit::profile]
    /// fn fetch(cpu_us: u64) {
    ///     advance(Duration::from_micros(100));
    ///     advance_cpu(Duration::from_micros(cpu_us));
    /// }
    /// #[profkit::profile]
    /// fn cached() { fetch(90) }
    /// #[profkit::profile]
    /// fn remote() { fetch(10) }
    ///
    /// let _clock = TestClock::install().unwrap();
    /// let _cpu = TestCpuClock::install();
    /// let (_, report) = profkit::record(|| { cached(); remote() });
    /// let fetch = report.function("fetch").unwrap();
    /// assert_eq!(fetch.caller("cached").unwrap().cpu_time(), Some(Duration::from_micros(90)));
    /// assert_eq!(fetch.caller("remote").unwrap().wait_time(), Some(Duration::from_micros(90)));
    /// ```
    pub fn cpu_time(&self) -> Option<Duration> {
        self.cpu.map(|c| Duration::from_nanos(c.own))
    }

    /// CPU time during the edge's primitive calls, the callee's callees included (the CPU
    /// counterpart of the edge's [`cumtime`](EdgeStats::cumtime)); `None` when not recorded.
    ///
    /// ```
    /// # #[profkit::profile] fn child() {}
    /// # #[profkit::profile] fn parent() { child() }
    /// let (_, report) = profkit::record(parent);
    /// assert_eq!(report.function("child").unwrap().caller("parent").unwrap().cum_cpu_time(), None);
    /// ```
    pub fn cum_cpu_time(&self) -> Option<Duration> {
        self.cpu.map(|c| Duration::from_nanos(c.cum))
    }

    /// Time the edge's calls spent waiting: its cumtime minus its cum CPU time, at least zero;
    /// `None` when CPU time was not recorded.
    ///
    /// ```
    /// # #[profkit::profile] fn child() {}
    /// # #[profkit::profile] fn parent() { child() }
    /// let (_, report) = profkit::record(parent);
    /// assert_eq!(report.function("parent").unwrap().callee("child").unwrap().wait_time(), None);
    /// ```
    pub fn wait_time(&self) -> Option<Duration> {
        self.cpu
            .map(|c| Duration::from_nanos(self.cumtime_ns.saturating_sub(c.cum)))
    }

    /// The share of the edge's cumulative time that ran on a CPU (0 to 1); `None` when CPU time
    /// was not recorded or the calls took no time.
    ///
    /// ```
    /// # #[profkit::profile] fn child() {}
    /// # #[profkit::profile] fn parent() { child() }
    /// let (_, report) = profkit::record(parent);
    /// assert_eq!(report.function("parent").unwrap().callee("child").unwrap().cpu_share(), None);
    /// ```
    pub fn cpu_share(&self) -> Option<f64> {
        let c = self.cpu?;
        (self.cumtime_ns > 0).then(|| (c.cum as f64 / self.cumtime_ns as f64).min(1.0))
    }
}
