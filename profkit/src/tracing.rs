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
//!
//! # Cost
//! The layer keeps the call of each open span (its site, entries and first entry's time) in a
//! table of its own, made when it is added to a subscriber: 4096 slots, 128 KiB per
//! subscriber, a span's call taking one of two slots chosen by its id, without a lock. A span
//! whose two slots are taken (thousands of spans open at once) keeps its call in the span's
//! extensions instead, which costs a heap box and a look-up of the span at each entry; it is
//! counted the same way. About 50 ns per span above the registry's own cost (60 per span of
//! three nested) on the 2-vCPU VM of profkit's benches (`cargo bench -p profkit-suite --bench
//! tracing_layer`).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use once_cell::sync::Lazy;
use parking_lot::RwLock;
use tracing_core::callsite::Identifier;
use tracing_core::span::{Attributes, Id};
use tracing_core::{Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::collect::CallSite;
use crate::collect::future::{self, AsyncCall};
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
#[derive(Default)]
pub struct ProfkitLayer {
    /// The calls of this subscriber's open spans, made when the layer is added to a
    /// subscriber (`on_layer`); `None` before (every span's call is then in its extensions).
    table: Option<SpanTable>,
}

impl Clone for ProfkitLayer {
    /// A new layer: a span table belongs to the one subscriber it was made for (span ids are
    /// per subscriber), and the clone gets its own when it is added to one.
    fn clone(&self) -> ProfkitLayer {
        ProfkitLayer::default()
    }
}

impl fmt::Debug for ProfkitLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfkitLayer")
            .field("span_table", &self.table.is_some())
            .finish()
    }
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

/// A span's call, in its extensions, for a span that found no free slot in the layer's
/// [`SpanTable`] (or a layer without one): made at the span's creation (a span never entered
/// ran nothing and counts no call), and ended when the registry drops it.
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

/// Slots in a subscriber's span table: spans open at once beyond it (or whose two slots are
/// taken) keep their call in their extensions, which costs a boxed extension and a look-up of
/// the span at each entry. 4096 slots of 32 bytes: 128 KiB per subscriber.
const TABLE_BITS: u32 = 12;

/// The calls of a subscriber's open spans, by span id, without a lock: a span's call costs
/// one compare-and-swap at its creation, one atomic add per entry, and plain stores at its
/// close, where the registry's extensions cost a look-up of the span and a lock per entry
/// and a heap box per span. A span takes one of two slots chosen by a hash of its id; the
/// id identifies it among the subscriber's open spans (the registry's ids carry a
/// generation), so a slot whose `id` is the span's holds its call.
///
/// No ordering beyond `Relaxed` is needed for a span's fields: a span's id reaches another
/// thread (which enters or closes it) only with its handle, after its creation, and the
/// registry's close synchronizes with every thread that dropped a handle, so after all
/// their entries. A freed slot is claimed with `Acquire` after its release with `Release`.
struct SpanTable {
    slots: Box<[Slot]>,
}

/// One span's call: its site, entries so far and first entry's wall reading.
#[repr(align(32))]
struct Slot {
    /// The span's id while the slot holds its call; 0 (no span's id) when free.
    id: AtomicU64,
    /// A `&'static CallSite`, written when the slot is claimed.
    site: AtomicPtr<CallSite>,
    polls: AtomicU64,
    /// `clock::wall_ticks()` at the first entry; `NO_FIRST_POLL` when not recorded.
    first_poll: AtomicU64,
}

const NO_FIRST_POLL: u64 = u64::MAX;

impl SpanTable {
    fn new() -> SpanTable {
        let slots = (0..1usize << TABLE_BITS)
            .map(|_| Slot {
                id: AtomicU64::new(0),
                site: AtomicPtr::new(std::ptr::null_mut()),
                polls: AtomicU64::new(0),
                first_poll: AtomicU64::new(NO_FIRST_POLL),
            })
            .collect();
        SpanTable { slots }
    }

    /// The two slots of span `id` (neighbours: one cache line).
    #[inline(always)]
    fn candidates(&self, id: u64) -> [&Slot; 2] {
        let at = (id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - TABLE_BITS)) as usize;
        let mask = self.slots.len() - 1;
        [&self.slots[at & mask], &self.slots[(at ^ 1) & mask]]
    }

    /// The slot holding span `id`'s call, if it has one.
    #[inline(always)]
    fn find(&self, id: u64) -> Option<&Slot> {
        self.candidates(id)
            .into_iter()
            .find(|slot| slot.id.load(Ordering::Relaxed) == id)
    }

    /// Gives span `id`, just created, a slot for its call of `site`; false when both are taken.
    #[inline(always)]
    fn claim(&self, id: u64, site: &'static CallSite) -> bool {
        for slot in self.candidates(id) {
            if slot.id.load(Ordering::Relaxed) == 0
                && slot
                    .id
                    .compare_exchange(0, id, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                slot.site
                    .store(std::ptr::from_ref(site).cast_mut(), Ordering::Relaxed);
                slot.polls.store(0, Ordering::Relaxed);
                slot.first_poll.store(NO_FIRST_POLL, Ordering::Relaxed);
                return true;
            }
        }
        false
    }
}

