//! `profkit flame`: a flame graph (SVG) or folded stacks of a profile's call tree.

use std::path::PathBuf;

use profkit::Report;

use crate::input;
use crate::output::{EXIT_OK, Failure, Outcome, emit};
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
}

const NO_TREE: &str = "has no call tree to draw (a .prof file keeps only functions and their \
                       callers; use the .json profkit wrote)";

/// The folded stacks of `report`, or why there are none.
pub(crate) fn folded(report: &Report, label: &str) -> Result<String, Failure> {
    let folded = report.folded();
    if folded.is_empty() {
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
    if args.folded {
        let text = folded(&report, &label)?;
        match &args.out {
            Some(out) => input::write(out, text.as_bytes())?,
            None => emit(&text)?,
        }
    } else if let Some(out) = &args.out {
        folded(&report, &label)?;
        let svg = report
            .flamegraph_svg()
            .map_err(|e| Failure::file(out, format_args!("cannot write: {e}")))?;
        input::write(out, &svg)?;
    }
    Ok(EXIT_OK)
}
