//! A [`tracing_subscriber::Layer`] that records spans as profkit calls (cargo feature
//! `tracing`): a service already instrumented with `#[tracing::instrument]` gets profkit's
//! exact table, callers and callees, percentiles, budgets and files without a change to its
//! code.
//!
//! ```
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! #[tracing::instrument]
//! fn get_user(id: u64) -> u64 { id }
//!
//! #[tracing::instrument]
//! fn handle(ids: &[u64]) -> u64 { ids.iter().map(|&id| get_user(id)).sum() }
//!
//! let subscriber = tracing_subscriber::registry().with(profkit::tracing::ProfkitLayer::new());
//! let (_, report) = tracing::subscriber::with_default(subscriber, || {
//!     profkit::record(|| handle(&[1, 2, 3]))
//! });
//! // Rows are named `target::name`: the module path and the function for `#[instrument]`.
//! let get_user = report.function("get_user").unwrap();
//! assert_eq!(get_user.ncalls(), 3);
//! assert_eq!(get_user.caller("handle").unwrap().ncalls(), 3);
//! print!("{report}");
//! ```
//!
//! # How spans are counted
//! A span is one call of a function named `target::name` (`my_app::db::get_user`), at the
//! file and line of the span's callsite. Each time it is entered on a thread it is an open
//! call on that thread's call tree, under whatever is open there (profkit functions or other
//! spans), and it is closed when the span is exited: that is its busy time, what tottime and
//! cumtime add up. The call itself is counted once, when the span closes (its last handle is
//! dropped), on the closing thread's current call path — which, for a span entered once
//! (`#[instrument]` on a sync fn) or polled inside its parent (`.instrument()`, `#[instrument]`
//! on an `async fn`), is the path it ran on. This is how profkit counts `async fn`s: a span
//! entered in every poll is one call with the busy time of its polls, and
//! [`FunctionStats::futures`](crate::FunctionStats::futures) gives its spans (`completed`),
//! entries (`polls`) and the wall time from first entry to close, whose distribution is the
//! row's [`latency`](crate::FunctionStats::latency).
//!
//! Add the layer once per subscriber. Span fields, events and levels are not recorded (a
//! filter layer in front decides which spans reach it).

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use once_cell::sync::Lazy;
use parking_lot::RwLock;
use tracing_core::callsite::Identifier;
use tracing_core::span::Id;
use tracing_core::{Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::collect::CallSite;
use crate::collect::future::AsyncCall;
use crate::collect::local;

/// Records `tracing` spans as profkit calls; add it to a `tracing_subscriber::registry()`.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let subscriber = tracing_subscriber::registry().with(profkit::tracing::ProfkitLayer::new());
/// tracing::subscriber::with_default(subscriber, || {
///     let _span = tracing::info_span!("startup").entered();
/// });
/// assert_eq!(profkit::report().function("startup").unwrap().ncalls(), 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct ProfkitLayer {
    _private: (),
}

impl ProfkitLayer {
    /// A layer that records every span it sees.
    ///
    /// ```
    /// let _layer = profkit::tracing::ProfkitLayer::new();
    /// ```
    pub fn new() -> ProfkitLayer {
        ProfkitLayer::default()
    }
}

/// A span's call, in its extensions: made at the span's first entry (a span never entered
/// ran nothing and is no call), and ended when the registry drops it.
struct SpanCall(AsyncCall);

impl Drop for SpanCall {
    /// The registry drops a span's extensions when it removes the closed span (its last
    /// handle and its last child gone), right after the layers' `on_close`, on the closing
    /// thread: the call is counted there, completed. Ending it here rather than in `on_close`
    /// saves a look-up of the span and a lock of its extensions per span.
    fn drop(&mut self) {
        self.0.end_here(true);
    }
}

/// One profkit call site per tracing callsite, created with its first span and kept for the
/// life of the process (as a `static` of `#[profile]` is): as many as the program has
/// callsites.
static SITES: Lazy<RwLock<HashMap<Identifier, &'static CallSite>>> =
    Lazy::new(|| RwLock::new(HashMap::new()));

/// Hashes a `Metadata` address: distinct `'static` addresses need no SipHash.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

thread_local! {
    /// This thread's copy of the sites it has seen, by `Metadata` address: a span's site is
    /// found without a lock or a shared cache line.
    static SEEN: RefCell<HashMap<usize, &'static CallSite, BuildHasherDefault<AddressHasher>>> =
        RefCell::new(HashMap::default());
}

fn site_for(meta: &'static Metadata<'static>) -> &'static CallSite {
    let address = std::ptr::from_ref(meta) as usize;
    let cached = SEEN
        .try_with(|seen| seen.try_borrow().ok()?.get(&address).copied())
        .ok()
        .flatten();
    if let Some(site) = cached {
        return site;
    }
    let site = shared_site_for(meta);
    let _ = SEEN.try_with(|seen| {
        if let Ok(mut seen) = seen.try_borrow_mut() {
            seen.insert(address, site);
        }
    });
    site
}

#[cold]
fn shared_site_for(meta: &'static Metadata<'static>) -> &'static CallSite {
    let key = meta.callsite();
    if let Some(site) = SITES.read().get(&key) {
        return site;
    }
    let mut sites = SITES.write();
    sites.entry(key).or_insert_with(|| {
        let name = format!("{}::{}", meta.target(), meta.name());
        let site = CallSite::from_name(
            Box::leak(name.into_boxed_str()),
            meta.file().unwrap_or("~"),
            meta.line().unwrap_or(0),
            crate::http::install_once,
        );
        Box::leak(Box::new(site))
    })
}

thread_local! {
    /// The spans entered on this thread and not yet exited, with their call-tree nodes.
    static ENTERED: RefCell<Vec<(u64, u32)>> = const { RefCell::new(Vec::new()) };
}

impl<S> Layer<S> for ProfkitLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    // No `on_new_span`: the call is made at the first entry, so a span costs one look-up of
    // its extensions (here) rather than three (creation, entry, close).
    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if !cfg!(feature = "enable") {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if extensions.get_mut::<SpanCall>().is_none() {
            // Made before the entry's clock reading, so that its allocation is not charged
            // to the span.
            extensions.insert(SpanCall(AsyncCall::new(site_for(span.metadata()))));
        }
        let node = match extensions.get_mut::<SpanCall>() {
            Some(call) => call.0.enter_poll(),
            None => return,
        };
        drop(extensions);
        if node != 0 {
            let _ = ENTERED.try_with(|entered| {
                if let Ok(mut entered) = entered.try_borrow_mut() {
                    entered.push((id.into_u64(), node));
                }
            });
        }
    }

    fn on_exit(&self, id: &Id, _ctx: Context<'_, S>) {
        let id = id.into_u64();
        let node = ENTERED
            .try_with(|entered| {
                let mut entered = entered.try_borrow_mut().ok()?;
                // The innermost entry of this span: exits normally come in reverse order.
                let at = entered.iter().rposition(|&(span, _)| span == id)?;
                Some(entered.remove(at).1)
            })
            .ok()
            .flatten();
        if let Some(node) = node {
            local::exit_poll(node, None);
        }
    }
}