impl Slot {
    /// The site of the span whose call the slot holds.
    #[inline(always)]
    fn site(&self) -> Option<&'static CallSite> {
        let site = self.site.load(Ordering::Relaxed);
        // SAFETY: a slot's `site` is only ever null (as made) or stored by `SpanTable::claim`
        // from a `&'static CallSite` (a leaked box of `shared_site_for`, never freed), so
        // whatever store a load sees, a non-null pointer is valid for `'static` and its
        // `CallSite` is `Sync`. (That it is this span's site is `SpanTable`'s ordering
        // argument.) Exercised by every test of `tests/tracing_layer.rs`.
        unsafe { site.as_ref() }
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

/// Slots of [`RECENT`]: a power of two.
const RECENT_SLOTS: usize = 64;

thread_local! {
    /// The sites this thread found last, by a hash of their `Metadata` address (one per slot,
    /// the last found wins): most spans' site is found here, with no hashing of a key and no
    /// borrow of [`SEEN`].
    static RECENT: [Cell<(usize, Option<&'static CallSite>)>; RECENT_SLOTS] =
        const { [const { Cell::new((0, None)) }; RECENT_SLOTS] };
}

#[inline]
fn site_for(meta: &'static Metadata<'static>) -> &'static CallSite {
    let address = std::ptr::from_ref(meta) as usize;
    let hash = (address as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let at = (hash >> (64 - RECENT_SLOTS.trailing_zeros())) as usize;
    let recent = RECENT
        .try_with(|recent| match recent[at].get() {
            (seen, Some(site)) if seen == address => Some(site),
            _ => None,
        })
        .ok()
        .flatten();
    if let Some(site) = recent {
        return site;
    }
    let site = seen_site_for(meta, address);
    let _ = RECENT.try_with(|recent| recent[at].set((address, Some(site))));
    site
}

/// [`site_for`] when the site is not in [`RECENT`]'s slot.
#[inline(never)]
fn seen_site_for(meta: &'static Metadata<'static>, address: usize) -> &'static CallSite {
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
    fn on_layer(&mut self, _subscriber: &mut S) {
        if cfg!(feature = "enable") && self.table.is_none() {
            self.table = Some(SpanTable::new());
        }
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if !cfg!(feature = "enable") {
            return;
        }
        let site = site_for(attrs.metadata());
        if let Some(table) = &self.table
            && table.claim(id.into_u64(), site)
        {
            return;
        }
        // No slot: the call goes in the span's extensions (made here, before any entry's
        // clock reading, so that its allocation is charged to no span).
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanCall(AsyncCall::new(site)));
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if !cfg!(feature = "enable") {
            return;
        }
        let raw = id.into_u64();
        let node = match self.table.as_ref().and_then(|table| table.find(raw)) {
            Some(slot) => {
                let first = slot.polls.fetch_add(1, Ordering::Relaxed) == 0;
                let Some(site) = slot.site() else { return };
                let (node, first_poll) = future::enter_detached(site, first);
                if let Some(first_poll) = first_poll {
                    slot.first_poll.store(first_poll, Ordering::Relaxed);
                }
                node
            }
            None => {
                let Some(span) = ctx.span(id) else { return };
                let mut extensions = span.extensions_mut();
                match extensions.get_mut::<SpanCall>() {
                    Some(call) => call.0.enter_poll(),
                    None => return,
                }
            }
        };
        if node != 0 {
            let _ = ENTERED.try_with(|entered| {
                if let Ok(mut entered) = entered.try_borrow_mut() {
                    entered.push((raw, node));
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

    /// The call of a span in the table is counted here, on the closing thread's current call
    /// path; a span whose call is in its extensions is counted when the registry drops them,
    /// right after this, on the same thread.
    fn on_close(&self, id: Id, _ctx: Context<'_, S>) {
        let Some(slot) = self.table.as_ref().and_then(|t| t.find(id.into_u64())) else {
            return;
        };
        let site = slot.site();
        let polls = slot.polls.load(Ordering::Relaxed);
        let first_poll = slot.first_poll.load(Ordering::Relaxed);
        slot.id.store(0, Ordering::Release);
        if let Some(site) = site {
            let first_poll = (first_poll != NO_FIRST_POLL).then_some(first_poll);
            future::end_detached(site, polls, first_poll);
        }
    }
}
