//! The call tree with recursion folded, for the outputs that draw paths (folded stacks, flame
//! graphs, the tree view): a call of a function that is already open on its path is merged into
//! that open frame. Direct recursion `f;f;f` becomes `f`, as FlameGraph's
//! `stackcollapse-recursive` does it, and so does indirect recursion: `a;b;a;b;c` becomes
//! `a;b;c`. A folded path never names a function twice, so its length is bounded by the number
//! of distinct functions, not by the depth of the recursion: 100,000 levels of `f` are one
//! path. Every node's own time goes to exactly one folded node, so own times still add up to
//! the tree's.
//!
//! Built in one iterative depth-first walk (no recursion, however deep the tree), linear in the
//! number of call paths.

use super::IdMap;

use super::tree::{MemCounts, ROOT_SITE, Tree};

/// One path of the folded tree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FoldedNode {
    pub(crate) site: u32,
    /// Index of the parent in [`Collapsed::nodes`]; 0 is the root (and the root's own parent).
    pub(crate) parent: u32,
    /// Depth in the folded tree: 1 for a root call.
    pub(crate) depth: u32,
    /// Calls of every frame folded into this node.
    pub(crate) calls: u64,
    /// Calls of the outermost frames (those that were not inside another frame of this node).
    pub(crate) outer_calls: u64,
    /// Own time of every frame folded into this node.
    pub(crate) own_ns: u64,
    /// Inclusive time of the outermost frames (they never nest, so nothing counts twice).
    pub(crate) incl_ns: u64,
    /// How many levels of recursion below the outermost frames were folded in: the depth of
    /// the deepest frame folded here minus the depth of the outermost one (0: no recursion).
    pub(crate) levels: u32,
    /// Heap activity of every frame folded into this node (own; peaks maxed).
    /// CPU time of every frame folded into this node, while it was innermost (0 without CPU).
    pub(crate) cpu_ns: u64,
    pub(crate) mem: MemCounts,
}

/// A call tree with recursion folded; node 0 is the root, parents come before their children,
/// and nodes are in depth-first order (children in the order the tree created them).
#[derive(Clone, Debug)]
pub(crate) struct Collapsed {
    pub(crate) nodes: Vec<FoldedNode>,
}

/// Children lists of a tree's nodes in one array (children of `i`: `list[start[i]..start[i + 1]]`),
/// in index order, keeping only the nodes `keep` marks.
pub(crate) struct Children {
    start: Vec<u32>,
    list: Vec<u32>,
}

impl Children {
    pub(crate) fn of(parents: impl Iterator<Item = (usize, usize)> + Clone, len: usize) -> Self {
        let mut start = vec![0u32; len + 1];
        for (_, parent) in parents.clone() {
            if let Some(s) = start.get_mut(parent + 1) {
                *s += 1;
            }
        }
        for i in 0..len {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut list = vec![0u32; start[len] as usize];
        for (child, parent) in parents {
            if let Some(at) = fill.get_mut(parent) {
                list[*at as usize] = child as u32;
                *at += 1;
            }
        }
        Children { start, list }
    }

    pub(crate) fn get(&self, node: usize) -> &[u32] {
        match (self.start.get(node), self.start.get(node + 1)) {
            (Some(&a), Some(&b)) => &self.list[a as usize..b as usize],
            _ => &[],
        }
    }
}

const NOT_OPEN: u32 = u32::MAX;

impl Tree {
    /// The shown nodes' children lists (see [`Tree::shown`]), in index order.
    pub(crate) fn children(&self, shown: &[bool]) -> Children {
        let nodes = self.nodes();
        let parents = nodes
            .iter()
            .enumerate()
            .skip(1)
            .filter(move |(i, _)| shown[*i])
            .map(|(i, n)| (i, n.parent as usize));
        Children::of(parents, nodes.len())
    }

