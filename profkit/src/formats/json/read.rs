//! Reading profkit's JSON (versions 1 to 3), checking a file's rows against its call tree.

use std::collections::HashMap;
use std::sync::Arc;

use crate::collect::{ClockKind, SiteInfo};
use crate::data::{
    CallMem, Dist, FutureCounts, MemCounts, PerCall, Profile, ROOT_SITE, SizeBucket, SizePoint,
    SizeSamples, Tree, TreeNode, bucket_of,
};
use crate::error::ReadError;
use crate::model::{
    CpuNs, EdgeStats, FunctionStats, FutureStats, Latency, MemoryStats, Meta, Origin, Report,
    Scaling, Snapshot, ThreadReport, link_callees,
};

use super::schema::{BodyJson, FORMAT, File, FunctionJson, FuturesJson, Header, READS, VERSION};

/// A function's sized calls (version 3), `None` when it has none. Each point goes to the
/// bucket of its size (a hand-made file may put it in another) and counts one call; the
/// bucket's other calls count with its first point. A bucket without points has nothing to
/// place and is left out; one with more points than a report keeps is thinned. A point is
/// `[size, ns]`, or `[size, ns, allocations, bytes]` when the call's allocations were
/// recorded; another length is an error naming the point (`what`: the function).
fn sizes_of(f: &FunctionJson, what: &str) -> Result<Option<SizeSamples>, ReadError> {
    let Some(buckets) = f.sizes.as_deref() else {
        return Ok(None);
    };
    let mut samples = SizeSamples::default();
    for (j, b) in buckets.iter().enumerate() {
        let extra = b.count.saturating_sub(b.points.len() as u64);
        for (i, point) in b.points.iter().enumerate() {
            let p = match point[..] {
                [size, ns] => SizePoint {
                    size,
                    ns,
                    mem: None,
                },
                [size, ns, allocs, bytes] => SizePoint {
                    size,
                    ns,
                    mem: Some(CallMem { allocs, bytes }),
                },
                _ => {
                    return Err(ReadError::new(format!(
                        "{what}.sizes[{j}].points[{i}] has {} numbers: a sized call is \
                         [size, ns] or [size, ns, allocations, bytes]",
                        point.len()
                    )));
                }
            };
            let mut one = SizeSamples::default();
            one.buckets.insert(
                bucket_of(p.size) as u8,
                SizeBucket {
                    count: if i == 0 { extra.saturating_add(1) } else { 1 },
                    points: vec![p],
                },
            );
            samples.merge(&one);
        }
    }
    Ok((!samples.is_empty()).then_some(samples))
}

fn counts(x: &FuturesJson) -> FutureCounts {
    FutureCounts {
        completed: x.completed,
        cancelled: x.cancelled,
        polls: x.polls,
        wall_ns: x.wall_ns,
    }
}

fn json_error(e: &serde_json::Error) -> ReadError {
    use serde_json::error::Category;
    let message = match e.classify() {
        Category::Eof => "the file ends early (truncated JSON)".to_owned(),
        Category::Syntax => format!("not valid JSON: {e}"),
        Category::Data => format!("not a profkit profile: {e}"),
        Category::Io => e.to_string(),
    };
    // serde_json appends " at line L column C"; the location is given separately.
    let message = match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    };
    ReadError::at_line(e.line(), e.column(), message)
}

