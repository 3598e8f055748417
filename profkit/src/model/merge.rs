//! Adding reports together, as pstats' `Stats.add` does: by call tree when both sides have
//! one (matching call sites by (file, line, name) across processes), by function rows
//! otherwise.

use std::collections::HashMap;
use std::sync::Arc;

use crate::collect::SiteInfo;
use crate::data::{Profile, ROOT_SITE, TreeNode};

use super::complexity::Scaling;
use super::report::Report;
use super::stats::{CpuNs, EdgeStats, FunctionStats};

impl Report {
    /// Adds `other` to this report, as pstats' `Stats.add` does: functions with the same file,
    /// line and name, and edges between them, have their counts and times summed, and latency
    /// distributions are added. Two reports of this process also merge their call trees; with
    /// a report read from a file (which has none) the result has no call tree.
    ///
    /// ```
    /// # #[profkit::profile] fn step() {}
    /// let (_, mut a) = profkit::record(step);
    /// let (_, b) = profkit::record(|| { step(); step() });
    /// a.merge(&b);
    /// assert_eq!(a.function("step").unwrap().ncalls(), 3);
    /// ```
    pub fn merge(&mut self, other: &Report) {
        let mut meta = std::mem::take(&mut self.meta);
        meta.merge(&other.meta);
        self.merge_content(other);
        self.meta = meta;
    }

    fn merge_content(&mut self, other: &Report) {
        if other.functions.is_empty() && !other.has_tree() {
            return;
        }
        if self.functions.is_empty() && !self.has_tree() {
            *self = other.clone();
            return;
        }
        if !(self.has_tree() && other.has_tree()) {
            self.functions = merge_functions(&self.functions, &other.functions);
            // The tree goes; what the rows cannot hold of memory stays.
            let mut rest = Profile {
                memory: self.profile.memory || other.profile.memory,
                sampling: self.profile.sampling.max(other.profile.sampling),
                overhead: self.profile.overhead,
                totals: self.profile.totals,
                ..Profile::default()
            };
            rest.overhead.add(&other.profile.overhead);
            rest.totals.add(&other.profile.totals);
            rest.tree.add_root_mem(&self.profile.tree.nodes()[0].mem);
            rest.tree.add_root_mem(&other.profile.tree.nodes()[0].mem);
            self.profile = rest;
            self.threads.clear();
            for c in &other.clocks {
                if !self.clocks.contains(c) {
                    self.clocks.push(*c);
                }
            }
            return;
        }
        self.merge_trees(other);
    }

    fn merge_trees(&mut self, other: &Report) {
        let (sites, remap) = unify_sites(&self.sites, &other.sites);
        // CPU time of a sum is known only when both parts recorded it (never zeros for a part
        // that did not).
        let cpu = self.profile.cpu && other.profile.cpu;
        let mut profile = std::mem::take(&mut self.profile);
        match &remap {
            None => profile.add(&other.profile),
            Some(remap) => profile.add(&renumbered(&other.profile, remap)),
        }
        profile.cpu = cpu;
        let mut threads = std::mem::take(&mut self.threads);
        for t in &other.threads {
            match threads.iter_mut().find(|mine| mine.name == t.name) {
                Some(mine) => mine.report.merge(&t.report),
                None => threads.push(t.clone()),
            }
        }
        threads.sort_by(|a, b| a.name.cmp(&b.name));
        let mut clocks = std::mem::take(&mut self.clocks);
        for c in &other.clocks {
            if !clocks.contains(c) {
                clocks.push(*c);
            }
        }
        *self = Report::build(profile, sites, threads, clocks);
    }
}

/// `profile` with its site ids replaced by `remap[id]`.
fn renumbered(profile: &Profile, remap: &[u32]) -> Profile {
    let to = |site: u32| remap.get(site as usize).copied().unwrap_or(ROOT_SITE);
    let mut tree = crate::data::Tree::default();
    let nodes: Vec<TreeNode> = profile
        .tree
        .nodes()
        .iter()
        .map(|n| TreeNode {
            site: to(n.site),
            ..*n
        })
        .collect();
    tree.add(&nodes);
    Profile {
        tree,
        hists: profile
            .hists
            .iter()
            .map(|(s, d)| (to(*s), d.clone()))
            .collect(),
        futures: profile.futures.iter().map(|(s, f)| (to(*s), *f)).collect(),
        sizes: profile
            .sizes
            .iter()
            .map(|(s, z)| (to(*s), z.clone()))
            .collect(),
        ..profile.clone()
    }
}

/// CPU time is recorded in both or it is not known for the sum.
fn add_cpu(a: Option<CpuNs>, b: Option<CpuNs>) -> Option<CpuNs> {
    let (x, y) = a.zip(b)?;
    Some(CpuNs {
        own: x.own.saturating_add(y.own),
        cum: x.cum.saturating_add(y.cum),
    })
}

