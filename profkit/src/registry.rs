//! The global side of collection: every recording thread's shared arena, the totals of threads
//! that ended, and the baselines left by `reset()`. Touched when a thread starts or ends and
//! when a report is built, never on the hot path.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use once_cell::sync::Lazy;
use parking_lot::Mutex;

use crate::arena::{self, CHUNK, Chunk, SharedNode};
use crate::clock::Clock;
use crate::tree::{Tree, TreeNode};

/// What other threads may read of one recording thread.
pub(crate) struct ThreadShared {
    id: u64,
    clock: Clock,
    chunks: Mutex<Vec<Chunk>>,
    len: AtomicUsize,
}

impl ThreadShared {
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Owner only: makes a new chunk readable.
    pub(crate) fn add_chunk(&self, chunk: Chunk) {
        self.chunks.lock().push(chunk);
    }

    /// Owner only: nodes below `len` are initialised and may be read.
    pub(crate) fn publish(&self, len: usize) {
        self.len.store(len, Ordering::Release);
    }

    /// The published nodes with times in raw ticks.
    pub(crate) fn read_raw(&self) -> Vec<TreeNode> {
        let chunks = self.chunks.lock();
        let len = self.len.load(Ordering::Acquire);
        (0..len)
            .filter_map(|i| chunks.get(i / CHUNK).map(|c| c[i % CHUNK].read()))
            .collect()
    }

    /// Converts a raw read into nanoseconds, less what `baseline` (an earlier raw read of the
    /// same thread) had already counted.
    pub(crate) fn to_ns(&self, mut raw: Vec<TreeNode>, baseline: &[TreeNode]) -> Vec<TreeNode> {
        for (i, node) in raw.iter_mut().enumerate() {
            if let Some(base) = baseline.get(i) {
                node.calls = node.calls.saturating_sub(base.calls);
                node.own_ns = node.own_ns.saturating_sub(base.own_ns);
                node.incl_ns = node.incl_ns.saturating_sub(base.incl_ns);
            }
            node.own_ns = self.clock.ticks_to_ns(node.own_ns);
            node.incl_ns = self.clock.ticks_to_ns(node.incl_ns);
        }
        raw
    }
}

#[derive(Default)]
struct Registry {
    threads: Vec<Arc<ThreadShared>>,
    /// Totals of threads that ended (or switched clocks) since the last reset.
    retired: Tree,
    /// Raw reads taken by `reset()` of threads that were alive then, by thread id.
    baselines: HashMap<u64, Vec<TreeNode>>,
    next_id: u64,
}

static REGISTRY: Lazy<Mutex<Registry>> = Lazy::new(Mutex::default);

/// Registers a new recording thread, with its first chunk.
pub(crate) fn register(clock: Clock, first: Chunk) -> Arc<ThreadShared> {
    let mut reg = REGISTRY.lock();
    reg.next_id += 1;
    let shared = Arc::new(ThreadShared {
        id: reg.next_id,
        clock,
        chunks: Mutex::new(vec![first]),
        len: AtomicUsize::new(0),
    });
    reg.threads.push(shared.clone());
    shared
}

/// Folds a thread that stopped recording into the retired totals and recycles its memory.
/// The owner must not touch its nodes afterwards.
pub(crate) fn retire(shared: &Arc<ThreadShared>) {
    let mut reg = REGISTRY.lock();
    let baseline = reg.baselines.remove(&shared.id).unwrap_or_default();
    let nodes = shared.to_ns(shared.read_raw(), &baseline);
    reg.retired.add(&nodes);
    reg.threads.retain(|t| !Arc::ptr_eq(t, shared));
    // No report can be reading these chunks: reports hold the registry lock while they read.
    arena::free_chunks(std::mem::take(&mut *shared.chunks.lock()));
    shared.publish(0);
}

/// Everything recorded since the last reset, by every thread, ended or running.
pub(crate) fn merged_tree() -> Tree {
    let reg = REGISTRY.lock();
    let mut tree = reg.retired.clone();
    for thread in &reg.threads {
        let baseline = reg.baselines.get(&thread.id).map_or(&[][..], Vec::as_slice);
        tree.add(&thread.to_ns(thread.read_raw(), baseline));
    }
    tree
}

/// Forgets everything recorded so far. Running threads keep their arenas (only their owners
/// may write them); their current counters become the baseline later reads subtract.
pub(crate) fn reset() {
    let mut reg = REGISTRY.lock();
    reg.retired = Tree::default();
    let baselines = reg.threads.iter().map(|t| (t.id, t.read_raw())).collect();
    reg.baselines = baselines;
}

/// The chunk holding node `index` and its slot, for an owner that has `chunks`.
pub(crate) fn node_in(chunks: &[Chunk], index: usize) -> Option<&'static SharedNode> {
    chunks.get(index / CHUNK).map(|c| &c[index % CHUNK])
}
