//! The global side of collection: every recording thread's shared arena, the profiles of
//! threads that ended (kept per thread name, so threads that come and go leave no growing
//! list), and the baselines left by `reset()`. Touched when a thread starts or ends and when a
//! report is built, never on the hot path.
//!
//! A report holds the registry lock only to copy pointers (the threads, the retired profiles
//! and the baselines, all behind `Arc`s); it reads the threads after releasing it, so a thread
//! that starts or ends meanwhile waits microseconds, not the report's length. A thread that
//! ends while a report reads it stays readable: its memory returns to the pools only when the
//! last reader lets go of it (`ThreadShared`'s `Drop`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use once_cell::sync::Lazy;
use parking_lot::Mutex;

use crate::data::{MemCounts, Profile};

use super::arena::{self, CHUNK, Chunk, MemChunk, SharedNode};
use super::buckets::ThreadHist;
use super::clock::{Clock, ClockKind};
use super::future_counts::ThreadFutures;
use super::memory::{self, MemNode, Peaks, ThreadMem};
use super::reading::RawThread;
use super::sizes::ThreadSizes;

/// What other threads may read of one recording thread.
pub(crate) struct ThreadShared {
    id: u64,
    name: Arc<str>,
    clock: Clock,
    chunks: Mutex<Vec<Chunk>>,
    len: AtomicUsize,
    hists: Mutex<Vec<(u32, Arc<ThreadHist>)>>,
    /// Counters of the futures that ended on the thread, per `async fn`.
    futures: Mutex<Vec<(u32, Arc<ThreadFutures>)>>,
    /// The sized calls of each `#[profile(size = ..)]` function that ran on the thread.
    sizes: Mutex<Vec<(u32, Arc<ThreadSizes>)>>,
    /// The thread's heap accounting, when the allocator wrapper is in use.
    mem: Option<&'static ThreadMem>,
    /// Heap counters beside `chunks` (empty without `mem`).
    mem_chunks: Mutex<Vec<MemChunk>>,
}

impl ThreadShared {
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Owner only: makes a new chunk readable.
    pub(crate) fn add_chunk(&self, chunk: Chunk) {
        self.chunks.lock().push(chunk);
    }

    /// Owner only: makes a new chunk of heap counters readable.
    pub(crate) fn add_mem_chunk(&self, chunk: MemChunk) {
        self.mem_chunks.lock().push(chunk);
    }

    /// Owner only: makes a function's latency buckets readable.
    pub(crate) fn add_hist(&self, site: u32, hist: Arc<ThreadHist>) {
        self.hists.lock().push((site, hist));
    }

    /// Owner only: makes an `async fn`'s future counters readable.
    pub(crate) fn add_futures(&self, site: u32, futures: Arc<ThreadFutures>) {
        self.futures.lock().push((site, futures));
    }

    /// Owner only: makes a sized function's calls readable.
    pub(crate) fn add_sizes(&self, site: u32, sizes: Arc<ThreadSizes>) {
        self.sizes.lock().push((site, sizes));
    }

    /// Owner only: nodes below `len` are initialised and may be read.
    pub(crate) fn publish(&self, len: usize) {
        self.len.store(len, Ordering::Release);
    }

    /// The published nodes and the latency buckets, times in raw ticks; heap peaks of the
    /// activations that `peaks` names.
    pub(crate) fn read_raw(&self, peaks: Peaks) -> RawThread {
        let mut nodes: Vec<_> = {
            let chunks = self.chunks.lock();
            let len = self.len.load(Ordering::Acquire);
            (0..len)
                .filter_map(|i| chunks.get(i / CHUNK).map(|c| c[i % CHUNK].read()))
                .collect()
        };
        if self.mem.is_some() {
            let chunks = self.mem_chunks.lock();
            for (i, node) in nodes.iter_mut().enumerate() {
                if let Some(m) = chunks.get(i / CHUNK).map(|c| &c[i % CHUNK]) {
                    node.mem = m.read(peaks);
                }
            }
        }
        let hists = self
            .hists
            .lock()
            .iter()
            .map(|(site, h)| (*site, h.read()))
            .collect();
        let futures = self
            .futures
            .lock()
            .iter()
            .map(|(site, f)| {
                let (counts, latency) = f.read();
                (*site, counts, latency)
            })
            .collect();
        let sizes = self
            .sizes
            .lock()
            .iter()
            .map(|(site, z)| (*site, z.read()))
            .collect();
        // Last, after this reading's own allocations (charged to the overhead and the totals
        // alike, while profkit holds the owner's state or on another thread), so that the
        // nodes, the overhead and the totals of one reading add up.
        let (overhead, totals) = self
            .mem
            .map(|m| (m.overhead(), m.totals()))
            .unwrap_or_default();
        RawThread {
            nodes,
            hists,
            futures,
            sizes,
            memory: self.mem.is_some(),
            overhead,
            totals,
        }
    }

