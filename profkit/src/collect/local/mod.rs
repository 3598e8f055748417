//! The thread-local call tree and the hot path.
//!
//! Each thread records into its own tree of call paths; nothing on this path takes a lock or a
//! locked instruction. Whether an activation is primitive (no other activation of the same
//! function open beneath it) and edge-primitive (no other call of the same caller -> callee
//! pair open beneath it) depends only on the call path, so both are computed once, when a path
//! is first seen, and stored in its node: recursion costs nothing per call.

mod hot;
mod poll;
mod sampled;
mod sized;
mod thread;

pub(crate) use poll::{FutureEnd, end_future_here, enter_poll, exit_poll};
pub(crate) use sampled::{UNTIMED, enter_sampled, exit_untimed, leave_untimed_for_calibration};
pub(crate) use sized::{exit_call_sized, exit_poll_sized};
pub(crate) use thread::{
    SwitchError, ThreadReading, read_current, switch_clock, with_clock, with_shared,
};

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use std::sync::atomic::Ordering;

use crate::data::{EDGE_PRIMITIVE, IdMap, PRIMITIVE, ROOT_SITE};

use super::arena::{self, CHUNK, Chunk, MemChunk, SharedNode};
use super::buckets::{Buckets, ThreadHist};
use super::clock::{self, Clock, ClockKind};
use super::future_counts::ThreadFutures;
use super::memory::{self, MemNode, Peaks, ThreadMem};
use super::reading::RawThread;
use super::registry::{self, ThreadShared};
use super::site::CallSite;
use super::sizes::ThreadSizes;

/// Children scanned in a list before a node's children are looked up in a hash map.
const SCAN_LIMIT: u32 = 8;
/// Distinct call paths one thread records; calls on paths beyond it are not recorded.
pub(crate) const MAX_NODES: usize = 1 << 22;
/// `cache_site` of a node whose child cache is empty (no site has this id).
const NO_SITE: u32 = u32::MAX;
/// Node index meaning "none" (index 0 is the root and is never a child).
const NONE: u32 = 0;

/// The owner-only half of a call-path node. Cache-line aligned, so that no line holds both
/// this thread's per-call state and another thread's (small heap allocations of two threads
/// can be neighbours).
#[repr(align(64))]
struct LocalNode {
    stats: &'static SharedNode,
    site: u32,
    parent: u32,
    // The clock reading when the open activation started is `stats.start()` (in the shared
    // half, where `/debug/profkit/threads` reads it: issue 24); `UNTIMED_START` while an
    // untimed activation (sampled timing) is open.
    /// Sampled timing: this path's calls to leave untimed before the next timed one (0 in
    /// exact mode; see `collect::sampling`). While the path is the hot state's last untimed one, the
    /// countdown is kept there instead.
    countdown: u32,
    /// Inclusive ticks of direct children of the open activation so far.
    child_ticks: u64,
    /// The last child entered from here, the common case in loops.
    cache_site: u32,
    cache_child: u32,
    first_child: u32,
    next_sibling: u32,
    children: u32,
    /// Bloom filters of the sites and of the (caller, callee) pairs on the path to this node,
    /// so that most new paths need no walk to the root to find their flags.
    site_mask: u64,
    edge_mask: u64,
    /// The function's latency buckets, on primitive nodes only (their inclusive time is one
    /// outermost call's duration).
    hist: Option<Arc<ThreadHist>>,
    /// `hist`'s buckets once the function is hot on this thread, held directly.
    hot: Option<&'static Buckets>,
    /// The path's heap counters, when the thread accounts memory.
    mem_node: Option<&'static MemNode>,
    /// The thread's live heap bytes when the open activation started, and, while a callee
    /// runs, this activation's peak so far (the innermost one's is in `memory`'s thread-local).
    mem_entry: i64,
    mem_peak: i64,
    /// The function's future counters on this thread, once a future of it ended here.
    futures: Option<Arc<ThreadFutures>>,
}

/// A thread's heap accounting (when profkit's allocator wrapper is in use).
struct LocalMem {
    thread: &'static ThreadMem,
    /// Heap counters of the nodes, beside `Local::chunks`.
    chunks: Vec<MemChunk>,
    /// The epoch of the thread's `record()` window: peaks are kept per window.
    window: u64,
}

