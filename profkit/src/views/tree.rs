//! The call tree, one line per call path, with each path's share of its parent and of the
//! total: what pstats cannot show, since it keeps only caller -> callee pairs. Recursion is
//! folded into the outermost open frame of the function (as in the folded stacks), and the
//! line says how many levels deep it went, so a 100,000-deep recursion is one line.

use std::fmt;

use crate::data::{Children, ROOT_SITE};
use crate::model::{Report, seconds};

/// The indented call tree of a report. Children are ordered by cumulative time, largest first.
///
/// A call of a function already open on its path is folded into that open frame, whose line
/// then gives its calls as `total/outermost` (as pstats gives recursive calls) and says how
/// deep the recursion went: `[recursion 99999 levels deep, folded]`. Direct recursion
/// (`f -> f -> f`) and indirect recursion (`a -> b -> a -> b`) both fold, so no path names a
/// function twice and a deep recursion takes one line, not one per level.
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
    full_names: bool,
}

impl<'a> TreeView<'a> {
    pub(super) fn new(report: &'a Report) -> Self {
        TreeView {
            report,
            max_depth: None,
            min_share: 0.0,
            full_names: false,
        }
    }

    /// Shows each function's full name (`<serde_json::value::Value as
    /// serde_core::de::Deserialize>::deserialize`) rather than the short form tables show by
    /// default (`<Value as Deserialize>::deserialize`; see
    /// [`FunctionStats::short_name`](crate::FunctionStats::short_name)). Files keep the full
    /// name either way.
    ///
    /// ```
    /// let _ = profkit::Report::default().tree().full_names(true);
    /// ```
    #[must_use]
    pub fn full_names(mut self, full: bool) -> Self {
        self.full_names = full;
        self
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

/// Levels indented; a path deeper than this (only possible through that many distinct
/// functions, recursion being folded) is indented no further and says its depth.
const MAX_INDENT: usize = 64;

impl fmt::Display for TreeView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tree = self.report.profile.tree.collapsed();
        let nodes = &tree.nodes;
        let children = Children::of(
            nodes
                .iter()
                .enumerate()
                .skip(1)
                .map(|(i, n)| (i, n.parent as usize)),
            nodes.len(),
        );
        let name = |i: usize| -> &str {
            let site = nodes[i].site;
            if site == ROOT_SITE {
                return "";
            }
            self.report
                .sites
                .get(site as usize)
                .map_or("<unknown>", |s| &s.name)
        };
        let sorted = |i: usize| {
            let mut c: Vec<usize> = children.get(i).iter().map(|&c| c as usize).collect();
            c.sort_by(|&a, &b| {
                nodes[b]
                    .incl_ns
                    .cmp(&nodes[a].incl_ns)
                    .then_with(|| name(a).cmp(name(b)))
            });
            c
        };
        let roots = sorted(0);
        let total: u64 = roots
            .iter()
            .fold(0u64, |t, &i| t.saturating_add(nodes[i].incl_ns));
        // With CPU figures: each path's CPU time with its callees' (recursion being folded,
        // a path's subtree counts each nanosecond once), as a share of its cumtime.
        let cpu = self.report.has_cpu().then(|| {
            let mut sums: Vec<u64> = nodes.iter().map(|n| n.cpu_ns).collect();
            for i in (1..nodes.len()).rev() {
                let parent = nodes[i].parent as usize;
                if parent < i {
                    sums[parent] = sums[parent].saturating_add(sums[i]);
                }
            }
            sums
        });
        let cpu_header = if cpu.is_some() { "    cpu%" } else { "" };
        writeln!(
            f,
            "   cumtime  % parent  % total     ncalls{cpu_header}  call path"
        )?;
        // Depth-first, iteratively: deep trees must not overflow the stack here.
        let mut stack: Vec<(usize, u64)> = roots.iter().rev().map(|&i| (i, total)).collect();
        let mut indent = String::new();
        while let Some((i, parent_incl)) = stack.pop() {
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
            // Calls of folded recursion show as pstats shows recursive calls: total/outermost.
            let ncalls = if n.calls == n.outer_calls {
                n.calls.to_string()
            } else {
                format!("{}/{}", n.calls, n.outer_calls)
            };
            let depth = n.depth as usize - 1;
            indent.clear();
            indent.extend(std::iter::repeat_n(' ', 2 * depth.min(MAX_INDENT)));
            write!(
                f,
                "{:>10.3} {:>8.1}% {:>7.1}% {:>10}",
                seconds(n.incl_ns),
                share(n.incl_ns, parent_incl),
                share(n.incl_ns, total),
                ncalls,
            )?;
            if let Some(sums) = &cpu {
                if n.incl_ns == 0 {
                    write!(f, "{:>8}", "")?;
                } else {
                    let s = (share(sums[i], n.incl_ns)).min(100.0);
                    write!(f, " {s:>6.1}%")?;
                }
            }
            write!(f, "  {indent}")?;
            if depth > MAX_INDENT {
                write!(f, "(depth {}) ", depth + 1)?;
            }
            if self.full_names {
                f.write_str(name(i))?;
            } else {
                f.write_str(&crate::data::names::short(name(i)))?;
            }
            if n.levels > 0 {
                write!(f, "  [recursion {} levels deep, folded]", n.levels)?;
            }
            writeln!(f)?;
            if self.max_depth.is_none_or(|max| depth + 1 < max) {
                for c in sorted(i).into_iter().rev() {
                    stack.push((c, n.incl_ns));
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
