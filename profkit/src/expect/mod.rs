//! Assertions for tests: call counts (the N+1 detector), callers, and latency budgets here;
//! memory budgets in `memory`. A failed assertion panics, as `assert!` does, with the rows
//! that explain it; it never touches the recording.

mod growth;
mod memory;

use std::fmt::Write as _;
use std::time::Duration;

use crate::error::LookupError;
use crate::model::{FunctionStats, Report, name_matches};
use crate::views::latency_text;

/// Assertions about one function of a [`Report`], made by [`Report::expect`]. Each returns the
/// expectation, so they chain; each panics with an explanation when it does not hold.
///
/// ```
/// use std::time::Duration;
///
/// #[profkit::profile]
/// fn fetch_row(id: u64) -> u64 { id }
///
/// #[profkit::profile]
/// fn get_users(ids: &[u64]) -> u64 { ids.iter().map(|&id| fetch_row(id)).sum() }
///
/// let (_, report) = profkit::record(|| get_users(&[1, 2, 3]));
/// report
///     .expect("fetch_row")
///     .calls(3)
///     .called_by("get_users")
///     .at_most_per_call_of("get_users", 3)
///     .p99_below(Duration::from_secs(1));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Expect<'a> {
    pub(crate) report: &'a Report,
    pub(crate) function: &'a FunctionStats,
}

impl Report {
    /// Starts assertions about the function `name` (qualified, or a unique `::` suffix).
    ///
    /// # Panics
    /// When no function of the report has that name (the message lists close matches; a
    /// function never called has no row: use [`Report::expect_not_called`]) or several do.
    ///
    /// ```should_panic
    /// # #[profkit::profile] fn fetch_row() {}
    /// let (_, report) = profkit::record(fetch_row);
    /// report.expect("fetch_rows"); // panics: no such function; close matches: ...fetch_row
    /// ```
    #[track_caller]
    pub fn expect(&self, name: &str) -> Expect<'_> {
        match self.function(name) {
            Ok(function) => Expect {
                report: self,
                function,
            },
            Err(e) => panic!("profkit: {e}"),
        }
    }

    /// Asserts that no function named `name` (qualified, or a `::` suffix) completed a call.
    ///
    /// # Panics
    /// When one did, with its row and callers.
    ///
    /// ```
    /// # #[profkit::profile] fn fast_path() {}
    /// let (_, report) = profkit::record(fast_path);
    /// report.expect_not_called("slow_path");
    /// ```
    #[track_caller]
    pub fn expect_not_called(&self, name: &str) -> &Self {
        if let Some(f) = self.functions().find(|f| name_matches(f.name(), name)) {
            fail(
                self,
                f,
                &format!("`{}` was expected never to be called, but was", f.name()),
            );
        }
        self
    }
}

#[track_caller]
pub(crate) fn fail(report: &Report, f: &FunctionStats, headline: &str) -> ! {
    panic!("profkit: {headline}\n{}", context(report, f))
}

/// The rows that explain an assertion about `f`: its own, and those of its callers.
fn context(report: &Report, f: &FunctionStats) -> String {
    let mut out = String::new();
    let width = std::iter::once(f.name().len())
        .chain(f.callers().iter().map(|e| e.name().len() + 6))
        .max()
        .unwrap_or(8)
        .max(8);
    let _ = writeln!(
        out,
        "  {:<width$} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "function", "ncalls", "tottime", "cumtime", "p50", "p99", "max"
    );
    let _ = writeln!(
        out,
        "  {:<width$} {:>9} {:>9.6} {:>9.6} {}",
        f.name(),
        ncalls_text(f.ncalls(), f.primitive_calls()),
        f.tottime().as_secs_f64(),
        f.cumtime().as_secs_f64(),
        latency_text(f.latency())
    );
    for e in f.callers() {
        let caller_calls = report.function(e.name()).map_or(0, FunctionStats::ncalls);
        let _ = writeln!(
            out,
            "  {:<width$} {:>9} {:>9.6} {:>9.6}   (caller, called {caller_calls} times)",
            format!("  <- {}", e.name()),
            ncalls_text(e.ncalls(), e.primitive_calls()),
            e.tottime().as_secs_f64(),
            e.cumtime().as_secs_f64(),
        );
    }
    if f.callers().is_empty() {
        let _ = writeln!(out, "  (no profiled caller)");
    }
    out
}

