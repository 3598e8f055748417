//! Call sites: one `static` per instrumented function or scope, given a dense id on first use.
//!
//! The id indexes the thread-local call trees; the name, file and line are looked up only when
//! a report is built, so the hot path never touches a string.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use hdrhistogram::Histogram;
use once_cell::sync::Lazy;
use parking_lot::Mutex;

// A call site's mutable state is atomics and a mutex around a histogram that profkit only
// changes with one `record` call, which leaves it whole even if a panic were to interrupt it;
// so a panic caught while a `CallSite` (or a `Report` pointing at one) is borrowed cannot
// expose a broken invariant.
impl std::panic::RefUnwindSafe for CallSite {}
impl std::panic::UnwindSafe for CallSite {}

impl std::fmt::Debug for CallSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallSite")
            .field("id", &self.id.load(Ordering::Relaxed))
            .field("file", &self.file)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

/// How a call site learns its row name.
#[derive(Clone, Copy)]
enum SiteName {
    /// A fixed name, from `#[profile(name = "...")]` or `profile_scope!("...")`.
    Literal(&'static str),
    /// A function returning `type_name` of an item nested in the profiled function; the
    /// qualified function path is recovered from it when the site registers.
    NestedItem(fn() -> &'static str),
}

/// One instrumented function or scope. Generated code keeps one in a `static`.
#[doc(hidden)]
pub struct CallSite {
    id: AtomicU32,
    name: SiteName,
    file: &'static str,
    line: u32,
    /// Run once when the site registers (see [`CallSite::from_nested_item`]).
    on_register: fn(),
    /// Futures of an `async fn` that ended, added to once per future (never per call or poll).
    pub(crate) futures: FutureCounters,
}

/// Per-function totals of the futures of an `async fn`, process-wide.
pub(crate) struct FutureCounters {
    pub(crate) completed: AtomicU64,
    pub(crate) cancelled: AtomicU64,
    pub(crate) polls: AtomicU64,
    pub(crate) wall_ns: AtomicU64,
    /// Wall time of each completed future (its latency), created with the first one.
    pub(crate) latency: Mutex<Option<Histogram<u64>>>,
}

/// A reading of [`FutureCounters`].
#[derive(Clone, Default, PartialEq)]
pub(crate) struct FutureTotals {
    pub(crate) completed: u64,
    pub(crate) cancelled: u64,
    pub(crate) polls: u64,
    pub(crate) wall_ns: u64,
    pub(crate) latency: Option<Histogram<u64>>,
}

/// The histogram is summarised: its Debug form lists thousands of counters.
impl std::fmt::Debug for FutureTotals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FutureTotals")
            .field("completed", &self.completed)
            .field("cancelled", &self.cancelled)
            .field("polls", &self.polls)
            .field("wall_ns", &self.wall_ns)
            .field("latency_count", &self.latency.as_ref().map(|h| h.len()))
            .finish()
    }
}

impl FutureCounters {
    const fn new() -> Self {
        FutureCounters {
            completed: AtomicU64::new(0),
            cancelled: AtomicU64::new(0),
            polls: AtomicU64::new(0),
            wall_ns: AtomicU64::new(0),
            latency: Mutex::new(None),
        }
    }

    /// Adds one completed future's wall time to the latency histogram.
    pub(crate) fn record_latency(&self, wall_ns: u64) {
        self.latency
            .lock()
            .get_or_insert_with(crate::data::new_histogram)
            .saturating_record(wall_ns);
    }

    pub(crate) fn read(&self) -> FutureTotals {
        FutureTotals {
            completed: self.completed.load(Ordering::Relaxed),
            cancelled: self.cancelled.load(Ordering::Relaxed),
            polls: self.polls.load(Ordering::Relaxed),
            wall_ns: self.wall_ns.load(Ordering::Relaxed),
            latency: self.latency.lock().clone(),
        }
    }

    fn clear(&self) {
        for c in [&self.completed, &self.cancelled, &self.polls, &self.wall_ns] {
            c.store(0, Ordering::Relaxed);
        }
        *self.latency.lock() = None;
    }
}

