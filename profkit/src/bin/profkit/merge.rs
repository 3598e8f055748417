//! `profkit merge`: several profile files added together into one, in the format the output's
//! extension names.

use std::path::{Path, PathBuf};

use profkit::Report;

use crate::output::{EXIT_OK, Failure, Outcome};

/// Add profiles together (pstats' Stats.add) and write one file.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  profkit merge run1.json run2.json run3.json -o all.json
  profkit merge a.prof b.prof -o both.prof          # for snakeviz, pstats, gprof2dot
  profkit merge run1.json run2.json -o all.svg       # a flame graph of both

The output's extension chooses its format: .json (profkit's, keeps everything), .prof or
.pstats (pstats), .folded (folded stacks), .svg (flame graph), .txt or none (the tables).
Files are written atomically (a temporary file, then a rename).
Merging a .prof drops the call tree: .folded and .svg then have nothing to draw.")]
pub(crate) struct MergeArgs {
    /// Profile files (.json, .prof, Python cProfile dumps).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The merged file.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    out: PathBuf,
}

/// Refuses an output name whose extension names no format, before anything is read.
/// Returns whether the format draws the call tree (folded stacks, SVG).
fn needs_tree(path: &Path) -> Result<bool, Failure> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("folded" | "svg") => Ok(true),
        None | Some("json" | "prof" | "pstats" | "txt") => Ok(false),
        Some(other) => Err(Failure::file(
            path,
            format_args!(
                "unknown output format .{other}: use .json, .prof, .pstats, .folded, .svg or .txt"
            ),
        )),
    }
}

pub(crate) fn run(args: &MergeArgs) -> Outcome {
    let needs_tree = needs_tree(&args.out)?;
    let report = Report::read_all(&args.files)?;
    if needs_tree {
        // Say why there is nothing to draw before writing anything.
        crate::flame::folded(&report, &crate::view::files_label(&args.files))?;
    }
    // The library's writer: the format by extension, atomically, devices written in place.
    report.write(&args.out)?;
    Ok(EXIT_OK)
}
