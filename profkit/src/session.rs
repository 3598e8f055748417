//! What a program calls to run and read the profiler: [`report()`] (the whole process),
//! [`record`] and [`spawn_scoped`] (one closure, isolated), [`reset`], the recording switches
//! and the clock choice. It reads `collect` and builds `model` reports.

use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

use crate::collect::{
    ClockKind, SiteInfo, calibrate, clock, cpu, guard, local, memory, registry, sampler, sampling,
    site,
};
use crate::data::{PerCall, Profile};
use crate::error::WriteError;
use crate::formats::write_atomic;
#[cfg(feature = "memory")]
use crate::model::HeapStats;
use crate::model::{Report, Snapshot, meta};

/// Everything recorded since the start (or the last [`reset`]) by every thread: threads that
/// ended, and the completed calls of threads still running, read without stopping them.
///
/// ```
/// #[profkit::profile]
/// fn step() {}
///
/// step();
/// assert!(profkit::report().function("step").unwrap().ncalls() >= 1);
/// ```
pub fn report() -> Report {
    let mut report = process_report();
    // The run's series of snapshots so far, for `Report::growth`.
    report.meta.snapshots = local::busy(|| Arc::from(SNAPSHOTS.lock().points.as_slice()));
    report
}

/// The process report without the snapshot series.
fn process_report() -> Report {
    if !ENABLED_AT_COMPILE_TIME {
        return Report::default();
    }
    calibrate::prepare(clock::configured());
    local::busy(|| {
        if cpu::is_on() {
            // Up to date: the CPU time since the sampler's last look is charged now.
            sampler::sample_all();
        }
        let mut named = registry::profiles_by_thread();
        let compensation = calibrate::compensate(&mut named);
        let sites: Arc<[SiteInfo]> = site::snapshot().into();
        let started = registry::started();
        let unrecorded = memory::installed().then(registry::unrecorded_since_reset);
        let mut meta = meta(started, None);
        meta.compensation = compensation;
        let mut report = Report::from_threads(named, sites, unrecorded).with_meta(meta);
        // Blocks no path holds are live outside profiled calls, profkit's own in its row:
        // levels read with the heap's live bytes, after this report's own allocations.
        if let Some(((allocs, bytes), (own_allocs, own_bytes))) = report.meta.untracked_live {
            report.add_untracked_live(allocs, bytes, own_allocs, own_bytes);
        }
        report
    })
}

thread_local! {
    /// Reports of threads started with [`spawn_scoped`] inside the running [`record`].
    static SESSION: RefCell<Option<Arc<Mutex<Vec<Report>>>>> = const { RefCell::new(None) };
}

/// Runs `f` and returns its value with a report of only the calls it made on this thread, and
/// on the threads it started with [`spawn_scoped`].
///
/// Other threads, including other tests running at the same time, do not appear in it; the
/// process-wide [`report()`] still sees these calls. Futures of `async fn`s
/// ([`FunctionStats::futures`](crate::FunctionStats::futures)) count where they end: a future
/// that `f` started on a runtime's worker thread is in the report of that thread, not here.
///
/// ```
/// #[profkit::profile]
/// fn work(n: u64) -> u64 { n * 2 }
///
/// let (sum, report) = profkit::record(|| (0..10).map(work).sum::<u64>());
/// assert_eq!(sum, 90);
/// assert_eq!(report.function("work").unwrap().ncalls(), 10);
/// ```
pub fn record<T>(f: impl FnOnce() -> T) -> (T, Report) {
    if !ENABLED_AT_COMPILE_TIME {
        return (f(), Report::default());
    }
    // Before `f`, so that the first record's calibration is not in its calls' times.
    calibrate::prepare(clock::configured());
    // profkit's own allocations happen while its state is held (`busy`), so that the
    // allocator wrapper charges them to profkit's row, not to the caller's function.
    let session: Arc<Mutex<Vec<Report>>> = local::busy(Arc::default);
    let started = (std::time::SystemTime::now(), std::time::Instant::now());
    let outer = SESSION.with(|s| s.replace(Some(session.clone())));
    let sample = || {
        if cpu::is_on() {
            local::busy(sampler::sample_all);
        }
    };
    // CPU time before `f` is charged to what was open before it.
    sample();
    // The outermost `record` starts a new window for heap peaks.
    let before = local::read_current(outer.is_none());
    let value = f();
    sample();
    let after = local::read_current(false);
    SESSION.with(|s| s.replace(outer.clone()));

    let elapsed = started.1.elapsed();
    let report = local::busy(|| {
        let (report, compensation) = recorded(before, after, &session, outer);
        let mut meta = meta(Some(started.0), Some(elapsed));
        meta.compensation = compensation.or(report.meta.compensation);
        // A window of one thread is no moment of the process: `Report::since` refuses it.
        meta.origin = None;
        report.with_meta(meta)
    });
    (value, report)
}

