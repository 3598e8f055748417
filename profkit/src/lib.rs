//! # profkit
//!
//! A deterministic instrumentation profiler with Python's cProfile semantics: annotate
//! functions with [`#[profile]`](profile), and get pstats' table (calls, primitive calls,
//! tottime, cumtime, callers and callees) exact to the call, for a few nanoseconds per call.
//!
//! ```
//! #[profkit::profile]
//! fn fib(n: u64) -> u64 {
//!     if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
//! }
//!
//! let (value, report) = profkit::record(|| fib(15));
//! assert_eq!(value, 610);
//! let f = report.function("fib").unwrap();
//! assert_eq!((f.ncalls(), f.primitive_calls()), (1973, 1));
//! assert_eq!(f.caller("fib").unwrap().ncalls(), 1972);
//! print!("{report}"); // the pstats table
//! ```
//!
//! ## How calls are counted
//! Exactly as CPython's `_lsprof` counts them. Every thread records into its own call tree
//! without locks; [`report()`] merges all threads, including those that ended and those still
//! running (their completed calls). A call is counted when it returns or unwinds.
//!
//! ## At exit
//! With `PROFKIT=1` in the environment, a program that records at least one call prints the
//! table to stderr when it exits (`main` returns or `std::process::exit`); `PROFKIT_OUT=path`
//! writes it to that file instead, atomically, in the format its extension names (`.txt`,
//! `.prof`, `.json`, `.folded`, `.svg`). `PROFKIT_SORT` (a [`SortKey`] name) and
//! `PROFKIT_LIMIT` (a row count) shape it.
//!
//! ## Cargo features
//! - `enable` (default): record. Off, `#[profile]` returns items unchanged and every function
//!   is a no-op.
//! - `json` (default): profkit's JSON files ([`Report::to_json`], [`Report::read`]). Off, the
//!   crate does not pull in `serde_json`.
//! - `flamegraph`: SVG flame graphs through `inferno` (`Report::flamegraph_svg`).
//! - `cli`: the `profkit` command line (`cargo install profkit --features cli`).

extern crate self as profkit;

mod arena;
mod clock;
mod dist;
mod error;
mod exit;
mod expect;
mod future;
mod guard;
mod hist;
mod local;
mod marshal;
mod profile;
mod registry;
mod report;
mod site;
pub mod testing;
mod tree;

use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use parking_lot::Mutex;

