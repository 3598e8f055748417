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
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use once_cell::sync::Lazy;
use parking_lot::Mutex;

use crate::data::{MemCounts, Profile};

use super::arena::{self, CHUNK, Chunk, MemChunk, SharedNode};
use super::buckets::ThreadHist;
use super::clock::{Clock, ClockKind};
use super::cpu::{self, CpuState};
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
    /// The node of the thread's innermost open call (0: none), for the CPU sampler. The owner
    /// stores to it through its thread-local (`local/hot.rs`), hence a `'static` slot.
    current: &'static AtomicU32,
    /// The CPU time the sampler charged to each node.
    pub(crate) cpu: Mutex<CpuState>,
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

    /// Where the owner publishes its innermost open call's node (a relaxed store per call: a
    /// plain `mov`, through `local/hot.rs`).
    pub(crate) fn current_slot(&self) -> &'static AtomicU32 {
        self.current
    }

    /// One sample of the thread's CPU time (see `sampler`): `read` looks at the thread (its
    /// CPU clock, and whether it runs), between two loads of its innermost open call; `take`
    /// says which samples charge the pending time to that call.
    pub(crate) fn sample_cpu(&self, take: cpu::Take, read: impl FnOnce(&CpuState) -> cpu::Reading) {
        // The whole sample under the lock, so two samples never charge one interval twice.
        let mut state = self.cpu.lock();
        // With a real reading (system calls) between them, the two loads cannot be merged or
        // moved across it: a call that begins or ends meanwhile shows as a changed node.
        let before = self.current.load(Ordering::Relaxed);
        let reading = read(&state);
        let now = self.current.load(Ordering::Relaxed);
        state.sample(take, before, now, reading);
    }

    /// Owner only, for `profkit::testing`: gives the thread a test CPU clock or its own again.
    pub(crate) fn set_test_cpu(&self, test: Option<cpu::TestCpu>) {
        self.cpu.lock().set_test(test);
    }

    /// Owner only, for `profkit::testing`: `ns` of CPU time on the manual test clock, charged
    /// to the innermost open call; `false` without a manual clock.
    pub(crate) fn advance_test_cpu(&self, ns: u64) -> bool {
        let mut state = self.cpu.lock();
        let node = self.current.load(Ordering::Relaxed);
        state.advance(node, ns)
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
        let cpu = {
            let state = self.cpu.lock();
            let recorded = state.recorded();
            if recorded {
                for (node, &ns) in nodes.iter_mut().zip(&state.nodes) {
                    node.cpu_ns = ns;
                }
            }
            recorded
        };
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
            cpu,
            memory: self.mem.is_some(),
            overhead,
            totals,
        }
    }

    /// Whether a block allocated on one of the thread's paths is still live (its heap
    /// counters must then stay where they are: the block's header points to them).
    fn holds_blocks(&self) -> bool {
        let len = self.len.load(Ordering::Acquire);
        let chunks = self.mem_chunks.lock();
        (0..len).any(|i| {
            chunks
                .get(i / CHUNK)
                .is_some_and(|c| c[i % CHUNK].live_allocs() != 0)
        })
    }

    /// The live figures of a thread that ended: its paths with only the blocks they hold.
    fn read_live(&self) -> RawThread {
        let mut raw = self.read_raw(Peaks::SinceReset);
        for node in &mut raw.nodes {
            *node = crate::data::TreeNode {
                mem: node.mem.live_only(),
                ..crate::data::TreeNode {
                    site: node.site,
                    parent: node.parent,
                    ..Default::default()
                }
            };
        }
        RawThread {
            nodes: raw.nodes,
            memory: true,
            ..RawThread::default()
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
    /// Recordings that ended while blocks allocated on their paths were live: their heap
    /// counters are not reused until those blocks are freed, and reports read their live
    /// figures from them (the retired profiles hold none).
    holding: Vec<Arc<ThreadShared>>,
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
        current: arena::alloc_current_slot(),
        cpu: Mutex::new(CpuState::for_current_thread()),
    });
    reg.threads.push(shared.clone());
    shared
}

/// A recording that no report reads (calibration's private one): not in the list of threads.
pub(crate) fn unregistered(clock: Clock, first: Chunk) -> Arc<ThreadShared> {
    Arc::new(ThreadShared {
        id: 0,
        name: Arc::from("<private>"),
        clock,
        chunks: Mutex::new(vec![first]),
        len: AtomicUsize::new(0),
        hists: Mutex::new(Vec::new()),
        futures: Mutex::new(Vec::new()),
        sizes: Mutex::new(Vec::new()),
        mem: None,
        mem_chunks: Mutex::new(Vec::new()),
        current: arena::alloc_current_slot(),
        cpu: Mutex::new(CpuState::default()),
    })
}

/// Folds a thread that stopped recording into the retired totals. The owner must not touch
/// its nodes afterwards; its memory is recycled when the last `Arc` (a report may still be
/// reading it) is dropped.
pub(crate) fn retire(shared: &Arc<ThreadShared>) {
    if cpu::is_on() {
        // The thread's own last sample, so that nothing since the sampler's is lost.
        shared.sample_cpu(cpu::Take::All, |state| cpu::Reading {
            cpu: state.read_clock(),
            running: true,
        });
    }
    let mut reg = REGISTRY.lock();
    let baseline = reg.baselines.remove(&shared.id).unwrap_or_default();
    let mut raw = shared
        .read_raw(Peaks::SinceReset)
        .since_keeping_live(&baseline);
    // Live figures are read where they stay current (`holding`), not frozen here.
    for node in &mut raw.nodes {
        node.mem.live_allocs = 0;
        node.mem.live_bytes = 0;
    }
    let entry = reg.retired.entry(shared.name.clone()).or_default();
    // Copied only when a report is reading this name's totals at this moment.
    let (profile, kinds) = Arc::make_mut(entry);
    shared.add_to(profile, &raw);
    add_kind(kinds, shared.clock_kind());
    if let Some(mem) = shared.mem {
        reg.retired_heap.add(&mem.totals());
        // The thread has stopped counting (`memory::stop_thread`): what it has not told the
        // process figures reaches them now, not when its accounting is recycled.
        memory::flush(mem);
        if shared.holds_blocks() {
            reg.holding.push(shared.clone());
        }
    }
    reg.threads.retain(|t| !Arc::ptr_eq(t, shared));
    release_freed(&mut reg);
}

