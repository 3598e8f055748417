//! Writing profkit's JSON.

use std::collections::HashMap;
use std::sync::Arc;

use crate::collect::ClockKind;
use crate::data::ROOT_SITE;
use crate::model::Report;

use super::schema::{
    BodyJson, BodyMemoryJson, CompensationJson, EdgeJson, FORMAT, File, FunctionJson,
    FunctionMemoryJson, FuturesJson, HeapJson, SiteJson, SizeBucketJson, SnapshotJson, ThreadJson,
    VERSION,
};

type Key = (Arc<str>, u32, Arc<str>);

/// The site table of a file being written: every (file, line, name) the report mentions.
#[derive(Default)]
struct Sites {
    list: Vec<SiteJson>,
    ids: HashMap<Key, u32>,
}

impl Sites {
    fn id(&mut self, name: &Arc<str>, file: &Arc<str>, line: u32) -> u32 {
        let key = (file.clone(), line, name.clone());
        let next = self.list.len() as u32;
        *self.ids.entry(key).or_insert_with(|| {
            self.list.push(SiteJson {
                name: name.to_string(),
                file: file.to_string(),
                line,
            });
            next
        })
    }
}

fn clock_name(kind: ClockKind) -> String {
    match kind {
        ClockKind::ThreadCpu => "cpu",
        ClockKind::Manual => "manual",
        _ => "wall",
    }
    .to_owned()
}

fn body(report: &Report, sites: &mut Sites) -> BodyJson {
    let functions = report
        .functions
        .iter()
        .map(|f| FunctionJson {
            site: sites.id(&f.name, &f.file, f.line),
            ncalls: f.ncalls,
            primitive_calls: f.primitive_calls,
            tottime_ns: f.tottime_ns,
            cumtime_ns: f.cumtime_ns,
            callers: f
                .callers
                .iter()
                .map(|e| EdgeJson {
                    site: sites.id(&e.name, &e.file, e.line),
                    ncalls: e.ncalls,
                    primitive_calls: e.primitive_calls,
                    tottime_ns: e.tottime_ns,
                    cumtime_ns: e.cumtime_ns,
                    cpu_ns: e.cpu.map(|c| c.own),
                    cum_cpu_ns: e.cpu.map(|c| c.cum),
                })
                .collect(),
            latency: f
                .latency
                .as_ref()
                .map(|l| l.dist().points().iter().map(|&(v, c)| [v, c]).collect()),
            futures: f.futures.as_ref().map(|x| FuturesJson {
                completed: x.totals.completed,
                cancelled: x.totals.cancelled,
                polls: x.totals.polls,
                wall_ns: x.totals.wall_ns,
            }),
            memory: f.memory.as_ref().map(|m| FunctionMemoryJson {
                own: m.own.into(),
                cum: m.cum.into(),
            }),
            cpu_ns: f.cpu.map(|c| c.own),
            cum_cpu_ns: f.cpu.map(|c| c.cum),
            sizes: f.scaling.as_ref().map(|g| {
                g.samples
                    .buckets
                    .values()
                    .map(|b| SizeBucketJson {
                        count: b.count,
                        points: b
                            .points
                            .iter()
                            .map(|p| match p.mem {
                                None => vec![p.size, p.ns],
                                Some(m) => vec![p.size, p.ns, m.allocs, m.bytes],
                            })
                            .collect(),
                    })
                    .collect()
            }),
        })
        .collect();
    let memory = report.has_memory();
    let cpu = report.profile.cpu;
    let mut tree_cpu = Vec::new();
    let tree = report.has_tree().then(|| {
        let nodes = report.profile.tree.nodes();
        let shown = report.profile.tree.shown();
        // Index of each kept node in the file (0 = the root).
        let mut at: Vec<u64> = vec![0; nodes.len()];
        let mut out = Vec::new();
        let mut live = Vec::new();
        for (i, n) in nodes.iter().enumerate().skip(1) {
            if !shown[i] {
                continue;
            }
            let info = report.sites.get(n.site as usize);
            let site = match info {
                Some(s) if n.site != ROOT_SITE => sites.id(&s.name, &s.file, s.line),
                _ => sites.id(&Arc::from("<unknown>"), &Arc::from("~"), 0),
            };
            let mut row = vec![
                u64::from(site),
                at[n.parent as usize],
                u64::from(n.flags),
                n.calls,
                n.own_ns,
                n.incl_ns,
            ];
            if memory {
                let m = &n.mem;
                row.extend([m.allocs, m.bytes, m.frees, m.freed_bytes, m.peak_bytes]);
                live.push([m.live_allocs, m.live_bytes]);
            }
            out.push(row);
            if cpu {
                tree_cpu.push(n.cpu_ns);
            }
            at[i] = out.len() as u64;
        }
        (out, live)
    });
    let (tree, live) = match tree {
        Some((tree, live)) => (Some(tree), memory.then_some(live)),
        None => (None, None),
    };
    BodyJson {
        clocks: report.clocks.iter().map(|&c| clock_name(c)).collect(),
        functions,
        tree,
        memory: memory.then(|| BodyMemoryJson {
            outside: report.profile.tree.nodes()[0].mem.into(),
            overhead: report.profile.overhead.into(),
            totals: report.profile.totals.into(),
        }),
        tree_cpu_ns: (cpu && report.has_tree()).then_some(tree_cpu),
        live,
        sampling: report.profile.sampling,
    }
}

/// The report as profkit's JSON (see [`Report::to_json`]).
pub(super) fn to_json(report: &Report) -> String {
    let mut sites = Sites::default();
    let main = body(report, &mut sites);
    let threads = report
        .threads
        .iter()
        .map(|t| ThreadJson {
            name: t.name.to_string(),
            body: body(&t.report, &mut sites),
        })
        .collect();
    let file = File {
        format: FORMAT.to_owned(),
        version: VERSION,
        program: report.meta.program.as_deref().map(str::to_owned),
        started_unix_ns: report.meta.started_unix_ns,
        duration_ns: report.meta.duration_ns,
        heap: report
            .meta
            .heap_now
            .map(|(current_bytes, peak_bytes)| HeapJson {
                current_bytes,
                peak_bytes,
            }),
        max_rss_bytes: report.meta.max_rss_bytes,
        compensation: report.meta.compensation.map(|c| CompensationJson {
            own_ps: c.own_ps,
            caller_ps: c.caller_ps,
            untimed_ps: c.untimed_ps,
            sampled_own_ps: c.sampled_own_ps,
        }),
        process: report.meta.origin.map(|o| o.process),
        sequence: report.meta.origin.map(|o| o.sequence),
        resets: report.meta.origin.map(|o| o.resets),
        snapshots: (!report.meta.snapshots.is_empty()).then(|| {
            report
                .meta
                .snapshots
                .iter()
                .map(|s| SnapshotJson {
                    at_ns: s.at_ns,
                    live: s.live.iter().map(|(n, b)| (n.to_string(), *b)).collect(),
                })
                .collect()
        }),
        sites: sites.list,
        body: main,
        threads,
    };
    // Serialising plain structs of strings and integers into a String cannot fail.
    let mut text = serde_json::to_string(&file).unwrap_or_default();
    text.push('\n');
    text
}
