//! `profkit merge`: several profile files added together into one, in the format the output's
//! extension names.

use std::path::{Path, PathBuf};

use profkit::Report;

use crate::output::{EXIT_OK, Failure, Outcome, write_atomic};

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

/// The formats `merge` writes, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OutFormat {
    Json,
    Pstats,
    Folded,
    Svg,
    Text,
}

fn format_of(path: &Path) -> Result<OutFormat, Failure> {
    Ok(match path.extension().and_then(|e| e.to_str()) {
        Some("json") => OutFormat::Json,
        Some("prof" | "pstats") => OutFormat::Pstats,
        Some("folded") => OutFormat::Folded,
        Some("svg") => OutFormat::Svg,
        None | Some("txt") => OutFormat::Text,
        Some(other) => {
            return Err(Failure::file(
                path,
                format_args!(
                    "unknown output format .{other}: use .json, .prof, .pstats, .folded, .svg \
                     or .txt"
                ),
            ));
        }
    })
}

/// Writes `report` (read from the files `label` names) to `out` in the format of its extension.
fn write(report: &Report, out: &Path, label: &str) -> Result<(), Failure> {
    match format_of(out)? {
        // Through the command line's own writer, which leaves devices and pipes in place.
        OutFormat::Json => write_atomic(out, report.to_json().as_bytes())?,
        OutFormat::Pstats => write_atomic(out, &report.to_pstats_bytes())?,
        OutFormat::Folded => write_atomic(out, crate::flame::folded(report, label)?.as_bytes())?,
        OutFormat::Svg => write_atomic(out, &crate::flame::svg(report, label)?)?,
        OutFormat::Text => {
            let text = format!("{}{}", report.stats(), report.latency());
            write_atomic(out, text.as_bytes())?;
        }
    }
    Ok(())
}

pub(crate) fn run(args: &MergeArgs) -> Outcome {
    // Refuse a bad output name before reading anything.
    format_of(&args.out)?;
    let report = Report::read_all(&args.files)?;
    write(&report, &args.out, &crate::view::files_label(&args.files))?;
    Ok(EXIT_OK)
}