/// Lets go of the ended recordings whose blocks have all been freed.
fn release_freed(reg: &mut Registry) {
    reg.holding.retain(|t| t.holds_blocks());
}

impl Drop for ThreadShared {
    /// The last reader of an ended thread returns its memory to the pools.
    fn drop(&mut self) {
        arena::free_chunks(std::mem::take(self.chunks.get_mut()));
        arena::free_mem_chunks(std::mem::take(self.mem_chunks.get_mut()));
        arena::free_current_slot(self.current);
        if let Some(mem) = self.mem {
            memory::recycle(mem);
        }
    }
}

/// Everything recorded since the last reset, by every thread, ended or running, per thread
/// name (sorted by name).
pub(crate) fn profiles_by_thread() -> Vec<NamedProfile> {
    // Under the lock: pointers only.
    let (threads, retired, holding) = {
        let mut reg = REGISTRY.lock();
        release_freed(&mut reg);
        let threads: Vec<(Arc<ThreadShared>, Option<Arc<RawThread>>)> = reg
            .threads
            .iter()
            .map(|t| (t.clone(), reg.baselines.get(&t.id).cloned()))
            .collect();
        (threads, reg.retired.clone(), reg.holding.clone())
    };
    let mut by_name: BTreeMap<Arc<str>, (Profile, Vec<ClockKind>)> = retired
        .into_iter()
        .map(|(name, totals)| (name, (*totals).clone()))
        .collect();
    for thread in holding {
        let (profile, _) = by_name.entry(thread.name.clone()).or_default();
        thread.add_to(profile, &thread.read_live());
    }
    for (thread, baseline) in threads {
        let raw = match baseline {
            Some(base) => thread.read_raw(Peaks::SinceReset).since_keeping_live(&base),
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

/// Every thread recording now (for the CPU sampler).
pub(crate) fn live_threads() -> Vec<Arc<ThreadShared>> {
    REGISTRY.lock().threads.clone()
}

/// Where one live recording thread is: its open profiled calls.
#[cfg(feature = "http")]
pub(crate) struct OpenCalls {
    pub(crate) name: Arc<str>,
    pub(crate) id: u64,
    /// The sites of its open calls, the outermost first.
    pub(crate) sites: Vec<u32>,
    /// How long the innermost has been running; `None` with no call open, on a thread-CPU
    /// clock (another thread cannot read it), or when the innermost is untimed.
    pub(crate) running_ns: Option<u64>,
    /// The innermost open call is untimed (sampled timing): it read no clock when it began.
    pub(crate) untimed: bool,
}

/// Every live recording thread's open calls, read without stopping it.
#[cfg(feature = "http")]
pub(crate) fn open_calls() -> Vec<OpenCalls> {
    let threads: Vec<Arc<ThreadShared>> = REGISTRY.lock().threads.clone();
    threads
        .iter()
        .map(|t| {
            let at = t.current.load(Ordering::Relaxed);
            let chunks = t.chunks.lock();
            let len = t.len.load(Ordering::Acquire);
            let mut sites = Vec::new();
            // The innermost call's start, kept in its node by the owner as every call's is:
            // reading it costs the recording thread nothing. (Should the thread have moved
            // on since `at` was read, this is that node's latest start: a moment's
            // difference, never another node's.)
            let since = node_in(&chunks, at as usize).map_or(0, SharedNode::start);
            let mut index = at as usize;
            // Parents come before children: at most `len` steps, even from a stale node.
            while index != 0 && index < len && sites.len() < len {
                let Some(node) = node_in(&chunks, index) else {
                    break;
                };
                let node = node.read();
                sites.push(node.site);
                index = node.parent as usize;
            }
            sites.reverse();
            // An untimed call (sampled timing) has no start: how long it runs is not known.
            let untimed = at != 0 && since == arena::UNTIMED_START;
            let running_ns = (at != 0 && !untimed && t.clock.kind() != ClockKind::ThreadCpu)
                .then(|| t.clock.ticks_to_ns(t.clock.ticks().saturating_sub(since)));
            OpenCalls {
                name: t.name.clone(),
                id: t.id,
                sites,
                running_ns,
                untimed,
            }
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
    RESETS.fetch_add(1, Ordering::Relaxed);
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

/// This process, as a token that another process (or a later run of the same program) does
/// not share: its id mixed with the time it first asked. Reports carry it, so that
/// `Report::since` can tell reports of another process.
pub(crate) fn process_token() -> u64 {
    static TOKEN: Lazy<u64> = Lazy::new(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        // splitmix64's finaliser: nearby ids and times give unrelated tokens.
        let mut z =
            (u64::from(std::process::id()) << 32 ^ nanos).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    });
    *TOKEN
}

/// The number of the next report of this process (1, 2, ...): later reports have higher ones.
pub(crate) fn next_sequence() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

static RESETS: AtomicU64 = AtomicU64::new(0);

/// How many times `reset()` has run in this process.
pub(crate) fn resets() -> u64 {
    RESETS.load(Ordering::Relaxed)
}
