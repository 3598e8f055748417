//! Windows: [`Report::since`], what happened between two reports of one process.

use std::collections::HashMap;
use std::sync::Arc;

use crate::collect::SiteInfo;
use crate::data::{Profile, TreeNode};
use crate::error::SinceError;

use super::report::{Meta, Report, ThreadReport};

impl Report {
    /// What happened between `earlier` and this report, two reports of the same running
    /// process ([`profkit::report()`](crate::report), or read back from profkit's JSON): calls,
    /// times, latencies, futures and allocations made in between, exactly, and the change of
    /// each path's live blocks ([`MemoryStats::live_bytes`](crate::MemoryStats::live_bytes),
    /// positive where the path holds more than it did). "What grew in the last minute" is
    /// `profkit::report().since(&a_minute_ago)`.
    ///
    /// Peaks (`peak_bytes`, the heap's peak) are this report's, not the window's: a peak
    /// cannot be subtracted. Nor can the points a function's sized calls are fitted to
    /// (`#[profile(size = ..)]`, [`FunctionStats::scaling`](crate::FunctionStats::scaling)): a
    /// report keeps a bounded sample of them per size bucket, so the window counts exactly the
    /// sized calls made in between, per bucket, but carries this report's points for the
    /// buckets that had new calls, and its fit
    /// ([`FunctionStats::complexity`](crate::FunctionStats::complexity)) describes the calls
    /// up to this report. A call that was running when `earlier` was made counts in the
    /// window when it ends, as every call counts when it ends.
    ///
    /// # Errors
    /// A [`SinceError`] when the reports are not an earlier and a later report of one process
    /// with no [`reset`](crate::reset) between them: another process's report, the arguments
    /// swapped, a report that does not say where it comes from (merged, or from a file written
    /// before schema version 3), or one the other does not contain.
    ///
    /// ```
    /// #[profkit::profile]
    /// fn tick() {}
    ///
    /// tick();
    /// let earlier = profkit::report();
    /// tick();
    /// tick();
    /// let window = profkit::report().since(&earlier).unwrap();
    /// assert_eq!(window.function("tick").unwrap().ncalls(), 2);
    /// assert!(earlier.since(&profkit::report()).is_err()); // the wrong way round
    /// ```
    pub fn since(&self, earlier: &Report) -> Result<Report, SinceError> {
        let (Some(late), Some(early)) = (self.meta.origin, earlier.meta.origin) else {
            return Err(SinceError::NoOrigin);
        };
        if late.process != early.process {
            return Err(SinceError::OtherProcess);
        }
        if early.sequence >= late.sequence {
            return Err(SinceError::WrongOrder {
                earlier: early.sequence,
                later: late.sequence,
            });
        }
        if early.resets != late.resets {
            return Err(SinceError::ResetBetween);
        }
        let mut window = window(self, earlier)?;
        window.meta = window_meta(&self.meta, &earlier.meta);
        Ok(window)
    }
}

/// The meta data of a window: from the earlier report's moment to the later one's.
fn window_meta(later: &Meta, earlier: &Meta) -> Meta {
    let end = |m: &Meta| {
        m.started_unix_ns
            .map(|s| s.saturating_add(m.duration_ns.unwrap_or(0)))
    };
    let (start, stop) = (end(earlier), end(later));
    Meta {
        program: later.program.clone(),
        started_unix_ns: start,
        duration_ns: match (start, stop) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
            _ => None,
        },
        heap_now: later.heap_now,
        max_rss_bytes: later.max_rss_bytes,
        // The run's series, for the growth table.
        snapshots: later.snapshots.clone(),
        // The figures taken out of both reports' times, so of the window's too.
        compensation: later.compensation,
        ..Meta::default()
    }
}

/// `later` minus `earlier`, the same for each thread name.
fn window(later: &Report, earlier: &Report) -> Result<Report, SinceError> {
    if !later.has_tree() && (earlier.has_tree() || !later.functions.is_empty()) {
        return Err(SinceError::NotContained(
            "the later report has no call tree".to_owned(),
        ));
    }
    let sites = site_map(&earlier.sites, &later.sites);
    let profile = subtract(&later.profile, &earlier.profile, &sites)?;
    let threads = later
        .threads
        .iter()
        .map(|t| {
            let report = match earlier.threads.iter().find(|e| e.name == t.name) {
                Some(e) => window(&t.report, &e.report)?,
                None => t.report.clone(),
            };
            Ok(ThreadReport {
                name: t.name.clone(),
                report,
            })
        })
        .collect::<Result<Vec<_>, SinceError>>()?;
    Ok(Report::build(
        profile,
        later.sites.clone(),
        threads,
        later.clocks.clone(),
    ))
}