fn ncalls_text(nc: u64, cc: u64) -> String {
    if nc == cc {
        nc.to_string()
    } else {
        format!("{nc}/{cc}")
    }
}

impl<'a> Expect<'a> {
    /// The function's statistics, for checks of your own.
    pub fn stats(&self) -> &'a FunctionStats {
        self.function
    }

    fn name(&self) -> &str {
        self.function.name()
    }

    #[track_caller]
    pub(crate) fn check(self, ok: bool, headline: impl FnOnce() -> String) -> Self {
        if !ok {
            fail(self.report, self.function, &headline());
        }
        self
    }

    /// Asserts the total number of calls.
    ///
    /// ```
    /// # #[profkit::profile] fn f() {}
    /// let (_, report) = profkit::record(|| { f(); f() });
    /// report.expect("f").calls(2);
    /// ```
    #[track_caller]
    pub fn calls(self, n: u64) -> Self {
        let got = self.function.ncalls();
        self.check(got == n, || {
            format!("`{}` was called {got} times, expected {n}", self.name())
        })
    }

    /// Asserts at most `n` calls.
    ///
    /// ```
    /// # #[profkit::profile] fn f() {}
    /// let (_, report) = profkit::record(f);
    /// report.expect("f").calls_at_most(1);
    /// ```
    #[track_caller]
    pub fn calls_at_most(self, n: u64) -> Self {
        let got = self.function.ncalls();
        self.check(got <= n, || {
            format!(
                "`{}` was called {got} times, at most {n} expected",
                self.name()
            )
        })
    }

    /// Asserts at least `n` calls.
    ///
    /// ```
    /// # #[profkit::profile] fn f() {}
    /// let (_, report) = profkit::record(f);
    /// report.expect("f").calls_at_least(1);
    /// ```
    #[track_caller]
    pub fn calls_at_least(self, n: u64) -> Self {
        let got = self.function.ncalls();
        self.check(got >= n, || {
            format!(
                "`{}` was called {got} times, at least {n} expected",
                self.name()
            )
        })
    }

    /// The N+1 detector: asserts this function is called directly from `caller` at most `n`
    /// times per call of `caller`, on average over all of `caller`'s calls (for a query
    /// function, `n = 1`: one query per request, not one per row). A profile counts calls per
    /// edge, not per activation, so one call of `caller` making `n + 1` calls is caught only
    /// when the total goes over.
    ///
    /// # Panics
    /// Also when `caller` names no function of the report.
    ///
    /// ```
    /// # #[profkit::profile] fn fetch_all() {}
    /// # #[profkit::profile] fn handle() { fetch_all() }
    /// let (_, report) = profkit::record(|| { handle(); handle() });
    /// report.expect("fetch_all").at_most_per_call_of("handle", 1);
    /// ```
    #[track_caller]
    pub fn at_most_per_call_of(self, caller: &str, n: u64) -> Self {
        let parent = self.report.expect(caller).function;
        let from_parent = self
            .function
            .callers()
            .iter()
            .find(|e| e.name() == parent.name())
            .map_or(0, |e| e.ncalls());
        let per_call = from_parent as f64 / parent.ncalls().max(1) as f64;
        self.check(from_parent <= n.saturating_mul(parent.ncalls()), || {
            format!(
                "`{}` was called {from_parent} times from `{}`, which was called {} times: \
                 {per_call:.1} per call, at most {n} expected (an N+1 pattern?)",
                self.name(),
                parent.name(),
                parent.ncalls()
            )
        })
    }

    /// Asserts that `caller` called this function directly at least once.
    ///
    /// ```
    /// # #[profkit::profile] fn child() {}
    /// # #[profkit::profile] fn parent() { child() }
    /// let (_, report) = profkit::record(parent);
    /// report.expect("child").called_by("parent");
    /// ```
    #[track_caller]
    pub fn called_by(self, caller: &str) -> Self {
        let (ok, hint) = match self.report.function(caller) {
            Ok(f) => (
                self.function.callers().iter().any(|e| e.name() == f.name()),
                String::new(),
            ),
            // Did not run (or a typo): say which, with the close matches.
            Err(e @ LookupError::Unknown { .. }) => (false, format!(" ({e})")),
            Err(e) => panic!("profkit: {e}"),
        };
        self.check(ok, || {
            format!(
                "`{}` was expected to be called by `{caller}`{hint}",
                self.name()
            )
        })
    }

    /// Asserts that `caller` never called this function directly.
    ///
    /// # Panics
    /// Also when `caller` names no function of the report, or several.
    ///
    /// ```
    /// # #[profkit::profile] fn child() {}
    /// # #[profkit::profile] fn parent() { child() }
    /// # #[profkit::profile] fn other() {}
    /// let (_, report) = profkit::record(|| { parent(); other() });
    /// report.expect("child").not_called_by("other");
    /// ```
    #[track_caller]
    pub fn not_called_by(self, caller: &str) -> Self {
        // The caller must name one function of the report: a typo would otherwise pass
        // vacuously (for a function that never ran, use `Report::expect_not_called`).
        let resolved = Some(self.report.expect(caller).function.name().to_owned());
        let found = resolved.and_then(|full| {
            self.function
                .callers()
                .iter()
                .find(|e| e.name() == full)
                .map(|e| e.ncalls())
        });
        self.check(found.is_none(), || {
            format!(
                "`{}` was called {} times by `{caller}`, expected never",
                self.name(),
                found.unwrap_or(0)
            )
        })
    }

    /// Asserts that `percentile` percent of calls took at most `budget` (see
    /// [`FunctionStats::latency`] for what a call's duration is, and its precision).
    ///
    /// # Panics
    /// Also when the function has no latency distribution.
    ///
    /// ```
    /// # #[profkit::profile] fn f() {}
    /// let (_, report) = profkit::record(f);
    /// report.expect("f").percentile_below(99.9, std::time::Duration::from_secs(1));
    /// ```
    #[track_caller]
    pub fn percentile_below(self, percentile: f64, budget: Duration) -> Self {
        let Some(latency) = self.function.latency() else {
            fail(
                self.report,
                self.function,
                &format!("`{}` has no latency distribution", self.name()),
            );
        };
        let got = latency.percentile(percentile);
        self.check(got <= budget, || {
            format!(
                "`{}`: p{percentile} latency is {got:?}, over the budget of {budget:?}",
                self.name()
            )
        })
    }

    /// Asserts the median latency is at most `budget`.
    ///
    /// ```
    /// # #[profkit::profile] fn f() {}
    /// let (_, report) = profkit::record(f);
    /// report.expect("f").p50_below(std::time::Duration::from_secs(1));
    /// ```
    #[track_caller]
    pub fn p50_below(self, budget: Duration) -> Self {
        self.percentile_below(50.0, budget)
    }

    /// Asserts the 99th percentile latency is at most `budget`.
    ///
    /// ```
    /// # #[profkit::profile] fn f() {}
    /// let (_, report) = profkit::record(f);
    /// report.expect("f").p99_below(std::time::Duration::from_secs(1));
    /// ```
    #[track_caller]
    pub fn p99_below(self, budget: Duration) -> Self {
        self.percentile_below(99.0, budget)
    }

    /// Asserts no call took longer than `budget`.
    ///
    /// ```
    /// # #[profkit::profile] fn f() {}
    /// let (_, report) = profkit::record(f);
    /// report.expect("f").max_below(std::time::Duration::from_secs(1));
    /// ```
    #[track_caller]
    pub fn max_below(self, budget: Duration) -> Self {
        self.percentile_below(100.0, budget)
    }

    /// Asserts the cumulative time (all outermost calls together) is at most `budget`.
    ///
    /// ```
    /// # #[profkit::profile] fn f() {}
    /// let (_, report) = profkit::record(f);
    /// report.expect("f").cumtime_below(std::time::Duration::from_secs(1));
    /// ```
    #[track_caller]
    pub fn cumtime_below(self, budget: Duration) -> Self {
        let got = self.function.cumtime();
        self.check(got <= budget, || {
            format!(
                "`{}`: cumulative time {got:?}, over the budget of {budget:?}",
                self.name()
            )
        })
    }
}
