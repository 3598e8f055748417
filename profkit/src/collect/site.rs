//! Call sites: one `static` per instrumented function or scope, given a dense id on first use.
//!
//! The id indexes the thread-local call trees; the name, file and line are looked up only when
//! a report is built, so the hot path never touches a string.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use once_cell::sync::Lazy;
use parking_lot::Mutex;

// A call site's mutable state is one atomic id, written once; so a panic caught while a
// `CallSite` (or a `Report` pointing at one) is borrowed cannot expose a broken invariant.
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
        }
    }

    /// The dense id of this site, registering it on first use.
    #[inline(always)]
    pub(crate) fn id(&'static self) -> u32 {
        let id = self.id.load(Ordering::Relaxed);
        if id != 0 { id } else { self.register() }
    }

    /// The dense id of this site, 0 while it has not registered (no call site's id is 0 then;
    /// 0 is the root's). Registers nothing: for a path that must not allocate.
    #[inline(always)]
    pub(crate) fn registered_id(&self) -> u32 {
        self.id.load(Ordering::Relaxed)
    }

    #[cold]
    #[inline(never)]
    fn register(&'static self) -> u32 {
        // What registering allocates is profkit's, not the calling function's.
        let _bookkeeping = super::memory::bookkeeping();
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

/// Turns `type_name` of an item nested in a function into that function's path:
/// `app::db::fetch_row::__profkit_fn_name` becomes `app::db::fetch_row`, and `{{closure}}`
/// segments (async bodies) disappear; a method takes its canonical form
/// (`<Type as Trait>::method` however rustc spells it, see `data::names::canonical`).
pub(crate) fn function_path(nested: &str) -> String {
    let trimmed = match nested.rfind("::") {
        Some(i) => &nested[..i],
        None => nested,
    };
    crate::data::names::canonical(&strip_placeholders(&trimmed.replace("::{{closure}}", "")))
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
        assert_eq!(
            function_path("app::de::<impl app::Tr<'_> for app::V<_>>::d::{{closure}}::__x"),
            "<app::V as app::Tr>::d"
        );
    }
}
