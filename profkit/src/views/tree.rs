//! The call tree, one line per call path, with each path's share of its parent and of the
//! total: what pstats cannot show, since it keeps only caller -> callee pairs.

use std::fmt;

use crate::data::ROOT_SITE;
use crate::model::{Report, seconds};

/// The indented call tree of a report. Children are ordered by cumulative time, largest first.
///
/// ```
/// # #[profkit::profile] fn child() {}
/// # #[profkit::profile] fn parent() { child(); child() }
/// let (_, report) = profkit::record(parent);
/// let text = report.tree().to_string();
/// assert!(text.contains("  tree_doc::child") || text.contains("child"));
/// ```
#[derive(Clone, Debug)]
pub struct TreeView<'a> {
    report: &'a Report,
    max_depth: Option<usize>,
    min_share: f64,
}

impl<'a> TreeView<'a> {
    pub(super) fn new(report: &'a Report) -> Self {
        TreeView {
            report,
            max_depth: None,
            min_share: 0.0,
        }
    }

    /// Shows paths down to this depth only (1: the roots).
    ///
    /// ```
    /// let _ = profkit::Report::default().tree().max_depth(3);
    /// ```
    #[must_use]
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = Some(depth);
        self
    }

    /// Hides paths whose share of the total is below `share` (0.01 = 1%), with their subtrees.
    ///
    /// ```
    /// let _ = profkit::Report::default().tree().min_share(0.01);
    /// ```
    #[must_use]
    pub fn min_share(mut self, share: f64) -> Self {
        self.min_share = share;
        self
    }
}

impl fmt::Display for TreeView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nodes = self.report.profile.tree.nodes();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
        let shown = self.report.profile.tree.shown();
        for (i, n) in nodes.iter().enumerate().skip(1) {
            if shown[i]
                && let Some(c) = children.get_mut(n.parent as usize)
            {
                c.push(i);
            }
        }
        let name = |i: usize| -> String {
            let site = nodes[i].site;
            if site == ROOT_SITE {
                return String::new();
            }
            self.report
                .sites
                .get(site as usize)
                .map_or_else(|| "<unknown>".to_owned(), |s| s.name.to_string())
        };
        for c in &mut children {
            c.sort_by(|&a, &b| {
                nodes[b]
                    .incl_ns
                    .cmp(&nodes[a].incl_ns)
                    .then_with(|| name(a).cmp(&name(b)))
            });
        }
        let total: u64 = children[0]
            .iter()
            .fold(0u64, |t, &i| t.saturating_add(nodes[i].incl_ns));
        writeln!(f, "   cumtime  % parent  % total     ncalls  call path")?;
        // Depth-first, iteratively: deep recursion must not overflow the stack here.
        let mut stack: Vec<(usize, usize, u64)> =
            children[0].iter().rev().map(|&i| (i, 0, total)).collect();
        while let Some((i, depth, parent_incl)) = stack.pop() {
            let n = &nodes[i];
            let share = |part: u64, whole: u64| {
                if whole == 0 {
                    100.0
                } else {
                    100.0 * part as f64 / whole as f64
                }
            };
            if total > 0 && share(n.incl_ns, total) < self.min_share * 100.0 {
                continue;
            }
            writeln!(
                f,
                "{:>10.3} {:>8.1}% {:>7.1}% {:>10}  {:indent$}{}",
                seconds(n.incl_ns),
                share(n.incl_ns, parent_incl),
                share(n.incl_ns, total),
                n.calls,
                "",
                name(i),
                indent = 2 * depth
            )?;
            if self.max_depth.is_none_or(|max| depth + 1 < max) {
                for &c in children[i].iter().rev() {
                    stack.push((c, depth + 1, n.incl_ns));
                }
            }
        }
        Ok(())
    }
}

impl Report {
    /// The call tree: every call path with its cumulative time and share of its parent and of
    /// the total.
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// println!("{}", report.tree().min_share(0.01));
    /// ```
    pub fn tree(&self) -> TreeView<'_> {
        TreeView::new(self)
    }
}
