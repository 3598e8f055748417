//! pprof files (cargo feature `pprof`): the gzipped protobuf `Profile` of google/pprof's
//! `profile.proto`, which `go tool pprof`, Pyroscope, Grafana and Polar Signals read.
//!
//! The messages are generated from `profile.proto` (kept beside this file, unchanged from
//! google/pprof, as the contract) by prost-build and checked in as `profile.rs`, so that a build
//! needs no `protoc`; `tests/pprof_proto.rs` regenerates them in pure Rust and fails when the
//! checked-in file differs.
//!
//! One sample per call path of the report's tree (per thread name, with a `thread` label, when
//! the report's threads add up to it), its stack the path's functions leaf first, its values
//! the [`columns`]: the calls that ended on the path and their own time in nanoseconds. pprof
//! sums a sample into every function on its stack once, so its `flat` is profkit's tottime and
//! its `cum` profkit's cumtime (recursion counted once) — the same table.

// Generated code: its docs are the .proto's comments.
#[allow(missing_docs, unreachable_pub, clippy::all, rustdoc::all)]
mod profile;

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use flate2::Compression;
use flate2::write::GzEncoder;
use prost::Message;

use crate::collect::{ClockKind, SiteInfo};
use crate::data::FoldedNode;
use crate::error::WriteError;
use crate::model::Report;

use super::io::write_atomic;

/// Location ids a file may hold in all its stacks (each sample lists its whole path): a call
/// tree deeper than this (a recursion thousands of calls deep, with a node per depth) would
/// make a file of gigabytes, which is refused rather than written.
const MAX_STACK_ENTRIES: u64 = 1 << 26;

/// One value of every sample: its pprof type and unit, and how a call path gives it.
///
/// The first is the count of events, as `profile.proto` asks; with memory figures come
/// `alloc_objects`/`count` and `alloc_space`/`bytes` (each path's own allocations, the names
/// Go's heap profiles use) and `inuse_objects`/`inuse_space` (the path's blocks not freed
/// yet); with CPU figures, last, `cpu`/`nanoseconds` (each path's own CPU time). Readers pick
/// one with `-sample_index`.
struct Column {
    kind: &'static str,
    unit: &'static str,
    value: fn(&FoldedNode) -> i64,
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The values of this report's samples; the time column is named after the clock (`wall`,
/// `cpu`; `time` for a test clock or mixed clocks).
fn columns(report: &Report) -> Vec<Column> {
    let time = match report.clock() {
        Some(ClockKind::Wall) => "wall",
        Some(ClockKind::ThreadCpu) => "cpu",
        _ => "time",
    };
    let mut columns = vec![
        Column {
            kind: "calls",
            unit: "count",
            value: |n| to_i64(n.calls),
        },
        Column {
            kind: time,
            unit: "nanoseconds",
            value: |n| to_i64(n.own_ns),
        },
    ];
    if report.has_memory() {
        columns.extend([
            Column {
                kind: "alloc_objects",
                unit: "count",
                value: |n| to_i64(n.mem.allocs),
            },
            Column {
                kind: "alloc_space",
                unit: "bytes",
                value: |n| to_i64(n.mem.bytes),
            },
            // Go's heap profile's names: blocks allocated on the path not freed yet.
            Column {
                kind: "inuse_objects",
                unit: "count",
                value: |n| n.mem.live_allocs,
            },
            Column {
                kind: "inuse_space",
                unit: "bytes",
                value: |n| n.mem.live_bytes,
            },
        ]);
    }
    if report.has_cpu() {
        // Sampled CPU time beside the time column (last, so the time stays the default).
        columns.push(Column {
            kind: if time == "cpu" { "sampled_cpu" } else { "cpu" },
            unit: "nanoseconds",
            value: |n| to_i64(n.cpu_ns),
        });
    }
    columns
}

/// The heap activity that belongs to no profiled call, as samples of their own: outside
/// profiled calls, and profkit's own bookkeeping (so that `-sample_index=alloc_space` adds up
/// to the allocator's totals).
fn memory_rows(report: &Report) -> Vec<(&'static str, FoldedNode)> {
    if !report.has_memory() {
        return Vec::new();
    }
    let outside = report.profile.tree.nodes()[0].mem;
    let overhead = report.profile.overhead;
    [
        ("(outside profiled calls)", outside),
        ("(profkit bookkeeping)", overhead),
    ]
    .into_iter()
    .filter(|(_, m)| !m.is_empty())
    .map(|(name, mem)| {
        (
            name,
            FoldedNode {
                mem,
                ..FoldedNode::default()
            },
        )
    })
    .collect()
}

/// The string table: index 0 is "", every string once.
#[derive(Default)]
struct Strings {
    table: Vec<String>,
    index: HashMap<String, i64>,
}

impl Strings {
    fn new() -> Strings {
        let mut s = Strings::default();
        s.get("");
        s
    }