/// The report of a [`record`]: what this thread did between `before` and `after`, and the
/// reports of the threads it started with [`spawn_scoped`].
fn recorded(
    before: Option<local::ThreadReading>,
    after: Option<local::ThreadReading>,
    session: &Mutex<Vec<Report>>,
    outer: Option<Arc<Mutex<Vec<Report>>>>,
) -> (Report, Option<PerCall>) {
    let sites: Arc<[SiteInfo]> = site::snapshot().into();
    let mut named = Vec::new();
    if let Some(after) = after {
        let raw = match &before {
            Some(b) if b.thread.id() == after.thread.id() => after.raw.since(&b.raw),
            _ => after.raw,
        };
        let mut profile = Profile::default();
        after.thread.add_to(&mut profile, &raw);
        named.push(registry::NamedProfile {
            name: after.thread.name().clone(),
            profile,
            clocks: vec![after.thread.clock_kind()],
        });
    }
    let compensation = calibrate::compensate(&mut named);
    let mut report = Report::from_threads(named, sites, None);
    let scoped: Vec<Report> = std::mem::take(&mut *session.lock());
    for r in &scoped {
        report.merge(r);
    }
    // An enclosing `record` gets these threads too.
    if let Some(outer) = outer {
        outer.lock().extend(scoped);
    }
    (report, compensation)
}

/// Spawns a scoped thread whose calls the running [`record`] (if any) includes in its report.
///
/// The thread's closure runs inside its own `record`, whose report joins the spawning
/// thread's recording when the thread finishes, so the thread must be joined (or its scope
/// end) before the enclosing `record` returns: a thread still running then is left out of
/// that report (the process-wide [`report()`] still has it). Outside a `record` this is
/// `scope.spawn(f)`.
///
/// ```
/// #[profkit::profile]
/// fn part(i: u64) -> u64 { i }
///
/// let (_, report) = profkit::record(|| {
///     std::thread::scope(|s| {
///         for i in 0..4 {
///             profkit::spawn_scoped(s, move || part(i));
///         }
///     })
/// });
/// assert_eq!(report.function("part").unwrap().ncalls(), 4);
/// ```
pub fn spawn_scoped<'scope, 'env, F, T>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    f: F,
) -> std::thread::ScopedJoinHandle<'scope, T>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    let session = SESSION.with(|s| s.borrow().clone());
    scope.spawn(move || match session {
        Some(session) => {
            let (value, report) = record(f);
            session.lock().push(report);
            value
        }
        None => f(),
    })
}

/// Forgets everything recorded so far, in every thread.
///
/// A call that is running while `reset` runs is counted only if it ends afterwards (with its
/// whole duration).
///
/// ```
/// #[profkit::profile]
/// fn before_reset() {}
///
/// before_reset();
/// profkit::reset();
/// assert!(profkit::report().function("before_reset").is_err());
/// ```
pub fn reset() {
    if !ENABLED_AT_COMPILE_TIME {
        return;
    }
    local::busy(|| {
        registry::reset();
        let mut series = SNAPSHOTS.lock();
        series.points.clear();
        series.start = None;
    });
}