pub use clock::ClockKind;
pub use error::{LookupError, ReadError, TestClockError, WriteError};
pub use expect::Expect;
/// Records every call of a function, or of every function in an `impl` block, a `trait` or an
/// inline `mod`.
///
/// # Where it goes, and the row it gives
///
/// | form | row name |
/// |---|---|
/// | `fn fetch_row()` in module `app::db` | `app::db::fetch_row` |
/// | `#[profile(name = "db::fetch")]` | `db::fetch` |
/// | method of `impl Db` (any receiver: `&self`, `&mut self`, `self`, `self: Box<Self>`, `self: Pin<&mut Self>`) | `app::Db::get` |
/// | method of `impl<T> Cache<T>` | `app::Cache::get` (one row for every `T`) |
/// | method of `impl Store for Disk` | `<app::Disk as app::Store>::get` |
/// | default method of `trait Store` | `app::Store::describe` (one row for every implementor) |
/// | `#[profile] impl ..` / `#[profile] trait ..` / `#[profile] mod ..` | each function inside, as above; `#[profile(skip)]` on one leaves it out |
/// | generic `fn largest<T>` | `app::largest` (one row for every `T`) |
/// | `async fn`, async method, `async fn` in a trait, `#[async_trait]` method | as the sync form, never with `{{closure}}` |
/// | `profile_scope!("parse")` | `parse` |
///
/// File and line are those of the function's name. Signatures are kept whole: `unsafe fn`,
/// `extern "C" fn`, `-> impl Trait`, lifetimes, where clauses, patterns and `#[cfg]` in
/// parameters, attributes, docs and visibility.
///
/// ```
/// use profkit::profile;
///
/// #[profile]
/// fn parse(s: &str) -> usize { s.len() }
///
/// #[profile(name = "storage::load")]
/// fn load() {}
///
/// struct Db;
///
/// #[profile]
/// impl Db {
///     fn get(&self) -> u32 { 1 }
///     #[profile(skip)]
///     fn len(&self) -> usize { 0 }
/// }
///
/// let (_, report) = profkit::record(|| { parse("x"); load(); Db.get() + Db.len() as u32 });
/// assert_eq!(report.function("parse").unwrap().ncalls(), 1);
/// assert_eq!(report.function("storage::load").unwrap().ncalls(), 1);
/// assert_eq!(report.function("Db::get").unwrap().ncalls(), 1);
/// assert!(report.function("Db::len").is_err());
/// ```
///
/// # What it expands to
///
/// A synchronous function gets one statement in front of its body:
///
/// ```text
/// fn get(&self, id: u64) -> Row {
///     let __profkit_guard = ::profkit::__private::enter({
///         fn __profkit_fn_name() -> &'static str {
///             ::core::any::type_name_of_val(&__profkit_fn_name) // "app::Db::get::__profkit_fn_name"
///         }
///         static __PROFKIT_SITE: ::profkit::__private::CallSite =
///             ::profkit::__private::CallSite::function(__profkit_fn_name, file!(), line!());
///         &__PROFKIT_SITE
///     });
///     /* the body, unchanged */
/// }
/// ```
/// The guard ends the call when it is dropped: at return, or while unwinding from a panic.
/// The name is computed once per function, the first time it is called.
///
/// An `async fn` keeps its signature; its body becomes a future that is timed per poll:
///
/// ```text
/// async fn fetch(id: u64) -> Result<Row, Error> {
///     ::profkit::__private::instrument(<site as above>, async move {
///         let __profkit_ret: Result<Row, Error> = { /* the body */ };
///         __profkit_ret
///     })
///     .await
/// }
/// ```
/// Inside each poll the function is an open call on the polling thread, and it is closed before
/// the poll returns, so no guard is ever held across an `.await` and tasks that interleave or
/// move between threads keep exact trees. The call is counted once, when the future completes
/// or is dropped after its first poll; [`FunctionStats::futures`] gives the polls, wall time
/// and cancellations. The `Box::pin(async move { .. })` body that `#[async_trait]` produces is
/// recognised and instrumented the same way.
///
/// # Misuse
/// On a `const fn`, a closure, a struct or another non-function item, or with an unknown or
/// duplicated option, the macro gives one error pointing at the problem and leaves the item as
/// it was. With the cargo feature `enable` off it checks its input and returns the item
/// unchanged.
pub use profkit_macros::profile;
pub use report::{
    CallsTable, EdgeStats, FunctionStats, FutureStats, Latency, LatencyTable, ParseSortKeyError,
    Report, SortKey, StatsTable, ThreadReport, TreeView,
};

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
    if !ENABLED_AT_COMPILE_TIME {
        return Report::default();
    }
    local::busy(|| {
        let named = registry::profiles_by_thread();
        let sites: Arc<[site::SiteInfo]> = site::snapshot().into();
        let futures = site::future_totals(&sites).into();
        let started = registry::started();
        Report::from_threads(named, sites, futures).with_meta(report::meta(started, None))
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
/// process-wide [`report()`] still sees these calls. The future statistics of `async fn`s
/// ([`FunctionStats::futures`]) are process-wide: they count every future of those functions
/// that ended while `f` ran, on any thread.
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
    let futures_before = local::busy(|| site::future_totals(&site::snapshot()));
    let started = (std::time::SystemTime::now(), std::time::Instant::now());
    let session = Arc::new(Mutex::new(Vec::new()));
    let outer = SESSION.with(|s| s.replace(Some(session.clone())));
    let before = local::read_current();
    let value = f();
    let after = local::read_current();
    SESSION.with(|s| s.replace(outer.clone()));

    let elapsed = started.1.elapsed();
    let report = local::busy(|| recorded(before, after, &futures_before, &session, outer))
        .with_meta(report::meta(Some(started.0), Some(elapsed)));
    (value, report)
}

/// The report of a [`record`]: what this thread did between `before` and `after`, and the
/// reports of the threads it started with [`spawn_scoped`].
fn recorded(
    before: Option<local::ThreadReading>,
    after: Option<local::ThreadReading>,
    futures_before: &[site::FutureTotals],
    session: &Mutex<Vec<Report>>,
    outer: Option<Arc<Mutex<Vec<Report>>>>,
) -> Report {
    let sites: Arc<[site::SiteInfo]> = site::snapshot().into();
    let futures: Arc<[site::FutureTotals]> = site::future_totals(&sites)
        .into_iter()
        .enumerate()
        .map(|(i, t)| t.since(&futures_before.get(i).cloned().unwrap_or_default()))
        .collect();
    let mut named = Vec::new();
    if let Some(after) = after {
        let raw = match &before {
            Some(b) if b.thread.id() == after.thread.id() => after.raw.since(&b.raw),
            _ => after.raw,
        };
        let mut profile = profile::Profile::default();
        after.thread.add_to(&mut profile, &raw);
        named.push(registry::NamedProfile {
            name: after.thread.name().clone(),
            profile,
            clocks: vec![after.thread.clock_kind()],
        });
    }
    let mut report = Report::from_threads(named, sites, futures);
    let scoped: Vec<Report> = std::mem::take(&mut *session.lock());
    for r in &scoped {
        report.merge_threads(r);
    }
    // An enclosing `record` gets these threads too.
    if let Some(outer) = outer {
        outer.lock().extend(scoped);
    }
    report
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
        site::clear_future_totals();
    });
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
/// [`TestClock`](testing::TestClock) keeps it. [`ClockKind::Manual`] is not a process-wide
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
    exit::write_atomic(path.as_ref(), text.as_bytes())
}

