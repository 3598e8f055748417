//! Storage for a thread's call-path counters that other threads can read while the owner
//! writes.
//!
//! Nodes live in fixed-size chunks that never move. Only the owning thread writes a node, with
//! `store(load + x, Relaxed)` (plain loads and stores on x86 and ARM: no locked instruction),
//! so a reader sees whole values. A node's identity (site, parent, flags) is written before the
//! owner publishes the node count with `Release`; readers load it with `Acquire` and read only
//! nodes below it.
//!
//! Chunks are leaked once and then recycled through a pool when their thread ends, so the
//! owner can hold `&'static` references without `unsafe`, and memory stays bounded by the
//! largest set of threads alive at one time.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::data::TreeNode;

use super::memory::MemNode;

/// Nodes per chunk: 256 nodes of 48 bytes, 12 KiB.
pub(crate) const CHUNK: usize = 256;

/// The shared half of one call-path node.
#[derive(Default)]
pub(crate) struct SharedNode {
    site: AtomicU32,
    parent: AtomicU32,
    flags: AtomicU32,
    calls: AtomicU64,
    own: AtomicU64,
    incl: AtomicU64,
    /// The clock reading when the open activation of this path started (owner-written: a
    /// plain `mov`, as a field of the owner's own node would be). Here rather than in the
    /// owner's half so that `/debug/profkit/threads` can read how long a thread's innermost
    /// call has been running without the owner publishing anything more per call.
    start: AtomicU64,
    /// Calls that were not timed (sampled timing), not in `calls`; `own` and `incl` are the
    /// timed calls'.
    untimed: AtomicU64,
}

/// A node's start ([`SharedNode::start`]) while an untimed activation of it (sampled timing,
/// `local/sampled`) is open: that call read no clock.
pub(crate) const UNTIMED_START: u64 = u64::MAX;

pub(crate) type Chunk = &'static [SharedNode];

static POOL: Mutex<Vec<Chunk>> = Mutex::new(Vec::new());

/// A zeroed chunk, from the pool when one is free.
pub(crate) fn alloc_chunk() -> Chunk {
    if let Some(chunk) = POOL.lock().pop() {
        return chunk;
    }
    // Cache-line aligned and a whole number of lines long (256 x 48 bytes = 192 lines), so a
    // chunk shares no line with another thread's data.
    let chunk: &'static AlignedChunk =
        Box::leak(Box::new(AlignedChunk(std::array::from_fn(|_| {
            SharedNode::default()
        }))));
    &chunk.0
}

#[repr(align(64))]
struct AlignedChunk([SharedNode; CHUNK]);

/// Returns chunks whose thread has ended. The caller guarantees no thread reads or writes them
/// any more (the registry lock is held while a thread retires and while reports read).
pub(crate) fn free_chunks(chunks: impl IntoIterator<Item = Chunk>) {
    let mut pool = POOL.lock();
    for chunk in chunks {
        for node in chunk {
            node.reset();
        }
        pool.push(chunk);
    }
}

/// The heap counters of `CHUNK` call paths, beside a [`Chunk`] of call counters: allocated only
/// for threads that account memory.
pub(crate) type MemChunk = &'static [MemNode];

static MEM_POOL: Mutex<Vec<MemChunk>> = Mutex::new(Vec::new());

#[repr(align(64))]
struct AlignedMemChunk([MemNode; CHUNK]);

/// A zeroed chunk of heap counters, from the pool when one is free.
pub(crate) fn alloc_mem_chunk() -> MemChunk {
    if let Some(chunk) = MEM_POOL.lock().pop() {
        return chunk;
    }
    let chunk: &'static AlignedMemChunk =
        Box::leak(Box::new(AlignedMemChunk(std::array::from_fn(|_| {
            MemNode::default()
        }))));
    &chunk.0
}

/// Returns heap-counter chunks whose thread has ended (as [`free_chunks`]).
pub(crate) fn free_mem_chunks(chunks: impl IntoIterator<Item = MemChunk>) {
    let mut pool = MEM_POOL.lock();
    for chunk in chunks {
        for node in chunk {
            node.reset();
        }
        pool.push(chunk);
    }
}

