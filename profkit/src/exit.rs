//! Reports written at process exit (`PROFKIT=1`, `PROFKIT_OUT=path`): the top floor, which
//! reads the whole process through `session::report` and writes through `files`.
//!
//! On glibc both `main` returning and `std::process::exit` end in libc `exit`, which runs the
//! exiting thread's thread-local destructors (folding its call tree into the process totals)
//! and then the `atexit` handlers; the handler registered here reads the totals and every
//! thread still running.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Once;

use once_cell::sync::OnceCell;

use crate::collect::local;
use crate::files::{text_report, write_by_extension};
use crate::session;
use crate::views::SortKey;

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
            local::busy(|| write_exit_report(config));
        }
    });
}

fn write_exit_report(config: &ExitConfig) {
    let mut stderr = io::stderr().lock();
    for w in &config.warnings {
        let _ = writeln!(stderr, "profkit: {w}");
    }
    let report = session::report();
    let text = || text_report(&report, config.sort, config.limit);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::Format;
    use std::path::Path;

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
}
