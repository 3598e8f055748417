//! Profiles as files: which format a path names (by extension, for writing: `Report::write`,
//! `PROFKIT_OUT`) or bytes hold (by content, for reading: `Report::read`), and several files
//! read into one report. It sits above `formats` and `views`, since the `.txt` format is the
//! text views.

use std::io;
use std::path::Path;

use crate::error::{ReadError, WriteError};
use crate::formats::io::{read_bounded, read_bounded_from, write_atomic};
use crate::model::Report;
use crate::views::SortKey;

/// The `.txt` format and the exit report: the pstats table in `sort` order, the latency table,
/// and the memory table when the report has memory figures, each cut to `limit` rows.
pub(crate) fn text_report(report: &Report, sort: SortKey, limit: Option<usize>) -> String {
    // A memory key orders the memory table; the pstats table keeps its default then.
    let (time_sort, memory_sort) = if sort.is_memory() {
        (SortKey::Cumulative, sort)
    } else {
        (sort, crate::views::default_memory_sort(report))
    };
    let mut text = format!(
        "{}{}",
        report.stats().sort(time_sort).limit(limit),
        report.latency().limit(limit)
    );
    if report.has_memory() {
        text.push('\n');
        text.push_str(&report.memory().sort(memory_sort).limit(limit).to_string());
    }
    // The run took live-heap snapshots: which functions' live bytes rose through it.
    if !report.meta.snapshots.is_empty() {
        text.push('\n');
        text.push_str(&report.growth().to_string());
    }
    text
}

/// The formats a profile file can be read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileFormat {
    Json,
    Pstats,
    /// gzip (a pprof profile, most likely), which profkit writes but does not read.
    Gzip,
}

/// Which format `bytes` hold: JSON starts (after white space) with `{` and then a `"` or `}`;
/// a pstats file is a marshalled dict, `{` (or `{` with marshal's reference flag) followed by
/// a type code, never `"` or white space.
fn sniff(bytes: &[u8]) -> FileFormat {
    let mut rest = bytes.iter().copied().skip_while(u8::is_ascii_whitespace);
    let leading_space = bytes.first().is_some_and(u8::is_ascii_whitespace);
    match rest.next() {
        Some(b'{') if leading_space => FileFormat::Json,
        Some(b'{') => match rest.next() {
            Some(b'"' | b'}' | b' ' | b'\t' | b'\n' | b'\r') => FileFormat::Json,
            _ => FileFormat::Pstats,
        },
        Some(b'[') => FileFormat::Json,
        Some(0x1f) if bytes.get(1) == Some(&0x8b) => FileFormat::Gzip,
        _ => FileFormat::Pstats,
    }
}

/// The file formats a report is written in: what `PROFKIT_OUT` and [`Report::write`] choose
/// by a path's extension, and what [`Report::to_bytes`] renders (for standard output, say).
///
/// ```
/// use profkit::Format;
/// assert_eq!(Format::of(std::path::Path::new("run.prof")), Some(Format::Pstats));
/// assert_eq!(Format::from_extension("json"), Some(Format::Json));
/// assert_eq!(Format::from_extension("png"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// `.txt` (and no extension): the pstats table, the latency table, and the memory table
    /// when the report has memory figures.
    Text,
    /// `.prof`: a pstats file.
    Pstats,
    /// `.json`: profkit's JSON.
    Json,
    /// `.folded`: folded stacks.
    Folded,
    /// `.svg`: a flame graph (cargo feature `flamegraph`).
    Svg,
    /// `.pb.gz` (or `.pprof`): a gzipped pprof profile (cargo feature `pprof`).
    Pprof,
}

/// What the extensions are, for error messages.
pub(crate) const EXTENSIONS: &str = ".txt, .prof, .json, .folded, .svg and .pb.gz";

