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
//! writes it to that file instead, atomically. `PROFKIT_SORT` (a [`SortKey`] name) and
//! `PROFKIT_LIMIT` (a row count) shape it.

extern crate self as profkit;

mod arena;
mod clock;
mod error;
mod exit;
mod future;
mod guard;
mod local;
mod registry;
mod report;
mod site;
pub mod testing;
mod tree;

use std::path::Path;
use std::sync::atomic::Ordering;

pub use error::{LookupError, TestClockError, WriteError};
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
    EdgeStats, FunctionStats, FutureStats, ParseSortKeyError, Report, SortKey, StatsTable,
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
    let tree = registry::merged_tree();
    let sites = site::snapshot();
    Report::from_tree(&tree, &sites, &site::future_totals(&sites))
}

/// Runs `f` and returns its value with a report of only the calls it made on this thread.
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
    let futures_before = site::future_totals(&site::snapshot());
    let before = local::snapshot_current();
    let value = f();
    let after = local::snapshot_current();
    let sites = site::snapshot();
    let futures: Vec<_> = site::future_totals(&sites)
        .into_iter()
        .enumerate()
        .map(|(i, t)| t.since(futures_before.get(i).copied().unwrap_or_default()))
        .collect();
    let mut tree = tree::Tree::default();
    if let Some(after) = after {
        let baseline = match &before {
            Some(b) if b.thread.id() == after.thread.id() => &b.nodes[..],
            _ => &[],
        };
        tree.add(&after.thread.to_ns(after.nodes, baseline));
    }
    (value, Report::from_tree(&tree, &sites, &futures))
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
    registry::reset();
    site::clear_future_totals();
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

/// Writes the pstats table of [`report()`] to `path`, atomically (a temporary file in the
/// same directory, then a rename): the explicit form of `PROFKIT_OUT`.
///
/// # Errors
/// [`WriteError`] names the path and the operating system's reason.
///
/// ```
/// let path = std::env::temp_dir().join("profkit-doc-report.txt");
/// profkit::write_report(&path).unwrap();
/// assert!(std::fs::read_to_string(&path).unwrap().contains("function calls"));
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn write_report(path: impl AsRef<Path>) -> Result<(), WriteError> {
    exit::write_atomic(path.as_ref(), report().to_string().as_bytes())
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

/// What generated code calls. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::future::instrument;
    pub use crate::guard::{Guard, enter};
    pub use crate::site::CallSite;
}
