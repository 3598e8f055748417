//! Folded stacks (`a;b;c <own ns>`), what inferno, flamegraph.pl and speedscope read.

use std::fmt::Write as _;

use crate::model::Report;

impl Report {
    /// One line per call path with own time: the path's function names from the root, joined
    /// by `;`, a space, and the own time in nanoseconds. The values add up to the report's
    /// total own time ([`Report::total_time`]). A `;` inside a name is written as `:`.
    ///
    /// Recursion is folded, as FlameGraph's `stackcollapse-recursive` does for direct
    /// recursion and further: a call of a function that is already open on its path is
    /// merged into that open frame, its own time added to it. `f;f;f` is written `f`, and
    /// indirect recursion `a;b;a;b;c` is written `a;b;c`. No path names a function twice, so a
    /// 100,000-deep recursion is one short line, not 100,000 ever longer ones.
    ///
    /// ```
    /// # #[profkit::profile] fn child() { std::hint::black_box(0); }
    /// # #[profkit::profile] fn parent() { child() }
    /// let (_, report) = profkit::record(parent);
    /// let folded = report.folded();
    /// assert!(folded.lines().any(|l| l.contains("parent;") && l.contains("child ")));
    /// ```
    pub fn folded(&self) -> String {
        let collapsed = self.profile.tree.collapsed();
        // Each site's name, made safe for the format once.
        let mut names: Vec<Option<String>> = vec![None; self.sites.len()];
        let mut path = Vec::new();
        let mut out = String::new();
        for (i, n) in collapsed.nodes.iter().enumerate().skip(1) {
            if n.own_ns == 0 {
                continue;
            }
            collapsed.path(i, &mut path);
            for (k, &site) in path.iter().enumerate() {
                if k > 0 {
                    out.push(';');
                }
                match names.get_mut(site as usize) {
                    Some(slot) => {
                        out.push_str(slot.get_or_insert_with(|| {
                            self.sites[site as usize].name.replace(';', ":")
                        }))
                    }
                    None => out.push_str("<unknown>"),
                }
            }
            let _ = writeln!(out, " {}", n.own_ns);
        }
        out
    }
}
