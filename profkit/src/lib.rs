//! # profkit
//!
//! Python's cProfile and pstats for Rust: put [`#[profile]`](profile) on the functions you care
//! about and get pstats' table (calls, primitive calls, tottime, cumtime, callers and callees),
//! counted exactly as CPython's `_lsprof` counts them. It is an instrumentation profiler you
//! embed in your program and its tests; a profiled call costs about 22–23 ns, 17 ns of which are
//! the two clock reads any timed call needs (`cargo bench -p profkit-suite --bench overhead` in the repository, on
//! a 2-vCPU AMD EPYC VM).
//!
//! ```toml
//! [dependencies]
//! profkit = "0.1"
//! ```
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
//! assert_eq!((f.ncalls(), f.primitive_calls()), (1973, 1)); // pstats' "1973/1"
//! assert_eq!(f.caller("fib").unwrap().ncalls(), 1972);
//! print!("{report}"); // the pstats table
//! ```
//!
//! ## In tests: call counts and latency budgets
//!
//! [`record`] reports only what its closure did on its thread, so tests running in parallel do
//! not see each other; [`Report::expect`] turns the report into assertions that fail with the
//! rows that explain them:
//!
//! ```
//! use std::time::Duration;
//!
//! #[profkit::profile]
//! fn fetch_row(id: u64) -> u64 { id }
//!
//! #[profkit::profile]
//! fn get_users(ids: &[u64]) -> Vec<u64> { ids.iter().map(|&id| fetch_row(id)).collect() }
//!
//! // In a #[test]:
//! let (users, report) = profkit::record(|| get_users(&[1, 2, 3]));
//! assert_eq!(users, [1, 2, 3]);
//! report
//!     .expect("fetch_row")                  // or "my_crate::db::fetch_row"
//!     .calls(3)
//!     .at_most_per_call_of("get_users", 3)  // 1 would fail: an N+1 pattern
//!     .p99_below(Duration::from_millis(5)); // a latency budget
//! report.expect_not_called("legacy_fetch");
//! ```
//!
//! ## Where to start
//!
//! | to | use |
//! |---|---|
//! | profile a function, a method, an `impl`, a `trait`, a `mod` | [`#[profile]`](profile), or [`profile_scope!`] for a block, [`profile_async!`] for a future |
//! | get the whole process's profile | [`report()`]; or `PROFKIT=1` in the environment prints it at exit, `PROFKIT_OUT=profile.json` writes it |
//! | get one closure's calls only | [`record`] (and [`spawn_scoped`] for its threads) |
//! | print, sort, filter, limit | [`Report`] (`Display` is the table), [`Report::stats`] with a [`SortKey`] |
//! | look at one function | [`Report::function`], a [`FunctionStats`] with its callers and callees ([`EdgeStats`]) and [`Latency`] |
//! | assert in a test | [`Report::expect`], an [`Expect`]; exact times with [`testing::TestClock`] |
//! | find what to fix first | [`Report::what_if`] (Amdahl's law per function) |
//! | write and read files | [`Report::write`] (format by extension: [`Format`]), [`Report::read`], [`Report::merge`] |
//! | count allocations per call path | [`Alloc`] as the `#[global_allocator]`, then [`Report::memory`] and [`heap()`] |
//! | profile code that uses `tracing` spans | [`tracing::ProfkitLayer`] |
//! | keep a history of runs and catch regressions | [`history::Store`] |
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
//! `.prof`, `.json`, `.folded`, `.svg`, `.pb.gz`); `{pid}` and `{exe}` in the path become the
//! process id and the executable's name, and missing directories are created
//! (`PROFKIT_OUT=target/profiles/{exe}-{pid}.json cargo test` keeps one file per test binary,
//! for `profkit merge target/profiles/*.json -o all.json`). A process that replaces the file
//! another process of the run wrote at a plain path (another executable, or one running at the
//! same time) says so on stderr, naming that process. `PROFKIT_SORT` (a [`SortKey`] name) and
//! `PROFKIT_LIMIT` (a row count) shape it. With `PROFKIT_SIGNALS=1` (or a call of
//! [`report_on_signals()`]), SIGINT and SIGTERM write it too before the process ends by the
//! signal.
//!
//! ## Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `enable` | on | recording. Off, `#[profile]` returns items unchanged and every function is a no-op returning an empty report |
//! | `json` | on | profkit's JSON files: [`Report::to_json`], [`Report::write_json`] (`serde_json`) |
//! | `signals` | on | the report on SIGINT and SIGTERM: [`report_on_signals()`], `PROFKIT_SIGNALS=1` (`signal-hook`; Unix) |
//! | `flamegraph` | off | SVG flame graphs: [`Report::write_flamegraph`] (`inferno`) |
//! | `memory` | off | the allocator wrapper [`Alloc`] and [`heap()`]: allocations, bytes and peak heap per call path; no dependencies |
//! | `pprof` | off | pprof profiles for `go tool pprof`, Pyroscope, Grafana: [`Report::to_pprof`] (`prost`, `flate2`) |
//! | `tracing` | off | [`tracing::ProfkitLayer`]: `tracing` spans recorded as calls (`tracing-subscriber`'s registry) |
//! | `history` | off | [`history`]: a SQLite history of runs, regressions against the rolling median (`rusqlite` with SQLite compiled in) |
//! | `history-postgres` | off | the same history on a PostgreSQL server shared by many CI runners: `history::PgStore`, `--db postgres://...` (`postgres`, TLS by `rustls`) |
//! | `history-svg` | off | SVG trend charts of a history: [`history::Trend::to_svg`] (`plotters`) |
//! | `cli` | off | the `profkit` command line: `cargo install profkit --features cli` |
//!
//! On docs.rs every feature is on, and each item that needs one says which.
//!
// Links to items of optional features: intra-doc where the feature is on (docs.rs turns every
// one on), docs.rs otherwise, so that the documentation of any set of features has no broken link.
#![cfg_attr(feature = "json", doc = "[`Report::to_json`]: crate::Report::to_json")]
#![cfg_attr(
    not(feature = "json"),
    doc = "[`Report::to_json`]: https://docs.rs/profkit/latest/profkit/struct.Report.html#method.to_json"
)]
#![cfg_attr(
    feature = "json",
    doc = "[`Report::write_json`]: crate::Report::write_json"
)]
#![cfg_attr(
    not(feature = "json"),
    doc = "[`Report::write_json`]: https://docs.rs/profkit/latest/profkit/struct.Report.html#method.write_json"
)]
#![cfg_attr(
    feature = "flamegraph",
    doc = "[`Report::write_flamegraph`]: crate::Report::write_flamegraph"
)]
#![cfg_attr(
    not(feature = "flamegraph"),
    doc = "[`Report::write_flamegraph`]: https://docs.rs/profkit/latest/profkit/struct.Report.html#method.write_flamegraph"
)]
#![cfg_attr(feature = "memory", doc = "[`Alloc`]: crate::Alloc")]
#![cfg_attr(
    not(feature = "memory"),
    doc = "[`Alloc`]: https://docs.rs/profkit/latest/profkit/struct.Alloc.html"
)]
#![cfg_attr(feature = "memory", doc = "[`heap()`]: crate::heap")]
#![cfg_attr(
    not(feature = "memory"),
    doc = "[`heap()`]: https://docs.rs/profkit/latest/profkit/fn.heap.html"
)]
#![cfg_attr(
    feature = "pprof",
    doc = "[`Report::to_pprof`]: crate::Report::to_pprof"
)]
#![cfg_attr(
    not(feature = "pprof"),
    doc = "[`Report::to_pprof`]: https://docs.rs/profkit/latest/profkit/struct.Report.html#method.to_pprof"
)]
#![cfg_attr(
    feature = "tracing",
    doc = "[`tracing::ProfkitLayer`]: crate::tracing::ProfkitLayer"
)]
#![cfg_attr(
    not(feature = "tracing"),
    doc = "[`tracing::ProfkitLayer`]: https://docs.rs/profkit/latest/profkit/tracing/struct.ProfkitLayer.html"
)]
#![cfg_attr(feature = "history", doc = "[`history`]: crate::history")]
#![cfg_attr(
    not(feature = "history"),
    doc = "[`history`]: https://docs.rs/profkit/latest/profkit/history/index.html"
)]
#![cfg_attr(feature = "history", doc = "[`history::Store`]: crate::history::Store")]
#![cfg_attr(
    not(feature = "history"),
    doc = "[`history::Store`]: https://docs.rs/profkit/latest/profkit/history/struct.Store.html"
)]
#![cfg_attr(
    feature = "history-svg",
    doc = "[`history::Trend::to_svg`]: crate::history::Trend::to_svg"
)]
#![cfg_attr(
    not(feature = "history-svg"),
    doc = "[`history::Trend::to_svg`]: https://docs.rs/profkit/latest/profkit/history/struct.Trend.html#method.to_svg"
)]
#![cfg_attr(
    all(unix, feature = "signals"),
    doc = "[`report_on_signals()`]: crate::report_on_signals"
)]
#![cfg_attr(
    not(all(unix, feature = "signals")),
    doc = "[`report_on_signals()`]: https://docs.rs/profkit/latest/profkit/fn.report_on_signals.html"
)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// `profile_scope!` and `profile_async!` exist with `enable` off too (as no-ops): no badge.
#![cfg_attr(docsrs, doc(auto_cfg(hide(feature = "enable"))))]

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
#[cfg_attr(docsrs, doc(cfg(feature = "history")))]
pub mod history;
mod http;
pub mod testing;

