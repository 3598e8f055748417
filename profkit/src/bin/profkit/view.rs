//! `profkit view`: the pstats table (or callers, callees, call tree, latency percentiles, the
//! memory table) of one or more profile files, merged first.

use std::path::PathBuf;

use profkit::{FunctionStats, MemoryStats, Report, SortKey};
use serde_json::{Value, json};

use crate::input;
use crate::output::{EXIT_OK, Failure, Outcome, OutputFormat, emit, no_memory, secs};
use crate::what_if;

/// Print the table of one or more profiles (.json, .prof, Python cProfile dumps), merged.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  profkit view profile.json                      pstats table, by cumulative time
  profkit view a.prof b.prof --sort tottime --limit 20
  profkit view profile.json --filter 'db::' --callers
  profkit view profile.json --tree --depth 4
  profkit view profile.json --percentiles --sort max
  profkit view profile.json --what-if                the column 'if free' (Amdahl's ceiling)
  profkit view profile.json --what-if 'app::parse=5x'  the overall speedup if parse ran 5x faster
  profkit view profile.json --sort bytes         memory table (needs profkit::Alloc)
  profkit view profile.json --complexity         how each #[profile(size = ..)] function grows
  profkit view profile.json --complexity --svg growth.svg   ... and its log-log plots as SVG
  profkit view profile.json --full-names        full paths, not `<Value as Deserialize>::..`
  profkit view profile.json --format json | jq '.functions[0]'
  curl -s http://host/profile.json | profkit view -    - is standard input

Sort keys (pstats' names): cumulative (cumtime), tottime (time), calls (ncalls), pcalls,
name, filename (file, module), line, stdname, p99, max; memory: live_bytes (live),
cum_live_bytes, bytes, allocs, cum_bytes, peak (a memory key alone shows the memory table; on a profile without memory figures it is
an error, exit 2).
--filter and --limit apply in that order: the first N rows that match.")]
pub(crate) struct ViewArgs {
    /// Profile files (`-`: standard input); several are added together (pstats' Stats.add).
    // Checked in `run` rather than by clap, so that `view --what-if FILE` (the file taken as
    // the spec) gets the one line that says what happened.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Order of the rows [default: cumulative; p99 with --percentiles].
    #[arg(long, value_name = "KEY", value_parser = parse_sort)]
    sort: Option<SortKey>,
    /// Show only the first N rows.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Show only rows whose `file:line(function)` matches this regular expression (with the
    /// function's full name or the short one shown).
    #[arg(long, value_name = "PATTERN", conflicts_with = "percentiles")]
    filter: Option<String>,
    /// Each function with the functions that called it (pstats' print_callers).
    #[arg(long, group = "mode")]
    callers: bool,
    /// Each function with the functions it called (pstats' print_callees).
    #[arg(long, group = "mode")]
    callees: bool,
    /// The call tree: every call path with its share of its parent and of the total.
    #[arg(long, group = "mode", conflicts_with_all = ["sort", "filter", "limit"])]
    tree: bool,
    /// With --tree: show paths down to this depth only.
    #[arg(long, value_name = "N", requires = "tree")]
    depth: Option<usize>,
    /// The latency table: p50, p90, p99, p99.9, max, mean per function.
    #[arg(long, group = "mode")]
    percentiles: bool,
    /// Amdahl's law. Alone: a column with each function's ceiling, the overall speedup if it
    /// took no time. With FUNCTION=FACTOR (`app::parse=5x`, `parse=inf`): the overall speedup
    /// if that function ran FACTOR times faster, and the share of the time it used.
    #[arg(
        long,
        value_name = "FUNCTION=FACTOR",
        num_args = 0..=1,
        default_missing_value = "",
        conflicts_with_all = ["callers", "callees", "tree", "percentiles"]
    )]
    what_if: Option<String>,
    /// The memory table: allocations, bytes, live blocks and bytes, frees, retained bytes and
    /// peak per call of each function, own and cumulative [default sort: live_bytes when the
    /// profile has live figures, else bytes].
    #[arg(long, group = "mode")]
    memory: bool,
    /// How the time of each function with sized calls (`#[profile(size = ..)]`) grows with
    /// the size: the fitted class (O(n), O(n^2), ...), its points and a log-log plot.
    #[arg(long, group = "mode", conflicts_with_all = ["sort", "filter", "limit", "what_if"])]
    complexity: bool,
    /// With --complexity: also write the fits as an SVG picture to FILE (per function its
    /// points and the fitted curve on log-log axes; `-` writes it to stdout instead of the text).
    #[arg(long, value_name = "FILE", requires = "complexity")]
    svg: Option<PathBuf>,
    /// Print each function's full name (`<serde_json::value::Value as
    /// serde_core::de::Deserialize>::deserialize`) rather than the short form
    /// (`<Value as Deserialize>::deserialize`); JSON output always has the full name.
    #[arg(long)]
    full_names: bool,
    /// The functions whose live bytes rose through the run, from the snapshots a run took
    /// with PROFKIT_SNAPSHOT_EVERY=10s (or profkit::snapshot): rate per minute, intervals in
    /// which they rose, first and last live bytes.
    #[arg(long, group = "mode", conflicts_with_all = ["sort", "filter", "limit", "what_if"])]
    growth: bool,
    /// Output format; json gives one row per function with its numbers.
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

fn parse_sort(s: &str) -> Result<SortKey, profkit::ParseSortKeyError> {
    s.parse()
}

pub(crate) fn run(args: &ViewArgs) -> Outcome {
    if let Some(p) = &args.filter
        && let Err(e) = regex_lite::Regex::new(p)
    {
        return Err(Failure::input(format!(
            "--filter {p:?}: not a regular expression: {e}"
        )));
    }
    if args.tree && args.format == OutputFormat::Json {
        return Err(Failure::input(
            "view: --tree has no JSON form; use --format json without --tree for the rows",
        ));
    }
    let spec = match args.what_if.as_deref() {
        None | Some("") => None,
        Some(text) => Some(what_if::parse_spec(text)?),
    };
    if args.files.is_empty() {
        return Err(Failure::input(
            "view: no profile file given (profkit view FILE... [options])",
        ));
    }
    let report = input::read_all(&args.files)?;
    let label = files_label(&args.files);
    if let Some(spec) = &spec {
        let (text, json) = what_if::estimate(&report, spec, &label)?;
        if args.format == OutputFormat::Json {
            let mut doc = serde_json::to_string_pretty(&json).unwrap_or_default();
            doc.push('\n');
            emit(&doc)?;
        } else {
            emit(&text)?;
        }
        return Ok(EXIT_OK);
    }
    if args.growth {
        let table = report.growth();
        if args.format == OutputFormat::Json {
            let rows: Vec<Value> = table
                .paths()
                .iter()
                .map(|g| {
                    let (first, last) = g.first_and_last();
                    json!({
                        "name": g.name(),
                        "bytes_per_minute": g.bytes_per_minute(),
                        "rose": g.rose(),
                        "intervals": g.intervals(),
                        "first_bytes": first,
                        "last_bytes": last,
                    })
                })
                .collect();
            let mut doc =
                serde_json::to_string_pretty(&json!({ "growth": rows })).unwrap_or_default();
            doc.push('\n');
            emit(&doc)?;
        } else {
            emit(&table.to_string())?;
        }
        return Ok(EXIT_OK);
    }
    if args.percentiles && report.functions().all(|f| f.latency().is_none()) {
        return Err(Failure::input(format!(
            "{label}: has no latency distributions (a .prof file keeps none); use the \
             .json profkit wrote"
        )));
    }
    if args.complexity && report.functions().all(|f| f.scaling().is_none()) {
        return Err(Failure::input(format!(
            "{label}: has no sized calls (a function records them with \
             #[profile(size = <expr>)]; a .prof file keeps none)"
        )));
    }
    if (args.memory || args.sort.is_some_and(SortKey::is_memory)) && !report.has_memory() {
        let option = match args.sort {
            Some(key) if key.is_memory() => format!("--sort {}", sort_name(key)),
            _ => "--memory".to_owned(),
        };
        return Err(no_memory(&label, &option));
    }
    if let Some(out) = args.svg.as_deref().filter(|out| !input::is_std(out)) {
        let view = report.complexity_view().full_names(args.full_names);
        input::write(out, view.to_svg().as_bytes())?;
    }
    if args.format == OutputFormat::Json {
        emit(&to_json(&report, args))?;
        return Ok(EXIT_OK);
    }
    let text = if args.tree {
        if !report.has_call_tree() {
            return Err(Failure::input(format!(
                "{label}: has no call tree (a .prof file keeps only functions and their \
                 callers); use the .json profkit wrote"
            )));
        }
        let mut tree = report.tree().full_names(args.full_names);
        if let Some(d) = args.depth {
            tree = tree.max_depth(d);
        }
        tree.to_string()
    } else if args.complexity {
        let view = report.complexity_view().full_names(args.full_names);
        match &args.svg {
            // To stdout: the picture instead of the text (a file was written above).
            Some(out) if input::is_std(out) => view.to_svg(),
            _ => view.to_string(),
        }
    } else if memory_mode(args) {
        memory_table(&report, args).to_string()
    } else if args.percentiles {
        report
            .latency()
            .full_names(args.full_names)
            .sort(args.sort.unwrap_or(SortKey::P99))
            .limit(args.limit)
            .to_string()
    } else {
        let mut table = table(&report, args);
        if args.what_if.is_some() {
            table = table.what_if();
        }
        if args.callers {
            table.callers().to_string()
        } else if args.callees {
            table.callees().to_string()
        } else {
            table.to_string()
        }
    };
    emit(&text)?;
    Ok(EXIT_OK)
}

/// The files' names for a message about all of them (`<stdin>` for `-`).
pub(crate) fn files_label(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| input::label(f))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether the memory table is shown: `--memory`, or a memory sort key with no other mode.
fn memory_mode(args: &ViewArgs) -> bool {
    args.memory
        || (args.sort.is_some_and(SortKey::is_memory)
            && !(args.callers || args.callees || args.percentiles))
}

/// The name `--sort` takes for a memory key.
fn sort_name(key: SortKey) -> &'static str {
    match key {
        SortKey::Allocs => "allocs",
        SortKey::CumBytes => "cum_bytes",
        SortKey::Peak => "peak",
        SortKey::LiveBytes => "live_bytes",
        SortKey::CumLiveBytes => "cum_live_bytes",
        _ => "bytes",
    }
}

