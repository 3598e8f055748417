//! Reports written at process exit (`PROFKIT=1`, `PROFKIT_OUT=path`) and the atomic file write
//! every report file goes through.
//!
//! On glibc both `main` returning and `std::process::exit` end in libc `exit`, which runs the
//! exiting thread's thread-local destructors (folding its call tree into the process totals)
//! and then the `atexit` handlers; the handler registered here reads the totals and every
//! thread still running.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

use once_cell::sync::OnceCell;

use crate::SortKey;
use crate::error::WriteError;

/// Where and how the exit report goes, read from the environment once.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ExitConfig {
    /// `PROFKIT_OUT`: files instead of stderr, each in the format its extension names.
    out: Vec<PathBuf>,
    sort: SortKey,
    limit: Option<usize>,
    /// Environment values that were ignored, said once at exit.
    warnings: Vec<String>,
}

static CONFIG: OnceCell<ExitConfig> = OnceCell::new();

/// Reads the environment on the first registered call site and, when a report is wanted,
/// registers the exit handler.
pub(crate) fn install_once() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let Some(config) = ExitConfig::from_vars(|k| std::env::var_os(k)) else {
            return;
        };
        if CONFIG.set(config).is_ok() {
            // SAFETY: `atexit` is given a plain `extern "C" fn()` with no captured state, which
            // C allows to be called at exit at any time; `at_exit` never unwinds (it catches
            // every panic), so no unwinding crosses the C frame.
            unsafe {
                libc::atexit(at_exit);
            }
        }
    });
}

fn truthy(value: &OsString) -> bool {
    let v = value.to_string_lossy().to_ascii_lowercase();
    !matches!(v.trim(), "" | "0" | "false" | "no" | "off")
}

impl ExitConfig {
    /// `None` when neither `PROFKIT` (truthy) nor `PROFKIT_OUT` (non-empty) is set.
    pub(crate) fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Option<ExitConfig> {
        let out: Vec<PathBuf> = var("PROFKIT_OUT")
            .map(|v| {
                v.to_string_lossy()
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from)
                    .collect()
            })
            .unwrap_or_default();
        if out.is_empty() && !var("PROFKIT").is_some_and(|v| truthy(&v)) {
            return None;
        }
        let mut warnings = Vec::new();
        let sort = match var("PROFKIT_SORT").map(|v| v.to_string_lossy().into_owned()) {
            None => SortKey::Cumulative,
            Some(v) => v.trim().parse().unwrap_or_else(|e| {
                warnings.push(format!("ignoring PROFKIT_SORT: {e}"));
                SortKey::Cumulative
            }),
        };
        let limit = match var("PROFKIT_LIMIT").map(|v| v.to_string_lossy().into_owned()) {
            None => None,
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) => Some(n),
                Err(_) => {
                    warnings.push(format!(
                        "ignoring PROFKIT_LIMIT={v:?}: expected a number of rows"
                    ));
                    None
                }
            },
        };
        Some(ExitConfig {
            out,
            sort,
            limit,
            warnings,
        })
    }
}

extern "C" fn at_exit() {
    // Nothing may unwind into C, and a failure here must not change the exit status.
    let _ = std::panic::catch_unwind(|| {
        if let Some(config) = CONFIG.get() {
            crate::local::busy(|| write_exit_report(config));
        }
    });
}

/// The formats `PROFKIT_OUT` and [`Report::write`](crate::Report::write) write, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// `.txt` (and no extension): the pstats table, then the latency table.
    Text,
    /// `.prof`: a pstats file.
    Pstats,
    /// `.json`: profkit's JSON.
    Json,
    /// `.folded`: folded stacks.
    Folded,
    /// `.svg`: a flame graph (cargo feature `flamegraph`).
    Svg,
}

/// What the extensions are, for error messages.
pub(crate) const EXTENSIONS: &str = ".txt, .prof, .json, .folded and .svg";

impl Format {
    pub(crate) fn of(path: &Path) -> Option<Format> {
        match path.extension().and_then(|e| e.to_str()) {
            None | Some("txt") => Some(Format::Text),
            Some("prof" | "pstats") => Some(Format::Pstats),
            Some("json") => Some(Format::Json),
            Some("folded") => Some(Format::Folded),
            Some("svg") => Some(Format::Svg),
            Some(_) => None,
        }
    }

    /// The bytes of `report` in this format; `text` renders the text format.
    pub(crate) fn render(
        self,
        report: &crate::Report,
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
        })
    }
}