#[cfg(feature = "memory")]
pub use collect::Alloc;
#[cfg(feature = "http")]
pub use http::{ServeError, ServeOptions, Server, serve, serve_with_token};
#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub mod tracing;

pub use collect::ClockKind;
pub use error::{
    LookupError, ReadError, SignalError, SinceError, TestClockError, WhatIfError, WriteError,
};
#[cfg(all(unix, feature = "signals"))]
pub use exit::report_on_signals;
pub use expect::Expect;
pub use files::Format;
pub use formats::{StackMetric, write_atomic};
pub use model::{
    Compensation, Complexity, ComplexityClass, EdgeStats, FunctionStats, FutureStats, Growth,
    HeapStats, Latency, Measure, MemoryStats, NoFit, Report, SMALL_CALL_FACTOR, Scaling,
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
/// | method of `impl Store for Disk` | `<app::Disk as app::Store>::get`, also when the `impl` is written in another module (which rustc spells `app::de::<impl app::Store for app::Disk>::get`) |
/// | method of `impl Iterator for Counter` | `<app::Counter as core::iter::Iterator>::next`: std's traits by their public path, not `core::iter::traits::iterator::Iterator` |
/// | method of `impl<W> Serializer<W, Pretty>` | `app::Serializer<_, app::Pretty>::new` (a generic parameter is `_`) |
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
/// Files (`.json`, `.prof`, pprof, folded stacks, SVG) keep these full names. Tables (also the
/// exit report and `.txt` files, which are tables) show them short, each type and
/// trait from its type on and a free function with its module (`<Disk as Store>::get`,
/// `Serializer<_, Pretty>::new`, `db::fetch_row`; see [`FunctionStats::short_name`]), unless
/// told `full_names(true)` (the CLI's `--full-names`). A look-up ([`Report::function`],
/// [`Report::expect`], the CLI) takes the full name, the short one, a trait method by its type
/// (`Disk::get`) or any `::` suffix of these, and refuses a name that fits several functions.
///
/// The code it generates calls nothing of std newer than Rust 1.39 (it routes through
/// `profkit::__private`), so clippy's `incompatible_msrv` stays quiet in a crate with an old
/// `rust-version` (tested down to 1.70); profkit itself builds with Rust 1.88 or later.
///
/// `#[profile(size = items.len())]` also records the size of each call's input with its
/// inclusive time (an `async fn`: the busy time of its polls), so that
/// [`FunctionStats::complexity`] can say how the function's cost grows (`O(n)`, `O(n^2)`,
/// ...) and [`Expect::grows_at_most`](crate::Expect::grows_at_most) can assert it. The
/// expression may use the arguments; it runs once per call, before the call's clock starts and
/// before the body takes the arguments, and must be of an integer type (another type is a
/// compile error at the expression). Only functions with `size` run this code: about 14 ns
/// more per call (a leaf: 37 ns against 24 ns, the median of `cargo bench -p profkit-suite --bench overhead --
/// leaf`), and about 34 KiB per thread and sized function for the table of sizes.
///
/// ```
/// #[profkit::profile(size = items.len())]
/// fn total(items: Vec<u64>) -> u64 { items.into_iter().sum() }
///
/// let (_, report) = profkit::record(|| total(vec![1, 2, 3]));
/// assert_eq!(report.function("total").unwrap().scaling().unwrap().calls(), 1);
/// ```
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
///             ::profkit::__private::type_name_of_val(&__profkit_fn_name) // "app::Db::get::__profkit_fn_name"
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
/// On an item it cannot time (a `const fn`, a function without a body such as a trait
/// method's declaration or a function of an `extern` block, a struct, a `use`, a
/// `macro_rules!`, a `static`, an `extern` block), or with an unknown or duplicated option, the
/// macro gives one error that names the item's kind and what to do instead, pointing at the
/// item's name (not its doc comment), and leaves the item as it was. With the cargo feature `enable` off it checks its input and returns the item
/// unchanged.
pub use profkit_macros::profile;
#[cfg(feature = "memory")]
pub use session::heap;
pub use session::{
    disable, enable, is_enabled, record, report, reset, sampling, set_clock, set_cpu, set_sampling,
    snapshot, snapshot_at, snapshot_every, spawn_scoped, write_report,
};
pub use views::{
    CallsTable, ComplexityView, GrowthTable, LatencyTable, MemoryTable, ParseSortKeyError, SortKey,
    StatsTable, TreeView,
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
#[doc = include_str!("../README.md")]
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
    pub use crate::collect::future::{instrument, instrument_sized};
    pub use crate::collect::guard::{Guard, enter};
    pub use crate::collect::sized_call::{Size, SizedGuard, enter_sized, size};

    /// `core::any::type_name` of what `value` points to: generated code calls this rather
    /// than `core::any::type_name_of_val` (Rust 1.76), so that it names nothing newer than its
    /// crate's `rust-version` (clippy's `incompatible_msrv`).
    pub fn type_name_of_val<T: ?Sized>(_value: &T) -> &'static str {
        core::any::type_name::<T>()
    }

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
