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

/// What one profiled call adds to the times measured around it, in picoseconds: a timed call
/// to its own measured time (`own_ps`) and to its caller's (`caller_ps`); an untimed one
/// (sampled timing), which measures no time of its own, to its caller's (`untimed_ps`).
/// Picoseconds, because a figure of a few nanoseconds is subtracted once per call, millions of
/// times.
/// And a timed call of a sampled path (one with untimed calls), which comes amid untimed ones,
/// to its own time (`sampled_own_ps`; 0: not measured, `own_ps` stands for it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PerCall {
    pub(crate) own_ps: u64,
    pub(crate) caller_ps: u64,
    pub(crate) untimed_ps: u64,
    pub(crate) sampled_own_ps: u64,
}

impl PerCall {
    /// What a timed call of a sampled path costs its own time.
    pub(crate) fn sampled_own(&self) -> u64 {
        if self.sampled_own_ps == 0 {
            self.own_ps
        } else {
            self.sampled_own_ps
        }
    }
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
    /// own time and `n * own + k * (own + caller)` of its inclusive time, each clamped at zero
    /// (and own time at most the inclusive time).
    ///
    /// Under sampled timing, `c` and `k` count timed calls, and the untimed ones (`u` of the
    /// direct children, `v` below in all) cost their caller `untimed` each: the inclusive time
    /// loses `v * untimed` more. A sampled path's (one with untimed calls) timed calls cost
    /// their own time `sampled_own` rather than `own` (in its `n * own`, and in its
    /// ancestors' `k * (own + caller)`). `n` counts all calls, as the estimated times
    /// ([`estimate_sampled`]) hold one timed call's own cost per call, untimed calls included:
    /// a child's compensated estimate loses `sampled_own` for each of its untimed calls too.
    /// The own time, which the estimate made the inclusive time less the children's estimated
    /// inclusive times, therefore already lost that per untimed child call (through the
    /// children's estimates) and loses only the difference more: `u * (untimed -
    /// sampled_own)`, which gives time back when an untimed call costs less. Own and inclusive
    /// times stay consistent: own is still inclusive less the children's inclusive. With no
    /// untimed call (exact mode) these terms are zero and nothing else changes.
    ///
    /// CPU time (read by a sampler, not estimated) loses what the calls cost while each path
    /// was innermost: `own` (or `sampled_own`) per timed call of its own, `caller` per timed
    /// and `untimed` per untimed call of its direct children.
    pub(crate) fn compensate(&mut self, cost: PerCall) {
        let len = self.nodes.len();
        let sampled_own = cost.sampled_own();
        // Calls of direct children and of all descendants, by node: timed calls of paths with
        // no untimed call, timed calls of sampled paths, untimed calls. Parents precede their
        // children, so one backward pass adds each node's counts into its parent's.
        let mut direct = vec![[0u64; 3]; len];
        let mut below = vec![[0u64; 3]; len];
        for i in (1..len).rev() {
            let parent = self.nodes[i].parent as usize;
            if parent < i {
                let untimed = self.nodes[i].untimed.min(self.nodes[i].calls);
                let timed = self.nodes[i].calls - untimed;
                let calls = if untimed == 0 {
                    [timed, 0, 0]
                } else {
                    [0, timed, untimed]
                };
                for k in 0..3 {
                    direct[parent][k] = direct[parent][k].saturating_add(calls[k]);
                    below[parent][k] = below[parent][k]
                        .saturating_add(calls[k])
                        .saturating_add(below[i][k]);
                }
            }
        }
        let both = cost.own_ps.saturating_add(cost.caller_ps);
        let sampled_both = sampled_own.saturating_add(cost.caller_ps);
        for (i, node) in self.nodes.iter_mut().enumerate().skip(1) {
            let [exact_children, sampled_children, untimed_children] = direct[i];
            // A sampled path's timed calls cost their own time `sampled_own` each.
            let own = if node.untimed > 0 {
                sampled_own
            } else {
                cost.own_ps
            };
            let mine = times(node.calls, own);
            let to_callees = times(
                exact_children.saturating_add(sampled_children),
                cost.caller_ps,
            )
            .saturating_add(times(untimed_children, cost.untimed_ps));
            let own_cost = mine.saturating_add(to_callees);
            // What the children's estimates took out of this own time for their untimed calls.
            let estimated = times(untimed_children, sampled_own);
            let [exact_below, sampled_below, untimed_below] = below[i];
            let incl_cost = mine
                .saturating_add(times(exact_below, both))
                .saturating_add(times(sampled_below, sampled_both))
                .saturating_add(times(untimed_below, cost.untimed_ps));
            node.incl_ns = node.incl_ns.saturating_sub(incl_cost);
            node.own_ns = node
                .own_ns
                .saturating_add(estimated)
                .saturating_sub(own_cost)
                .min(node.incl_ns);
            let timed_mine = times(node.calls.saturating_sub(node.untimed), own);
            node.cpu_ns = node
                .cpu_ns
                .saturating_sub(timed_mine.saturating_add(to_callees));
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
    fn under_sampling_compensation_takes_untimed_calls_out_once_and_gives_the_truth_back() {
        // A modelled recording with costs known: a timed call costs 2 ns of its own time (4
        // amid untimed ones: a sampled path's) and 5 of its caller's, an untimed call 3 ns of
        // its caller's. root -> a (1 call, timed, 500 ns of its own) -> b (100 calls of 80 ns,
        // 10 timed).
        let cost = PerCall {
            own_ps: 2_000,
            caller_ps: 5_000,
            untimed_ps: 3_000,
            sampled_own_ps: 4_000,
        };
        // a measures its own 500 + 2, 10 timed calls of b at 80 + 4 + 5, 90 untimed at 80 + 3.
        let a_incl = 502 + 10 * 89 + 90 * 83;
        // b's timed calls measure 84 each: estimated 840 x 100 / 10; a's own is what b's
        // estimate leaves (`estimate_sampled`).
        let b_incl = 8_400;
        let mut nodes = vec![
            TreeNode::default(),
            TreeNode {
                site: 1,
                calls: 1,
                own_ns: a_incl - 820,
                incl_ns: a_incl,
                ..TreeNode::default()
            },
            TreeNode {
                site: 2,
                parent: 1,
                calls: 100,
                untimed: 90,
                own_ns: 840,
                incl_ns: 840,
                ..TreeNode::default()
            },
        ];
        estimate_sampled(&mut nodes);
        assert_eq!(
            (nodes[1].own_ns, nodes[2].incl_ns),
            (a_incl - b_incl, b_incl)
        );
        let mut tree = Tree::default();
        tree.add(&nodes);
        tree.compensate(cost);
        let got: Vec<_> = tree.nodes()[1..]
            .iter()
            .map(|n| (n.own_ns, n.incl_ns))
            .collect();
        // a: own 462 + 90 x 4 (taken out through b's estimate) - 2 - 10 x 5 - 90 x 3 = 500;
        // inclusive 8862 - 2 - 10 x 9 - 90 x 3 = 8500. b: 8400 - 100 x 4 = 8000. The truth.
        // (The figures a's path, not sampled, would lose for calls of its own are `own`'s.)
        assert_eq!(got, [(500, 8_500), (8_000, 8_000)]);
    }

    #[test]
    fn untimed_calls_deeper_down_leave_every_timed_ancestors_inclusive_time() {
        // root -> a (1 call) -> b (10 calls, 4 untimed) -> c (40 calls, 30 untimed).
        let n = |site, parent, calls, untimed, own_ns, incl_ns| TreeNode {
            site,
            parent,
            calls,
            untimed,
            own_ns,
            incl_ns,
            cpu_ns: own_ns,
            ..TreeNode::default()
        };
        let mut tree = Tree::default();
        tree.add(&[
            TreeNode::default(),
            n(1, 0, 1, 0, 1_000, 20_000),
            n(2, 1, 10, 4, 5_000, 19_000),
            n(3, 2, 40, 30, 14_000, 14_000),
        ]);
        // No sampled own figure measured (0): `own` stands for it.
        tree.compensate(PerCall {
            own_ps: 1_000,
            caller_ps: 2_000,
            untimed_ps: 4_000,
            sampled_own_ps: 0,
        });
        let got: Vec<_> = tree.nodes()[1..]
            .iter()
            .map(|n| (n.own_ns, n.incl_ns, n.cpu_ns))
            .collect();
        // a: own 1000 + 4 x 1 - 1 - 6 x 2 - 4 x 4 = 975; inclusive 20000 - 1 - 16 x 3 - 34 x 4
        //    = 19815. CPU: 1000 - 1 - 6 x 2 - 4 x 4 = 971 (no time back: not estimated).
        // b: own 5000 + 30 - 10 - 10 x 2 - 30 x 4 = 4880; inclusive 19000 - 10 - 10 x 3 - 30 x 4
        //    = 18840. CPU: 5000 - 6 x 1 (its timed calls) - 20 - 120 = 4854.
        // c: 14000 - 40 x 1 = 13960; CPU 14000 - 10 x 1 = 13990.
        assert_eq!(
            got,
            [
                (975, 19_815, 971),
                (4_880, 18_840, 4_854),
                (13_960, 13_960, 13_990)
            ]
        );
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
        // Exact mode: no call is untimed, so the sampled figures change nothing.
        tree.compensate(PerCall {
            own_ps: 10_000,
            caller_ps: 20_500,
            untimed_ps: 7_000,
            sampled_own_ps: 15_000,
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