/// Snapshots kept of one run: when full, every other one is dropped (the first kept), so a
/// long run keeps its whole span at half the resolution.
const MAX_SNAPSHOTS: usize = 1024;

/// The run's live-heap snapshots, and the moment of the first (for [`snapshot`]'s times).
struct Series {
    points: Vec<Snapshot>,
    start: Option<std::time::Instant>,
}

static SNAPSHOTS: Mutex<Series> = Mutex::new(Series {
    points: Vec::new(),
    start: None,
});

/// Takes a snapshot of the live heap: each function's live bytes now (blocks it allocated not
/// freed yet), added to the run's series, from which [`Report::growth`] finds the functions
/// whose live bytes rise through the run. Times count from the first snapshot (or the last
/// [`reset`], which clears the series). `PROFKIT_SNAPSHOT_EVERY=10s` (with `PROFKIT_OUT` or
/// `PROFKIT=1`) or [`snapshot_every`] takes them on a timer. Without the allocator wrapper
/// (`profkit::Alloc`) the snapshots are empty. A run keeps at most 1,024 snapshots: beyond,
/// every other one is dropped.
///
/// ```
/// profkit::snapshot();
/// assert!(!profkit::report().growth().to_string().is_empty());
/// ```
pub fn snapshot() {
    let at = local::busy(|| {
        let mut series = SNAPSHOTS.lock();
        let start = *series.start.get_or_insert_with(std::time::Instant::now);
        Some(start.elapsed())
    });
    snapshot_at(at.unwrap_or_default());
}

/// [`snapshot`] with the time given: `at` from the start of the run. For tests with the test
/// clock, and for programs that keep their own time.
///
/// ```
/// profkit::snapshot_at(std::time::Duration::from_secs(10));
/// ```
pub fn snapshot_at(at: Duration) {
    if !ENABLED_AT_COMPILE_TIME {
        return;
    }
    let report = process_report();
    let at_ns = u64::try_from(at.as_nanos()).unwrap_or(u64::MAX);
    local::busy(|| {
        let point = report.live_snapshot(at_ns);
        let mut series = SNAPSHOTS.lock();
        if series.points.len() >= MAX_SNAPSHOTS {
            let mut i = 0;
            series.points.retain(|_| {
                i += 1;
                i % 2 == 1
            });
        }
        series.points.push(point);
    });
}

/// How often the snapshot thread takes a [`snapshot`], in nanoseconds (0: it stops).
static EVERY_NS: AtomicU64 = AtomicU64::new(0);

/// Takes a [`snapshot`] every `every` from now on, on a thread of its own (named
/// `profkit-snapshots`); a zero duration stops it. Calling it again changes the interval.
///
/// # Errors
/// When the thread cannot be started.
///
/// ```
/// profkit::snapshot_every(std::time::Duration::from_secs(10)).unwrap();
/// profkit::snapshot_every(std::time::Duration::ZERO).unwrap(); // stops
/// ```
pub fn snapshot_every(every: Duration) -> std::io::Result<()> {
    let ns = u64::try_from(every.as_nanos()).unwrap_or(u64::MAX);
    if EVERY_NS.swap(ns, Ordering::Relaxed) != 0 || ns == 0 || !ENABLED_AT_COMPILE_TIME {
        // A thread runs already (it reads the new interval), or none is wanted.
        return Ok(());
    }
    snapshot();
    let started = std::thread::Builder::new()
        .name("profkit-snapshots".to_owned())
        .spawn(|| {
            loop {
                let ns = EVERY_NS.load(Ordering::Relaxed);
                if ns == 0 {
                    return;
                }
                std::thread::sleep(Duration::from_nanos(ns));
                if EVERY_NS.load(Ordering::Relaxed) != 0 {
                    snapshot();
                }
            }
        });
    started
        .map(|_| ())
        .inspect_err(|_| EVERY_NS.store(0, Ordering::Relaxed))
}