/// Reads profkit's JSON.
pub(super) fn from_json(bytes: &[u8]) -> Result<Report, ReadError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ReadError::at(
            0,
            "the file is empty: a profkit JSON file is an object",
        ));
    }
    // One pass in the common case; when the body does not fit the schema, the header says
    // whether the file is another format or version before the body's own error is given.
    let file: File = match serde_json::from_slice(bytes) {
        Ok(file) => file,
        Err(e) => {
            if let Ok(header) = serde_json::from_slice::<Header>(bytes) {
                check_header(header.format.as_deref(), header.version)?;
            }
            return Err(json_error(&e));
        }
    };
    check_header(Some(&file.format), Some(file.version))?;
    let sites: Vec<SiteInfo> = std::iter::once(SiteInfo::root())
        .chain(file.sites.iter().map(|s| SiteInfo {
            name: Arc::from(s.name.as_str()),
            file: Arc::from(s.file.as_str()),
            line: s.line,
            site: None,
        }))
        .collect();
    let sites: Arc<[SiteInfo]> = sites.into();
    let threads = file
        .threads
        .iter()
        .map(|t| {
            Ok(ThreadReport {
                name: Arc::from(t.name.as_str()),
                report: rebuild(&t.body, &sites, Vec::new(), &format!("thread {:?}", t.name))?,
            })
        })
        .collect::<Result<Vec<_>, ReadError>>()?;
    let mut report = rebuild(&file.body, &sites, threads, "the report")?;
    report.meta = Meta {
        program: file.program.map(Arc::from),
        started_unix_ns: file.started_unix_ns,
        duration_ns: file.duration_ns,
        heap_now: file.heap.map(|h| (h.current_bytes, h.peak_bytes)),
        untracked_live: None,
        max_rss_bytes: file.max_rss_bytes,
        compensation: file.compensation.map(|c| PerCall {
            own_ps: c.own_ps,
            caller_ps: c.caller_ps,
            untimed_ps: c.untimed_ps,
            sampled_own_ps: c.sampled_own_ps,
        }),
        origin: match (file.process, file.sequence) {
            (Some(process), Some(sequence)) => Some(Origin {
                process,
                sequence,
                resets: file.resets.unwrap_or(0),
            }),
            _ => None,
        },
        snapshots: file
            .snapshots
            .unwrap_or_default()
            .into_iter()
            .map(|s| Snapshot {
                at_ns: s.at_ns,
                live: s.live.into_iter().map(|(n, b)| (Arc::from(n), b)).collect(),
            })
            .collect(),
    };
    Ok(report)
}

/// The sampling rate of a body (version 3, optional); a rate of 0 or 1 means every call was
/// timed.
fn sampling_of(body: &BodyJson) -> Option<u32> {
    body.sampling.filter(|&rate| rate > 1)
}

/// The file is profkit's, in the schema version this build reads.
fn check_header(format: Option<&str>, version: Option<u64>) -> Result<(), ReadError> {
    match (format, version) {
        (Some(FORMAT), Some(v)) if READS.contains(&v) => {}
        (Some(FORMAT), Some(v)) => {
            return Err(ReadError::new(format!(
                "schema version {v} is not one this profkit reads (it reads versions 1 to \
                 {VERSION})"
            )));
        }
        (Some(FORMAT), None) => return Err(ReadError::new("no \"version\" field")),
        (Some(other), _) => {
            return Err(ReadError::new(format!(
                "\"format\" is {other:?}, not \"profkit\": not a profkit profile"
            )));
        }
        (None, _) => {
            return Err(ReadError::new(
                "no \"format\": \"profkit\" field: not a profkit profile",
            ));
        }
    }
    Ok(())
}

fn parse_clock(name: &str, within: &str) -> Result<ClockKind, ReadError> {
    match name {
        "wall" => Ok(ClockKind::Wall),
        "cpu" => Ok(ClockKind::ThreadCpu),
        "manual" => Ok(ClockKind::Manual),
        other => Err(ReadError::new(format!(
            "{within}: unknown clock {other:?} (the clocks are \"wall\", \"cpu\" and \"manual\")"
        ))),
    }
}

