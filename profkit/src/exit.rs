//! Reports written at process exit (`PROFKIT=1`, `PROFKIT_OUT=path`, where `{pid}` and `{exe}`
//! are filled in and missing directories created: `out`), and on SIGINT or
//! SIGTERM (`PROFKIT_SIGNALS=1`, [`report_on_signals`]): the top floor, which reads the whole
//! process through `session::report` and writes through `files`.
//!
//! On glibc both `main` returning and `std::process::exit` end in libc `exit`, which runs the
//! exiting thread's thread-local destructors (folding its call tree into the process totals)
//! and then the `atexit` handlers; the handler registered here reads the totals and every
//! thread still running. On a signal, a thread of `signals` writes the same report (running
//! threads are read as they are, so the calls a thread completed count even though its
//! thread-local destructor never runs), then ends the process by that signal.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Once;
use std::time::Duration;

use once_cell::sync::OnceCell;

use parking_lot::Mutex;

use crate::collect::{local, parse_switch};
use crate::files::{text_report, write_by_extension};
use crate::session;
use crate::views::SortKey;

mod out;
#[cfg(all(unix, feature = "signals"))]
mod signals;
#[cfg(all(unix, feature = "signals"))]
pub use signals::report_on_signals;

/// Where and how the exit report goes, read from the environment once.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ExitConfig {
    /// `PROFKIT_OUT`: files instead of stderr, each in the format its extension names.
    out: Vec<PathBuf>,
    sort: SortKey,
    limit: Option<usize>,
    /// `PROFKIT_SIGNALS`: write the report on SIGINT and SIGTERM too.
    signals: bool,
    /// `PROFKIT_SNAPSHOT_EVERY`: take a live-heap snapshot this often (growth table).
    snapshot_every: Option<Duration>,
    /// Environment values that were ignored, said once at exit.
    warnings: Vec<String>,
}

static CONFIG: OnceCell<ExitConfig> = OnceCell::new();

/// Reads the environment on the first registered call site and, when a report is wanted,
/// registers the exit handler.
pub(crate) fn install_once() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        out::mark_start();
        let Some(config) = ExitConfig::from_vars(|k| std::env::var_os(k)) else {
            return;
        };
        let signals = config.signals;
        let every = config.snapshot_every;
        if CONFIG.set(config).is_ok() {
            if let Some(every) = every
                && let Err(e) = session::snapshot_every(every)
            {
                let _ = writeln!(io::stderr(), "profkit: PROFKIT_SNAPSHOT_EVERY: {e}");
            }
            // SAFETY: `atexit` is given a plain `extern "C" fn()` with no captured state, which
            // C allows to be called at exit at any time; `at_exit` never unwinds (it catches
            // every panic), so no unwinding crosses the C frame.
            unsafe {
                libc::atexit(at_exit);
            }
            #[cfg(all(unix, feature = "signals"))]
            if signals && let Err(e) = signals::install() {
                // The program goes on; only the report on a signal is lost, so say it now.
                use std::io::Write as _;
                let _ = writeln!(io::stderr(), "profkit: PROFKIT_SIGNALS: {e}");
            }
            #[cfg(not(all(unix, feature = "signals")))]
            let _ = signals;
        }
    });
}

/// An on/off variable, by collect's one rule for them ([`parse_switch`]): `1` on, `0` off,
/// unset off, anything else off with a line on stderr.
fn switch(var: &impl Fn(&str) -> Option<OsString>, name: &str) -> bool {
    parse_switch(
        name,
        var(name).map(|v| v.to_string_lossy().into_owned()),
        false,
    )
}

impl ExitConfig {
    /// `None` when neither `PROFKIT` (`1`) nor `PROFKIT_OUT` (non-empty) is set.
    pub(crate) fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Option<ExitConfig> {
        let config = ExitConfig::read(&var);
        let wanted = !config.out.is_empty() || switch(&var, "PROFKIT");
        wanted.then_some(config)
    }

    /// The variables as they are, whether or not they ask for a report: with neither
    /// `PROFKIT` nor `PROFKIT_OUT`, the tables go to stderr.
    fn read(var: &impl Fn(&str) -> Option<OsString>) -> ExitConfig {
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
        let snapshot_every =
            match var("PROFKIT_SNAPSHOT_EVERY").map(|v| v.to_string_lossy().into_owned()) {
                None => None,
                Some(v) => match parse_interval(&v) {
                    Some(d) => Some(d),
                    None => {
                        warnings.push(format!(
                            "ignoring PROFKIT_SNAPSHOT_EVERY={v:?}: expected an interval such as \
                         10s, 500ms, 1m"
                        ));
                        None
                    }
                },
            };
        let signals = switch(var, "PROFKIT_SIGNALS");
        if signals && !cfg!(all(unix, feature = "signals")) {
            warnings.push(
                "ignoring PROFKIT_SIGNALS: this build of profkit has no `signals` feature"
                    .to_owned(),
            );
        }
        ExitConfig {
            out,
            sort,
            limit,
            signals,
            snapshot_every,
            warnings,
        }
    }
}

