//! `profkit view`: the pstats table (or callers, callees, call tree, latency percentiles) of
//! one or more profile files, merged first.

use std::path::PathBuf;

use profkit::{FunctionStats, Report, SortKey};
use serde_json::{Value, json};

use crate::input;
use crate::output::{EXIT_OK, Failure, Outcome, OutputFormat, emit, secs};

/// Print the table of one or more profiles (.json, .prof, Python cProfile dumps), merged.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  profkit view profile.json                      pstats table, by cumulative time
  profkit view a.prof b.prof --sort tottime --limit 20
  profkit view profile.json --filter 'db::' --callers
  profkit view profile.json --tree --depth 4
  profkit view profile.json --percentiles --sort max
  profkit view profile.json --format json | jq '.functions[0]'
  curl -s http://host/profile.json | profkit view -    - is standard input

Sort keys (pstats' names): cumulative (cumtime), tottime (time), calls (ncalls), pcalls,
name, filename (file, module), line, stdname, p99, max.
--filter and --limit apply in that order: the first N rows that match.")]
pub(crate) struct ViewArgs {
    /// Profile files (`-`: standard input); several are added together (pstats' Stats.add).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Order of the rows [default: cumulative; p99 with --percentiles].
    #[arg(long, value_name = "KEY", value_parser = parse_sort)]
    sort: Option<SortKey>,
    /// Show only the first N rows.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Show only rows whose `file:line(function)` matches this regular expression.
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
    let report = input::read_all(&args.files)?;
    let label = files_label(&args.files);
    if args.percentiles && report.functions().all(|f| f.latency().is_none()) {
        return Err(Failure::input(format!(
            "{label}: has no latency distributions (a .prof file keeps none); use the \
             .json profkit wrote"
        )));
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
        let mut tree = report.tree();
        if let Some(d) = args.depth {
            tree = tree.max_depth(d);
        }
        tree.to_string()
    } else if args.percentiles {
        report
            .latency()
            .sort(args.sort.unwrap_or(SortKey::P99))
            .limit(args.limit)
            .to_string()
    } else {
        let table = table(&report, args);
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

fn table<'a>(report: &'a Report, args: &ViewArgs) -> profkit::StatsTable<'a> {
    let mut table = report.stats().sort(args.sort.unwrap_or_default());
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
    json!({
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
        "callers": f.callers().iter().map(edge_json).collect::<Vec<_>>(),
        "callees": f.callees().iter().map(edge_json).collect::<Vec<_>>(),
    })
}

fn to_json(report: &Report, args: &ViewArgs) -> String {
    let rows: Vec<Value> = if args.percentiles {
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
            .map(function_json)
            .collect()
    };
    let doc = json!({
        "files": args.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "program": report.program(),
        "total_calls": report.total_calls(),
        "primitive_calls": report.primitive_calls(),
        "total_time_s": secs(report.total_time()),
        "sort": args.sort.unwrap_or(if args.percentiles { SortKey::P99 } else { SortKey::Cumulative }).description(),
        "functions": rows,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