pub(crate) struct Local {
    shared: Arc<ThreadShared>,
    clock: Clock,
    nodes: Vec<LocalNode>,
    chunks: Vec<Chunk>,
    /// The current node while this recording is out of `LOCAL` (calibration's swap); while it
    /// is in, the current node's one home is the hot state (`hot::current`).
    parked: u32,
    /// Children of nodes with more than `SCAN_LIMIT` children, by (parent, site).
    wide: IdMap<(u32, u32), u32>,
    /// Latency buckets by site, created with the first primitive node of the site.
    hists: HashMap<u32, Arc<ThreadHist>>,
    /// Counters of the futures that ended on this thread, by site (`async fn`s only).
    futures: HashMap<u32, Arc<ThreadFutures>>,
    /// Sized calls (`#[profile(size = ..)]`) by site, created with the site's first sized call.
    sizes: IdMap<u32, Arc<ThreadSizes>>,
    /// `clock::EPOCH` when this recording started.
    epoch: u64,
    /// Heap accounting; `None` when the allocator wrapper is not in use.
    mem: Option<LocalMem>,
    /// `mem.is_some()`, where the hot path reads it cheaply.
    mem_on: bool,
    /// In the registry (reports read it); a private recording (calibration's) is not.
    registered: bool,
    /// Sampled timing: the xorshift state the countdowns' random gaps come from. (The last
    /// untimed call's path and countdown are in the hot state: `hot.rs`.)
    rng: u64,
}

fn site_bit(site: u32) -> u64 {
    1 << (site % 64)
}

fn edge_bit(caller: u32, callee: u32) -> u64 {
    let h = (caller.wrapping_mul(0x9E37_79B9) ^ callee).wrapping_mul(0x85EB_CA6B);
    1 << (h >> 26)
}

impl Local {
    fn new(clock: Clock) -> Local {
        Local::start(clock, true)
    }

    /// A recording no report sees and that accounts no memory (calibration's).
    fn private(clock: Clock) -> Local {
        Local::start(clock, false)
    }

    fn start(clock: Clock, registered: bool) -> Local {
        if registered {
            // Reads `PROFKIT_CPU` (and starts the sampler) with the first recording.
            super::sampler::start_if_on();
            // Reads `PROFKIT_SAMPLE` with the first recording.
            super::sampling::init_from_env();
        }
        let epoch = clock::EPOCH.load(Ordering::Relaxed);
        // First: from here on the allocations of this (busy) code go to profkit's own row.
        let mem = if registered {
            memory::start_thread().map(|thread| LocalMem {
                thread,
                chunks: vec![arena::alloc_mem_chunk()],
                window: 1,
            })
        } else {
            None
        };
        let root_mem = mem
            .as_ref()
            .and_then(|m| registry::mem_node_in(&m.chunks, 0));
        let first = arena::alloc_chunk();
        let shared = if registered {
            registry::register(
                clock.clone(),
                first,
                mem.as_ref().map(|m| (m.thread, m.chunks[0])),
            )
        } else {
            registry::unregistered(clock.clone(), first)
        };
        first[0].init(ROOT_SITE, 0, 0);
        shared.publish(1);
        let local = Local {
            nodes: vec![LocalNode {
                stats: &first[0],
                site: ROOT_SITE,
                parent: 0,
                countdown: 0,
                child_ticks: 0,
                cache_site: NO_SITE,
                cache_child: NONE,
                first_child: NONE,
                next_sibling: NONE,
                children: 0,
                site_mask: 0,
                edge_mask: 0,
                hist: None,
                hot: None,
                mem_node: root_mem,
                mem_entry: 0,
                mem_peak: 0,
                futures: None,
            }],
            chunks: vec![first],
            shared,
            clock,
            parked: NONE,
            wide: IdMap::default(),
            hists: HashMap::new(),
            futures: HashMap::new(),
            sizes: IdMap::default(),
            epoch,
            mem_on: mem.is_some(),
            mem,
            registered,
            rng: super::sampling::seed(epoch ^ (first.as_ptr() as u64)),
        };
        if registered {
            // From here on the thread's allocations are charged to its root.
            memory::set_current(root_mem);
        }
        local
    }

    /// Opens an activation of `site` under the current one; returns its node (0: not recorded).
    #[inline(always)]
    fn enter(&mut self, site: u32) -> u32 {
        let cur = &self.nodes[hot::current() as usize];
        let child = if cur.cache_site == site {
            cur.cache_child
        } else {
            self.find_child(site)
        };
        self.open(child)
    }

