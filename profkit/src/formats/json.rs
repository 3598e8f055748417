//! profkit's JSON format: everything a [`Report`] holds, in a versioned schema that reads back
//! into an equal report. The schema is documented on [`Report::to_json`]; the structs below are
//! that schema and nothing else (a change to them is a new `version`).

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::collect::{ClockKind, FutureTotals, SiteInfo};
use crate::data::{Dist, Profile, ROOT_SITE, Tree, TreeNode, new_histogram};
use crate::error::ReadError;
use crate::error::WriteError;
use crate::model::{
    EdgeStats, FunctionStats, FutureStats, Latency, Meta, Report, ThreadReport, link_callees,
};

use super::io::write_atomic;

/// The `format` field of every profkit JSON file.
const FORMAT: &str = "profkit";
/// The schema version this build writes and reads.
pub(crate) const VERSION: u64 = 1;

#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    version: Option<u64>,
}

#[derive(Serialize, Deserialize)]
struct FileV1 {
    format: String,
    version: u64,
    program: Option<String>,
    started_unix_ns: Option<u64>,
    duration_ns: Option<u64>,
    sites: Vec<SiteJson>,
    #[serde(flatten)]
    body: BodyJson,
    threads: Vec<ThreadJson>,
}

#[derive(Serialize, Deserialize)]
struct SiteJson {
    name: String,
    file: String,
    line: u32,
}

#[derive(Serialize, Deserialize)]
struct BodyJson {
    clocks: Vec<String>,
    functions: Vec<FunctionJson>,
    /// `[site, parent, flags, calls, own_ns, incl_ns]`; node `i` of the array is node `i + 1`
    /// of the tree, parent 0 is the root. `None`: a report without a call tree.
    tree: Option<Vec<[u64; 6]>>,
}

#[derive(Serialize, Deserialize)]
struct ThreadJson {
    name: String,
    #[serde(flatten)]
    body: BodyJson,
}

#[derive(Serialize, Deserialize)]
struct FunctionJson {
    site: u32,
    ncalls: u64,
    primitive_calls: u64,
    tottime_ns: u64,
    cumtime_ns: u64,
    callers: Vec<EdgeJson>,
    latency: Option<Vec<[u64; 2]>>,
    futures: Option<FuturesJson>,
}

#[derive(Serialize, Deserialize)]
struct EdgeJson {
    site: u32,
    ncalls: u64,
    primitive_calls: u64,
    tottime_ns: u64,
    cumtime_ns: u64,
}

#[derive(Serialize, Deserialize)]
struct FuturesJson {
    completed: u64,
    cancelled: u64,
    polls: u64,
    wall_ns: u64,
}

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
        })
        .collect();
    let tree = report.has_tree().then(|| {
        let nodes = report.profile.tree.nodes();
        let shown = report.profile.tree.shown();
        // Index of each kept node in the file (0 = the root).
        let mut at: Vec<u64> = vec![0; nodes.len()];
        let mut out = Vec::new();
        for (i, n) in nodes.iter().enumerate().skip(1) {
            if !shown[i] {
                continue;
            }
            let info = report.sites.get(n.site as usize);
            let site = match info {
                Some(s) if n.site != ROOT_SITE => sites.id(&s.name, &s.file, s.line),
                _ => sites.id(&Arc::from("<unknown>"), &Arc::from("~"), 0),
            };
            out.push([
                u64::from(site),
                at[n.parent as usize],
                u64::from(n.flags),
                n.calls,
                n.own_ns,
                n.incl_ns,
            ]);
            at[i] = out.len() as u64;
        }
        out
    });
    BodyJson {
        clocks: report.clocks.iter().map(|&c| clock_name(c)).collect(),
        functions,
        tree,
    }
}

