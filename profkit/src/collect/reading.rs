//! A raw reading of one thread's recording (times in its clock's ticks), and its conversion
//! into a nanosecond [`Profile`] with that thread's clock.

use crate::data::{Dist, MemCounts, Profile, TreeNode};

use super::buckets::{self, Bucket};

/// A raw reading of one thread: nodes with times in its clock's ticks, and its latency buckets.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawThread {
    pub(crate) nodes: Vec<TreeNode>,
    pub(crate) hists: Vec<(u32, Vec<Bucket>)>,
    /// The thread accounts its heap activity (the nodes' `mem` counts mean something).
    pub(crate) memory: bool,
    /// Heap activity of profkit's own code on the thread.
    pub(crate) overhead: MemCounts,
    /// Every allocation and free of the thread while it recorded.
    pub(crate) totals: MemCounts,
}

impl RawThread {
    /// What happened since `earlier`, an earlier reading of the same thread.
    pub(crate) fn since(mut self, earlier: &RawThread) -> RawThread {
        for (i, node) in self.nodes.iter_mut().enumerate() {
            if let Some(base) = earlier.nodes.get(i) {
                node.calls = node.calls.saturating_sub(base.calls);
                node.own_ns = node.own_ns.saturating_sub(base.own_ns);
                node.incl_ns = node.incl_ns.saturating_sub(base.incl_ns);
                node.mem = node.mem.since(&base.mem);
            }
        }
        self.overhead = self.overhead.since(&earlier.overhead);
        self.totals = self.totals.since(&earlier.totals);
        for (site, b) in &mut self.hists {
            if let Some((_, base)) = earlier.hists.iter().find(|(s, _)| s == site) {
                *b = buckets::since(b, base);
            }
        }
        self
    }

    /// Adds this reading to `profile`, converting ticks with `to_ns`.
    pub(crate) fn add_to(&self, profile: &mut Profile, to_ns: impl Fn(u64) -> u64) {
        let nodes: Vec<TreeNode> = self
            .nodes
            .iter()
            .map(|n| TreeNode {
                own_ns: to_ns(n.own_ns),
                incl_ns: to_ns(n.incl_ns),
                ..*n
            })
            .collect();
        profile.tree.add(&nodes);
        profile.memory |= self.memory;
        profile.overhead.add(&self.overhead);
        profile.totals.add(&self.totals);
        for (site, b) in &self.hists {
            if b.is_empty() {
                continue;
            }
            let points = b
                .iter()
                .map(|b| {
                    let mid = buckets::bucket_mid(usize::from(b.row), usize::from(b.col));
                    (to_ns(mid), b.count)
                })
                .collect();
            profile
                .hists
                .entry(*site)
                .or_default()
                .merge(&Dist::from_points(points));
        }
    }
}
