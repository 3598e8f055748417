//! Growth assertions: how a function's time grows with the size of its input
//! (`#[profile(size = ..)]`). A failure shows the fit and the points it was fitted to.

use crate::model::ComplexityClass;
use crate::views::{fit_summary, points_text};

use super::{Expect, fail};

impl<'a> Expect<'a> {
    /// Asserts that the function's time grows at most as `class` with the size of its input:
    /// the class fitted to its sized calls is `class` or a slower-growing one.
    ///
    /// # Panics
    /// When it grows faster (with the fit and its points), when the function has no sized
    /// calls (it needs `#[profile(size = ..)]`), or when they could not be fitted (with the
    /// reason: too few calls or sizes, not enough spread).
    ///
    /// ```should_panic
    /// use profkit::ComplexityClass;
    ///
    /// #[profkit::profile(size = n)]
    /// fn dedupe(n: u64) {
    ///     profkit::testing::advance(std::time::Duration::from_nanos(n * n));
    /// }
    ///
    /// let _clock = profkit::testing::TestClock::install().unwrap();
    /// let (_, report) = profkit::record(|| {
    ///     for n in [100, 300, 1_000, 3_000, 10_000] { dedupe(n); dedupe(n); }
    /// });
    /// // panics: `...dedupe grows as O(n^2) (exponent 2.00, 5 sizes from 100 to 10000),
    /// // at most O(n) expected`, then the points
    /// report.expect("dedupe").grows_at_most(ComplexityClass::Linear);
    /// ```
    #[track_caller]
    pub fn grows_at_most(&self, class: ComplexityClass) -> &Self {
        let f = self.function;
        let Some(growth) = f.scaling() else {
            fail(
                self.report,
                f,
                &format!(
                    "`{}` has no sized calls: give it #[profile(size = <expr>)], an integer \
                     expression over its arguments such as `items.len()`",
                    f.name()
                ),
            );
        };
        match growth.fit() {
            Ok(c) if c.class() <= class => self,
            Ok(c) => fail(
                self.report,
                f,
                &format!(
                    "{} grows as {}, at most {class} expected\n{}",
                    f.name(),
                    fit_summary(c),
                    points_text(c)
                ),
            ),
            Err(why) => fail(
                self.report,
                f,
                &format!(
                    "cannot tell how {} grows ({why}; {} sized calls), at most {class} expected",
                    f.name(),
                    growth.calls()
                ),
            ),
        }
    }
}