/// The report as profkit's JSON (see [`Report::to_json`]).
pub(crate) fn to_json(report: &Report) -> String {
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
    let file = FileV1 {
        format: FORMAT.to_owned(),
        version: VERSION,
        program: report.meta.program.as_deref().map(str::to_owned),
        started_unix_ns: report.meta.started_unix_ns,
        duration_ns: report.meta.duration_ns,
        sites: sites.list,
        body: main,
        threads,
    };
    // Serialising plain structs of strings and integers into a String cannot fail.
    let mut text = serde_json::to_string(&file).unwrap_or_default();
    text.push('\n');
    text
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
pub(crate) fn from_json(bytes: &[u8]) -> Result<Report, ReadError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ReadError::at(
            0,
            "the file is empty: a profkit JSON file is an object",
        ));
    }
    // One pass in the common case; when the body does not fit version 1, the header says
    // whether the file is another format or version before the body's own error is given.
    let file: FileV1 = match serde_json::from_slice(bytes) {
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
    };
    Ok(report)
}

/// The file is profkit's, in the schema version this build reads.
fn check_header(format: Option<&str>, version: Option<u64>) -> Result<(), ReadError> {
    match (format, version) {
        (Some(FORMAT), Some(VERSION)) => {}
        (Some(FORMAT), Some(v)) => {
            return Err(ReadError::new(format!(
                "schema version {v} is not one this profkit reads (it reads version {VERSION})"
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
                });
            }
            functions.push(FunctionStats {
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
                futures: f.futures.as_ref().map(|x| FutureStats {
                    totals: FutureTotals {
                        completed: x.completed,
                        cancelled: x.cancelled,
                        polls: x.polls,
                        wall_ns: x.wall_ns,
                        latency: None,
                    },
                }),
                latency: latency_of(f).filter(|d| !d.is_empty()).map(Latency::new),
            });
        }
        link_callees(&mut functions);
        functions.sort_by(|a, b| a.key().cmp(&b.key()));
        let mut report = Report::from_functions(functions);
        report.threads = threads;
        report.clocks = clocks;
        return Ok(report);
    };
    let mut nodes = Vec::with_capacity(tree.len() + 1);
    nodes.push(TreeNode {
        site: ROOT_SITE,
        ..TreeNode::default()
    });
    for (i, &[s, parent, flags, calls, own_ns, incl_ns]) in tree.iter().enumerate() {
        let what = format!("tree[{i}]");
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
        });
    }
    let mut t = Tree::default();
    t.add(&nodes);
    let mut profile = Profile {
        tree: t,
        ..Profile::default()
    };
    let mut futures: Vec<FutureTotals> = vec![FutureTotals::default(); sites.len()];
    for (i, f) in body.functions.iter().enumerate() {
        let s = site(f.site, &format!("functions[{i}]"))?;
        let dist = latency_of(f).unwrap_or_default();
        match &f.futures {
            // An async fn's latency is its futures' wall times, kept with the futures.
            Some(x) => {
                let mut latency = new_histogram();
                for &(v, c) in dist.points() {
                    let _ = latency.record_n(v.max(1), c);
                }
                futures[s as usize] = FutureTotals {
                    completed: x.completed,
                    cancelled: x.cancelled,
                    polls: x.polls,
                    wall_ns: x.wall_ns,
                    latency: (!dist.is_empty()).then_some(latency),
                };
            }
            None if !dist.is_empty() => {
                profile.hists.insert(s, dist);
            }
            None => {}
        }
    }
    let report = Report::build(profile, sites.clone(), futures.into(), threads, clocks);
    check_rows(&report, body, sites, within)?;
    Ok(report)
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
        if !edges_match {
            return Err(ReadError::new(format!(
                "{within}: functions[{i}] ({}): the callers listed are not the call tree's",
                s.name
            )));
        }
    }
    Ok(())
}