/// `10s`, `500ms`, `1.5m`, `1min`, `1h` (a bare number is seconds): a positive interval.
fn parse_interval(text: &str) -> Option<Duration> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number.parse().ok()?;
    let seconds = value
        * match unit.trim() {
            "" | "s" => 1.0,
            "ms" => 1e-3,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
    (seconds.is_finite() && seconds > 0.0 && seconds < 1e9)
        .then(|| Duration::from_secs_f64(seconds))
}

extern "C" fn at_exit() {
    // Nothing may unwind into C, and a failure here must not change the exit status.
    let _ = std::panic::catch_unwind(|| {
        if let Some(config) = CONFIG.get() {
            write_once(config);
        }
    });
}

/// Writes the exit report for a signal: as configured by the environment, or, when it asked
/// for none (the program called [`report_on_signals`]), the tables on stderr.
#[cfg(all(unix, feature = "signals"))]
fn write_on_signal() {
    let _ = std::panic::catch_unwind(|| {
        let read;
        let config = match CONFIG.get() {
            Some(config) => config,
            None => {
                read = ExitConfig::read(&|k: &str| std::env::var_os(k));
                &read
            }
        };
        write_once(config);
    });
}

/// Writes the report once per process: at exit or on a signal, whichever comes first (the
/// other waits for it, then finds it written).
fn write_once(config: &ExitConfig) {
    static WRITTEN: Mutex<bool> = Mutex::new(false);
    let mut written = WRITTEN.lock();
    if !std::mem::replace(&mut *written, true) {
        local::busy(|| write_exit_report(config));
    }
}

fn write_exit_report(config: &ExitConfig) {
    let mut stderr = io::stderr().lock();
    for w in &config.warnings {
        let _ = writeln!(stderr, "profkit: {w}");
    }
    // The series ends with the heap at exit.
    if session::snapshots_on() {
        session::snapshot();
    }
    let report = session::report();
    let text = || text_report(&report, config.sort, config.limit);
    if config.out.is_empty() {
        let _ = stderr.write_all(text().as_bytes());
        return;
    }
    for template in &config.out {
        let path = out::expand(template);
        if let Err(e) = out::create_parent(&path) {
            let _ = writeln!(stderr, "profkit: cannot write {}: {e}", path.display());
            continue;
        }
        // A path with `{pid}` is this process's own; another may write a plain one too.
        let shared = !out::per_process(template);
        if shared && let Some(warning) = out::replaced_warning(&path) {
            let _ = writeln!(stderr, "profkit: {warning}");
        }
        match write_by_extension(&report, &path, text) {
            Ok(()) if shared => {
                let _ = out::note_writer(&path);
            }
            Ok(()) => {}
            Err(e) => {
                let _ = writeln!(stderr, "profkit: {e}");
            }
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
        // One rule for every on/off variable (collect's `parse_switch`): only `1` is on; any
        // other value is off, with a line on stderr.
        assert_eq!(config(&[("PROFKIT", "yes")]), None);
        assert_eq!(config(&[("PROFKIT", "")]), None);
        assert!(config(&[("PROFKIT", " 1 ")]).is_some());
        assert_eq!(config(&[("PROFKIT_OUT", "")]), None);
        assert_eq!(config(&[("PROFKIT_SIGNALS", "1")]), None);
    }

    #[test]
    fn profkit_signals_asks_for_the_report_on_signals_too() {
        assert!(!config(&[("PROFKIT", "1")]).unwrap().signals);
        let c = config(&[("PROFKIT_OUT", "p.json"), ("PROFKIT_SIGNALS", "1")]).unwrap();
        assert!(c.signals);
        assert_eq!(
            c.warnings.is_empty(),
            cfg!(all(unix, feature = "signals")),
            "{:?}",
            c.warnings
        );
        assert!(
            !config(&[("PROFKIT", "1"), ("PROFKIT_SIGNALS", "no")])
                .unwrap()
                .signals
        );
        assert!(
            !config(&[("PROFKIT", "1"), ("PROFKIT_SIGNALS", "true")])
                .unwrap()
                .signals
        );
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
    fn profkit_snapshot_every_takes_an_interval() {
        let every = |v: &str| config(&[("PROFKIT", "1"), ("PROFKIT_SNAPSHOT_EVERY", v)]).unwrap();
        assert_eq!(every("10s").snapshot_every, Some(Duration::from_secs(10)));
        assert_eq!(
            every("250ms").snapshot_every,
            Some(Duration::from_millis(250))
        );
        assert_eq!(every("2m").snapshot_every, Some(Duration::from_secs(120)));
        assert_eq!(every("1h").snapshot_every, Some(Duration::from_secs(3600)));
        assert_eq!(every("5").snapshot_every, Some(Duration::from_secs(5)));
        for bad in ["", "0s", "-1s", "10 parsecs", "fast"] {
            let c = every(bad);
            assert_eq!(c.snapshot_every, None, "{bad}");
            assert!(
                c.warnings[0].contains("PROFKIT_SNAPSHOT_EVERY"),
                "{:?}",
                c.warnings
            );
        }
        assert_eq!(config(&[("PROFKIT", "1")]).unwrap().snapshot_every, None);
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