    /// This tree with recursion folded (see the module's documentation).
    pub(crate) fn collapsed(&self) -> Collapsed {
        let nodes = self.nodes();
        let shown = self.shown();
        let children = self.children(&shown);
        // Depth of each node in the tree (parents come first).
        let mut depth = vec![0u32; nodes.len()];
        for i in 1..nodes.len() {
            depth[i] = depth
                .get(nodes[i].parent as usize)
                .map_or(1, |d| d.saturating_add(1));
        }
        let sites = nodes.iter().map(|n| n.site as usize + 1).max().unwrap_or(1);
        // The folded node of each function open on the current path, and the depth of its
        // outermost open frame.
        let mut open: Vec<(u32, u32)> = vec![(NOT_OPEN, 0); sites];
        let mut out = vec![FoldedNode::default()];
        let mut index: IdMap<(u32, u32), u32> = IdMap::default();
        // Folded node of each tree node.
        let mut of = vec![0u32; nodes.len()];
        enum Step {
            Enter(u32),
            /// Leaving the outermost frame of a function: it is no longer open.
            Close(u32),
        }
        let mut stack: Vec<Step> = children
            .get(0)
            .iter()
            .rev()
            .map(|&c| Step::Enter(c))
            .collect();
        while let Some(step) = stack.pop() {
            let i = match step {
                Step::Close(site) => {
                    open[site as usize].0 = NOT_OPEN;
                    continue;
                }
                Step::Enter(i) => i as usize,
            };
            let n = &nodes[i];
            let parent = of[n.parent as usize];
            let site = n.site as usize;
            let at = match open.get(site).copied() {
                Some((a, outer)) if a != NOT_OPEN && n.site != ROOT_SITE => {
                    let f = &mut out[a as usize];
                    f.levels = f.levels.max(depth[i].saturating_sub(outer));
                    a
                }
                _ => {
                    let next = out.len() as u32;
                    let a = *index.entry((parent, n.site)).or_insert_with(|| {
                        out.push(FoldedNode {
                            site: n.site,
                            parent,
                            depth: out[parent as usize].depth + 1,
                            ..FoldedNode::default()
                        });
                        next
                    });
                    let f = &mut out[a as usize];
                    f.outer_calls = f.outer_calls.saturating_add(n.calls);
                    f.incl_ns = f.incl_ns.saturating_add(n.incl_ns);
                    if let Some(o) = open.get_mut(site) {
                        *o = (a, depth[i]);
                        stack.push(Step::Close(n.site));
                    }
                    a
                }
            };
            let f = &mut out[at as usize];
            f.calls = f.calls.saturating_add(n.calls);
            f.own_ns = f.own_ns.saturating_add(n.own_ns);
            f.cpu_ns = f.cpu_ns.saturating_add(n.cpu_ns);
            f.mem.add(&n.mem);
            of[i] = at;
            stack.extend(children.get(i).iter().rev().map(|&c| Step::Enter(c)));
        }
        Collapsed { nodes: out }
    }
}

impl Collapsed {
    /// The sites on the path to `node`, from the root call down.
    pub(crate) fn path(&self, node: usize, into: &mut Vec<u32>) {
        into.clear();
        let mut at = node;
        while at != 0 {
            let n = &self.nodes[at];
            into.push(n.site);
            at = n.parent as usize;
        }
        into.reverse();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::tree::{PRIMITIVE, TreeNode};

    fn node(site: u32, parent: u32, own: u64, incl: u64) -> TreeNode {
        // Set field by field, so that a figure added to nodes keeps its default here.
        let mut n = TreeNode::default();
        (n.site, n.parent, n.flags, n.calls) = (site, parent, PRIMITIVE, 1);
        (n.own_ns, n.incl_ns) = (own, incl);
        n
    }

    fn tree(nodes: &[TreeNode]) -> Tree {
        let mut t = Tree::default();
        let mut all = vec![TreeNode::default()];
        all.extend_from_slice(nodes);
        t.add(&all);
        t
    }

    fn paths(c: &Collapsed) -> Vec<(Vec<u32>, u64, u64, u32)> {
        let mut path = Vec::new();
        (1..c.nodes.len())
            .map(|i| {
                c.path(i, &mut path);
                let n = &c.nodes[i];
                (path.clone(), n.calls, n.own_ns, n.levels)
            })
            .collect()
    }

    #[test]
    fn direct_recursion_folds_into_one_path_with_every_own_time() {
        // f -> f -> f -> g, and f -> h at the top.
        let t = tree(&[
            node(1, 0, 1, 10),
            node(1, 1, 2, 8),
            node(1, 2, 3, 6),
            node(2, 3, 3, 3),
            node(3, 1, 1, 1),
        ]);
        let c = t.collapsed();
        assert_eq!(
            paths(&c),
            [
                (vec![1], 3, 6, 2),
                (vec![1, 2], 1, 3, 0),
                (vec![1, 3], 1, 1, 0),
            ]
        );
        assert_eq!((c.nodes[1].outer_calls, c.nodes[1].incl_ns), (1, 10));
    }

    #[test]
    fn indirect_recursion_folds_back_to_the_open_frame() {
        // a -> b -> a -> b -> c: a;b;c.
        let t = tree(&[
            node(1, 0, 1, 9),
            node(2, 1, 1, 8),
            node(1, 2, 1, 7),
            node(2, 3, 1, 6),
            node(3, 4, 5, 5),
        ]);
        let c = t.collapsed();
        assert_eq!(
            paths(&c),
            [
                (vec![1], 2, 2, 2),
                (vec![1, 2], 2, 2, 2),
                (vec![1, 2, 3], 1, 5, 0),
            ]
        );
    }

    #[test]
    fn a_hundred_thousand_levels_take_no_stack_and_stay_one_path() {
        let mut nodes = vec![node(1, 0, 1, 100_000)];
        for i in 1..100_000u32 {
            nodes.push(node(1, i, 1, 100_000 - u64::from(i)));
        }
        let c = tree(&nodes).collapsed();
        assert_eq!(c.nodes.len(), 2);
        let f = c.nodes[1];
        assert_eq!(
            (f.calls, f.outer_calls, f.own_ns, f.levels),
            (100_000, 1, 100_000, 99_999)
        );
    }
}