fn memory_table<'a>(report: &'a Report, args: &ViewArgs) -> profkit::MemoryTable<'a> {
    let mut table = report.memory().full_names(args.full_names);
    if let Some(key) = args.sort {
        table = table.sort(key);
    }
    if let Some(p) = &args.filter {
        table = table.filter(p);
    }
    table.limit(args.limit)
}

fn table<'a>(report: &'a Report, args: &ViewArgs) -> profkit::StatsTable<'a> {
    let mut table = report
        .stats()
        .full_names(args.full_names)
        .sort(args.sort.unwrap_or_default());
    if let Some(p) = &args.filter {
        table = table.filter(p);
    }
    table.limit(args.limit)
}

fn per_call(total: std::time::Duration, calls: u64) -> Value {
    if calls == 0 {
        Value::Null
    } else {
        json!(secs(total) / calls as f64)
    }
}

fn edge_json(e: &profkit::EdgeStats) -> Value {
    json!({
        "name": e.name(),
        "file": e.file(),
        "line": e.line(),
        "ncalls": e.ncalls(),
        "primitive_calls": e.primitive_calls(),
        "tottime_s": secs(e.tottime()),
        "cumtime_s": secs(e.cumtime()),
    })
}

/// A function's (or a row's) heap figures: own, cumulative, retained and peak, in bytes.
fn memory_json(m: &MemoryStats) -> Value {
    json!({
        "allocs": m.allocs(),
        "bytes": m.bytes(),
        "frees": m.frees(),
        "freed_bytes": m.freed_bytes(),
        "retained_bytes": m.retained_bytes(),
        "cum_allocs": m.cum_allocs(),
        "cum_bytes": m.cum_bytes(),
        "live_allocs": m.live_allocs(),
        "live_bytes": m.live_bytes(),
        "cum_live_allocs": m.cum_live_allocs(),
        "cum_live_bytes": m.cum_live_bytes(),
        "cum_frees": m.cum_frees(),
        "cum_freed_bytes": m.cum_freed_bytes(),
        "cum_retained_bytes": m.cum_retained_bytes(),
        "peak_bytes": m.peak_bytes(),
    })
}