/// Whether snapshots are being taken on a timer.
pub(crate) fn snapshots_on() -> bool {
    EVERY_NS.load(Ordering::Relaxed) != 0
}

/// Starts recording new calls again after [`disable`]. Recording is on at start.
///
/// ```
/// profkit::enable();
/// assert!(profkit::is_enabled());
/// ```
pub fn enable() {
    guard::ENABLED.store(true, Ordering::Relaxed);
}

/// Stops recording new calls; calls already open still end normally. A disabled
/// `#[profile]` function costs one relaxed atomic load per call.
///
/// ```
/// #[profkit::profile]
/// fn quiet() {}
///
/// profkit::disable();
/// let (_, report) = profkit::record(quiet);
/// profkit::enable();
/// assert!(report.is_empty());
/// ```
pub fn disable() {
    guard::ENABLED.store(false, Ordering::Relaxed);
}

/// Whether new calls are recorded.
///
/// ```
/// assert!(profkit::is_enabled());
/// ```
pub fn is_enabled() -> bool {
    ENABLED_AT_COMPILE_TIME && guard::ENABLED.load(Ordering::Relaxed)
}

/// The cargo feature `enable` (on by default): without it nothing is recorded, and the
/// instrumentation is not even generated.
const ENABLED_AT_COMPILE_TIME: bool = cfg!(feature = "enable");

/// Chooses the clock every thread records with, and forgets what was recorded so far (so a
/// report never mixes clocks): [`ClockKind::Wall`] (the default) or [`ClockKind::ThreadCpu`],
/// where time a thread spends blocked or sleeping does not count. The environment variable
/// `PROFKIT_CLOCK=cpu` chooses the CPU clock from the start. A thread switches at its next
/// call made with no profiled call open on it; a thread with a
/// [`TestClock`](crate::testing::TestClock) keeps it. [`ClockKind::Manual`] is not a process-wide
/// choice and is ignored here.
///
/// A CPU clock read is a system call: expect several hundred nanoseconds per recorded call
/// instead of tens (see the README's cost table).
///
/// ```
/// use profkit::ClockKind;
///
/// #[profkit::profile]
/// fn nap() { std::thread::sleep(std::time::Duration::from_millis(20)); }
///
/// profkit::set_clock(ClockKind::ThreadCpu);
/// let (_, report) = profkit::record(nap);
/// profkit::set_clock(ClockKind::Wall);
/// assert_eq!(report.clock(), Some(ClockKind::ThreadCpu));
/// assert!(report.function("nap").unwrap().cumtime() < std::time::Duration::from_millis(5));
/// ```
pub fn set_clock(kind: ClockKind) {
    if !ENABLED_AT_COMPILE_TIME || kind == ClockKind::Manual {
        return;
    }
    local::busy(|| clock::set_configured(kind));
    reset();
}

/// Writes the pstats table of [`report()`] to `path`, atomically (a temporary file in the
/// same directory, then a rename): the explicit form of `PROFKIT_OUT`.
///
/// # Errors
/// [`WriteError`] names the path and the operating system's reason.
///
/// ```
/// let path = std::env::temp_dir().join(format!("profkit-doc-report-{}.txt", std::process::id()));
/// profkit::write_report(&path).unwrap();
/// assert!(std::fs::read_to_string(&path).unwrap().contains("function calls"));
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn write_report(path: impl AsRef<Path>) -> Result<(), WriteError> {
    let text = report().to_string();
    write_atomic(path.as_ref(), text.as_bytes())
}

