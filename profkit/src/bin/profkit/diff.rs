//! `profkit diff`: per-function changes of one metric between two profiles, sorted by impact;
//! exit 1 when a regression passes both the relative threshold and the absolute floor.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use profkit::{FunctionStats, Report};
use serde_json::{Value, json};

use crate::input;
use crate::output::{
    EXIT_FAILED, EXIT_OK, Failure, Outcome, OutputFormat, Style, emit, human_ns, human_size,
    no_memory, parse_duration, parse_size,
};

/// Compare two profiles function by function; exit 1 on a regression.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  profkit diff baseline.json profile.json
  profkit diff baseline.json profile.json --metric p99 --threshold 10% --min-delta 1ms
  profkit diff before.prof after.prof --metric ncalls --threshold 0% --min-delta 5
  profkit diff baseline.json profile.json --metric bytes --threshold 5% --min-delta 64KiB
  profkit diff baseline.json profile.json --format json

A function regressed when its metric grew by more than --threshold (relative to BASE) AND by
at least --min-delta (absolute): a change below the floor is noise, never a regression.
--min-delta is a duration for time metrics (ns, us, ms, s: 250us, 1ms, 2s), a size for
bytes, cum_bytes, peak, live_bytes and cum_live_bytes (B, KB, MB, GB = powers of 1000; KiB, MiB, GiB = powers of 1024:
64KiB, 1MB) and a count for ncalls and allocs. The memory metrics (tracemalloc's compare_to,
per function) need profiles recorded with profkit::Alloc; cpu and wait need both profiles
recorded with PROFKIT_CPU=1. When both have CPU time, --metric cumtime and tottime add two
columns: how much of each change was CPU time and how much waiting.
Functions are matched by (file, line, name); those left over by (file, name) and then
by name when that is unique on both sides, so a function that moved keeps its history.
Functions only in NEW or only in BASE are listed as new and vanished; they are not
regressions. Exit status: 0 no regression, 1 a regression, 2 bad input.")]
pub(crate) struct DiffArgs {
    /// The baseline profile (`-`: standard input).
    #[arg(value_name = "BASE")]
    base: PathBuf,
    /// The profile to compare with it (`-`: standard input).
    #[arg(value_name = "NEW")]
    new: PathBuf,
    /// What to compare.
    #[arg(long, value_enum, default_value_t = Metric::Cumtime)]
    metric: Metric,
    /// Relative increase above which a change is a regression: `10%` (or `10`).
    #[arg(long, value_name = "PERCENT", default_value = "10%", value_parser = parse_threshold)]
    threshold: f64,
    /// Absolute increase below which a change is never a regression: `1ms` for times, `64KiB`
    /// for sizes, `5` for ncalls and allocs [default: 0].
    #[arg(long, value_name = "DELTA")]
    min_delta: Option<String>,
    /// Print each function's full name rather than the short form tables show
    /// (`<Value as Deserialize>::deserialize`); JSON output always has the full name.
    #[arg(long)]
    full_names: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

/// A per-function number to compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Metric {
    /// Inclusive time (pstats cumtime).
    Cumtime,
    /// Own time (pstats tottime).
    Tottime,
    /// Number of calls.
    Ncalls,
    /// Median call latency (needs a .json profile).
    P50,
    /// 99th percentile call latency (needs a .json profile).
    P99,
    /// Longest call (needs a .json profile).
    Max,
    /// Bytes allocated by the function itself (needs memory figures).
    Bytes,
    /// Allocations made by the function itself (needs memory figures).
    Allocs,
    /// Bytes allocated by the function's calls, callees included (needs memory figures).
    #[value(name = "cum_bytes", alias = "cum-bytes")]
    CumBytes,
    /// The most heap one call needed (needs memory figures).
    Peak,
    /// Bytes the function allocated that were still live when the profile was made
    /// (tracemalloc's compare_to on two snapshots; needs live figures: profkit::Alloc,
    /// JSON schema 3).
    #[value(name = "live_bytes", alias = "live-bytes")]
    LiveBytes,
    /// Live bytes allocated under the function's calls, callees included.
    #[value(name = "cum_live_bytes", alias = "cum-live-bytes")]
    CumLiveBytes,
    /// CPU time of the function's calls, callees included (needs PROFKIT_CPU=1 in both).
    Cpu,
    /// Time the function's calls waited: cumtime minus their CPU time (needs PROFKIT_CPU=1
    /// in both).
    Wait,
}