/// A function's sized calls: the fit and its points (sizes and seconds), or why there is none;
/// when their allocations were recorded, `allocations` and `bytes`: the same for what they
/// allocated (points as sizes and counts or bytes).
fn growth_json(g: &profkit::Scaling) -> Value {
    let mut out = match g.fit() {
        Ok(c) => json!({
            "calls": g.calls(),
            "class": c.class().notation(),
            "exponent": c.exponent(),
            "error": c.error(),
            "r_squared": c.r_squared(),
            "sizes": c.sizes(),
            "points": c.points().map(|(n, t)| json!([n, secs(t)])).collect::<Vec<_>>(),
        }),
        Err(why) => json!({ "calls": g.calls(), "class": Value::Null, "why_not": why.to_string() }),
    };
    let memory_fit = |fit: Result<&profkit::Complexity, &profkit::NoFit>| match fit {
        Ok(c) => json!({
            "calls": c.calls(),
            "class": c.class().notation(),
            "exponent": c.exponent(),
            "error": c.error(),
            "r_squared": c.r_squared(),
            "sizes": c.sizes(),
            "points": c.values().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
        }),
        Err(why) => json!({ "class": Value::Null, "why_not": why.to_string() }),
    };
    if let (Some(allocs), Some(bytes)) = (g.allocations(), g.bytes()) {
        out["allocations"] = memory_fit(allocs);
        out["bytes"] = memory_fit(bytes);
    }
    out
}