impl Report {
    /// The report as JSON, in profkit's versioned schema: everything the report holds, so that
    /// [`Report::from_json_bytes`] (or [`Report::read`]) gives back an equal report.
    ///
    /// Schema version 1 (every time in nanoseconds, every count an integer):
    ///
    /// ```text
    /// {
    ///   "format": "profkit", "version": 1,
    ///   "program": "server" | null,         // the executable's file name
    ///   "started_unix_ns": 1790000000000000000 | null,
    ///   "duration_ns": 2000000000 | null,   // from the start (or reset) to the report
    ///   "sites": [{"name": "app::db::fetch_row", "file": "src/db.rs", "line": 12}, ...],
    ///   "clocks": ["wall"],                 // "wall", "cpu" or "manual"; two: mixed
    ///   "functions": [{                     // one per pstats row
    ///     "site": 0,                        // index into "sites"
    ///     "ncalls": 1973, "primitive_calls": 1, "tottime_ns": 5120, "cumtime_ns": 9011,
    ///     "callers": [{"site": 3, "ncalls": 1, "primitive_calls": 1,
    ///                  "tottime_ns": 3, "cumtime_ns": 9}],
    ///     "latency": [[value_ns, count], ...] | null,   // every recorded duration bucket
    ///     "futures": {"completed": 1, "cancelled": 0, "polls": 3, "wall_ns": 900} | null
    ///   }, ...],
    ///   "tree": [[site, parent, flags, calls, own_ns, incl_ns], ...] | null,
    ///   "threads": [{"name": "main", "clocks": [...], "functions": [...], "tree": [...]}]
    /// }
    /// ```
    ///
    /// `tree` lists the call paths: entry `i` is node `i + 1`, `parent` 0 is the root (no
    /// profiled caller) and a parent always comes first; `flags` bit 1 marks calls that were
    /// the outermost of their function, bit 2 the outermost of their caller -> callee pair. A
    /// report read from a pstats file has no tree (`null`); with a tree, the rows are derived
    /// from it when the file is read, and a file whose listed rows disagree with its tree is
    /// refused (a generated file may list no rows at all and let the tree give them; it then
    /// has no latency). Callees are not stored: they
    /// are the callers seen from the other end. `latency` holds, for each bucket of the
    /// recording threads (1/64 of the value wide), its value and count: the exact distribution
    /// profkit has. JSON numbers here are 64-bit integers; readers limited to doubles (JavaScript)
    /// lose precision above 2^53 ns (104 days).
    ///
    /// ```
    /// # #[profkit::profile] fn step() {}
    /// let (_, report) = profkit::record(|| { step(); step() });
    /// let json = report.to_json();
    /// assert!(json.starts_with(r#"{"format":"profkit","version":1,"#));
    /// assert_eq!(profkit::Report::from_json_bytes(json.as_bytes()).unwrap(), report);
    /// ```
    pub fn to_json(&self) -> String {
        to_json(self)
    }

    /// Writes [`Report::to_json`] to `path`, atomically.
    ///
    /// # Errors
    /// [`WriteError`](crate::WriteError) names the path and the operating system's reason.
    ///
    /// ```
    /// # #[profkit::profile] fn step() {}
    /// let (_, report) = profkit::record(step);
    /// let path = std::env::temp_dir().join(format!("profkit-doc-json-{}.json", std::process::id()));
    /// report.write_json(&path).unwrap();
    /// assert_eq!(profkit::Report::read(&path).unwrap(), report);
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn write_json(&self, path: impl AsRef<std::path::Path>) -> Result<(), WriteError> {
        write_atomic(path.as_ref(), self.to_json().as_bytes())
    }

    /// Reads profkit's JSON (see [`Report::to_json`]).
    ///
    /// # Errors
    /// [`ReadError`] with the line and column where the JSON is wrong and what was expected,
    /// or what is missing (`format`, a known `version`, a site a function names).
    ///
    /// ```
    /// let err = profkit::Report::from_json_bytes(br#"{"format": "profkit", "version": 99}"#).unwrap_err();
    /// assert!(err.to_string().contains("version 99"));
    /// ```
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Report, ReadError> {
        from_json(bytes)
    }
}
