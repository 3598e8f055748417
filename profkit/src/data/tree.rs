//! A merged call tree in nanoseconds: one node per distinct call path. Threads that ended
//! are folded into one of these, and every report is built from one.

use super::IdMap;

/// Site id 0 is the root of every call tree ("no profiled caller").
pub(crate) const ROOT_SITE: u32 = 0;

/// The activations through this node were the outermost open activation of their function.
pub(crate) const PRIMITIVE: u8 = 1;
/// The activations through this node were the outermost open call of their
/// (caller function, callee function) pair.
pub(crate) const EDGE_PRIMITIVE: u8 = 2;

/// The heap activity charged to one call path (or to a row of its own, such as profkit's
/// bookkeeping): allocations and frees made while it was the innermost profiled path of the
/// allocating thread, and the highest live heap of one of its activations above the level the
/// activation started at. Counts add up when paths merge; the peak is a maximum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MemCounts {
    pub(crate) allocs: u64,
    pub(crate) bytes: u64,
    pub(crate) frees: u64,
    pub(crate) freed_bytes: u64,
    pub(crate) peak_bytes: u64,
    /// Blocks allocated on the path and not freed yet, and their bytes: a level in a reading
    /// of the whole process, a change in a window ([`since`](MemCounts::since)), so either
    /// sign.
    pub(crate) live_allocs: i64,
    pub(crate) live_bytes: i64,
}

impl MemCounts {
    /// Adds `other`: counts are summed (saturating: a file may hold any numbers), peaks maxed.
    pub(crate) fn add(&mut self, other: &MemCounts) {
        self.allocs = self.allocs.saturating_add(other.allocs);
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.frees = self.frees.saturating_add(other.frees);
        self.freed_bytes = self.freed_bytes.saturating_add(other.freed_bytes);
        self.peak_bytes = self.peak_bytes.max(other.peak_bytes);
        self.live_allocs = self.live_allocs.saturating_add(other.live_allocs);
        self.live_bytes = self.live_bytes.saturating_add(other.live_bytes);
    }

    /// What happened since `earlier`, an earlier reading of the same counters: live figures
    /// become their change. The peak is this reading's: it covers only the activations the
    /// reading asked for.
    pub(crate) fn since(&self, earlier: &MemCounts) -> MemCounts {
        MemCounts {
            live_allocs: self.live_allocs.saturating_sub(earlier.live_allocs),
            live_bytes: self.live_bytes.saturating_sub(earlier.live_bytes),
            allocs: self.allocs.saturating_sub(earlier.allocs),
            bytes: self.bytes.saturating_sub(earlier.bytes),
            frees: self.frees.saturating_sub(earlier.frees),
            freed_bytes: self.freed_bytes.saturating_sub(earlier.freed_bytes),
            peak_bytes: self.peak_bytes,
        }
    }

    /// Only the live figures (what a thread that ended still holds).
    pub(crate) fn live_only(&self) -> MemCounts {
        MemCounts {
            live_allocs: self.live_allocs,
            live_bytes: self.live_bytes,
            ..MemCounts::default()
        }
    }

    /// Whether anything was allocated or freed, or is live.
    pub(crate) fn is_empty(&self) -> bool {
        self.allocs == 0 && self.frees == 0 && self.live_allocs == 0 && self.live_bytes == 0
    }
}

/// One call path's totals. `parent` indexes the same tree; node 0 is the root.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TreeNode {
    pub(crate) site: u32,
    pub(crate) parent: u32,
    pub(crate) flags: u8,
    pub(crate) calls: u64,
    /// Own time: nanoseconds in a [`Tree`]; still the recording clock's ticks in a raw reading
    /// of a thread (`collect::RawThread`), converted when it is added to a profile.
    pub(crate) own_ns: u64,
    /// Inclusive time, in the same unit as `own_ns`.
    pub(crate) incl_ns: u64,
    /// Calls whose time was not measured (sampled timing, `PROFKIT_SAMPLE`); 0 in exact mode.
    /// In a raw reading the times are the timed calls' only; [`estimate_sampled`] scales them.
    pub(crate) untimed: u64,
    /// Heap activity charged to this path (all zero when memory was not recorded). For the
    /// root node: activity outside any profiled call.
    pub(crate) mem: MemCounts,
    /// CPU time of the thread while this path was its innermost open call, in nanoseconds
    /// (zero when CPU time was not recorded: `Profile::cpu`).
    pub(crate) cpu_ns: u64,
}

/// What one profiled call adds to the times measured around it, in picoseconds: to its own
/// measured time (`own_ps`) and to its caller's (`caller_ps`). Picoseconds, because a figure of
/// a few nanoseconds is subtracted once per call, millions of times.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PerCall {
    pub(crate) own_ps: u64,
    pub(crate) caller_ps: u64,
}