impl FutureTotals {
    /// What happened between `earlier` and `self`.
    pub(crate) fn since(self, earlier: &FutureTotals) -> FutureTotals {
        let latency = match (self.latency, &earlier.latency) {
            (Some(mut now), Some(before)) => {
                // `before` is an earlier state of the same histogram, so it is contained in
                // `now`; after a reset it is not, and nothing is subtracted.
                let _ = now.subtract(before);
                Some(now)
            }
            (now, _) => now,
        };
        FutureTotals {
            completed: self.completed.saturating_sub(earlier.completed),
            cancelled: self.cancelled.saturating_sub(earlier.cancelled),
            polls: self.polls.saturating_sub(earlier.polls),
            wall_ns: self.wall_ns.saturating_sub(earlier.wall_ns),
            latency: latency.filter(|h| !h.is_empty()),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.completed == 0 && self.cancelled == 0 && self.polls == 0
    }
}

/// What a report needs to know about a call site.
#[derive(Clone, Debug)]
pub(crate) struct SiteInfo {
    pub(crate) name: Arc<str>,
    pub(crate) file: Arc<str>,
    pub(crate) line: u32,
    /// The site itself (`None` for the root), for its future counters.
    pub(crate) site: Option<&'static CallSite>,
}

impl SiteInfo {
    /// The root of every call tree (site 0).
    pub(crate) fn root() -> SiteInfo {
        SiteInfo {
            name: Arc::from("<root>"),
            file: Arc::from("~"),
            line: 0,
            site: None,
        }
    }
}

pub(crate) use crate::data::ROOT_SITE;

static SITES: Lazy<Mutex<Vec<SiteInfo>>> = Lazy::new(|| Mutex::new(vec![SiteInfo::root()]));

impl CallSite {
    /// A site for a function whose qualified name is recovered from `nested_item`, which
    /// must return `core::any::type_name` of an item defined directly inside that function.
    /// `on_register` runs once, when the site registers (its first call): the floor above
    /// collection hooks its exit report in there, so that this floor never calls up.
    pub(crate) const fn from_nested_item(
        nested_item: fn() -> &'static str,
        file: &'static str,
        line: u32,
        on_register: fn(),
    ) -> Self {
        CallSite {
            id: AtomicU32::new(0),
            name: SiteName::NestedItem(nested_item),
            file,
            line,
            on_register,
            futures: FutureCounters::new(),
        }
    }

    /// A site with a fixed row name; `on_register` as in [`CallSite::from_nested_item`].
    pub(crate) const fn from_name(
        name: &'static str,
        file: &'static str,
        line: u32,
        on_register: fn(),
    ) -> Self {
        CallSite {
            id: AtomicU32::new(0),
            name: SiteName::Literal(name),
            file,
            line,
            on_register,
            futures: FutureCounters::new(),
        }
    }

    /// The dense id of this site, registering it on first use.
    #[inline(always)]
    pub(crate) fn id(&'static self) -> u32 {
        let id = self.id.load(Ordering::Relaxed);
        if id != 0 { id } else { self.register() }
    }

    #[cold]
    #[inline(never)]
    fn register(&'static self) -> u32 {
        let name = match self.name {
            SiteName::Literal(name) => name.to_owned(),
            SiteName::NestedItem(f) => function_path(f()),
        };
        let id = {
            let mut sites = SITES.lock();
            // Another thread may have registered this site while we computed the name.
            let existing = self.id.load(Ordering::Relaxed);
            if existing != 0 {
                return existing;
            }
            let Ok(id) = u32::try_from(sites.len()) else {
                // 4 billion call sites cannot happen in a real program; stay safe anyway by
                // attributing the call to the root, which reports never show.
                return ROOT_SITE;
            };
            sites.push(SiteInfo {
                name: Arc::from(name),
                file: Arc::from(self.file),
                line: self.line,
                site: Some(self),
            });
            self.id.store(id, Ordering::Relaxed);
            id
        };
        (self.on_register)();
        id
    }
}

/// A copy of the site table, for building a report.
pub(crate) fn snapshot() -> Vec<SiteInfo> {
    SITES.lock().clone()
}

/// The future counters of every site, indexed by site id.
pub(crate) fn future_totals(sites: &[SiteInfo]) -> Vec<FutureTotals> {
    sites
        .iter()
        .map(|s| s.site.map(|c| c.futures.read()).unwrap_or_default())
        .collect()
}

/// Zeroes the future counters of every site (`profkit::reset`).
pub(crate) fn clear_future_totals() {
    for s in SITES.lock().iter() {
        if let Some(site) = s.site {
            site.futures.clear();
        }
    }
}

/// Turns `type_name` of an item nested in a function into that function's path:
/// `app::db::fetch_row::__profkit_fn_name` becomes `app::db::fetch_row`, and `{{closure}}`
/// segments (async bodies) disappear.
pub(crate) fn function_path(nested: &str) -> String {
    let trimmed = match nested.rfind("::") {
        Some(i) => &nested[..i],
        None => nested,
    };
    strip_placeholders(&trimmed.replace("::{{closure}}", ""))
}

/// Removes generic argument lists made only of placeholders (`<_>`, `<_, _>`, `<'_>`), which
/// `type_name` prints for the parameters of a generic impl: `app::Db<_>::get` is `app::Db::get`.
fn strip_placeholders(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('>') {
            Some(close)
                if after[..close]
                    .chars()
                    .all(|c| matches!(c, '_' | '\'' | ',' | ' ')) =>
            {
                rest = &after[close + 1..];
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::function_path;

    #[test]
    fn strips_the_nested_item_and_closure_segments() {
        assert_eq!(
            function_path("app::db::fetch_row::__x"),
            "app::db::fetch_row"
        );
        assert_eq!(function_path("app::run::{{closure}}::__x"), "app::run");
        assert_eq!(
            function_path("<app::Disk as app::Store>::get::__x"),
            "<app::Disk as app::Store>::get"
        );
        assert_eq!(function_path("plain"), "plain");
        assert_eq!(function_path("app::Db<_>::get::__x"), "app::Db::get");
        assert_eq!(
            function_path("<app::S<_, '_> as app::G<_>>::g::__x"),
            "<app::S as app::G>::g"
        );
        assert_eq!(function_path("app::S<&str>::lt::__x"), "app::S<&str>::lt");
    }
}