/// What a metric counts, which says how its values and --min-delta read and print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Time,
    Calls,
    Bytes,
    Allocs,
}

impl Metric {
    fn name(self) -> &'static str {
        match self {
            Metric::Cumtime => "cumtime",
            Metric::Tottime => "tottime",
            Metric::Ncalls => "ncalls",
            Metric::P50 => "p50",
            Metric::P99 => "p99",
            Metric::Max => "max",
            Metric::Bytes => "bytes",
            Metric::Allocs => "allocs",
            Metric::CumBytes => "cum_bytes",
            Metric::Peak => "peak",
            Metric::LiveBytes => "live_bytes",
            Metric::CumLiveBytes => "cum_live_bytes",
            Metric::Cpu => "cpu",
            Metric::Wait => "wait",
        }
    }

    fn unit(self) -> Unit {
        match self {
            Metric::Ncalls => Unit::Calls,
            Metric::Allocs => Unit::Allocs,
            Metric::Bytes
            | Metric::CumBytes
            | Metric::Peak
            | Metric::LiveBytes
            | Metric::CumLiveBytes => Unit::Bytes,
            Metric::Cumtime
            | Metric::Tottime
            | Metric::P50
            | Metric::P99
            | Metric::Max
            | Metric::Cpu
            | Metric::Wait => Unit::Time,
        }
    }

    fn is_memory(self) -> bool {
        matches!(self.unit(), Unit::Bytes | Unit::Allocs)
    }

    /// The value of `f`: nanoseconds for times, calls, bytes or allocations; `None` without
    /// latency or memory figures.
    fn of(self, f: &FunctionStats) -> Option<f64> {
        let ns = |d: std::time::Duration| d.as_nanos() as f64;
        match self {
            Metric::Cumtime => Some(ns(f.cumtime())),
            Metric::Tottime => Some(ns(f.tottime())),
            Metric::Ncalls => Some(f.ncalls() as f64),
            Metric::P50 => f.latency().map(|l| ns(l.p50())),
            Metric::P99 => f.latency().map(|l| ns(l.p99())),
            Metric::Max => f.latency().map(|l| ns(l.max())),
            Metric::Bytes => f.memory().map(|m| m.bytes() as f64),
            Metric::Allocs => f.memory().map(|m| m.allocs() as f64),
            Metric::CumBytes => f.memory().map(|m| m.cum_bytes() as f64),
            Metric::Peak => f.memory().map(|m| m.peak_bytes() as f64),
            Metric::LiveBytes => f.memory().map(|m| m.live_bytes() as f64),
            Metric::CumLiveBytes => f.memory().map(|m| m.cum_live_bytes() as f64),
            Metric::Cpu => f.cum_cpu_time().map(ns),
            Metric::Wait => f.wait_time().map(ns),
        }
    }

    /// The CPU and waiting parts of this metric's time of `f` (ns), for the two columns that
    /// say what a change was made of: cumulative for cumtime, own for tottime; `None` for other
    /// metrics or without CPU figures.
    fn cpu_and_wait(self, f: &FunctionStats) -> Option<(f64, f64)> {
        let ns = |d: std::time::Duration| d.as_nanos() as f64;
        match self {
            Metric::Cumtime => Some((ns(f.cum_cpu_time()?), ns(f.wait_time()?))),
            Metric::Tottime => {
                let cpu = f.cpu_time()?;
                Some((ns(cpu), ns(f.tottime().saturating_sub(cpu))))
            }
            _ => None,
        }
    }

    fn show(self, v: f64) -> String {
        match self.unit() {
            Unit::Time => human_ns(v),
            Unit::Bytes => human_size(v),
            Unit::Calls | Unit::Allocs => format!("{v:.0}"),
        }
    }

    /// The words for a value that went up and one that went down.
    fn directions(self) -> (&'static str, &'static str) {
        match self.unit() {
            Unit::Time => ("slower", "faster"),
            Unit::Calls | Unit::Allocs => ("more", "fewer"),
            Unit::Bytes => ("more", "less"),
        }
    }

    fn show_delta(self, v: f64) -> String {
        let sign = if v > 0.0 { "+" } else { "" };
        format!("{sign}{}", self.show(v))
    }

    /// A value for JSON: seconds for times, a count of calls, allocations or bytes otherwise.
    fn json(self, v: f64) -> Value {
        if self.unit() == Unit::Time {
            json!(v / 1e9)
        } else if v < 0.0 {
            // Live bytes in a window can go down.
            json!(v as i64)
        } else {
            json!(v as u64)
        }
    }

    fn json_delta(self, v: f64) -> Value {
        if self.unit() == Unit::Time {
            json!(v / 1e9)
        } else {
            json!(v as i64)
        }
    }

    /// The unit of its JSON values.
    fn json_unit(self) -> &'static str {
        match self.unit() {
            Unit::Time => "s",
            Unit::Calls => "calls",
            Unit::Bytes => "bytes",
            Unit::Allocs => "allocs",
        }
    }
}

