//! `profkit flame`: a flame graph (SVG) or folded stacks of a profile's call tree.

use std::path::PathBuf;

use profkit::{Report, StackMetric};

use crate::input;
use crate::output::{EXIT_OK, Failure, Outcome, emit, no_memory};
use crate::view::files_label;

/// Draw a flame graph (SVG) of the call tree, or print its folded stacks.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  profkit flame profile.json -o flame.svg
  profkit flame run1.json run2.json -o both.svg      # merged first
  profkit flame profile.json --folded > profile.folded
  profkit flame profile.json --folded -o profile.folded
  profkit flame - -o - < profile.json > flame.svg    - is standard input or output
  profkit flame profile.json --metric bytes -o heap.svg   where the memory went
  profkit flame profile.json --metric wait -o wait.svg    where it waits (PROFKIT_CPU=1)

Needs a call tree, which profkit's .json files have; a .prof file (pstats) keeps only
functions and their callers, so it cannot be drawn.")]
pub(crate) struct FlameArgs {
    /// Profile files (`-`: standard input), merged first.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Where to write (`-`: standard output); required for SVG, folded stacks go to stdout
    /// without it.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    out: Option<PathBuf>,
    /// Folded stacks (`a;b;c <own ns>`, for inferno, flamegraph.pl, speedscope) instead of SVG.
    #[arg(long)]
    folded: bool,
    /// What a box's width (a stack's value) measures: own time, the bytes or allocations
    /// made on each path (needs memory figures: profkit::Alloc), or own CPU or waiting time
    /// (needs CPU figures: PROFKIT_CPU=1).
    #[arg(long, value_enum, default_value_t)]
    metric: Metric,
}

/// `--metric`'s values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
enum Metric {
    #[default]
    Time,
    Bytes,
    Allocs,
    /// Own CPU time (needs CPU figures: PROFKIT_CPU=1).
    Cpu,
    /// Own time spent waiting: own time minus own CPU time (needs CPU figures).
    Wait,
}

impl Metric {
    fn stack(self) -> StackMetric {
        match self {
            Metric::Time => StackMetric::OwnTime,
            Metric::Bytes => StackMetric::Bytes,
            Metric::Allocs => StackMetric::Allocs,
            Metric::Cpu => StackMetric::Cpu,
            Metric::Wait => StackMetric::Wait,
        }
    }
}

const NO_TREE: &str = "has no call tree to draw (a .prof file keeps only functions and their \
                       callers; use the .json profkit wrote)";

/// The folded stacks of `report`, or why there are none.
pub(crate) fn folded(report: &Report, label: &str) -> Result<String, Failure> {
    folded_by(report, label, StackMetric::OwnTime)
}

fn folded_by(report: &Report, label: &str, metric: StackMetric) -> Result<String, Failure> {
    if matches!(metric, StackMetric::Cpu | StackMetric::Wait) && !report.has_cpu() {
        return Err(Failure::input(format!(
            "{label}: has no CPU figures, which --metric {} needs (record with PROFKIT_CPU=1)",
            if metric == StackMetric::Cpu {
                "cpu"
            } else {
                "wait"
            }
        )));
    }
    if matches!(metric, StackMetric::Bytes | StackMetric::Allocs) && !report.has_memory() {
        let option = if metric == StackMetric::Bytes {
            "--metric bytes"
        } else {
            "--metric allocs"
        };
        return Err(no_memory(label, option));
    }
    let folded = report
        .folded_by(metric)
        .map_err(|e| Failure::input(format!("{label}: {e}")))?;
    if folded.is_empty() {
        if metric != StackMetric::OwnTime && report.has_call_tree() {
            let what = match metric {
                StackMetric::Cpu => "used CPU time",
                StackMetric::Wait => "waited",
                _ => "allocated anything",
            };
            return Err(Failure::input(format!("{label}: no call path {what}")));
        }
        return Err(Failure::input(format!("{label}: {NO_TREE}")));
    }
    Ok(folded)
}

pub(crate) fn run(args: &FlameArgs) -> Outcome {
    if !args.folded && args.out.is_none() {
        return Err(Failure::input(
            "flame: the SVG needs an output file: -o flame.svg (or --folded for text on stdout)",
        ));
    }
    let report = input::read_all(&args.files)?;
    let label = files_label(&args.files);
    let metric = args.metric.stack();
    if args.folded {
        let text = folded_by(&report, &label, metric)?;
        match &args.out {
            Some(out) => input::write(out, text.as_bytes())?,
            None => emit(&text)?,
        }
    } else if let Some(out) = &args.out {
        folded_by(&report, &label, metric)?;
        let svg = report
            .flamegraph_svg_by(metric)
            .map_err(|e| Failure::file(out, format_args!("cannot write: {e}")))?;
        input::write(out, &svg)?;
    }
    Ok(EXIT_OK)
}