/// Writes `report` to `path` in the format its extension names.
pub(crate) fn write_by_extension(
    report: &crate::Report,
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

fn write_exit_report(config: &ExitConfig) {
    let mut stderr = io::stderr().lock();
    for w in &config.warnings {
        let _ = writeln!(stderr, "profkit: {w}");
    }
    let report = crate::report();
    let text = || {
        format!(
            "{}{}",
            report.stats().sort(config.sort).limit(config.limit),
            report.latency().limit(config.limit)
        )
    };
    if config.out.is_empty() {
        let _ = stderr.write_all(text().as_bytes());
        return;
    }
    for path in &config.out {
        if let Err(e) = write_by_extension(&report, path, text) {
            let _ = writeln!(stderr, "profkit: {e}");
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
/// the path holds either its old content or the whole new one.
///
/// A path that exists and is not a regular file (a device such as `/dev/stdout`, a named
/// pipe) is written in place: renaming over it would replace the device with a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let err = |e| WriteError::new(path, e);
    if fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut f| f.write_all(bytes).and_then(|()| f.flush()))
            .map_err(err);
    }
    let name = path.file_name().ok_or_else(|| {
        err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path names no file",
        ))
    })?;
    // Unique per write, so that writers of one path never share a temporary file.
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let mut tmp_name = OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".profkit-{}-{}.tmp",
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let mut file = fs::File::create_new(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_named_pipes_are_written_in_place_not_replaced() {
        let dir = std::env::temp_dir().join(format!("profkit-fifo-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("pipe.json");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(&fifo).unwrap())
        };
        write_atomic(&fifo, b"{}\n").unwrap();
        assert_eq!(reader.join().unwrap(), b"{}\n");
        assert!(!fs::metadata(&fifo).unwrap().is_file(), "still a pipe");
        fs::remove_dir_all(&dir).unwrap();
        // A device that refuses the bytes is an error naming it, and stays a device.
        let full = Path::new("/dev/full");
        let e = write_atomic(full, b"x").unwrap_err();
        assert!(e.to_string().starts_with("cannot write /dev/full: "), "{e}");
        assert!(!fs::metadata(full).unwrap().is_file());
    }

    #[cfg(not(feature = "flamegraph"))]
    #[test]
    fn an_svg_without_the_flamegraph_feature_is_a_clear_error() {
        let path =
            std::env::temp_dir().join(format!("profkit-nofeature-{}.svg", std::process::id()));
        let e = write_by_extension(&crate::Report::default(), &path, String::new).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "cannot write {}: SVG flame graphs need profkit's cargo feature `flamegraph`",
                path.display()
            )
        );
        assert!(!path.exists());
    }

    fn config(vars: &[(&str, &str)]) -> Option<ExitConfig> {
        ExitConfig::from_vars(|k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| OsString::from(v))
        })
    }

    #[test]
    fn nothing_is_printed_without_the_variables() {
        assert_eq!(config(&[]), None);
        assert_eq!(config(&[("PROFKIT", "0")]), None);
        assert_eq!(config(&[("PROFKIT", "false")]), None);
        assert_eq!(config(&[("PROFKIT_OUT", "")]), None);
    }

    #[test]
    fn variables_choose_destination_order_and_length() {
        let c = config(&[("PROFKIT", "1")]).unwrap();
        assert_eq!(
            (c.out, c.sort, c.limit),
            (vec![], SortKey::Cumulative, None)
        );
        let c = config(&[
            ("PROFKIT_OUT", "p.txt"),
            ("PROFKIT_SORT", "tottime"),
            ("PROFKIT_LIMIT", "5"),
        ])
        .unwrap();
        assert_eq!(c.out, vec![PathBuf::from("p.txt")]);
        let several = config(&[("PROFKIT_OUT", "a.txt, b.prof,,c.folded")]).unwrap();
        assert_eq!(several.out.len(), 3);
        assert_eq!(Format::of(&several.out[1]), Some(Format::Pstats));
        assert_eq!(Format::of(&several.out[2]), Some(Format::Folded));
        assert_eq!(Format::of(Path::new("p")), Some(Format::Text));
        assert_eq!(Format::of(Path::new("p.svg")), Some(Format::Svg));
        assert_eq!(Format::of(Path::new("p.json")), Some(Format::Json));
        assert_eq!(Format::of(Path::new("p.png")), None);
        assert_eq!((c.sort, c.limit), (SortKey::TotTime, Some(5)));
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn bad_values_are_ignored_with_a_warning() {
        let c = config(&[
            ("PROFKIT", "1"),
            ("PROFKIT_SORT", "fastest"),
            ("PROFKIT_LIMIT", "ten"),
        ])
        .unwrap();
        assert_eq!((c.sort, c.limit), (SortKey::Cumulative, None));
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("fastest"));
    }

    #[test]
    fn atomic_write_replaces_the_file_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("profkit-unit-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.txt");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        let e = write_atomic(&dir.join("missing/r.txt"), b"x").unwrap_err();
        assert_eq!(e.io_error().kind(), io::ErrorKind::NotFound);
        fs::remove_dir_all(&dir).unwrap();
    }
}