pub(crate) fn parse_threshold(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let number = t.strip_suffix('%').unwrap_or(t).trim();
    match number.parse::<f64>() {
        Ok(p) if p.is_finite() && p >= 0.0 => Ok(p / 100.0),
        _ => Err(format!("{s:?}: expected a percentage such as 10%")),
    }
}

/// `--min-delta` in the metric's unit (nanoseconds, calls, bytes or allocations).
fn parse_min_delta(metric: Metric, text: Option<&str>) -> Result<f64, Failure> {
    let Some(text) = text else { return Ok(0.0) };
    let bad = |e: String| Failure::input(format!("--min-delta {e}"));
    match metric.unit() {
        Unit::Time => parse_duration(text)
            .map(|d| d.as_nanos() as f64)
            .map_err(bad),
        Unit::Bytes => parse_size(text)
            .map(|size| size.bytes as f64)
            .map_err(|e| bad(format!("{e} (with --metric {})", metric.name()))),
        Unit::Calls | Unit::Allocs => text.trim().parse::<u64>().map(|n| n as f64).map_err(|_| {
            let what = if metric.unit() == Unit::Calls {
                "calls"
            } else {
                "allocations"
            };
            bad(format!(
                "{text:?}: with --metric {} it is a number of {what}, such as 5",
                metric.name()
            ))
        }),
    }
}

type Key<'a> = (&'a str, u32, &'a str);

fn key(f: &FunctionStats) -> Key<'_> {
    (f.file(), f.line(), f.name())
}

/// Pairs of functions of `base` and `new` that are the same function: equal (file, line,
/// name); then, among the rest, equal (file, name) and then equal name, when that is unique on
/// both sides (a function whose line moved between two versions of the code).
fn pair<'a>(
    base: &'a Report,
    new: &'a Report,
) -> (
    Vec<(&'a FunctionStats, &'a FunctionStats)>,
    Vec<&'a FunctionStats>,
    Vec<&'a FunctionStats>,
) {
    let mut left: Vec<&FunctionStats> = base.functions().collect();
    let mut right: Vec<&FunctionStats> = new.functions().collect();
    let mut pairs = Vec::new();
    type Loose<'a> = fn(&'a FunctionStats) -> (&'a str, &'a str);
    let exact =
        |l: &mut Vec<&'a FunctionStats>, r: &mut Vec<&'a FunctionStats>, pairs: &mut Vec<_>| {
            let index: HashMap<Key<'a>, usize> =
                r.iter().enumerate().map(|(i, f)| (key(f), i)).collect();
            let mut taken = vec![false; r.len()];
            l.retain(|f| match index.get(&key(f)) {
                Some(&i) => {
                    pairs.push((*f, r[i]));
                    taken[i] = true;
                    false
                }
                None => true,
            });
            let mut i = 0;
            r.retain(|_| {
                i += 1;
                !taken[i - 1]
            });
        };
    exact(&mut left, &mut right, &mut pairs);
    let by_file_name: Loose<'a> = |f| (f.file(), f.name());
    let by_name: Loose<'a> = |f| ("", f.name());
    for loose in [by_file_name, by_name] {
        let count = |side: &[&'a FunctionStats]| {
            let mut m: HashMap<(&str, &str), (usize, usize)> = HashMap::new();
            for (i, f) in side.iter().enumerate() {
                let e = m.entry(loose(f)).or_insert((0, i));
                e.0 += 1;
            }
            m
        };
        let (lc, rc) = (count(&left), count(&right));
        let mut taken_r = vec![false; right.len()];
        left.retain(|f| {
            let k = loose(f);
            match (lc.get(&k), rc.get(&k)) {
                (Some((1, _)), Some(&(1, j))) => {
                    pairs.push((*f, right[j]));
                    taken_r[j] = true;
                    false
                }
                _ => true,
            }
        });
        let mut i = 0;
        right.retain(|_| {
            i += 1;
            !taken_r[i - 1]
        });
    }
    (pairs, right, left)
}

