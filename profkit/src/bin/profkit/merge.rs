//! `profkit merge`: several profile files added together into one, in the format the output's
//! extension (or `--format`) names, to a file or to standard output.

use std::path::{Path, PathBuf};

use profkit::Format;

use crate::input;
use crate::output::{EXIT_OK, Failure, Outcome};

/// Add profiles together (pstats' Stats.add) and write one file.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  profkit merge run1.json run2.json run3.json -o all.json
  profkit merge a.prof b.prof -o both.prof          # for snakeviz, pstats, gprof2dot
  profkit merge run1.json run2.json -o all.svg       # a flame graph of both
  profkit merge profile.json -o profile.pb.gz         # for go tool pprof, Pyroscope, Grafana
  profkit merge profile.json --format pprof -o - | curl --data-binary @- ...
  profkit merge run*.json -o - | profkit view -     # - is standard output (JSON)

The output's extension chooses its format: .json (profkit's, keeps everything), .prof or
.pstats (pstats), .folded (folded stacks), .svg (flame graph), .pb.gz or .pprof (pprof),
.txt or none (the tables); --format chooses it for -o - (standard output, JSON by default)
or against the extension.
Files are written atomically (a temporary file, then a rename).
Merging a .prof drops the call tree: .folded, .svg and pprof then have nothing to show.")]
pub(crate) struct MergeArgs {
    /// Profile files (.json, .prof, Python cProfile dumps; `-`: standard input).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The merged file (`-`: standard output).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    out: PathBuf,
    /// The output's format: json, prof, folded, svg, pprof or
    /// txt [default: OUT's extension; json
    /// for -o -].
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    format: Option<Format>,
}

fn parse_format(name: &str) -> Result<Format, String> {
    Format::from_extension(name)
        .filter(|_| name != "pstats")
        .ok_or_else(|| format!("{name:?}: expected json, prof, folded, svg, pprof or txt"))
}

/// The output's format, before anything is read: `--format`, JSON for standard output, or
/// the extension (one that names no format is refused).
fn format_of(out: &Path, given: Option<Format>) -> Result<Format, Failure> {
    if let Some(format) = given {
        return Ok(format);
    }
    if input::is_std(out) {
        return Ok(Format::Json);
    }
    Format::of(out).ok_or_else(|| {
        let ext = out
            .extension()
            .map_or(String::new(), |e| e.to_string_lossy().into_owned());
        Failure::file(
            out,
            format_args!(
                "unknown output format .{ext}: use .json, .prof, .pstats, .folded, .svg or .txt"
            ),
        )
    })
}

pub(crate) fn run(args: &MergeArgs) -> Outcome {
    let format = format_of(&args.out, args.format)?;
    let report = input::read_all(&args.files)?;
    if matches!(format, Format::Folded | Format::Svg | Format::Pprof) {
        // Say why there is nothing to draw before writing anything.
        crate::flame::folded(&report, &crate::view::files_label(&args.files))?;
    }
    // The library renders the format; the file is written atomically, devices in place.
    let bytes = report
        .to_bytes(format)
        .map_err(|e| Failure::file(&args.out, format_args!("cannot write: {e}")))?;
    input::write(&args.out, &bytes)?;
    Ok(EXIT_OK)
}
