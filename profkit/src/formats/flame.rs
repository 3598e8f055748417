//! SVG flame graphs of a report's call tree, drawn by `inferno` (cargo feature `flamegraph`).

use std::io;

use crate::error::WriteError;
use crate::model::Report;

use super::folded::StackMetric;
use super::io::write_atomic;

impl Report {
    /// An interactive SVG flame graph of the call tree (inferno's, as `flamegraph.pl` draws
    /// them): one box per call path, as wide as its inclusive time, its own time being the
    /// part not covered by its callees. Colours are chosen by name, so the same profile always
    /// gives the same file. Needs the cargo feature `flamegraph`.
    ///
    /// # Errors
    /// An [`io::Error`] of kind `InvalidData` when there is nothing to draw: no call path
    /// with time (a report read from a pstats file has no call tree).
    ///
    /// ```
    /// # #[profkit::profile] fn child() { std::hint::black_box(0); }
    /// # #[profkit::profile] fn parent() { child() }
    /// let (_, report) = profkit::record(parent);
    /// let svg = String::from_utf8(report.flamegraph_svg().unwrap()).unwrap();
    /// assert!(svg.contains("<svg") && svg.contains("parent"));
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "flamegraph")))]
    pub fn flamegraph_svg(&self) -> io::Result<Vec<u8>> {
        self.flamegraph_svg_by(StackMetric::OwnTime)
    }

    /// [`Report::flamegraph_svg`] with boxes as wide as `metric`: time, or the bytes or
    /// allocations made on each path and below it (a heap flame graph, as heaptrack draws
    /// them). Needs the cargo feature `flamegraph`.
    ///
    /// # Errors
    /// As [`Report::flamegraph_svg`]; also `InvalidInput` for a memory metric on a report
    /// without memory figures.
    ///
    /// ```
    /// # #[profkit::profile] fn step() { std::hint::black_box(0); }
    /// let (_, report) = profkit::record(step);
    /// let svg = report.flamegraph_svg_by(profkit::StackMetric::OwnTime).unwrap();
    /// assert!(String::from_utf8(svg).unwrap().contains("step"));
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "flamegraph")))]
    pub fn flamegraph_svg_by(&self, metric: StackMetric) -> io::Result<Vec<u8>> {
        let folded = self.folded_by(metric)?;
        if folded.is_empty() {
            let what = match metric {
                StackMetric::OwnTime => "with time",
                StackMetric::Cpu => "with CPU time",
                StackMetric::Wait => "that waited",
                _ => "that allocated",
            };
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "nothing to draw: the profile has no call path {what} (a report read from \
                     a pstats file has no call tree)"
                ),
            ));
        }
        let mut options = inferno::flamegraph::Options::default();
        let by = match metric {
            StackMetric::OwnTime => "",
            StackMetric::Bytes => " (bytes allocated)",
            StackMetric::Allocs => " (allocations)",
            StackMetric::Cpu => " (CPU time)",
            StackMetric::Wait => " (time waiting)",
        };
        options.title = match self.program() {
            Some(p) => format!("{p}: profkit flame graph{by}"),
            None => format!("profkit flame graph{by}"),
        };
        options.count_name = metric.unit().to_owned();
        options.hash = true;
        options.deterministic = true;
        let mut svg = Vec::with_capacity(folded.len() * 4);
        inferno::flamegraph::from_lines(&mut options, folded.lines(), &mut svg)?;
        Ok(svg)
    }

    /// Writes [`Report::flamegraph_svg`] to `path`, atomically. Needs the cargo feature
    /// `flamegraph`.
    ///
    /// # Errors
    /// [`WriteError`](crate::WriteError) names the path and why: nothing to draw, or the
    /// operating system's reason.
    ///
    /// ```
    /// # #[profkit::profile] fn step() { std::hint::black_box(0); }
    /// let (_, report) = profkit::record(step);
    /// let path = std::env::temp_dir().join(format!("profkit-doc-flame-{}.svg", std::process::id()));
    /// report.write_flamegraph(&path).unwrap();
    /// assert!(std::fs::read_to_string(&path).unwrap().contains("step"));
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "flamegraph")))]
    pub fn write_flamegraph(&self, path: impl AsRef<std::path::Path>) -> Result<(), WriteError> {
        let path = path.as_ref();
        let svg = self
            .flamegraph_svg()
            .map_err(|e| WriteError::new(path, e))?;
        write_atomic(path, &svg)
    }
}
