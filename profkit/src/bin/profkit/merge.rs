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
  profkit merge profile.json -o profile.pb.gz         # for go tool pprof, Pyroscope, Grafana
  profkit merge profile.json --format pprof -o /dev/stdout | curl --data-binary @- ...

The output's extension chooses its format: .json (profkit's, keeps everything), .prof or
.pstats (pstats), .folded (folded stacks), .svg (flame graph), .pb.gz or .pprof (pprof),
.txt or none (the tables); --format chooses it whatever the name.
Files are written atomically (a temporary file, then a rename).
Merging a .prof drops the call tree: .folded, .svg and pprof then have nothing to show.")]
pub(crate) struct MergeArgs {
    /// Profile files (.json, .prof, Python cProfile dumps).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The merged file.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    out: PathBuf,
    /// The output's format, whatever its name says [default: by OUT's extension].
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<FileFormat>,
}

/// The formats `merge` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum FileFormat {
    /// profkit's JSON (keeps everything).
    Json,
    /// A pstats file (snakeviz, Python's pstats).
    #[value(alias = "pstats")]
    Prof,
    /// Folded stacks.
    Folded,
    /// An SVG flame graph.
    Svg,
    /// A gzipped pprof profile (go tool pprof, Pyroscope, Grafana).
    Pprof,
    /// The pstats and latency tables as text.
    Txt,
}

impl FileFormat {
    /// The format `path`'s extension names; an unknown one is refused before anything is read.
    fn of(path: &Path) -> Result<FileFormat, Failure> {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.len() > ".pb.gz".len() && name.ends_with(".pb.gz") {
            return Ok(FileFormat::Pprof);
        }
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => Ok(FileFormat::Json),
            Some("prof" | "pstats") => Ok(FileFormat::Prof),
            Some("folded") => Ok(FileFormat::Folded),
            Some("svg") => Ok(FileFormat::Svg),
            Some("pprof") => Ok(FileFormat::Pprof),
            None | Some("txt") => Ok(FileFormat::Txt),
            Some(other) => Err(Failure::file(
                path,
                format_args!(
                    "unknown output format .{other}: use .json, .prof, .pstats, .folded, .svg, \
                     .pb.gz, .pprof or .txt (or --format)"
                ),
            )),
        }
    }

    /// Whether the format shows the call tree (folded stacks, SVG, pprof).
    fn needs_tree(self) -> bool {
        matches!(
            self,
            FileFormat::Folded | FileFormat::Svg | FileFormat::Pprof
        )
    }
}

pub(crate) fn run(args: &MergeArgs) -> Outcome {
    let by_name = FileFormat::of(&args.out);
    let format = match (args.format, &by_name) {
        (Some(f), _) => f,
        (None, Ok(f)) => *f,
        (None, Err(_)) => return by_name.map(|_| EXIT_OK),
    };
    let report = Report::read_all(&args.files)?;
    if format.needs_tree() {
        // Say why there is nothing to show before writing anything.
        crate::flame::folded(&report, &crate::view::files_label(&args.files))?;
    }
    if by_name.is_ok_and(|f| f == format) {
        // The library's writer: the format by extension, atomically, devices written in place.
        report.write(&args.out)?;
        return Ok(EXIT_OK);
    }
    match format {
        FileFormat::Json => report.write_json(&args.out)?,
        FileFormat::Prof => report.write_pstats(&args.out)?,
        FileFormat::Svg => report.write_flamegraph(&args.out)?,
        FileFormat::Pprof => report.write_pprof(&args.out)?,
        FileFormat::Folded => {
            profkit::__private::write_atomic(&args.out, report.folded().as_bytes())?
        }
        FileFormat::Txt => {
            let text = format!("{}{}", report.stats(), report.latency());
            profkit::__private::write_atomic(&args.out, text.as_bytes())?
        }
    }
    Ok(EXIT_OK)
}