/// One function present in both profiles.
struct Change<'a> {
    f: &'a FunctionStats,
    base: f64,
    new: f64,
    delta: f64,
    /// `None` when the base is 0 (an increase from nothing).
    relative: Option<f64>,
    regression: bool,
    /// How much of `delta` was CPU time and how much waiting (ns), when both profiles
    /// recorded CPU time and the metric is cumtime or tottime.
    cpu_wait: Option<(f64, f64)>,
}

fn has_metric(report: &Report, metric: Metric) -> bool {
    if metric.is_memory() {
        return report.has_memory();
    }
    if matches!(metric, Metric::Cpu | Metric::Wait) {
        return report.is_empty() || report.has_cpu();
    }
    report.is_empty() || report.functions().any(|f| metric.of(f).is_some())
}

fn no_latency(path: &Path, metric: Metric) -> Failure {
    Failure::file(
        path,
        format_args!(
            "has no latency distributions for --metric {} (a .prof file keeps none); use the \
             .json profkit wrote, or --metric cumtime",
            metric.name()
        ),
    )
}

pub(crate) fn run(args: &DiffArgs) -> Outcome {
    let metric = args.metric;
    let min_delta = parse_min_delta(metric, args.min_delta.as_deref())?;
    input::stdin_once([args.base.as_path(), args.new.as_path()])?;
    let base = input::read(&args.base)?;
    let new = input::read(&args.new)?;
    for (report, path) in [(&base, &args.base), (&new, &args.new)] {
        if !has_metric(report, metric) {
            return Err(if metric.is_memory() {
                no_memory(
                    &path.display().to_string(),
                    &format!("--metric {}", metric.name()),
                )
            } else if matches!(metric, Metric::Cpu | Metric::Wait) {
                Failure::file(
                    path,
                    format_args!(
                        "has no CPU figures, which --metric {} needs (record with \
                         PROFKIT_CPU=1)",
                        metric.name()
                    ),
                )
            } else {
                no_latency(path, metric)
            });
        }
    }
    let (pairs, added, vanished) = pair(&base, &new);
    let mut changes: Vec<Change<'_>> = pairs
        .into_iter()
        .filter_map(|(b, n)| {
            let (bv, nv) = (metric.of(b)?, metric.of(n)?);
            let delta = nv - bv;
            let relative = (bv > 0.0).then(|| delta / bv);
            let regression =
                delta > 0.0 && delta >= min_delta && relative.is_none_or(|r| r > args.threshold);
            let cpu_wait = metric
                .cpu_and_wait(b)
                .zip(metric.cpu_and_wait(n))
                .map(|((bc, bw), (nc, nw))| (nc - bc, nw - bw));
            Some(Change {
                f: n,
                base: bv,
                new: nv,
                delta,
                relative,
                regression,
                cpu_wait,
            })
        })
        .collect();
    let unchanged = changes.iter().filter(|c| c.delta == 0.0).count();
    changes.retain(|c| c.delta != 0.0);
    changes.sort_by(|a, b| {
        b.delta
            .abs()
            .total_cmp(&a.delta.abs())
            .then_with(|| key(a.f).cmp(&key(b.f)))
    });
    let (added, vanished) = (by_value(metric, added), by_value(metric, vanished));
    let regressions = changes.iter().filter(|c| c.regression).count();
    let text = match args.format {
        OutputFormat::Json => json_text(args, min_delta, &changes, &added, &vanished, regressions),
        OutputFormat::Text => text(
            args,
            min_delta,
            &changes,
            unchanged,
            &added,
            &vanished,
            regressions,
        ),
    };
    emit(&text)?;
    Ok(if regressions > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    })
}

/// Functions with their value, largest first.
fn by_value(metric: Metric, list: Vec<&FunctionStats>) -> Vec<(&FunctionStats, f64)> {
    let mut list: Vec<(&FunctionStats, f64)> = list
        .into_iter()
        .map(|f| (f, metric.of(f).unwrap_or(0.0)))
        .collect();
    list.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| key(a.0).cmp(&key(b.0))));
    list
}

fn percent(r: Option<f64>) -> String {
    match r {
        Some(r) => format!("{:+.1}%", r * 100.0),
        None => "new".to_owned(),
    }
}