/// For each site id of `earlier`, the id of the same function (name, file and line) in
/// `later`: two reports of one process share ids, two files read back need not.
fn site_map(earlier: &Arc<[SiteInfo]>, later: &Arc<[SiteInfo]>) -> Vec<Option<u32>> {
    let by_key: HashMap<(&str, &str, u32), u32> = later
        .iter()
        .enumerate()
        .map(|(i, s)| ((&*s.name, &*s.file, s.line), i as u32))
        .collect();
    earlier
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i == 0 {
                Some(0)
            } else {
                by_key.get(&(&*s.name, &*s.file, s.line)).copied()
            }
        })
        .collect()
}

fn missing(what: impl Into<String>) -> SinceError {
    SinceError::NotContained(what.into())
}

/// The profile of what `later` recorded beyond `earlier`.
fn subtract(
    later: &Profile,
    earlier: &Profile,
    sites: &[Option<u32>],
) -> Result<Profile, SinceError> {
    let map_site = |s: u32| {
        sites
            .get(s as usize)
            .copied()
            .flatten()
            .ok_or_else(|| missing("a function of the earlier report is not in the later one"))
    };
    let late_nodes = later.tree.nodes();
    let mut nodes: Vec<TreeNode> = late_nodes.to_vec();
    // Earlier node -> later node; parents come first in both trees.
    let mut at: Vec<u32> = Vec::with_capacity(earlier.tree.nodes().len());
    for (i, e) in earlier.tree.nodes().iter().enumerate() {
        let l = if i == 0 {
            0
        } else {
            let parent = at.get(e.parent as usize).copied().unwrap_or(0);
            later.tree.find(parent, map_site(e.site)?).ok_or_else(|| {
                missing("a call path of the earlier report is not in the later one")
            })?
        };
        at.push(l);
        let n = &mut nodes[l as usize];
        if n.calls < e.calls || n.mem.allocs < e.mem.allocs || n.mem.frees < e.mem.frees {
            return Err(missing(
                "a call path has fewer calls or allocations than before",
            ));
        }
        n.calls -= e.calls;
        // Times only rise as measured, but a compensated report (profkit's own cost per call
        // taken out, clamped at zero per path) can show a path's time a little lower after
        // more calls that were faster than that cost: the window keeps zero for it.
        n.own_ns = n.own_ns.saturating_sub(e.own_ns);
        n.incl_ns = n.incl_ns.saturating_sub(e.incl_ns);
        n.cpu_ns = n.cpu_ns.saturating_sub(e.cpu_ns);
        n.untimed = n.untimed.saturating_sub(e.untimed);
        n.mem = n.mem.since(&e.mem);
    }
    let mut tree = crate::data::Tree::default();
    tree.add(&nodes);
    let mut out = Profile {
        tree,
        memory: later.memory,
        cpu: later.cpu,
        sampling: later.sampling.max(earlier.sampling),
        overhead: later.overhead.since(&earlier.overhead),
        totals: later.totals.since(&earlier.totals),
        ..Profile::default()
    };
    for (site, dist) in &later.hists {
        out.hists.insert(*site, dist.clone());
    }
    for (site, dist) in &earlier.hists {
        let s = map_site(*site)?;
        let late = out
            .hists
            .get(&s)
            .ok_or_else(|| missing("a latency the earlier report has is not in the later one"))?;
        let left = late
            .since(dist)
            .ok_or_else(|| missing("a latency bucket went down"))?;
        out.hists.insert(s, left);
    }
    out.hists.retain(|_, d| !d.is_empty());
    for (site, f) in &later.futures {
        out.futures.insert(*site, *f);
    }
    for (site, f) in &earlier.futures {
        let s = map_site(*site)?;
        if let Some(late) = out.futures.get_mut(&s) {
            *late = late.since(f);
        }
    }
    out.futures.retain(|_, f| !f.is_empty());
    // Sized calls (`#[profile(size = ..)]`): the calls in between by size bucket, with the
    // later report's kept points (see `SizeSamples::window`).
    let mut early_sizes = HashMap::new();
    for (site, z) in &earlier.sizes {
        early_sizes.insert(map_site(*site)?, z);
    }
    for (site, z) in &later.sizes {
        let window = match early_sizes.remove(site) {
            Some(e) => z
                .window(e)
                .ok_or_else(|| missing("a function has fewer sized calls than before"))?,
            None => z.clone(),
        };
        if !window.is_empty() {
            out.sizes.insert(*site, window);
        }
    }
    if early_sizes.values().any(|z| !z.is_empty()) {
        return Err(missing(
            "sized calls of the earlier report are not in the later one",
        ));
    }
    Ok(out)
}