/// `calls` times `per_call_ps` picoseconds, in nanoseconds (rounded half up).
fn times(calls: u64, per_call_ps: u64) -> u64 {
    let ns = (u128::from(calls) * u128::from(per_call_ps) + 500) / 1000;
    u64::try_from(ns).unwrap_or(u64::MAX)
}

/// Sampled timing: turns a thread's nodes, whose times are the sums over their timed calls,
/// into estimates for all calls. A path's inclusive time becomes `incl x calls / timed calls`
/// (nodes with no untimed call keep theirs, so futures' polls, always timed, stay as they are);
/// then every own time becomes the inclusive time less the children's estimated inclusive
/// times, clamped at zero (a clamp only when the estimates disagree: a caller timed in fast
/// phases of a workload, its callees in slow ones). Each estimate is the mean of the timed
/// calls times the calls, so it is unbiased when the timed calls are a fair sample; own times
/// are differences of unbiased estimates. Nothing changes when no node has untimed calls.
/// `nodes` are one thread's (parents before children, node 0 the root).
pub(crate) fn estimate_sampled(nodes: &mut [TreeNode]) {
    if nodes.iter().all(|n| n.untimed == 0) {
        return;
    }
    for n in nodes.iter_mut().skip(1) {
        if n.untimed == 0 {
            continue;
        }
        let timed = n.calls.saturating_sub(n.untimed);
        n.incl_ns = if timed == 0 {
            0
        } else {
            let est = u128::from(n.incl_ns) * u128::from(n.calls) / u128::from(timed);
            u64::try_from(est).unwrap_or(u64::MAX)
        };
    }
    let mut children = vec![0u64; nodes.len()];
    for i in (1..nodes.len()).rev() {
        let parent = nodes[i].parent as usize;
        if parent < i {
            children[parent] = children[parent].saturating_add(nodes[i].incl_ns);
        }
    }
    for (n, below) in nodes.iter_mut().zip(children).skip(1) {
        n.own_ns = n.incl_ns.saturating_sub(below);
    }
}

/// Call paths keyed by (parent node, site); parents always come before their children.
#[derive(Clone, Debug)]
pub(crate) struct Tree {
    nodes: Vec<TreeNode>,
    index: IdMap<(u32, u32), u32>,
}

impl Default for Tree {
    fn default() -> Self {
        Tree {
            nodes: vec![TreeNode {
                site: ROOT_SITE,
                ..TreeNode::default()
            }],
            index: IdMap::default(),
        }
    }
}

impl Tree {
    pub(crate) fn nodes(&self) -> &[TreeNode] {
        &self.nodes
    }

    /// Takes the profiler's own cost out of every node: a path with `n` calls, `c` calls of
    /// its direct children and `k` calls below it in all loses `n * own + c * caller` of its
    /// own time (and of its CPU time) and `n * own + k * (own + caller)` of its inclusive time,
    /// each clamped at zero (and own time at most the inclusive time). Under sampled timing
    /// `c` and `k` count timed calls only (an untimed call reads no clock, and its few ns of
    /// bookkeeping stay in its caller's times); `n` counts all calls, as the estimated times
    /// hold one call's own cost per call.
    pub(crate) fn compensate(&mut self, cost: PerCall) {
        let len = self.nodes.len();
        // Calls of direct children and of all descendants, by node; parents precede their
        // children, so one backward pass adds each node's counts into its parent's.
        let mut direct = vec![0u64; len];
        let mut below = vec![0u64; len];
        for i in (1..len).rev() {
            let parent = self.nodes[i].parent as usize;
            if parent < i {
                let calls = self.nodes[i].calls.saturating_sub(self.nodes[i].untimed);
                direct[parent] = direct[parent].saturating_add(calls);
                below[parent] = below[parent].saturating_add(calls).saturating_add(below[i]);
            }
        }
        let both = cost.own_ps.saturating_add(cost.caller_ps);
        for (i, node) in self.nodes.iter_mut().enumerate().skip(1) {
            let mine = times(node.calls, cost.own_ps);
            let own_cost = mine.saturating_add(times(direct[i], cost.caller_ps));
            let incl_cost = mine.saturating_add(times(below[i], both));
            node.incl_ns = node.incl_ns.saturating_sub(incl_cost);
            node.own_ns = node.own_ns.saturating_sub(own_cost).min(node.incl_ns);
            node.cpu_ns = node.cpu_ns.saturating_sub(own_cost);
        }
    }