/// pstats' `Stats.add` on function rows: rows and edges with equal (file, line, name) keys
/// are summed.
fn merge_functions(a: &[FunctionStats], b: &[FunctionStats]) -> Vec<FunctionStats> {
    fn add_edges(into: &mut Vec<EdgeStats>, from: &[EdgeStats]) {
        // By key, not by a scan per edge: a function may have thousands of callers.
        let mut index: HashMap<(Arc<str>, u32, Arc<str>), usize> = into
            .iter()
            .enumerate()
            .map(|(i, x)| ((x.file.clone(), x.line, x.name.clone()), i))
            .collect();
        for e in from {
            let key = (e.file.clone(), e.line, e.name.clone());
            match index.get(&key).and_then(|&i| into.get_mut(i)) {
                Some(x) => {
                    x.ncalls = x.ncalls.saturating_add(e.ncalls);
                    x.primitive_calls = x.primitive_calls.saturating_add(e.primitive_calls);
                    x.tottime_ns = x.tottime_ns.saturating_add(e.tottime_ns);
                    x.cumtime_ns = x.cumtime_ns.saturating_add(e.cumtime_ns);
                    x.cpu = add_cpu(x.cpu, e.cpu);
                }
                None => {
                    index.insert(key, into.len());
                    into.push(e.clone());
                }
            }
        }
        into.sort_by(|x, y| x.key().cmp(&y.key()));
    }
    let mut merged: Vec<FunctionStats> = a.to_vec();
    let mut index: HashMap<(Arc<str>, u32, Arc<str>), usize> = merged
        .iter()
        .enumerate()
        .map(|(i, f)| ((f.file.clone(), f.line, f.name.clone()), i))
        .collect();
    for f in b {
        let key = (f.file.clone(), f.line, f.name.clone());
        match index.get(&key).and_then(|&i| merged.get_mut(i)) {
            Some(m) => {
                m.ncalls = m.ncalls.saturating_add(f.ncalls);
                m.primitive_calls = m.primitive_calls.saturating_add(f.primitive_calls);
                m.tottime_ns = m.tottime_ns.saturating_add(f.tottime_ns);
                m.cumtime_ns = m.cumtime_ns.saturating_add(f.cumtime_ns);
                add_edges(&mut m.callers, &f.callers);
                add_edges(&mut m.callees, &f.callees);
                m.latency = match (m.latency.take(), &f.latency) {
                    (Some(mut x), Some(y)) => {
                        x.merge(y);
                        Some(x)
                    }
                    (x, y) => x.or_else(|| y.clone()),
                };
                m.memory = match (m.memory.take(), &f.memory) {
                    (Some(mut x), Some(y)) => {
                        x.add(y);
                        Some(x)
                    }
                    (x, y) => x.or(*y),
                };
                m.scaling = match (m.scaling.take(), &f.scaling) {
                    (Some(x), Some(y)) => {
                        let mut samples = x.samples;
                        samples.merge(&y.samples);
                        Some(Scaling::new(samples))
                    }
                    (x, y) => x.or_else(|| y.clone()),
                };
                m.cpu = add_cpu(m.cpu, f.cpu);
                m.futures = match (m.futures.take(), &f.futures) {
                    (Some(mut x), Some(y)) => {
                        x.totals.add(&y.totals);
                        Some(x)
                    }
                    (x, y) => x.or_else(|| y.clone()),
                };
            }
            None => {
                index.insert(key, merged.len());
                merged.push(f.clone());
            }
        }
    }
    merged.sort_by(|x, y| x.key().cmp(&y.key()));
    merged
}

/// A site table for two reports' trees, and where the second's sites went in it (`None`: the
/// tables agree on the sites they share, as two reports of one process do, and the longer one
/// serves both). Sites of other reports (read from files) are matched by (file, line, name).
fn unify_sites(a: &Arc<[SiteInfo]>, b: &Arc<[SiteInfo]>) -> (Arc<[SiteInfo]>, Option<Vec<u32>>) {
    let same = |x: &SiteInfo, y: &SiteInfo| match (x.site, y.site) {
        (Some(p), Some(q)) => std::ptr::eq(p, q),
        _ => (&x.file, x.line, &x.name) == (&y.file, y.line, &y.name),
    };
    if a.iter().zip(b.iter()).all(|(x, y)| same(x, y)) {
        let longer = if b.len() > a.len() { b } else { a };
        return (longer.clone(), None);
    }
    let mut sites: Vec<SiteInfo> = a.to_vec();
    let mut index: HashMap<(Arc<str>, u32, Arc<str>), u32> = sites
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, s)| ((s.file.clone(), s.line, s.name.clone()), i as u32))
        .collect();
    let remap = b
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i == ROOT_SITE as usize {
                return ROOT_SITE;
            }
            let next = sites.len() as u32;
            *index
                .entry((s.file.clone(), s.line, s.name.clone()))
                .or_insert_with(|| {
                    sites.push(s.clone());
                    next
                })
        })
        .collect();
    (sites.into(), Some(remap))
}