impl Format {
    /// The format a path's extension names: `.txt` or none, `.prof` or `.pstats`, `.json`,
    /// `.folded`, `.svg`, `.pb.gz` or `.pprof`; `None` for another extension.
    pub fn of(path: &Path) -> Option<Format> {
        // Two extensions: `Path::extension` sees only `.gz`.
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.len() > ".pb.gz".len() && n.ends_with(".pb.gz"))
        {
            return Some(Format::Pprof);
        }
        match path.extension() {
            None => Some(Format::Text),
            Some(e) => e.to_str().and_then(Format::from_extension),
        }
    }

    /// The format an extension (without its dot) names, as [`Format::of`] reads it (`pb.gz`
    /// included).
    pub fn from_extension(extension: &str) -> Option<Format> {
        match extension {
            "txt" => Some(Format::Text),
            "prof" | "pstats" => Some(Format::Pstats),
            "json" => Some(Format::Json),
            "folded" => Some(Format::Folded),
            "svg" => Some(Format::Svg),
            "pb.gz" | "pprof" => Some(Format::Pprof),
            _ => None,
        }
    }

    /// The bytes of `report` in this format; `text` renders the text format.
    pub(crate) fn render(
        self,
        report: &Report,
        text: impl FnOnce() -> String,
    ) -> io::Result<Vec<u8>> {
        Ok(match self {
            Format::Text => text().into_bytes(),
            Format::Pstats => report.to_pstats_bytes(),
            #[cfg(feature = "json")]
            Format::Json => report.to_json().into_bytes(),
            #[cfg(not(feature = "json"))]
            Format::Json => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "JSON files need profkit's cargo feature `json`",
                ));
            }
            Format::Folded => report.folded().into_bytes(),
            #[cfg(feature = "flamegraph")]
            Format::Svg => report.flamegraph_svg()?,
            #[cfg(not(feature = "flamegraph"))]
            Format::Svg => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "SVG flame graphs need profkit's cargo feature `flamegraph`",
                ));
            }
            #[cfg(feature = "pprof")]
            Format::Pprof => report.to_pprof()?,
            #[cfg(not(feature = "pprof"))]
            Format::Pprof => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "pprof files need profkit's cargo feature `pprof`",
                ));
            }
        })
    }
}

/// Writes `report` to `path` in the format its extension names.
pub(crate) fn write_by_extension(
    report: &Report,
    path: &Path,
    text: impl FnOnce() -> String,
) -> Result<(), WriteError> {
    let format = Format::of(path).ok_or_else(|| {
        WriteError::new(
            path,
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown format (the extensions are {EXTENSIONS})"),
            ),
        )
    })?;
    let bytes = format
        .render(report, text)
        .map_err(|e| WriteError::new(path, e))?;
    write_atomic(path, &bytes)
}

