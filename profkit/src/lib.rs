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
//! `.prof`, `.json`, `.folded`, `.svg`, `.pb.gz`). `PROFKIT_SORT` (a [`SortKey`] name) and
//! `PROFKIT_LIMIT` (a row count) shape it. With `PROFKIT_SIGNALS=1` (or a call of
//! `report_on_signals()`), SIGINT and SIGTERM write it too before the process ends by the
//! signal.
//!
//! ## Cargo features
//! - `enable` (default): record. Off, `#[profile]` returns items unchanged and every function
//!   is a no-op.
//! - `json` (default): profkit's JSON files ([`Report::to_json`], [`Report::read`]). Off, the
//!   crate does not pull in `serde_json`.
//! - `flamegraph`: SVG flame graphs through `inferno` (`Report::flamegraph_svg`).
//! - `pprof`: pprof profiles for `go tool pprof`, Pyroscope, Grafana (`Report::to_pprof`,
//!   `PROFKIT_OUT=profile.pb.gz`), encoded by `prost` and gzipped by `flate2`.
//! - `tracing`: `profkit::tracing::ProfkitLayer`, which records
//!   `tracing` spans (`#[tracing::instrument]`) as calls.
//! - `memory`: the allocator wrapper `Alloc` and `heap()`: allocations, bytes and peak heap per
//!   call path (`Report::memory`, `FunctionStats::memory`), once the program makes it its
//!   `#[global_allocator]`. No dependencies.
//! - `signals` (default): the report on SIGINT and SIGTERM, through `signal-hook`.
//! - `history`: [`history`], a SQLite history of runs with regression checks against the
//!   rolling median (`rusqlite` with SQLite compiled in, `flate2`).
//! - `history-svg`: SVG trend charts of a history (`plotters`).
//! - `cli`: the `profkit` command line (`cargo install profkit --features cli`).

extern crate self as profkit;

// The floors, bottom up; a floor imports only floors below it (ARCHITECTURE.md).
mod data;
mod error;

mod collect;

mod model;

mod formats;
mod views;

mod files;
mod session;

mod exit;
mod expect;
#[cfg(feature = "history")]
pub mod history;
mod http;
pub mod testing;

#[cfg(feature = "memory")]
pub use collect::Alloc;
#[cfg(feature = "http")]
pub use http::{ServeError, Server, serve, serve_with_token};
#[cfg(feature = "tracing")]
pub mod tracing;

pub use collect::ClockKind;
pub use error::{
    LookupError, ReadError, SignalError, SinceError, TestClockError, WhatIfError, WriteError,
};
#[cfg(all(unix, feature = "signals"))]
pub use exit::report_on_signals;
pub use expect::Expect;
pub use files::Format;
pub use formats::StackMetric;
pub use model::{
    EdgeStats, FunctionStats, FutureStats, Growth, HeapStats, Latency, MemoryStats, Report,
    ThreadReport,
};
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
/// `#[profile(crate = "prof")]` names profkit by that path in the generated code, for a crate
/// that renamed the dependency (`prof = { package = "profkit", .. }`); the functions inside an
/// instrumented `impl`, `trait` or `mod` inherit it. An inner `#[profile(..)]` gives its
/// function's own options when written `profile`, `profkit::profile` or `<crate path>::profile`;
/// under another name (`use profkit::profile as timed`) the enclosing attribute cannot tell it
/// apart, instruments the function itself, and the inner one leaves it as it is (and refuses
/// options it cannot apply), so no call is timed twice.
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
#[cfg(feature = "memory")]
pub use session::heap;
pub use session::{
    disable, enable, is_enabled, record, report, reset, set_clock, snapshot, snapshot_at,
    snapshot_every, spawn_scoped, write_report,
};
pub use views::{
    CallsTable, GrowthTable, LatencyTable, MemoryTable, ParseSortKeyError, SortKey, StatsTable,
    TreeView,
};

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

/// The README's examples, compiled as doctests so they cannot drift from the API (they need the
/// `tracing` and `history` features, which `cargo test --workspace` turns on: its suite enables
/// them).
#[cfg(all(doctest, feature = "tracing", feature = "history"))]
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
    pub use crate::collect::CallSite;
    pub use crate::collect::future::instrument;
    pub use crate::collect::guard::{Guard, enter};
    // The atomic write every profkit file goes through, for the binary's `--folded -o`.
    pub use crate::formats::write_atomic;

    impl CallSite {
        /// A site for a function whose qualified name is recovered from `nested_item`, which
        /// must return `core::any::type_name` of an item defined directly inside that function.
        /// Its first call installs the exit report (`PROFKIT=1`, `PROFKIT_OUT`).
        pub const fn function(
            nested_item: fn() -> &'static str,
            file: &'static str,
            line: u32,
        ) -> Self {
            CallSite::from_nested_item(nested_item, file, line, crate::http::install_once)
        }

        /// A site with a fixed row name (`#[profile(name = ..)]`, `profile_scope!`).
        pub const fn named(name: &'static str, file: &'static str, line: u32) -> Self {
            CallSite::from_name(name, file, line, crate::http::install_once)
        }
    }
}
