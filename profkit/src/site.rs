//! Call sites: one `static` per instrumented function or scope, given a dense id on first use.
//!
//! The id indexes the thread-local call trees; the name, file and line are looked up only when
//! a report is built, so the hot path never touches a string.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use once_cell::sync::Lazy;
use parking_lot::Mutex;

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
}

/// What a report needs to know about a call site.
#[derive(Clone, Debug)]
pub(crate) struct SiteInfo {
    pub(crate) name: Arc<str>,
    pub(crate) file: Arc<str>,
    pub(crate) line: u32,
}

/// Site id 0 is the root of every call tree ("no profiled caller").
pub(crate) const ROOT_SITE: u32 = 0;

static SITES: Lazy<Mutex<Vec<SiteInfo>>> = Lazy::new(|| {
    Mutex::new(vec![SiteInfo {
        name: Arc::from("<root>"),
        file: Arc::from("~"),
        line: 0,
    }])
});

impl CallSite {
    /// A site for a function whose qualified name is recovered from `nested_item`, which
    /// must return `core::any::type_name` of an item defined directly inside that function.
    pub const fn function(
        nested_item: fn() -> &'static str,
        file: &'static str,
        line: u32,
    ) -> Self {
        CallSite {
            id: AtomicU32::new(0),
            name: SiteName::NestedItem(nested_item),
            file,
            line,
        }
    }

    /// A site with a fixed row name.
    pub const fn named(name: &'static str, file: &'static str, line: u32) -> Self {
        CallSite {
            id: AtomicU32::new(0),
            name: SiteName::Literal(name),
            file,
            line,
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
            });
            self.id.store(id, Ordering::Relaxed);
            id
        };
        crate::exit::install_once();
        id
    }
}

/// A copy of the site table, for building a report.
pub(crate) fn snapshot() -> Vec<SiteInfo> {
    SITES.lock().clone()
}

/// Turns `type_name` of an item nested in a function into that function's path:
/// `app::db::fetch_row::__profkit_fn_name` becomes `app::db::fetch_row`, and `{{closure}}`
/// segments (async bodies) disappear.
pub(crate) fn function_path(nested: &str) -> String {
    let trimmed = match nested.rfind("::") {
        Some(i) => &nested[..i],
        None => nested,
    };
    trimmed.replace("::{{closure}}", "")
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
    }
}
