//! A merged profile in nanoseconds: the call tree and each function's latency histogram.
//! Threads are converted into one of these with their own clock, then added together.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use crate::dist::Dist;
use crate::hist::{self, Bucket};
use crate::tree::{Tree, TreeNode};

/// The largest latency a histogram tells apart: one hour. Longer calls count as one hour.
pub(crate) const HIST_MAX_NS: u64 = 3_600_000_000_000;
/// Significant figures of the histograms built on demand and of async latencies: 2 (within 1%).
pub(crate) const HIST_SIGFIG: u8 = 2;

pub(crate) fn new_histogram() -> Histogram<u64> {
    // These bounds are valid constants, so creation cannot fail; an empty auto-resizing
    // histogram is the fallback all the same.
    Histogram::new_with_bounds(1, HIST_MAX_NS, HIST_SIGFIG)
        .or_else(|_| Histogram::new(HIST_SIGFIG))
        .unwrap_or_else(|_| unreachable_histogram())
}

#[cold]
fn unreachable_histogram() -> Histogram<u64> {
    // `Histogram::new(2)` only fails for more than 5 significant figures.
    Histogram::new(1).expect("1 significant figure is always valid")
}

/// A raw reading of one thread: nodes with times in its clock's ticks, and its latency buckets.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawThread {
    pub(crate) nodes: Vec<TreeNode>,
    pub(crate) hists: Vec<(u32, Vec<Bucket>)>,
}

impl RawThread {
    /// What happened since `earlier`, an earlier reading of the same thread.
    pub(crate) fn since(mut self, earlier: &RawThread) -> RawThread {
        for (i, node) in self.nodes.iter_mut().enumerate() {
            if let Some(base) = earlier.nodes.get(i) {
                node.calls = node.calls.saturating_sub(base.calls);
                node.own_ns = node.own_ns.saturating_sub(base.own_ns);
                node.incl_ns = node.incl_ns.saturating_sub(base.incl_ns);
            }
        }
        for (site, buckets) in &mut self.hists {
            if let Some((_, base)) = earlier.hists.iter().find(|(s, _)| s == site) {
                *buckets = hist::since(buckets, base);
            }
        }
        self
    }
}

/// Nanosecond totals, ready to be added to others.
#[derive(Clone, Debug, Default)]
pub(crate) struct Profile {
    pub(crate) tree: Tree,
    /// Inclusive time of primitive calls, per site.
    pub(crate) hists: BTreeMap<u32, Dist>,
}

impl Profile {
    /// Adds a thread's reading, converting ticks with `to_ns`.
    pub(crate) fn add_raw(&mut self, raw: &RawThread, to_ns: impl Fn(u64) -> u64) {
        let nodes: Vec<TreeNode> = raw
            .nodes
            .iter()
            .map(|n| TreeNode {
                own_ns: to_ns(n.own_ns),
                incl_ns: to_ns(n.incl_ns),
                ..*n
            })
            .collect();
        self.tree.add(&nodes);
        for (site, buckets) in &raw.hists {
            if buckets.is_empty() {
                continue;
            }
            let points = buckets
                .iter()
                .map(|b| {
                    let mid = hist::bucket_mid(usize::from(b.row), usize::from(b.col));
                    (to_ns(mid), b.count)
                })
                .collect();
            self.hists
                .entry(*site)
                .or_default()
                .merge(&Dist::from_points(points));
        }
    }

    /// Adds another profile (pstats' `Stats.add`).
    pub(crate) fn add(&mut self, other: &Profile) {
        self.tree.add(other.tree.nodes());
        for (site, d) in &other.hists {
            self.hists.entry(*site).or_default().merge(d);
        }
    }
}