pub(crate) fn function_json(f: &FunctionStats) -> Value {
    let latency = f.latency().map_or(Value::Null, |l| {
        json!({
            "count": l.count(),
            "min_s": secs(l.min()),
            "p50_s": secs(l.p50()),
            "p90_s": secs(l.p90()),
            "p99_s": secs(l.p99()),
            "max_s": secs(l.max()),
            "mean_s": secs(l.mean()),
        })
    });
    let mut row = json!({
        "name": f.name(),
        "file": f.file(),
        "line": f.line(),
        "ncalls": f.ncalls(),
        "primitive_calls": f.primitive_calls(),
        "tottime_s": secs(f.tottime()),
        "cumtime_s": secs(f.cumtime()),
        "tottime_percall_s": per_call(f.tottime(), f.ncalls()),
        "cumtime_percall_s": per_call(f.cumtime(), f.primitive_calls()),
        "latency": latency,
        "memory": f.memory().map_or(Value::Null, memory_json),
        "callers": f.callers().iter().map(edge_json).collect::<Vec<_>>(),
        "callees": f.callees().iter().map(edge_json).collect::<Vec<_>>(),
    });
    // Only for functions with sized calls, so other rows read as before.
    if let (Some(g), Value::Object(fields)) = (f.scaling(), &mut row) {
        fields.insert("growth".into(), growth_json(g));
    }
    row
}

fn to_json(report: &Report, args: &ViewArgs) -> String {
    let rows: Vec<Value> = if args.complexity {
        report
            .functions()
            .filter(|f| f.scaling().is_some())
            .map(function_json)
            .collect()
    } else if memory_mode(args) {
        memory_table(report, args)
            .rows()
            .into_iter()
            .map(function_json)
            .collect()
    } else if args.percentiles {
        // The latency table's rows: functions with a distribution, in the table's order.
        let mut rows: Vec<&FunctionStats> = report
            .stats()
            .sort(args.sort.unwrap_or(SortKey::P99))
            .rows()
            .into_iter()
            .filter(|f| f.latency().is_some())
            .collect();
        if let Some(n) = args.limit {
            rows.truncate(n);
        }
        rows.into_iter().map(function_json).collect()
    } else {
        table(report, args)
            .rows()
            .into_iter()
            .map(|f| {
                let mut row = function_json(f);
                if args.what_if.is_some()
                    && let Value::Object(fields) = &mut row
                {
                    // The column's numbers: the share and the speedup if it took no time.
                    let ceiling = report.what_if_of(f, f64::INFINITY).ok();
                    fields.insert("share".into(), json!(report.share_of(f)));
                    fields.insert(
                        "max_speedup_if_free".into(),
                        ceiling.map_or(Value::Null, what_if::finite_or_null),
                    );
                }
                row
            })
            .collect()
    };
    let doc = json!({
        "files": args.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "program": report.program(),
        "total_calls": report.total_calls(),
        "primitive_calls": report.primitive_calls(),
        "total_time_s": secs(report.total_time()),
        "sort": args.sort.unwrap_or(if memory_mode(args) { report.memory().sort_key() } else if args.percentiles { SortKey::P99 } else { SortKey::Cumulative }).description(),
        "max_rss_bytes": report.max_rss_bytes(),
        "heap": report.heap().map_or(Value::Null, |h| json!({
            "total_allocs": h.total_allocs(),
            "total_bytes": h.total_bytes(),
            "total_frees": h.total_frees(),
            "total_freed_bytes": h.total_freed_bytes(),
            "current_bytes": h.current(),
            "peak_bytes": h.peak(),
        })),
        "memory_outside": report.memory_outside().as_ref().map_or(Value::Null, memory_json),
        "memory_overhead": report.memory_overhead().as_ref().map_or(Value::Null, memory_json),
        "functions": rows,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