    /// Opens a timed activation of `child` (found by [`Local::enter`] or
    /// `Local::enter_sampled`); returns it (0: not recorded).
    #[inline(always)]
    fn open(&mut self, child: u32) -> u32 {
        if self.mem_on && child != NONE {
            self.enter_mem(child);
        }
        if child != NONE
            && let Some(node) = self.nodes.get_mut(child as usize)
        {
            // Reset here rather than when an activation closes, so that an untimed close
            // (`hot::exit_fast`) need not touch the node: an untimed activation's timed
            // children leave it something the next timed one must not inherit.
            node.child_ticks = 0;
            hot::set_current(child);
            // The clock is read last, so the lookup above is not charged to the callee.
            node.stats.set_start(self.clock.ticks());
        }
        child
    }

    /// Closes the activation of `node`, normally the innermost open one, adding `calls` calls;
    /// `latency`: the activation is a whole call, whose duration goes to the histogram.
    #[inline(always)]
    fn exit(&mut self, node: u32, calls: u64, latency: bool) {
        // The clock is read first, so the bookkeeping below is not charged to the callee.
        let now = self.clock.ticks();
        if node == hot::current() {
            self.close(node, now, calls, latency);
        } else {
            self.close_unwound(node, now, calls, latency);
        }
    }

    #[inline(always)]
    fn close(&mut self, node: u32, now: u64, calls: u64, latency: bool) {
        let Some(n) = self.nodes.get_mut(node as usize) else {
            return;
        };
        let incl = now.saturating_sub(n.stats.start());
        // (`child_ticks` is reset when the next activation opens: `Local::open`.)
        let own = incl.saturating_sub(n.child_ticks);
        n.stats.record(own, incl, calls);
        if latency {
            if let Some(hot) = n.hot {
                hot.record(incl);
            } else if let Some(h) = &n.hist {
                n.hot = h.record(incl);
            }
        }
        let parent = n.parent;
        if self.mem_on {
            self.close_mem(node, parent);
        }
        if let Some(p) = self.nodes.get_mut(parent as usize) {
            p.child_ticks = p.child_ticks.wrapping_add(incl);
        }
        hot::set_current(parent);
    }

    /// The heap side of opening `node` under the current activation: allocations are charged
    /// to it from now on, and its peak starts at the live bytes.
    #[inline(never)]
    fn enter_mem(&mut self, node: u32) {
        let Some(counts) = self.nodes.get(node as usize).map(|n| n.mem_node) else {
            return;
        };
        let (live, outer_peak) = memory::enter_frame(counts);
        if let Some(n) = self.nodes.get_mut(node as usize) {
            n.mem_entry = live;
        }
        if let Some(p) = self.nodes.get_mut(hot::current() as usize) {
            p.mem_peak = outer_peak;
        }
    }

    /// The heap side of closing `node`: its activation's peak is noted, and the parent is
    /// charged again, its peak raised to this one's.
    #[inline(never)]
    fn close_mem(&mut self, node: u32, parent: u32) {
        let Some((outer, outer_peak)) = self
            .nodes
            .get(parent as usize)
            .map(|p| (p.mem_node, p.mem_peak))
        else {
            return;
        };
        let peak = memory::exit_frame(outer, outer_peak);
        let (Some(m), Some(n)) = (&self.mem, self.nodes.get(node as usize)) else {
            return;
        };
        // An activation whose live bytes never rose above their entry level has no peak to
        // note (a zero peak is what a node reads as until one is noted).
        if peak > n.mem_entry
            && let Some(counts) = n.mem_node
        {
            counts.note_peak(peak.saturating_sub(n.mem_entry) as u64, m.window);
        }
    }

    /// A future ended on this thread in an activation of `node`: its function's counters
    /// here are added to. `wall_end` is a [`clock::wall_ticks`] reading.
    #[inline(always)]
    fn future_ended(&mut self, node: u32, end: FutureEnd, wall_end: u64) {
        let wall = wall_end.wrapping_sub(end.first_poll);
        let cached = self
            .nodes
            .get(node as usize)
            .and_then(|n| n.futures.as_ref());
        match cached {
            Some(f) => f.record(end.completed, end.polls, wall),
            None => self.first_future_end(node, end, wall),
        }
    }