impl Report {
    /// Reads a profile file in any format profkit reads, told apart by content: profkit's JSON
    /// ([`Report::to_json`]), a pstats file profkit wrote ([`Report::write_pstats`]), or a dump
    /// of Python's cProfile.
    ///
    /// # Errors
    /// [`ReadError`] names the file and, for a malformed one, where it is wrong (a byte offset,
    /// or a line and column for JSON) and what was expected. Files over 1 GiB are refused
    /// before they are read.
    ///
    /// ```
    /// # #[profkit::profile] fn step() {}
    /// let (_, report) = profkit::record(step);
    /// let dir = std::env::temp_dir();
    /// let json = dir.join(format!("profkit-doc-read-any-{}.json", std::process::id()));
    /// let prof = dir.join(format!("profkit-doc-read-any-{}.prof", std::process::id()));
    /// report.write_json(&json).unwrap();
    /// report.write_pstats(&prof).unwrap();
    /// assert_eq!(profkit::Report::read(&json).unwrap(), report);
    /// assert_eq!(profkit::Report::read(&prof).unwrap().function("step").unwrap().ncalls(), 1);
    /// # std::fs::remove_file(&json).unwrap();
    /// # std::fs::remove_file(&prof).unwrap();
    /// ```
    #[cfg_attr(feature = "json", doc = "\n[`Report::to_json`]: Report::to_json")]
    #[cfg_attr(
        not(feature = "json"),
        doc = "\n[`Report::to_json`]: https://docs.rs/profkit/latest/profkit/struct.Report.html#method.to_json"
    )]
    pub fn read(path: impl AsRef<Path>) -> Result<Report, ReadError> {
        let path = path.as_ref();
        let bytes = read_bounded(path)?;
        Report::from_bytes(&bytes).map_err(|e| e.in_file(path))
    }

    /// Reads a profile from a stream (standard input, a pipe, a socket) in any format
    /// [`Report::read`] takes, told apart by content. The command line reads `-` with it.
    ///
    /// # Errors
    /// [`ReadError`] as for [`Report::from_bytes`], or the stream's own error; a stream longer
    /// than 1 GiB is refused once that much has been read.
    ///
    /// ```
    /// # #[profkit::profile] fn step() {}
    /// let (_, report) = profkit::record(step);
    /// let json = report.to_json();
    /// assert_eq!(profkit::Report::read_from(json.as_bytes()).unwrap(), report);
    /// // In a program: profkit::Report::read_from(std::io::stdin().lock())
    /// ```
    pub fn read_from(reader: impl io::Read) -> Result<Report, ReadError> {
        Report::from_bytes(&read_bounded_from(reader)?)
    }

    /// Reads several profile files (each in any format [`Report::read`] takes) into one
    /// report, merged as [`Report::merge`] does (pstats' `Stats.add`).
    ///
    /// # Errors
    /// The first file that cannot be read, as [`Report::read`] says.
    ///
    /// ```
    /// # #[profkit::profile] fn step() {}
    /// let (_, report) = profkit::record(step);
    /// let path = std::env::temp_dir().join(format!("profkit-doc-read-all-{}.json", std::process::id()));
    /// report.write_json(&path).unwrap();
    /// let twice = profkit::Report::read_all([&path, &path]).unwrap();
    /// assert_eq!(twice.function("step").unwrap().ncalls(), 2);
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn read_all<P: AsRef<Path>>(
        paths: impl IntoIterator<Item = P>,
    ) -> Result<Report, ReadError> {
        let mut total = Report::default();
        for path in paths {
            total.merge(&Report::read(path)?);
        }
        Ok(total)
    }

    /// Writes the report to `path` in the format its extension names, atomically, as
    /// `PROFKIT_OUT` does: `.txt` (or none) the pstats and latency tables, `.prof` a pstats
    /// file, `.json` profkit's JSON, `.folded` folded stacks, `.svg` a flame graph (cargo
    /// feature `flamegraph`), `.pb.gz` or `.pprof` a pprof profile (cargo feature `pprof`).
    ///
    /// # Errors
    /// [`WriteError`](crate::WriteError) names the path and why: an unknown extension, a
    /// format this build lacks, nothing to draw, or the operating system's reason.
    ///
    /// ```
    /// # #[profkit::profile] fn step() {}
    /// let (_, report) = profkit::record(step);
    /// let path = std::env::temp_dir().join(format!("profkit-doc-write-{}.json", std::process::id()));
    /// report.write(&path).unwrap();
    /// assert_eq!(profkit::Report::read(&path).unwrap(), report);
    /// let err = report.write("profile.png").unwrap_err();
    /// assert!(err.to_string().contains("unknown format"));
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), WriteError> {
        write_by_extension(self, path.as_ref(), || self.tables())
    }

    /// The report's bytes in `format`, as [`Report::write`] writes them: to send to standard
    /// output or a socket rather than a file.
    ///
    /// # Errors
    /// An [`io::Error`] when this build lacks the format (`Json` without the cargo feature
    /// `json`, `Svg` without `flamegraph`) or a flame graph has nothing to draw.
    ///
    /// ```
    /// # #[profkit::profile] fn step() {}
    /// let (_, report) = profkit::record(step);
    /// let json = report.to_bytes(profkit::Format::Json).unwrap();
    /// assert_eq!(profkit::Report::from_bytes(&json).unwrap(), report);
    /// ```
    pub fn to_bytes(&self, format: Format) -> io::Result<Vec<u8>> {
        format.render(self, || self.tables())
    }

    /// The `.txt` format: the pstats table, the latency table, and the memory table when
    /// there are memory figures.
    fn tables(&self) -> String {
        text_report(self, SortKey::Cumulative, None)
    }

    /// Reads a profile from bytes in any format [`Report::read`] takes.
    ///
    /// # Errors
    /// As [`Report::read`], without the file name.
    ///
    /// ```
    /// let err = profkit::Report::from_bytes(b"").unwrap_err();
    /// assert!(err.to_string().contains("empty"));
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Report, ReadError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ReadError::at(
                0,
                "the file is empty: there is no profile in it",
            ));
        }
        match sniff(bytes) {
            #[cfg(feature = "json")]
            FileFormat::Json => Report::from_json_bytes(bytes),
            #[cfg(not(feature = "json"))]
            FileFormat::Json => Err(ReadError::at(
                0,
                "this looks like JSON: reading profkit's JSON needs its cargo feature `json`",
            )),
            FileFormat::Pstats => Report::from_pstats_bytes(bytes),
            FileFormat::Gzip => Err(ReadError::at(
                0,
                "a gzip file (a pprof profile?): profkit reads its .json and pstats files; \
                 open pprof files with `go tool pprof`",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(not(feature = "flamegraph"))]
    #[test]
    fn an_svg_without_the_flamegraph_feature_is_a_clear_error() {
        let path =
            std::env::temp_dir().join(format!("profkit-nofeature-{}.svg", std::process::id()));
        let e = write_by_extension(&Report::default(), &path, String::new).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "cannot write {}: SVG flame graphs need profkit's cargo feature `flamegraph`",
                path.display()
            )
        );
        assert!(!path.exists());
    }

    #[cfg(not(feature = "json"))]
    #[test]
    fn json_without_the_json_feature_is_a_clear_error() {
        let e = Report::from_bytes(br#"{"format": "profkit", "version": 1}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "at byte 0: this looks like JSON: reading profkit's JSON needs its cargo feature `json`"
        );
        let path = std::env::temp_dir().join(format!("profkit-nojson-{}.json", std::process::id()));
        let e = Report::default().write(&path).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("JSON files need profkit's cargo feature `json`"),
            "{e}"
        );
        assert!(!path.exists());
    }

    #[test]
    fn pprof_is_named_by_two_extensions_or_one() {
        assert_eq!(Format::of(Path::new("out/p.pb.gz")), Some(Format::Pprof));
        assert_eq!(Format::of(Path::new("p.pprof")), Some(Format::Pprof));
        assert_eq!(
            Format::of(Path::new(".pb.gz")),
            None,
            "no name before it: .gz"
        );
        assert_eq!(Format::of(Path::new("p.gz")), None);
        assert_eq!(Format::of(Path::new("p.pb")), None);
    }

    #[cfg(not(feature = "pprof"))]
    #[test]
    fn pprof_without_the_pprof_feature_is_a_clear_error() {
        let path =
            std::env::temp_dir().join(format!("profkit-nopprof-{}.pb.gz", std::process::id()));
        let e = Report::default().write(&path).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("pprof files need profkit's cargo feature `pprof`"),
            "{e}"
        );
        assert!(!path.exists());
    }

    #[test]
    fn a_gzip_file_is_not_taken_for_pstats() {
        let e = Report::from_bytes(b"\x1f\x8b\x08\x00\x00").unwrap_err();
        assert_eq!(
            e.to_string(),
            "at byte 0: a gzip file (a pprof profile?): profkit reads its .json and pstats \
             files; open pprof files with `go tool pprof`"
        );
    }

    #[test]
    fn formats_are_told_apart_by_their_first_bytes() {
        assert_eq!(sniff(b"{\"format\": \"profkit\"}"), FileFormat::Json);
        assert_eq!(sniff(b"  {}"), FileFormat::Json);
        assert_eq!(sniff(b"{\n  \"a\": 1}"), FileFormat::Json);
        assert_eq!(sniff(b"{0"), FileFormat::Pstats);
        assert_eq!(sniff(b"\xfb)\x03"), FileFormat::Pstats);
        assert_eq!(sniff(b"{)\x03"), FileFormat::Pstats);
        assert_eq!(sniff(b""), FileFormat::Pstats);
    }
}