/// One report (the whole, or one thread's) from its part of the file.
fn rebuild(
    body: &BodyJson,
    sites: &Arc<[SiteInfo]>,
    threads: Vec<ThreadReport>,
    within: &str,
) -> Result<Report, ReadError> {
    let site = |id: u32, what: &str| -> Result<u32, ReadError> {
        let internal = id.checked_add(1).filter(|&s| (s as usize) < sites.len());
        internal.ok_or_else(|| {
            ReadError::new(format!(
                "{within}: {what} names site {id}, but there are {} sites",
                sites.len() - 1
            ))
        })
    };
    let clocks = body
        .clocks
        .iter()
        .map(|c| parse_clock(c, within))
        .collect::<Result<Vec<_>, _>>()?;
    let latency_of = |f: &FunctionJson| {
        f.latency
            .as_ref()
            .map(|points| Dist::from_points(points.iter().map(|&[v, c]| (v, c)).collect()))
    };
    let Some(tree) = &body.tree else {
        // No call tree (a report read from a pstats file): the rows are the report.
        let mut functions = Vec::with_capacity(body.functions.len());
        for (i, f) in body.functions.iter().enumerate() {
            let s = &sites[site(f.site, &format!("functions[{i}]"))? as usize];
            let mut callers = Vec::with_capacity(f.callers.len());
            for e in &f.callers {
                let c = &sites[site(e.site, &format!("functions[{i}].callers"))? as usize];
                callers.push(EdgeStats {
                    name: c.name.clone(),
                    file: c.file.clone(),
                    line: c.line,
                    ncalls: e.ncalls,
                    primitive_calls: e.primitive_calls,
                    tottime_ns: e.tottime_ns,
                    cumtime_ns: e.cumtime_ns,
                    cpu: e
                        .cpu_ns
                        .zip(e.cum_cpu_ns)
                        .map(|(own, cum)| CpuNs { own, cum }),
                });
            }
            functions.push(FunctionStats {
                memory: f.memory.as_ref().map(|m| MemoryStats {
                    own: m.own.into(),
                    cum: m.cum.into(),
                }),
                site: u32::MAX,
                name: s.name.clone(),
                file: s.file.clone(),
                line: s.line,
                ncalls: f.ncalls,
                primitive_calls: f.primitive_calls,
                tottime_ns: f.tottime_ns,
                cumtime_ns: f.cumtime_ns,
                callers,
                callees: Vec::new(),
                futures: f
                    .futures
                    .as_ref()
                    .map(|x| FutureStats { totals: counts(x) }),
                latency: latency_of(f).filter(|d| !d.is_empty()).map(Latency::new),
                cpu: f
                    .cpu_ns
                    .zip(f.cum_cpu_ns)
                    .map(|(own, cum)| CpuNs { own, cum }),
                scaling: sizes_of(f, &format!("functions[{i}]"))?.map(Scaling::new),
            });
        }
        link_callees(&mut functions);
        functions.sort_by(|a, b| a.key().cmp(&b.key()));
        let mut report = Report::from_functions(functions);
        report.threads = threads;
        report.clocks = clocks;
        set_memory(&mut report.profile, body);
        report.profile.sampling = sampling_of(body);
        return Ok(report);
    };
    let mut nodes = Vec::with_capacity(tree.len() + 1);
    nodes.push(TreeNode {
        site: ROOT_SITE,
        ..TreeNode::default()
    });
    let width = if body.memory.is_some() { 11 } else { 6 };
    if let Some(live) = &body.live
        && live.len() != tree.len()
    {
        return Err(ReadError::new(format!(
            "{within}: \"live\" has {} rows, but the call tree {}",
            live.len(),
            tree.len()
        )));
    }
    // A file before version 3 has no live figures: none recorded.
    let live_of = |i: usize| -> [i64; 2] {
        body.live
            .as_ref()
            .and_then(|l| l.get(i).copied())
            .unwrap_or_default()
    };
    for (i, row) in tree.iter().enumerate() {
        let what = format!("tree[{i}]");
        if row.len() != width {
            return Err(ReadError::new(format!(
                "{within}: {what} has {} numbers; expected {width} ({})",
                row.len(),
                if width == 6 {
                    "site, parent, flags, calls, own_ns, incl_ns"
                } else {
                    "site, parent, flags, calls, own_ns, incl_ns, allocs, bytes, frees, \
                     freed_bytes, peak_bytes: the report has memory"
                }
            )));
        }
        let [s, parent, flags, calls, own_ns, incl_ns] = [0, 1, 2, 3, 4, 5].map(|k| row[k]);
        let mem = match row.get(6..11) {
            Some(&[allocs, bytes, frees, freed_bytes, peak_bytes]) => {
                let [live_allocs, live_bytes] = live_of(i);
                MemCounts {
                    allocs,
                    bytes,
                    frees,
                    freed_bytes,
                    peak_bytes,
                    live_allocs,
                    live_bytes,
                }
            }
            _ => MemCounts::default(),
        };
        let s = u32::try_from(s).unwrap_or(u32::MAX);
        if parent > i as u64 {
            return Err(ReadError::new(format!(
                "{within}: {what}: its parent {parent} does not come before it"
            )));
        }
        nodes.push(TreeNode {
            site: site(s, &what)?,
            parent: parent as u32,
            flags: u8::try_from(flags).map_err(|_| {
                ReadError::new(format!("{within}: {what}: flags {flags} are not a byte"))
            })?,
            calls,
            own_ns,
            incl_ns,
            // A file keeps estimated times (sampled timing); its calls count as timed.
            untimed: 0,
            mem,
            cpu_ns: 0,
        });
    }
    if let Some(cpu) = &body.tree_cpu_ns {
        if cpu.len() != tree.len() {
            return Err(ReadError::new(format!(
                "{within}: tree_cpu_ns has {} numbers; the tree has {} rows",
                cpu.len(),
                tree.len()
            )));
        }
        for (node, &ns) in nodes.iter_mut().skip(1).zip(cpu) {
            node.cpu_ns = ns;
        }
    }
    let mut t = Tree::default();
    t.add(&nodes);
    let mut profile = Profile {
        tree: t,
        cpu: body.tree_cpu_ns.is_some(),
        sampling: sampling_of(body),
        ..Profile::default()
    };
    set_memory(&mut profile, body);
    for (i, f) in body.functions.iter().enumerate() {
        let s = site(f.site, &format!("functions[{i}]"))?;
        if let Some(x) = &f.futures {
            profile.futures.insert(s, counts(x));
        }
        // Sync calls' durations, or an async fn's futures' wall times.
        if let Some(dist) = latency_of(f).filter(|d| !d.is_empty()) {
            profile.hists.insert(s, dist);
        }
        if let Some(sizes) = sizes_of(f, &format!("functions[{i}]"))? {
            profile.sizes.insert(s, sizes);
        }
    }
    let report = Report::build(profile, sites.clone(), threads, clocks);
    check_rows(&report, body, sites, within)?;
    Ok(report)
}