fn text(
    args: &DiffArgs,
    min_delta: f64,
    changes: &[Change<'_>],
    unchanged: usize,
    added: &[(&FunctionStats, f64)],
    vanished: &[(&FunctionStats, f64)],
    regressions: usize,
) -> String {
    let style = Style::detect();
    let m = args.metric;
    let name = |f: &FunctionStats| -> String {
        if args.full_names {
            f.name().to_owned()
        } else {
            f.short_name().into_owned()
        }
    };
    let mut out = format!(
        "{}: {} -> {} (regression: more than {}% and at least {})\n\n",
        m.name(),
        args.base.display(),
        args.new.display(),
        trim(args.threshold * 100.0),
        m.show(min_delta),
    );
    // The CPU and waiting columns, when both profiles recorded CPU time.
    let cpu_wait = changes.iter().any(|c| c.cpu_wait.is_some());
    if !changes.is_empty() {
        let extra = if cpu_wait {
            format!(" {:>11} {:>11}", "cpu", "wait")
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{:<10} {:>10} {:>10} {:>11} {:>9}{extra}  function\n",
            "", "base", "new", "delta", "change"
        ));
    }
    for c in changes {
        let (up, down) = m.directions();
        let status = if c.regression {
            style.red("REGRESSED ")
        } else if c.delta > 0.0 {
            format!("{up:<10}")
        } else {
            style.green(&format!("{down:<10}"))
        };
        let extra = match (cpu_wait, c.cpu_wait) {
            (false, _) => String::new(),
            (true, Some((cpu, wait))) => {
                format!(" {:>11} {:>11}", m.show_delta(cpu), m.show_delta(wait))
            }
            (true, None) => format!(" {:>11} {:>11}", "", ""),
        };
        out.push_str(&format!(
            "{status} {:>10} {:>10} {:>11} {:>9}{extra}  {}\n",
            m.show(c.base),
            m.show(c.new),
            m.show_delta(c.delta),
            percent(c.relative),
            name(c.f),
        ));
    }
    if unchanged > 0 {
        out.push_str(&format!("({unchanged} unchanged not shown)\n"));
    }
    for (title, list) in [
        ("new (only in NEW)", added),
        ("vanished (only in BASE)", vanished),
    ] {
        if list.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{title}:\n"));
        for (f, v) in list {
            out.push_str(&format!("{:>10}  {}\n", m.show(*v), name(f)));
        }
    }
    out.push('\n');
    out.push_str(&if regressions > 0 {
        style.red(&format!(
            "{regressions} regression{} in {}",
            if regressions == 1 { "" } else { "s" },
            m.name()
        ))
    } else {
        style.green(&format!("no regression in {}", m.name()))
    });
    out.push('\n');
    out
}

fn trim(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn json_text(
    args: &DiffArgs,
    min_delta: f64,
    changes: &[Change<'_>],
    added: &[(&FunctionStats, f64)],
    vanished: &[(&FunctionStats, f64)],
    regressions: usize,
) -> String {
    let m = args.metric;
    let ident = |f: &FunctionStats| json!({"name": f.name(), "file": f.file(), "line": f.line()});
    let listed = |list: &[(&FunctionStats, f64)]| -> Vec<Value> {
        list.iter()
            .map(|(f, v)| {
                let mut o = ident(f);
                o["value"] = m.json(*v);
                o
            })
            .collect()
    };
    let doc = json!({
        "metric": m.name(),
        "unit": m.json_unit(),
        "base": args.base.display().to_string(),
        "new": args.new.display().to_string(),
        "threshold": args.threshold,
        "min_delta": m.json(min_delta),
        "regressions": regressions,
        "changes": changes.iter().map(|c| {
            let mut o = ident(c.f);
            o["base"] = m.json(c.base);
            o["new"] = m.json(c.new);
            o["delta"] = m.json_delta(c.delta);
            o["relative"] = c.relative.map_or(Value::Null, |r| json!(r));
            o["regression"] = json!(c.regression);
            if let Some((cpu, wait)) = c.cpu_wait {
                o["cpu_delta"] = m.json_delta(cpu);
                o["wait_delta"] = m.json_delta(wait);
            }
            o
        }).collect::<Vec<_>>(),
        "new_functions": listed(added),
        "vanished_functions": listed(vanished),
    });
    let mut t = serde_json::to_string_pretty(&doc).unwrap_or_default();
    t.push('\n');
    t
}