    /// Adds `raw` (a reading of this thread) to `profile` in nanoseconds.
    pub(crate) fn add_to(&self, profile: &mut Profile, raw: &RawThread) {
        raw.add_to(profile, |ticks| self.clock.ticks_to_ns(ticks));
    }

    pub(crate) fn clock_kind(&self) -> ClockKind {
        self.clock.kind()
    }

    pub(crate) fn name(&self) -> &Arc<str> {
        &self.name
    }
}

/// Profiles of one thread name: all threads of that name that ended, or are running.
#[derive(Clone, Debug)]
pub(crate) struct NamedProfile {
    pub(crate) name: Arc<str>,
    pub(crate) profile: Profile,
    pub(crate) clocks: Vec<ClockKind>,
}

#[derive(Default)]
struct Registry {
    threads: Vec<Arc<ThreadShared>>,
    /// Totals of threads that ended (or switched clocks) since the last reset, by thread name.
    retired: BTreeMap<Arc<str>, Arc<(Profile, Vec<ClockKind>)>>,
    /// Heap activity of recordings that ended, since the process started (for `heap()`).
    retired_heap: MemCounts,
    /// Heap activity of unrecorded threads at the last reset.
    unrecorded_base: MemCounts,
    /// Readings taken by `reset()` of threads that were alive then, by thread id.
    baselines: HashMap<u64, Arc<RawThread>>,
    next_id: u64,
    /// When recording started: the first thread's registration, or the last reset.
    started: Option<std::time::SystemTime>,
}

static REGISTRY: Lazy<Mutex<Registry>> = Lazy::new(Mutex::default);

fn add_kind(kinds: &mut Vec<ClockKind>, kind: ClockKind) {
    if !kinds.contains(&kind) {
        kinds.push(kind);
    }
}

