//! Folded stacks (`a;b;c <value>`), what inferno, flamegraph.pl and speedscope read, measured in
//! own time, or in bytes or allocations when the report has memory figures.

use std::fmt::Write as _;
use std::io;

use crate::data::FoldedNode;
use crate::model::Report;

/// What the value of a folded stack measures (and so a flame graph's box widths).
///
/// ```
/// assert_eq!(profkit::StackMetric::default(), profkit::StackMetric::OwnTime);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StackMetric {
    /// Own time in nanoseconds: where the time went.
    #[default]
    OwnTime,
    /// Bytes allocated while the path was innermost: where the memory went (what heaptrack
    /// users expect of a flame graph). Needs memory figures.
    Bytes,
    /// Allocations while the path was innermost. Needs memory figures.
    Allocs,
    /// Own CPU time in nanoseconds: where the CPU went. Needs CPU figures
    /// ([`Report::has_cpu`]).
    Cpu,
    /// Own time spent waiting (own time minus own CPU time), in nanoseconds: a flame graph of
    /// where the program waits. Needs CPU figures.
    Wait,
}

impl StackMetric {
    /// The unit a flame graph names its counts in.
    #[cfg_attr(not(feature = "flamegraph"), allow(dead_code))]
    pub(crate) fn unit(self) -> &'static str {
        match self {
            StackMetric::OwnTime | StackMetric::Cpu | StackMetric::Wait => "ns",
            StackMetric::Bytes => "bytes",
            StackMetric::Allocs => "allocations",
        }
    }

    fn of(self, n: &FoldedNode) -> u64 {
        match self {
            StackMetric::OwnTime => n.own_ns,
            StackMetric::Bytes => n.mem.bytes,
            StackMetric::Allocs => n.mem.allocs,
            StackMetric::Cpu => n.cpu_ns,
            StackMetric::Wait => n.own_ns.saturating_sub(n.cpu_ns),
        }
    }
}

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
        self.folded_lines(StackMetric::OwnTime)
    }

    /// [`Report::folded`] measured in `metric`: own time, bytes or allocations (each path's
    /// own, so the values add up to what the report's functions allocated), or own CPU or
    /// waiting time (adding up to the total own time between them).
    ///
    /// # Errors
    /// An [`io::Error`] of kind `InvalidInput` for a memory metric on a report without memory
    /// figures (see [`Report::has_memory`]), or a CPU metric without CPU figures
    /// ([`Report::has_cpu`]).
    ///
    /// ```rust,standalone_crate
    /// #[global_allocator]
    /// static ALLOC: profkit::Alloc = profkit::Alloc::system();
    ///
    /// #[profkit::profile]
    /// fn load() -> Vec<u64> { Vec::with_capacity(1000) }
    /// #[profkit::profile]
    /// fn parent() -> usize { load().capacity() }
    ///
    /// let (_, report) = profkit::record(parent);
    /// let folded = report.folded_by(profkit::StackMetric::Bytes).unwrap();
    /// assert!(folded.lines().any(|l| l.ends_with("::load 8000")), "{folded}");
    /// ```
    pub fn folded_by(&self, metric: StackMetric) -> io::Result<String> {
        if matches!(metric, StackMetric::Cpu | StackMetric::Wait) && !self.has_cpu() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the profile has no CPU figures (record with PROFKIT_CPU=1 or \
                 profkit::set_cpu(true)): stacks by CPU or waiting time need them",
            ));
        }
        if matches!(metric, StackMetric::Bytes | StackMetric::Allocs) && !self.has_memory() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the profile has no memory figures (profkit::Alloc was not the global \
                 allocator, or the file keeps none): stacks by bytes or allocations need them",
            ));
        }
        Ok(self.folded_lines(metric))
    }

    fn folded_lines(&self, metric: StackMetric) -> String {
        let collapsed = self.profile.tree.collapsed();
        // Each site's name, made safe for the format once.
        let mut names: Vec<Option<String>> = vec![None; self.sites.len()];
        let mut path = Vec::new();
        let mut out = String::new();
        for (i, n) in collapsed.nodes.iter().enumerate().skip(1) {
            let value = metric.of(n);
            if value == 0 {
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
            let _ = writeln!(out, " {value}");
        }
        out
    }
}