/// The process heap now, as the allocator wrapper [`Alloc`](crate::Alloc) saw it: live bytes
/// and their peak, and every allocation and free since the process started (cargo feature
/// `memory`). All zero when `Alloc` is not the global allocator. It allocates nothing, so
/// reading it does not move it.
///
/// ```rust,standalone_crate
/// #[global_allocator]
/// static ALLOC: profkit::Alloc = profkit::Alloc::system();
///
/// let before = profkit::heap();
/// let block = Vec::<u64>::with_capacity(1000);
/// let after = profkit::heap();
/// assert_eq!(after.total_allocs() - before.total_allocs(), 1);
/// assert_eq!(after.total_bytes() - before.total_bytes(), 8_000);
/// assert!(after.peak() >= after.current());
/// drop(block);
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "memory")))]
#[cfg(feature = "memory")]
pub fn heap() -> HeapStats {
    let (totals, live, peak) = registry::heap();
    let current = u64::try_from(live).unwrap_or(0);
    HeapStats {
        totals,
        current,
        peak: u64::try_from(peak).unwrap_or(0).max(current),
    }
}

/// Times about one call in `rate` per function, call path and thread, and counts every call
/// (sampled timing; `PROFKIT_SAMPLE=rate` chooses it from the start). `1` (the default) times
/// every call; `0` counts as `1`.
///
/// Calls, primitive calls, callers and callees, the call tree and memory stay exact; tottime,
/// cumtime and waiting time become estimates from the timed calls (per call path: the timed
/// calls' mean times the calls), latency percentiles come from the timed calls, and CPU time is
/// charged as in exact mode. A call is timed or not as a whole, and each path's first call is
/// always timed. A leaf call that is not timed skips both clock reads. Sized functions and
/// `async fn` polls are always timed. Reports say the rate ([`Report::sampling`]).
///
/// ```
/// #[profkit::profile]
/// fn leaf(i: u64) -> u64 { std::hint::black_box(i) }
///
/// profkit::set_sampling(16);
/// let (_, report) = profkit::record(|| for i in 0..1000 { leaf(i); });
/// profkit::set_sampling(1);
/// assert_eq!(report.function("leaf").unwrap().ncalls(), 1000);
/// assert_eq!(report.sampling(), Some(16));
/// ```
pub fn set_sampling(rate: u32) {
    if ENABLED_AT_COMPILE_TIME {
        sampling::set(rate);
    }
}

/// The sampling rate in effect ([`set_sampling`]): 1 when every call is timed.
///
/// ```
/// assert!(profkit::sampling() >= 1);
/// ```
pub fn sampling() -> u32 {
    sampling::init_from_env();
    sampling::rate()
}

/// Records CPU time beside wall time (`true`), in the same run, or stops (`false`): then
/// [`FunctionStats::cpu_time`](crate::FunctionStats::cpu_time),
/// [`cum_cpu_time`](crate::FunctionStats::cum_cpu_time) and
/// [`wait_time`](crate::FunctionStats::wait_time) are `Some`, and the pstats table gets a
/// `cpu%` column and a verdict (`cpu`, `waits`, `mixed`). The environment variable
/// `PROFKIT_CPU=1` turns it on from the start.
///
/// A sampler thread reads each recording thread's CPU clock about every millisecond and
/// charges what it used since to the call it has open, so a profiled call costs no system
/// call; the figures of a function that ran for at least some milliseconds in all are accurate
/// to a sample or so. Turn it on before the work: CPU time before is not recorded. On a
/// platform without a per-thread CPU clock nothing is recorded and the figures stay `None`.
///
/// ```
/// #[profkit::profile]
/// fn spin() -> u64 { (0..3_000_000u64).map(std::hint::black_box).sum() }
///
/// profkit::set_cpu(true);
/// let (_, report) = profkit::record(spin);
/// profkit::set_cpu(false);
/// let f = report.function("spin").unwrap();
/// if cfg!(target_os = "linux") {
///     assert!(f.cum_cpu_time().is_some() && f.wait_time().is_some());
/// }
/// ```
pub fn set_cpu(on: bool) {
    if ENABLED_AT_COMPILE_TIME {
        sampler::set_on(on);
    }
}
