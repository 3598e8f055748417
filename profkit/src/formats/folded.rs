//! Folded stacks (`a;b;c <own ns>`), what inferno, flamegraph.pl and speedscope read.

use crate::data::ROOT_SITE;
use crate::model::Report;

impl Report {
    /// One line per call path with own time: the path's function names from the root, joined
    /// by `;`, a space, and the own time in nanoseconds. The values add up to the report's
    /// total own time ([`Report::total_time`]). A `;` inside a name is written as `:`.
    ///
    /// ```
    /// # #[profkit::profile] fn child() { std::hint::black_box(0); }
    /// # #[profkit::profile] fn parent() { child() }
    /// let (_, report) = profkit::record(parent);
    /// let folded = report.folded();
    /// assert!(folded.lines().any(|l| l.contains("parent;") && l.contains("child ")));
    /// ```
    pub fn folded(&self) -> String {
        let nodes = self.profile.tree.nodes();
        let mut paths: Vec<String> = vec![String::new(); nodes.len()];
        let mut out = String::new();
        for (i, n) in nodes.iter().enumerate().skip(1) {
            let name = self
                .sites
                .get(n.site as usize)
                .map_or("<unknown>".to_owned(), |s| s.name.replace(';', ":"));
            let parent = &paths[n.parent as usize];
            let path = if n.parent as usize == 0 || nodes[n.parent as usize].site == ROOT_SITE {
                name
            } else {
                format!("{parent};{name}")
            };
            if n.own_ns > 0 {
                out.push_str(&path);
                out.push(' ');
                out.push_str(&n.own_ns.to_string());
                out.push('\n');
            }
            paths[i] = path;
        }
        out
    }
}