    /// Each node's `value` together with all its descendants' (`add` folds a child's sum into
    /// its parent's): one backward pass, since parents come before their children.
    pub(crate) fn subtree_sums<T: Copy>(
        &self,
        value: impl Fn(&TreeNode) -> T,
        add: impl Fn(&mut T, &T),
    ) -> Vec<T> {
        let mut sums: Vec<T> = self.nodes.iter().map(value).collect();
        for i in (1..self.nodes.len()).rev() {
            let parent = self.nodes[i].parent as usize;
            if parent < i {
                let child = sums[i];
                add(&mut sums[parent], &child);
            }
        }
        sums
    }

    /// Which nodes a report shows: those that recorded calls or time, and every node above
    /// one (a caller still running has recorded nothing yet, but its callees name it).
    pub(crate) fn shown(&self) -> Vec<bool> {
        let mut keep: Vec<bool> = self
            .nodes
            .iter()
            .map(|n| n.calls > 0 || n.incl_ns > 0 || !n.mem.is_empty())
            .collect();
        // Parents come before their children, so one backward pass reaches every ancestor.
        for i in (1..self.nodes.len()).rev() {
            if keep[i] {
                let parent = self.nodes[i].parent as usize;
                if let Some(k) = keep.get_mut(parent) {
                    *k = true;
                }
            }
        }
        keep
    }

    /// The child of node `parent` for `site`, if the tree has that path.
    pub(crate) fn find(&self, parent: u32, site: u32) -> Option<u32> {
        self.index.get(&(parent, site)).copied()
    }

    /// Adds heap activity to the root (activity outside any profiled call).
    pub(crate) fn add_root_mem(&mut self, mem: &MemCounts) {
        self.nodes[0].mem.add(mem);
    }

    /// Adds a snapshot whose node 0 is a root and whose parents precede their children
    /// (the order a thread creates its nodes in), summing the counters of equal paths.
    pub(crate) fn add(&mut self, snapshot: &[TreeNode]) {
        let mut map: Vec<u32> = Vec::with_capacity(snapshot.len());
        // Room for every path of the snapshot at once rather than rehashing as it grows.
        self.index
            .reserve(snapshot.len().saturating_sub(self.nodes.len()));
        self.nodes
            .reserve(snapshot.len().saturating_sub(self.nodes.len()));
        for (i, node) in snapshot.iter().enumerate() {
            if i == 0 {
                // The root has no calls or time of its own, but memory outside profiled calls.
                self.nodes[0].mem.add(&node.mem);
                map.push(0);
                continue;
            }
            // A parent index that is not below `i` would be a corrupt snapshot; attach such a
            // node to the root rather than lose its counts.
            let parent = map.get(node.parent as usize).copied().unwrap_or(0);
            let at = self.child(parent, node.site, node.flags);
            let target = &mut self.nodes[at as usize];
            // Saturating: a profile read from a file may hold any numbers.
            target.calls = target.calls.saturating_add(node.calls);
            target.own_ns = target.own_ns.saturating_add(node.own_ns);
            target.incl_ns = target.incl_ns.saturating_add(node.incl_ns);
            target.untimed = target.untimed.saturating_add(node.untimed);
            target.mem.add(&node.mem);
            target.cpu_ns = target.cpu_ns.saturating_add(node.cpu_ns);
            map.push(at);
        }
    }