    /// The first future to end on `node`: find or make its function's counters.
    #[cold]
    #[inline(never)]
    fn first_future_end(&mut self, node: u32, end: FutureEnd, wall: u64) {
        let _bookkeeping = memory::bookkeeping();
        let Some(site) = self.nodes.get(node as usize).map(|n| n.site) else {
            return;
        };
        let shared = &self.shared;
        let futures = self
            .futures
            .entry(site)
            .or_insert_with(|| {
                let f = Arc::new(ThreadFutures::new());
                shared.add_futures(site, f.clone());
                f
            })
            .clone();
        futures.record(end.completed, end.polls, wall);
        if let Some(n) = self.nodes.get_mut(node as usize) {
            n.futures = Some(futures);
        }
    }

    #[cold]
    #[inline(never)]
    fn close_unwound(&mut self, node: u32, now: u64, calls: u64, latency: bool) {
        let mut at = hot::current();
        while at != NONE && at != node {
            at = self.nodes[at as usize].parent;
        }
        if node == NONE || at != node {
            return;
        }
        loop {
            let current = hot::current();
            if current == node {
                break;
            }
            self.close_any(current, now, 1, true);
        }
        self.close_any(node, now, calls, latency);
    }

    #[cold]
    #[inline(never)]
    fn find_child(&mut self, site: u32) -> u32 {
        let parent = hot::current();
        let p = &self.nodes[parent as usize];
        let found = if p.children <= SCAN_LIMIT {
            let mut at = p.first_child;
            while at != NONE && self.nodes[at as usize].site != site {
                at = self.nodes[at as usize].next_sibling;
            }
            at
        } else {
            self.wide.get(&(parent, site)).copied().unwrap_or(NONE)
        };
        let child = if found != NONE {
            found
        } else {
            match self.create(parent, site) {
                Some(c) => c,
                None => return NONE,
            }
        };
        let p = &mut self.nodes[parent as usize];
        p.cache_site = site;
        p.cache_child = child;
        child
    }

    /// The nodes from `from` up to (not including) the root.
    fn path(&self, from: u32) -> impl Iterator<Item = &LocalNode> {
        let mut at = from;
        std::iter::from_fn(move || {
            (at != NONE).then(|| {
                let n = &self.nodes[at as usize];
                at = n.parent;
                n
            })
        })
    }

    /// Creates the node for a new call path `parent -> site`.
    fn create(&mut self, parent: u32, site: u32) -> Option<u32> {
        // What this allocates is profkit's, not the caller's.
        let _bookkeeping = memory::bookkeeping();
        let index = self.nodes.len();
        // Site 0 is the root's (a site that could not register gets it): never a child. This
        // check on the slow path is the only one: no child cache ever holds site 0.
        if index >= MAX_NODES || site == ROOT_SITE {
            return None;
        }
        if index / CHUNK >= self.chunks.len() {
            let chunk = arena::alloc_chunk();
            self.chunks.push(chunk);
            self.shared.add_chunk(chunk);
        }
        if let Some(m) = &mut self.mem
            && index / CHUNK >= m.chunks.len()
        {
            let chunk = arena::alloc_mem_chunk();
            m.chunks.push(chunk);
            self.shared.add_mem_chunk(chunk);
        }
        let stats = registry::node_in(&self.chunks, index)?;
        let p = &self.nodes[parent as usize];
        let caller = p.site;

        let bit = site_bit(site);
        let primitive = p.site_mask & bit == 0 || !self.path(parent).any(|n| n.site == site);
        let ebit = edge_bit(caller, site);
        let edge_primitive = parent == NONE
            || p.edge_mask & ebit == 0
            || !self
                .path(parent)
                .any(|n| n.site == site && self.nodes[n.parent as usize].site == caller);
        let flags =
            if primitive { PRIMITIVE } else { 0 } | if edge_primitive { EDGE_PRIMITIVE } else { 0 };
        let (site_mask, edge_mask) = (p.site_mask | bit, p.edge_mask | ebit);
        let sibling = p.first_child;
        let hist = primitive.then(|| {
            self.hists
                .entry(site)
                .or_insert_with(|| {
                    let h = Arc::new(ThreadHist::new());
                    self.shared.add_hist(site, h.clone());
                    h
                })
                .clone()
        });

        stats.init(site, parent, flags);
        let child = index as u32;
        self.nodes.push(LocalNode {
            stats,
            site,
            parent,
            countdown: 0,
            child_ticks: 0,
            cache_site: NO_SITE,
            cache_child: NONE,
            first_child: NONE,
            next_sibling: sibling,
            children: 0,
            site_mask,
            edge_mask,
            hot: hist.as_ref().and_then(|h| h.is_hot()),
            hist,
            mem_node: self
                .mem
                .as_ref()
                .and_then(|m| registry::mem_node_in(&m.chunks, index)),
            mem_entry: 0,
            mem_peak: 0,
            futures: None,
        });
        let p = &mut self.nodes[parent as usize];
        p.first_child = child;
        p.children += 1;
        self.wide.insert((parent, site), child);
        self.shared.publish(self.nodes.len());
        Some(child)
    }