/// Registers a new recording thread, with its first chunk (and first chunk of heap counters
/// when it accounts memory through `mem`).
pub(crate) fn register(
    clock: Clock,
    first: Chunk,
    mem: Option<(&'static ThreadMem, MemChunk)>,
) -> Arc<ThreadShared> {
    let name: Arc<str> = Arc::from(std::thread::current().name().unwrap_or("<unnamed>"));
    let mut reg = REGISTRY.lock();
    reg.next_id += 1;
    if reg.started.is_none() {
        reg.started = Some(std::time::SystemTime::now());
    }
    let shared = Arc::new(ThreadShared {
        id: reg.next_id,
        name,
        clock,
        chunks: Mutex::new(vec![first]),
        len: AtomicUsize::new(0),
        hists: Mutex::new(Vec::new()),
        sizes: Mutex::new(Vec::new()),
        futures: Mutex::new(Vec::new()),
        mem: mem.map(|(m, _)| m),
        mem_chunks: Mutex::new(mem.map(|(_, c)| c).into_iter().collect()),
    });
    reg.threads.push(shared.clone());
    shared
}

/// Folds a thread that stopped recording into the retired totals. The owner must not touch
/// its nodes afterwards; its memory is recycled when the last `Arc` (a report may still be
/// reading it) is dropped.
pub(crate) fn retire(shared: &Arc<ThreadShared>) {
    let mut reg = REGISTRY.lock();
    let baseline = reg.baselines.remove(&shared.id).unwrap_or_default();
    let raw = shared.read_raw(Peaks::SinceReset).since(&baseline);
    let entry = reg.retired.entry(shared.name.clone()).or_default();
    // Copied only when a report is reading this name's totals at this moment.
    let (profile, kinds) = Arc::make_mut(entry);
    shared.add_to(profile, &raw);
    add_kind(kinds, shared.clock_kind());
    if let Some(mem) = shared.mem {
        reg.retired_heap.add(&mem.totals());
    }
    reg.threads.retain(|t| !Arc::ptr_eq(t, shared));
}

impl Drop for ThreadShared {
    /// The last reader of an ended thread returns its memory to the pools.
    fn drop(&mut self) {
        arena::free_chunks(std::mem::take(self.chunks.get_mut()));
        arena::free_mem_chunks(std::mem::take(self.mem_chunks.get_mut()));
        if let Some(mem) = self.mem {
            memory::recycle(mem);
        }
    }
}

/// Everything recorded since the last reset, by every thread, ended or running, per thread
/// name (sorted by name).
pub(crate) fn profiles_by_thread() -> Vec<NamedProfile> {
    // Under the lock: pointers only.
    let (threads, retired) = {
        let reg = REGISTRY.lock();
        let threads: Vec<(Arc<ThreadShared>, Option<Arc<RawThread>>)> = reg
            .threads
            .iter()
            .map(|t| (t.clone(), reg.baselines.get(&t.id).cloned()))
            .collect();
        (threads, reg.retired.clone())
    };
    let mut by_name: BTreeMap<Arc<str>, (Profile, Vec<ClockKind>)> = retired
        .into_iter()
        .map(|(name, totals)| (name, (*totals).clone()))
        .collect();
    for (thread, baseline) in threads {
        let raw = match baseline {
            Some(base) => thread.read_raw(Peaks::SinceReset).since(&base),
            None => thread.read_raw(Peaks::SinceReset),
        };
        let (profile, kinds) = by_name.entry(thread.name.clone()).or_default();
        thread.add_to(profile, &raw);
        add_kind(kinds, thread.clock_kind());
    }
    by_name
        .into_iter()
        .map(|(name, (profile, clocks))| NamedProfile {
            name,
            profile,
            clocks,
        })
        .collect()
}

/// When recording started: the first recording thread, or the last reset.
pub(crate) fn started() -> Option<std::time::SystemTime> {
    REGISTRY.lock().started
}

/// Forgets everything recorded so far. Running threads keep their arenas (only their owners
/// may write them); their current counters become the baseline later reads subtract.
pub(crate) fn reset() {
    let mut reg = REGISTRY.lock();
    reg.started = Some(std::time::SystemTime::now());
    reg.retired.clear();
    reg.unrecorded_base = memory::reset();
    let baselines = reg
        .threads
        .iter()
        .map(|t| (t.id, Arc::new(t.read_raw(Peaks::SinceReset))))
        .collect();
    reg.baselines = baselines;
}

/// Heap activity of threads while they did not record, since the last reset.
pub(crate) fn unrecorded_since_reset() -> MemCounts {
    let base = REGISTRY.lock().unrecorded_base;
    memory::unrecorded().since(&base)
}

/// The process heap: every allocation and free since the process started (recording threads,
/// those that ended, and unrecorded ones), live bytes now and at their highest. Allocates
/// nothing, so the allocator's counts are not moved by reading them.
pub(crate) fn heap() -> (MemCounts, i64, i64) {
    let reg = REGISTRY.lock();
    let mut totals = memory::unrecorded();
    totals.add(&reg.retired_heap);
    let (live, peak) = memory::process_live_and_peak();
    let mut pending = 0i64;
    for t in &reg.threads {
        if let Some(mem) = t.mem {
            totals.add(&mem.totals());
            pending = pending.saturating_add(memory::pending(mem));
        }
    }
    (totals, live.saturating_add(pending), peak)
}

/// The chunk of heap counters holding node `index`, for an owner that has `chunks`.
pub(crate) fn mem_node_in(chunks: &[MemChunk], index: usize) -> Option<&'static MemNode> {
    chunks.get(index / CHUNK).map(|c| &c[index % CHUNK])
}

/// The chunk holding node `index` and its slot, for an owner that has `chunks`.
pub(crate) fn node_in(chunks: &[Chunk], index: usize) -> Option<&'static SharedNode> {
    chunks.get(index / CHUNK).map(|c| &c[index % CHUNK])
}