/// The memory rows that are not functions, when the body has memory.
fn set_memory(profile: &mut Profile, body: &BodyJson) {
    if let Some(m) = &body.memory {
        profile.memory = true;
        profile.tree.add_root_mem(&m.outside.into());
        profile.overhead = m.overhead.into();
        profile.totals = m.totals.into();
    }
}

/// The rows a file lists must be the ones its call tree gives: a file edited by hand (or
/// damaged) so that they disagree is refused rather than read as one or the other.
fn check_rows(
    report: &Report,
    body: &BodyJson,
    sites: &[SiteInfo],
    within: &str,
) -> Result<(), ReadError> {
    if body.functions.is_empty() {
        // Rows left out: the tree gives them (a file a tool generated).
        return Ok(());
    }
    if report.functions.len() != body.functions.len() {
        return Err(ReadError::new(format!(
            "{within}: {} functions are listed, but the call tree has {}",
            body.functions.len(),
            report.functions.len()
        )));
    }
    let index: HashMap<(&str, u32, &str), &FunctionStats> = report
        .functions
        .iter()
        .map(|f| ((&*f.file, f.line, &*f.name), f))
        .collect();
    for (i, f) in body.functions.iter().enumerate() {
        // Sites were checked when the report was rebuilt.
        let s = &sites[f.site as usize + 1];
        let Some(derived) = index.get(&(&*s.file, s.line, &*s.name)) else {
            return Err(ReadError::new(format!(
                "{within}: functions[{i}] ({}) is not in the call tree",
                s.name
            )));
        };
        let listed = [f.ncalls, f.primitive_calls, f.tottime_ns, f.cumtime_ns];
        let from_tree = [
            derived.ncalls,
            derived.primitive_calls,
            derived.tottime_ns,
            derived.cumtime_ns,
        ];
        let names = ["ncalls", "primitive_calls", "tottime_ns", "cumtime_ns"];
        for ((name, a), b) in names.iter().zip(listed).zip(from_tree) {
            if a != b {
                return Err(ReadError::new(format!(
                    "{within}: functions[{i}] ({}): {name} is {a}, but the call tree gives {b}",
                    s.name
                )));
            }
        }
        let edges_match = f.callers.len() == derived.callers.len()
            && f.callers.iter().zip(&derived.callers).all(|(e, d)| {
                let Some(c) = sites.get(e.site as usize + 1) else {
                    return false;
                };
                (&*c.file, c.line, &*c.name) == (&*d.file, d.line, &*d.name)
                    && [e.ncalls, e.primitive_calls, e.tottime_ns, e.cumtime_ns]
                        == [d.ncalls, d.primitive_calls, d.tottime_ns, d.cumtime_ns]
            });
        let memory_matches = match (&f.memory, &derived.memory) {
            (None, None) => true,
            (Some(m), Some(d)) => {
                MemoryStats {
                    own: m.own.into(),
                    cum: m.cum.into(),
                } == *d
            }
            _ => false,
        };
        if !memory_matches {
            return Err(ReadError::new(format!(
                "{within}: functions[{i}] ({}): the memory listed is not the call tree's",
                s.name
            )));
        }
        if !edges_match {
            return Err(ReadError::new(format!(
                "{within}: functions[{i}] ({}): the callers listed are not the call tree's",
                s.name
            )));
        }
    }
    Ok(())
}