    /// Reads this thread's recording; with `new_window`, its heap peaks start a new
    /// `record()` window first (the reading's peaks then cover that window).
    fn reading(&mut self, new_window: bool) -> ThreadReading {
        let peaks = match &mut self.mem {
            Some(m) => {
                if new_window {
                    m.window += 1;
                }
                Peaks::Window(m.window)
            }
            None => Peaks::SinceReset,
        };
        ThreadReading {
            thread: self.shared.clone(),
            raw: self.shared.read_raw(peaks),
        }
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        // The hot state must not point at this recording's slot once it is gone.
        self.disarm();
        if !self.registered {
            // A private recording: its memory returns to the pools with its last reader.
            return;
        }
        // The thread's later allocations (its teardown, this retirement) are unrecorded.
        memory::stop_thread();
        registry::retire(&self.shared);
    }
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

/// Opens an activation of `site` on this thread; 0 when nothing was recorded (the thread is
/// being torn down, or profkit was re-entered from inside itself).
///
/// The site registers (on its first call) while this thread's state is borrowed: registration
/// allocates, and an allocator that is itself profiled must find profkit busy and go unrecorded
/// rather than recurse or wait on a lock this thread holds.
#[inline(always)]
pub(crate) fn enter(site: &'static CallSite) -> u32 {
    with_recording(site, NONE, Local::enter, start_thread)
}

/// The way into this thread's recording that every entry point shares: `on_local` with the
/// recording and the site's id (registered while the state is borrowed, see [`enter`]) when
/// the recording serves the current epoch (a call is open, or no reset happened since it
/// started); `start` with the thread's slot otherwise (its first call, or the first after a
/// reset); `unavailable` when the state is borrowed (profkit re-entered from inside itself) or
/// gone (thread teardown).
#[inline(always)]
fn with_recording<R: Copy>(
    site: &'static CallSite,
    unavailable: R,
    on_local: impl FnOnce(&mut Local, u32) -> R,
    start: impl FnOnce(&mut Option<Local>, u32) -> R,
) -> R {
    LOCAL
        .try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => match (site.id(), slot.as_mut()) {
                (site, Some(local))
                    if hot::current() != NONE
                        || local.epoch == clock::EPOCH.load(Ordering::Relaxed) =>
                {
                    on_local(local, site)
                }
                (site, _) => start(&mut slot, site),
            },
            Err(_) => unavailable,
        })
        .unwrap_or(unavailable)
}

/// Runs `f` with this thread's state borrowed, so that profiled code running inside `f` (a
/// profiled allocator, say) is not recorded and cannot re-enter profkit while `f` holds its
/// locks. Every public function that takes profkit's locks runs in here.
pub(crate) fn busy<R: Default>(f: impl FnOnce() -> R) -> R {
    let _bookkeeping = memory::bookkeeping();
    let mut f = Some(f);
    let guarded = LOCAL.try_with(|cell| {
        let _held = cell.try_borrow_mut();
        f.take().map(|f| f())
    });
    match (guarded, f) {
        (Ok(Some(value)), _) => value,
        // The thread-local is gone (thread teardown): nothing can be recorded anyway.
        (_, Some(f)) => f(),
        // `try_with` ran the closure, which took `f` and returned its value.
        (Ok(None) | Err(_), None) => R::default(),
    }
}

/// Starts this thread's recording, or a new one with the newly configured clock (when no call
/// is open, so no open activation mixes two clocks); a test clock stays.
#[cold]
#[inline(never)]
fn start_thread(slot: &mut Option<Local>, site: u32) -> u32 {
    if let Some(local) = slot.as_mut()
        && local.clock.kind() == ClockKind::Manual
    {
        local.epoch = clock::EPOCH.load(Ordering::Relaxed);
        hot::set_epoch(local.epoch);
        return local.enter(site);
    }
    install(slot, Local::new(Clock::of_kind(clock::configured()))).enter(site)
}

/// Puts `new` in this thread's slot in place of the recording there (dropping it retires it)
/// and arms the hot state for it.
fn install(slot: &mut Option<Local>, new: Local) -> &mut Local {
    // Dropped first: dropping disarms the hot state when it serves the dropped recording.
    *slot = None;
    let local = slot.insert(new);
    local.arm();
    local
}