/// Records a block as its own row, named `name`, from this point to the end of the enclosing
/// block; or, given a block as second argument, around that block only (its value is
/// returned).
///
/// ```
/// fn handle(items: &[u32]) -> u32 {
///     profkit::profile_scope!("handle::validate");
///     let doubled = profkit::profile_scope!("handle::double", {
///         items.iter().map(|x| x * 2).sum::<u32>()
///     });
///     doubled
/// }
///
/// let (v, report) = profkit::record(|| handle(&[1, 2, 3]));
/// assert_eq!(v, 12);
/// assert_eq!(report.function("handle::validate").unwrap().ncalls(), 1);
/// let double = report.function("handle::double").unwrap();
/// assert_eq!(double.caller("handle::validate").unwrap().ncalls(), 1);
/// ```
#[cfg(feature = "enable")]
#[macro_export]
macro_rules! profile_scope {
    ($name:expr) => {
        let __profkit_scope_guard = {
            static __PROFKIT_SITE: $crate::__private::CallSite =
                $crate::__private::CallSite::named($name, ::core::file!(), ::core::line!());
            $crate::__private::enter(&__PROFKIT_SITE)
        };
    };
    ($name:expr, $body:block) => {{
        $crate::profile_scope!($name);
        $body
    }};
}

/// The README's examples, compiled as doctests so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

/// Records a future (an `async` block, say) as its own row, named `name`, the way
/// `#[profile]` records an `async fn`: busy time per poll, one call when it ends.
///
/// Use it, not [`profile_scope!`], for a part of an async function: a scope guard held across
/// an `.await` makes the future `!Send` (so a multi-threaded executor rejects it at compile
/// time), but on a single-threaded executor that interleaves tasks it would nest one task's
/// calls inside another's.
///
/// ```
/// # use std::future::Future;
/// # fn block_on<F: Future>(f: F) -> F::Output {
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     let mut f = std::pin::pin!(f);
/// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// async fn handler() -> u32 {
///     let parsed = profkit::profile_async!("handler::parse", async { 40 }).await;
///     parsed + 2
/// }
///
/// let (v, report) = profkit::record(|| block_on(handler()));
/// assert_eq!(v, 42);
/// assert_eq!(report.function("handler::parse").unwrap().ncalls(), 1);
/// ```
#[cfg(feature = "enable")]
#[macro_export]
macro_rules! profile_async {
    ($name:expr, $future:expr) => {
        $crate::__private::instrument(
            {
                static __PROFKIT_SITE: $crate::__private::CallSite =
                    $crate::__private::CallSite::named($name, ::core::file!(), ::core::line!());
                &__PROFKIT_SITE
            },
            $future,
        )
    };
}

/// Records a future as its own row (compiled out: the cargo feature `enable` is off, so this
/// is the future alone).
#[cfg(not(feature = "enable"))]
#[macro_export]
macro_rules! profile_async {
    ($name:expr, $future:expr) => {{
        let _: &'static str = $name;
        $future
    }};
}

/// Records a block as its own row (compiled out: the cargo feature `enable` is off, so this
/// expands to the block alone).
#[cfg(not(feature = "enable"))]
#[macro_export]
macro_rules! profile_scope {
    ($name:expr) => {
        let _: &'static str = $name;
    };
    ($name:expr, $body:block) => {{
        let _: &'static str = $name;
        $body
    }};
}

/// What generated code and the `profkit` binary call. Not a public API: it changes without
/// notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::future::instrument;
    pub use crate::guard::{Guard, enter};
    pub use crate::site::CallSite;
    // The atomic write every profkit file goes through, for the binary's `--folded -o`.
    pub use crate::exit::write_atomic;
}