/// Where a recording thread publishes the node of its innermost open call (the CPU sampler and
/// `/debug/profkit/threads` read it): `&'static`, so that the owner's untimed calls can store
/// to it from a destructor-free thread-local (`local/hot.rs`) without `unsafe`. On a cache line
/// of its own (the owner writes it on every call); recycled like the chunks.
#[repr(align(64))]
#[derive(Default)]
struct CurrentSlot(AtomicU32);

static CURRENT_POOL: Mutex<Vec<&'static AtomicU32>> = Mutex::new(Vec::new());

/// A slot for a thread's published current node, holding 0 (none).
pub(crate) fn alloc_current_slot() -> &'static AtomicU32 {
    if let Some(slot) = CURRENT_POOL.lock().pop() {
        return slot;
    }
    &Box::leak(Box::new(CurrentSlot::default())).0
}

/// Returns the slot of a recording whose last reader let go of it; its owner no longer
/// writes it (the owner's thread-local points elsewhere once the recording is dropped).
pub(crate) fn free_current_slot(slot: &'static AtomicU32) {
    slot.store(0, Ordering::Relaxed);
    CURRENT_POOL.lock().push(slot);
}

/// Adds to an owner-written counter without a locked instruction.
#[inline(always)]
fn bump(counter: &AtomicU64, by: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

impl SharedNode {
    /// A node holding zeros (what a fresh chunk's nodes hold), for a `static`.
    pub(crate) const fn empty() -> SharedNode {
        SharedNode {
            site: AtomicU32::new(0),
            parent: AtomicU32::new(0),
            flags: AtomicU32::new(0),
            calls: AtomicU64::new(0),
            own: AtomicU64::new(0),
            incl: AtomicU64::new(0),
            start: AtomicU64::new(0),
            untimed: AtomicU64::new(0),
        }
    }

    /// Sets the identity of a fresh node (owner only, before it is published).
    pub(crate) fn init(&self, site: u32, parent: u32, flags: u8) {
        self.site.store(site, Ordering::Relaxed);
        self.parent.store(parent, Ordering::Relaxed);
        self.flags.store(u32::from(flags), Ordering::Relaxed);
    }

    /// Records one completed activation (owner only); `calls` is 1 for a call that ended, 0
    /// for a poll of a future that is still pending.
    #[inline(always)]
    pub(crate) fn record(&self, own: u64, incl: u64, calls: u64) {
        bump(&self.own, own);
        bump(&self.incl, incl);
        bump(&self.calls, calls);
    }

    /// Owner only: the path's activation starts at tick `ticks` (one relaxed store).
    #[inline(always)]
    pub(crate) fn set_start(&self, ticks: u64) {
        self.start.store(ticks, Ordering::Relaxed);
    }

    /// The tick the path's open (or last) activation started at; any thread may read it.
    #[inline(always)]
    pub(crate) fn start(&self) -> u64 {
        self.start.load(Ordering::Relaxed)
    }

    /// Records one call that was not timed (owner only; sampled timing). One counter: a
    /// reading adds the untimed calls to `calls` (the timed ones).
    #[inline(always)]
    pub(crate) fn record_untimed(&self) {
        bump(&self.untimed, 1);
    }

    /// Reads the node; times stay in the owner's clock ticks.
    pub(crate) fn read(&self) -> TreeNode {
        let untimed = self.untimed.load(Ordering::Relaxed);
        TreeNode {
            site: self.site.load(Ordering::Relaxed),
            parent: self.parent.load(Ordering::Relaxed),
            flags: self.flags.load(Ordering::Relaxed) as u8,
            // Timed calls (and pending polls' 0) plus the untimed ones.
            calls: self.calls.load(Ordering::Relaxed).wrapping_add(untimed),
            own_ns: self.own.load(Ordering::Relaxed),
            incl_ns: self.incl.load(Ordering::Relaxed),
            untimed,
            mem: Default::default(),
            cpu_ns: 0,
        }
    }

    fn reset(&self) {
        for c in [&self.site, &self.parent, &self.flags] {
            c.store(0, Ordering::Relaxed);
        }
        for c in [
            &self.calls,
            &self.own,
            &self.incl,
            &self.start,
            &self.untimed,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}