    fn get(&mut self, text: &str) -> i64 {
        if let Some(&i) = self.index.get(text) {
            return i;
        }
        let i = self.table.len() as i64;
        self.table.push(text.to_owned());
        self.index.insert(text.to_owned(), i);
        i
    }
}

/// Functions and their locations (one each: a profkit function has one line), by
/// (name, file, line), so that the trees of several threads share them.
#[derive(Default)]
struct Functions {
    ids: HashMap<(Arc<str>, Arc<str>, u32), u64>,
    functions: Vec<profile::Function>,
    locations: Vec<profile::Location>,
}

impl Functions {
    fn location(&mut self, site: &SiteInfo, strings: &mut Strings) -> u64 {
        let key = (site.name.clone(), site.file.clone(), site.line);
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.functions.len() as u64 + 1;
        let name = strings.get(&site.name);
        self.functions.push(profile::Function {
            id,
            name,
            // Empty: pprof treats a name equal to its system name as not yet demangled and
            // "simplifies" it as C++, cutting `<..>` and `(..)` out of Rust paths such as
            // `<app::Disk as app::Store>::get`. A different system name keeps it whole.
            system_name: 0,
            filename: strings.get(&site.file),
            start_line: i64::from(site.line),
        });
        self.locations.push(profile::Location {
            id,
            mapping_id: 1,
            address: 0,
            line: vec![profile::Line {
                function_id: id,
                line: i64::from(site.line),
                column: 0,
            }],
            is_folded: false,
        });
        self.ids.insert(key, id);
        id
    }
}

/// The sum of the stack lengths of the samples of `nodes` (each node's depth).
fn stack_entries(nodes: &[FoldedNode]) -> u64 {
    nodes
        .iter()
        .skip(1)
        .fold(0u64, |total, n| total.saturating_add(u64::from(n.depth)))
}

impl Report {
    /// The report as a pprof profile: gzipped protobuf, as `go tool pprof`, Pyroscope, Grafana
    /// and Polar Signals read it (cargo feature `pprof`).
    ///
    /// One sample per call path, its stack the path's functions (leaf first), with two values:
    /// `calls` (`count`), the calls that ended on the path, and the time the functions spent
    /// there themselves in nanoseconds, named after the clock (`wall`, `cpu`, or `time` for a
    /// test clock), the default; when the report has memory figures, also `alloc_objects` and
    /// `alloc_space` (the path's own allocations and bytes) and `inuse_objects` and
    /// `inuse_space` (its blocks not freed yet: `go tool pprof -sample_index=inuse_space -base
    /// old.pb.gz new.pb.gz` shows what grew between two reports), with two more samples for the
    /// heap activity outside profiled calls and of profkit's bookkeeping, so that
    /// `-sample_index=alloc_space` adds up to the allocator's total; when it has CPU figures,
    /// also `cpu` (the path's own CPU time; `-sample_index=cpu`).
    /// `go tool pprof -top` shows profkit's tottime as `flat`
    /// and its cumtime as `cum`; `-sample_index=calls` shows the call counts. When the report
    /// has per-thread reports that add up to it, each thread name's paths are separate
    /// samples with a `thread` label (`-tagfocus thread=worker`). Functions carry their file
    /// and line.
    ///
    /// # Errors
    /// An [`io::Error`] of kind `InvalidData` when the report has functions but no call
    /// paths (read from a pstats file), or a call tree so deep that its stacks would hold
    /// more than 67 million frames.
    ///
    /// ```
    /// # #[profkit::profile] fn child() { std::hint::black_box(0); }
    /// # #[profkit::profile] fn parent() { child() }
    /// let (_, report) = profkit::record(parent);
    /// let pprof = report.to_pprof().unwrap();
    /// assert_eq!(&pprof[..2], b"\x1f\x8b"); // gzip
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "pprof")))]
    pub fn to_pprof(&self) -> io::Result<Vec<u8>> {
        let message = self.pprof_message()?;
        // Go's own profiles are written at gzip's best speed too: most of the time is in
        // compression, and level 6 makes files only a little smaller.
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(&message.encode_to_vec())?;
        gz.finish()
    }

    /// Writes [`Report::to_pprof`] to `path`, atomically (cargo feature `pprof`). The
    /// extension `.pb.gz` (or `.pprof`) makes [`Report::write`] and `PROFKIT_OUT` choose it.
    ///
    /// # Errors
    /// [`WriteError`](crate::WriteError) names the path and why: no call paths, or the
    /// operating system's reason.
    ///
    /// ```
    /// # #[profkit::profile] fn step() { std::hint::black_box(0); }
    /// let (_, report) = profkit::record(step);
    /// let path = std::env::temp_dir().join(format!("profkit-doc-pprof-{}.pb.gz", std::process::id()));
    /// report.write_pprof(&path).unwrap();
    /// assert!(std::fs::metadata(&path).unwrap().len() > 0);
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "pprof")))]
    pub fn write_pprof(&self, path: impl AsRef<Path>) -> Result<(), WriteError> {
        let path = path.as_ref();
        let bytes = self.to_pprof().map_err(|e| WriteError::new(path, e))?;
        write_atomic(path, &bytes)
    }

    fn pprof_message(&self) -> io::Result<profile::Profile> {
        if !self.has_tree() && !self.functions.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "pprof needs call paths, and this report has none (a report read from a \
                 pstats file keeps only functions and their callers)",
            ));
        }
        // Per thread name when the threads add up to the whole, so that labels are exact.
        let per_thread = !self.threads.is_empty() && {
            let sum = |nodes: &[crate::data::TreeNode]| {
                nodes.iter().fold((0u64, 0u64), |(c, t), n| {
                    (c.saturating_add(n.calls), t.saturating_add(n.own_ns))
                })
            };
            let whole = sum(self.profile.tree.nodes());
            let parts = self.threads.iter().fold((0u64, 0u64), |(c, t), th| {
                let (tc, tt) = sum(th.report.profile.tree.nodes());
                (c.saturating_add(tc), t.saturating_add(tt))
            });
            whole == parts
        };
        // Recursion folded as in the folded stacks and flame graphs (a call of a function
        // already open on its path is merged into that frame): pprof's flat and cum are the
        // same, and a 100,000-deep recursion is one short stack, not 100,000 ever longer ones.
        let trees: Vec<(Option<&str>, &Report, Vec<FoldedNode>)> = if per_thread {
            self.threads
                .iter()
                .map(|t| {
                    let nodes = t.report.profile.tree.collapsed().nodes;
                    (Some(&*t.name), &t.report, nodes)
                })
                .collect()
        } else {
            vec![(None, self, self.profile.tree.collapsed().nodes)]
        };
        let entries = trees.iter().fold(0u64, |acc, (_, _, nodes)| {
            acc.saturating_add(stack_entries(nodes))
        });
        if entries > MAX_STACK_ENTRIES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the call tree is too deep for pprof: its stacks would hold {entries} \
                     frames (the limit is {MAX_STACK_ENTRIES}); use .json or .folded"
                ),
            ));
        }

        let mut strings = Strings::new();
        let columns = columns(self);
        let sample_type: Vec<profile::ValueType> = columns
            .iter()
            .map(|c| profile::ValueType {
                r#type: strings.get(c.kind),
                unit: strings.get(c.unit),
            })
            .collect();
        let mut functions = Functions::default();
        let mut samples = Vec::new();
        let thread_key = strings.get("thread");
        for (thread, report, nodes) in trees {
            let label: Vec<profile::Label> = thread
                .map(|name| profile::Label {
                    key: thread_key,
                    str: strings.get(name),
                    num: 0,
                    num_unit: 0,
                })
                .into_iter()
                .collect();
            // Location ids by this report's site ids, found once per site.
            let mut by_site: Vec<Option<u64>> = vec![None; report.sites.len()];
            let mut location = |site: u32, functions: &mut Functions, strings: &mut Strings| {
                if let Some(Some(id)) = by_site.get(site as usize) {
                    return *id;
                }
                let info = report
                    .sites
                    .get(site as usize)
                    .cloned()
                    .unwrap_or_else(SiteInfo::root);
                let id = functions.location(&info, strings);
                if let Some(slot) = by_site.get_mut(site as usize) {
                    *slot = Some(id);
                }
                id
            };
            for node in nodes.iter().skip(1) {
                let value: Vec<i64> = columns.iter().map(|c| (c.value)(node)).collect();
                if value.iter().all(|&v| v == 0) {
                    continue;
                }
                let mut stack = Vec::new();
                let mut at = node;
                // Parents precede their children, so the walk ends; the bound is for a tree
                // that breaks that rule.
                while at.depth > 0 && stack.len() < nodes.len() {
                    stack.push(location(at.site, &mut functions, &mut strings));
                    match nodes.get(at.parent as usize) {
                        Some(parent) => at = parent,
                        None => break,
                    }
                }
                samples.push(profile::Sample {
                    location_id: stack,
                    value,
                    label: label.clone(),
                });
            }
        }
        for (name, node) in memory_rows(self) {
            let site = SiteInfo {
                name: Arc::from(name),
                file: Arc::from("~"),
                line: 0,
                site: None,
            };
            samples.push(profile::Sample {
                location_id: vec![functions.location(&site, &mut strings)],
                value: columns.iter().map(|c| (c.value)(&node)).collect(),
                label: Vec::new(),
            });
        }
        let program = self.program().unwrap_or("profkit");
        let mapping = profile::Mapping {
            id: 1,
            filename: strings.get(program),
            has_functions: true,
            has_filenames: true,
            has_line_numbers: true,
            ..profile::Mapping::default()
        };
        let time_type = sample_type.get(1).map_or(0, |t| t.r#type);
        let mut comment = vec![strings.get("profkit: one sample per call path")];
        if let Some(rate) = self.sampling() {
            // Sampled timing: the times are estimates, the counts exact.
            comment.push(strings.get(&format!(
                "profkit: sampled timing: about 1 call in {rate} timed; times estimated, counts exact"
            )));
        }
        let nanos = |d: std::time::Duration| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
        Ok(profile::Profile {
            period_type: sample_type.get(1).cloned(),
            period: 1,
            sample_type,
            sample: samples,
            mapping: vec![mapping],
            location: functions.locations,
            function: functions.functions,
            time_nanos: self
                .started()
                .and_then(|s| s.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, nanos),
            duration_nanos: self.duration().map_or(0, nanos),
            comment,
            default_sample_type: time_type,
            string_table: strings.table,
            ..profile::Profile::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_string_table_starts_empty_and_holds_each_string_once() {
        let mut s = Strings::new();
        assert_eq!(s.get("a"), 1);
        assert_eq!(s.get(""), 0);
        assert_eq!(s.get("a"), 1);
        assert_eq!(s.table, ["", "a"]);
    }

    #[test]
    fn stack_entries_are_the_sum_of_depths() {
        let node = |depth| FoldedNode {
            site: 1,
            depth,
            ..FoldedNode::default()
        };
        // root, a (1), a->b (2), a->b->c (3), d (1)
        let nodes = [FoldedNode::default(), node(1), node(2), node(3), node(1)];
        assert_eq!(stack_entries(&nodes), 7);
    }
}