    fn child(&mut self, parent: u32, site: u32, flags: u8) -> u32 {
        let next = self.nodes.len() as u32;
        *self.index.entry((parent, site)).or_insert_with(|| {
            self.nodes.push(TreeNode {
                site,
                parent,
                flags,
                ..TreeNode::default()
            });
            next
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampled_nodes_scale_to_all_calls_and_own_time_is_what_the_children_leave() {
        let n = |site, parent, calls, untimed, incl_ns| TreeNode {
            site,
            parent,
            calls,
            untimed,
            incl_ns,
            own_ns: 1, // what the recording measured: replaced
            ..TreeNode::default()
        };
        // root -> a (2 calls, both timed, 10 us) -> b (100 calls, 10 timed: 3 us)
        //                                        -> c (4 calls, 1 timed: 500 ns)
        let mut nodes = vec![
            TreeNode::default(),
            n(1, 0, 2, 0, 10_000),
            n(2, 1, 100, 90, 3_000),
            n(3, 1, 4, 3, 500),
        ];
        estimate_sampled(&mut nodes);
        let got: Vec<_> = nodes[1..].iter().map(|n| (n.own_ns, n.incl_ns)).collect();
        // b: 3000 x 100/10 = 30000 > a's 10000: a's own time clamps at zero.
        assert_eq!(got, [(0, 10_000), (30_000, 30_000), (2_000, 2_000)]);
        // Exact mode: nothing changes, not even the measured own time.
        let mut exact = vec![TreeNode::default(), n(1, 0, 2, 0, 10_000)];
        estimate_sampled(&mut exact);
        assert_eq!((exact[1].own_ns, exact[1].incl_ns), (1, 10_000));
    }

    #[test]
    fn under_sampling_compensation_counts_the_timed_calls_below_a_path() {
        let mut tree = Tree::default();
        // root -> a (1 call, timed) -> b (100 calls, 10 timed)
        tree.add(&[
            TreeNode::default(),
            TreeNode {
                site: 1,
                calls: 1,
                own_ns: 1_000,
                incl_ns: 10_000,
                ..TreeNode::default()
            },
            TreeNode {
                site: 2,
                parent: 1,
                calls: 100,
                untimed: 90,
                own_ns: 9_000,
                incl_ns: 9_000,
                ..TreeNode::default()
            },
        ]);
        tree.compensate(PerCall {
            own_ps: 2_000,
            caller_ps: 5_000,
        });
        let got: Vec<_> = tree.nodes()[1..]
            .iter()
            .map(|n| (n.own_ns, n.incl_ns))
            .collect();
        // a: own 1000 - 2 - 10 x 5 = 948; incl 10000 - 2 - 10 x 7 = 9928.
        // b: every estimated call holds one call's own cost: 9000 - 100 x 2.
        assert_eq!(got, [(948, 9_928), (8_800, 8_800)]);
    }

    fn node(site: u32, parent: u32, calls: u64) -> TreeNode {
        TreeNode {
            site,
            parent,
            flags: PRIMITIVE,
            calls,
            own_ns: calls * 10,
            incl_ns: calls * 20,
            untimed: 0,
            mem: MemCounts::default(),
            cpu_ns: 0,
        }
    }

    #[test]
    fn compensation_takes_each_calls_cost_from_its_own_path_and_its_callers() {
        // root -> a (2 calls) -> b (10 calls) -> c (5 calls); a -> d (3 calls).
        let mut tree = Tree::default();
        let n = |site, parent, calls, own_ns, incl_ns| TreeNode {
            site,
            parent,
            flags: PRIMITIVE,
            calls,
            own_ns,
            incl_ns,
            untimed: 0,
            cpu_ns: own_ns,
            mem: MemCounts::default(),
        };
        tree.add(&[
            TreeNode::default(),
            n(1, 0, 2, 1_000, 10_000),
            n(2, 1, 10, 3_000, 8_000),
            n(3, 2, 5, 5_000, 5_000),
            n(4, 1, 3, 10, 1_000),
        ]);
        tree.compensate(PerCall {
            own_ps: 10_000,
            caller_ps: 20_500,
        });
        let got: Vec<_> = tree.nodes()[1..]
            .iter()
            .map(|n| (n.own_ns, n.incl_ns, n.cpu_ns))
            .collect();
        // a: own 1000 - 2*10 - 13*20.5 (266.5 -> 267) = 713; incl 10000 - 20 - 18*30.5 (549).
        // b: own 3000 - 100 - 5*20.5 (102.5 -> 103) = 2797; incl 8000 - 100 - 5*30.5 (153).
        // c: own 5000 - 50; incl 5000 - 50.
        // d: own 10 - 30: clamped at zero; incl 1000 - 30.
        assert_eq!(
            got,
            [
                (713, 9_431, 713),
                (2_797, 7_747, 2_797),
                (4_950, 4_950, 4_950),
                (0, 970, 0),
            ]
        );
    }

    #[test]
    fn compensation_by_zero_changes_nothing() {
        let mut tree = Tree::default();
        tree.add(&[TreeNode::default(), node(1, 0, 2), node(2, 1, 3)]);
        let before = tree.nodes().to_vec();
        tree.compensate(PerCall::default());
        assert_eq!(tree.nodes(), before.as_slice());
    }

    #[test]
    fn equal_paths_are_summed_and_distinct_paths_kept() {
        let mut tree = Tree::default();
        let snap = [TreeNode::default(), node(1, 0, 2), node(2, 1, 3)];
        tree.add(&snap);
        tree.add(&snap);
        // A different path to site 2 (directly under the root).
        tree.add(&[TreeNode::default(), node(2, 0, 5)]);
        let nodes = tree.nodes();
        assert_eq!(nodes.len(), 4);
        assert_eq!((nodes[1].site, nodes[1].calls, nodes[1].own_ns), (1, 4, 40));
        assert_eq!((nodes[2].site, nodes[2].parent, nodes[2].calls), (2, 1, 6));
        assert_eq!((nodes[3].site, nodes[3].parent, nodes[3].calls), (2, 0, 5));
    }
}