/// Ends the call `node` returned by [`enter`]: one call, its duration a latency sample.
#[inline(always)]
pub(crate) fn exit_call(node: u32) {
    exit(node, 1, true);
}

/// Written out rather than through [`with_local`]: the exact call's end is the hot path, and
/// through the closure it ran one instruction more per call (`benches/callgrind.sh`: 205.0
/// against 204.0).
#[inline(always)]
fn exit(node: u32, calls: u64, latency: bool) {
    let _ = LOCAL.try_with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut()
            && let Some(local) = slot.as_mut()
        {
            local.exit(node, calls, latency);
        }
    });
}

/// The way into this thread's recording that the ends of calls share (polls, sized and
/// untimed calls; the exact call's [`exit`] writes it out): `f` with the
/// recording, unless there is none, it is borrowed (profkit re-entered from inside itself) or
/// gone (thread teardown); then nothing happens.
#[inline(always)]
fn with_local(f: impl FnOnce(&mut Local)) {
    let _ = LOCAL.try_with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut()
            && let Some(local) = slot.as_mut()
        {
            f(local);
        }
    });
}

/// Runs `f` with a private recording on this thread in place of the thread's own one (which
/// is set aside meanwhile, open calls and all, and then put back), and returns `f`'s value with
/// the private recording's raw reading. `None` when the thread's state is unavailable (thread
/// teardown, or profkit running on it), in which case `f` did not run.
pub(crate) fn with_private_recording<R>(
    clock: Clock,
    f: impl FnOnce() -> R,
) -> Option<(R, RawThread)> {
    let saved = with_slot(|slot| {
        let mut saved = slot.take();
        if let Some(s) = saved.as_mut() {
            s.disarm();
        }
        install(slot, Local::private(clock));
        saved
    })?;
    let value = f();
    let private = with_slot(|slot| {
        let mut private = slot.take();
        if let Some(p) = private.as_mut() {
            p.disarm();
        }
        *slot = saved;
        if let Some(s) = slot.as_mut() {
            s.arm();
        }
        private
    })
    .flatten();
    let raw = private?.shared.read_raw(Peaks::SinceReset);
    Some((value, raw))
}

/// Runs `f` on this thread's slot unless the thread is being torn down or the slot is in use.
fn with_slot<R>(f: impl FnOnce(&mut Option<Local>) -> R) -> Option<R> {
    let _bookkeeping = memory::bookkeeping();
    LOCAL
        .try_with(|cell| cell.try_borrow_mut().ok().map(|mut slot| f(&mut slot)))
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_hook() {}

    /// Calls recorded on this thread's paths ending in `site`, and on how many paths.
    fn calls_of(site: &'static CallSite) -> (u64, usize) {
        let id = site.id();
        let reading = read_current(false).expect("this thread records");
        let nodes: Vec<_> = reading.raw.nodes.iter().filter(|n| n.site == id).collect();
        (nodes.iter().map(|n| n.calls).sum(), nodes.len())
    }

    #[test]
    fn a_call_made_while_profkit_holds_the_thread_state_is_skipped_not_a_panic() {
        static SITE: CallSite = CallSite::from_name("reentered", file!(), line!(), no_hook);
        // As if profkit's own code (an allocation on a new path, say) ran a profiled function.
        let inner = with_slot(|_| enter(&SITE));
        assert_eq!(inner, Some(NONE));
        exit_call(NONE); // and its guard's drop is harmless
        assert_eq!(calls_of(&SITE).0, 0);
        drop(super::super::guard::enter(&SITE));
        assert_eq!(calls_of(&SITE), (1, 1));
    }

    #[test]
    fn a_guard_closed_out_of_order_closes_the_calls_above_it() {
        use super::super::guard::enter as guard;
        static OUTER: CallSite = CallSite::from_name("outer_ooo", file!(), line!(), no_hook);
        static INNER: CallSite = CallSite::from_name("inner_ooo", file!(), line!(), no_hook);
        let outer = guard(&OUTER);
        let inner = guard(&INNER);
        drop(outer); // closes `inner` too
        drop(inner); // stale: ignored
        drop(guard(&OUTER));
        // Two calls of `outer`, both on the root path: the second is a root again.
        assert_eq!(calls_of(&OUTER), (2, 1));
        assert_eq!(calls_of(&INNER), (1, 1));
    }
}
