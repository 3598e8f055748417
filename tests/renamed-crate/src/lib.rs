//! Profiled code in a crate that knows profkit only as `prof`: each form of `#[profile]` with
//! `crate = "prof"` (a function, an async fn, an `impl`, a `trait`, a `mod`, with the path
//! inherited by the functions inside), and the macros, which name their crate by `$crate`.

use prof::profile;

/// A profiled function.
#[profile(crate = "prof")]
pub fn parse(text: &str) -> usize {
    prof::profile_scope!("parse::scan");
    text.len()
}

/// A profiled async function (polled by [`block_on`]).
#[prof::profile(crate = "::prof")]
pub async fn fetch(id: u64) -> u64 {
    prof::profile_async!("fetch::wait", async { id + 1 }).await
}

/// A type with profiled methods.
pub struct Db;

#[profile(crate = "prof")]
impl Db {
    /// The inner attribute, named by the crate path, gives options and inherits the path.
    #[prof::profile(name = "db::get")]
    pub fn get(&self) -> u32 {
        1
    }

    /// Left alone.
    #[profile(skip)]
    pub fn len(&self) -> usize {
        0
    }

    /// Whether the database is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A trait whose default method is profiled.
#[profile(crate = "prof")]
pub trait Describe {
    /// Profiled by default.
    fn describe(&self) -> u32 {
        7
    }
}

impl Describe for Db {}

/// A module whose functions are profiled.
#[profile(crate = "prof")]
pub mod jobs {
    /// Profiled, with the crate path of the module.
    pub fn run() -> u32 {
        inner::step()
    }

    /// A nested module.
    pub mod inner {
        /// Profiled, with the crate path of the outer module.
        pub fn step() -> u32 {
            2
        }
    }
}

/// Polls a future to completion on this thread.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_records_through_the_renamed_crate() {
        let (sum, report) = prof::record(|| {
            let db = Db;
            parse("abc") as u64
                + fetch(1).await_here()
                + u64::from(db.get() + db.describe() + jobs::run())
                + u64::from(db.is_empty())
        });
        assert_eq!(sum, 3 + 2 + 1 + 7 + 2 + 1);
        for (name, calls) in [
            ("parse", 1),
            ("parse::scan", 1),
            ("fetch", 1),
            ("fetch::wait", 1),
            ("db::get", 1),
            ("Db::is_empty", 1),
            ("Describe::describe", 1),
            ("jobs::run", 1),
            ("jobs::inner::step", 1),
        ] {
            let f = report
                .function(name)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(f.ncalls(), calls, "{name}");
        }
        assert!(report.function("Db::len").is_err(), "skipped");
        assert_eq!(
            report
                .function("jobs::inner::step")
                .unwrap()
                .caller("jobs::run")
                .unwrap()
                .ncalls(),
            1
        );
    }

    trait AwaitHere: std::future::Future + Sized {
        fn await_here(self) -> Self::Output {
            block_on(self)
        }
    }

    impl<F: std::future::Future> AwaitHere for F {}
}
