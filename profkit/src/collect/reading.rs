//! A raw reading of one thread's recording (times in its clock's ticks), and its conversion
//! into a nanosecond [`Profile`] with that thread's clock.

use crate::data::{
    Dist, FutureCounts, MemCounts, Profile, SizeSamples, TreeNode, estimate_sampled,
};

use super::buckets::{self, HistReading};
use super::clock;

/// A raw reading of one thread: nodes with times in its clock's ticks, and its latency buckets.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawThread {
    pub(crate) nodes: Vec<TreeNode>,
    pub(crate) hists: Vec<(u32, HistReading)>,
    /// Per `async fn`: its futures that ended on the thread, and the wall times (ns) of those
    /// that completed.
    pub(crate) futures: Vec<(u32, FutureCounts, HistReading)>,
    /// Per sized function: its calls' (size, inclusive ns), already in nanoseconds.
    pub(crate) sizes: Vec<(u32, SizeSamples)>,
    /// CPU time was sampled (the nodes' `cpu_ns` mean something; already in ns).
    pub(crate) cpu: bool,
    /// The thread accounts its heap activity (the nodes' `mem` counts mean something).
    pub(crate) memory: bool,
    /// Heap activity of profkit's own code on the thread.
    pub(crate) overhead: MemCounts,
    /// Every allocation and free of the thread while it recorded.
    pub(crate) totals: MemCounts,
}

impl RawThread {
    /// What happened since `earlier`, an earlier reading of the same thread.
    ///
    /// Sampled timing: a path whose calls in between were all untimed (a function called once
    /// in a `record`, whose path was timed before) has no timed call of the window to estimate
    /// from; it is given the mean of all its timed calls so far, as one timed call of the
    /// window, so that its estimate is that mean times its calls rather than zero.
    pub(crate) fn since(mut self, earlier: &RawThread) -> RawThread {
        for (i, node) in self.nodes.iter_mut().enumerate() {
            if let Some(base) = earlier.nodes.get(i) {
                let lifetime = *node;
                node.calls = node.calls.saturating_sub(base.calls);
                node.own_ns = node.own_ns.saturating_sub(base.own_ns);
                node.incl_ns = node.incl_ns.saturating_sub(base.incl_ns);
                node.untimed = node.untimed.saturating_sub(base.untimed);
                node.cpu_ns = node.cpu_ns.saturating_sub(base.cpu_ns);
                node.mem = node.mem.since(&base.mem);
                let timed_ever = lifetime.calls.saturating_sub(lifetime.untimed);
                if node.calls > 0 && node.untimed >= node.calls && timed_ever > 0 {
                    node.incl_ns = lifetime.incl_ns / timed_ever;
                    node.own_ns = lifetime.own_ns / timed_ever;
                    node.untimed = node.calls - 1;
                }
            }
        }
        for (site, counts, latency) in &mut self.futures {
            if let Some((_, c, l)) = earlier.futures.iter().find(|(s, ..)| s == site) {
                *counts = counts.since(c);
                *latency = latency.since(l);
            }
        }
        for (site, sizes) in &mut self.sizes {
            if let Some((_, base)) = earlier.sizes.iter().find(|(s, _)| s == site) {
                *sizes = sizes.since(base);
            }
        }
        self.overhead = self.overhead.since(&earlier.overhead);
        self.totals = self.totals.since(&earlier.totals);
        for (site, h) in &mut self.hists {
            if let Some((_, base)) = earlier.hists.iter().find(|(s, _)| s == site) {
                *h = h.since(base);
            }
        }
        self
    }

    /// What happened since `earlier` (a `reset()` baseline), with the live figures kept as
    /// levels: a block allocated before a reset and still live is still held.
    pub(crate) fn since_keeping_live(self, earlier: &RawThread) -> RawThread {
        let levels: Vec<(i64, i64)> = self
            .nodes
            .iter()
            .map(|n| (n.mem.live_allocs, n.mem.live_bytes))
            .collect();
        let mut raw = self.since(earlier);
        for (node, (allocs, bytes)) in raw.nodes.iter_mut().zip(levels) {
            node.mem.live_allocs = allocs;
            node.mem.live_bytes = bytes;
        }
        raw
    }

    /// Adds this reading to `profile`, converting ticks with `to_ns`.
    pub(crate) fn add_to(&self, profile: &mut Profile, to_ns: impl Fn(u64) -> u64) {
        let mut nodes: Vec<TreeNode> = self
            .nodes
            .iter()
            .map(|n| TreeNode {
                own_ns: to_ns(n.own_ns),
                incl_ns: to_ns(n.incl_ns),
                ..*n
            })
            .collect();
        // Sampled timing: the times of the timed calls become estimates for all calls.
        let untimed = nodes.iter().any(|n| n.untimed > 0);
        estimate_sampled(&mut nodes);
        profile.sampling = profile.sampling.max(super::sampling::reported(untimed));
        profile.tree.add(&nodes);
        // Futures' wall times are in the process-wide wall clock's ticks, whatever this
        // thread's clock.
        let wall_ns = |ticks: u64| clock::wall_ns(0, ticks);
        for (site, counts, latency) in &self.futures {
            if !counts.is_empty() {
                let counts = FutureCounts {
                    wall_ns: wall_ns(counts.wall_ns),
                    ..*counts
                };
                profile.futures.entry(*site).or_default().add(&counts);
            }
            if !latency.is_empty() {
                profile
                    .hists
                    .entry(*site)
                    .or_default()
                    .merge(&Dist::from_points(points(latency, wall_ns)));
            }
        }
        for (site, sizes) in &self.sizes {
            if !sizes.is_empty() {
                profile.sizes.entry(*site).or_default().merge(sizes);
            }
        }
        profile.memory |= self.memory;
        profile.cpu |= self.cpu;
        profile.overhead.add(&self.overhead);
        profile.totals.add(&self.totals);
        for (site, h) in &self.hists {
            if h.is_empty() {
                continue;
            }
            profile
                .hists
                .entry(*site)
                .or_default()
                .merge(&Dist::from_points(points(h, &to_ns)));
        }
    }
}

/// A reading's values as (nanoseconds, count): each exact value, and each bucket's middle.
fn points(h: &HistReading, to_ns: impl Fn(u64) -> u64) -> Vec<(u64, u64)> {
    let exact = h.samples.iter().map(|&t| (to_ns(t), 1));
    let bucketed = h.buckets.iter().map(|b| {
        let mid = buckets::bucket_mid(usize::from(b.row), usize::from(b.col));
        (to_ns(mid), b.count)
    });
    exact.chain(bucketed).collect()
}
