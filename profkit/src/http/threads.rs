//! `/debug/profkit/threads`: every live recording thread by name, with its open profiled
//! calls from the outermost and how long the innermost has been running (Go's
//! `goroutine?debug=2`, for "where is it stuck?").

use std::fmt::Write as _;

use crate::collect::{registry, site};

/// The threads as text, one block per thread.
pub(crate) fn render() -> String {
    let threads = registry::open_calls();
    let sites = site::snapshot();
    let mut out = String::new();
    let _ = writeln!(out, "{} recording threads", threads.len());
    for t in &threads {
        let _ = write!(out, "\nthread {} \"{}\": ", t.id, t.name);
        match (t.sites.len(), t.running_ns) {
            (0, _) => {
                let _ = writeln!(out, "no profiled call open");
            }
            (n, Some(ns)) => {
                let _ = writeln!(
                    out,
                    "{n} profiled calls open, the innermost running for {:.3} s",
                    ns as f64 / 1e9
                );
            }
            (n, None) if t.untimed => {
                // Sampled timing: the innermost call read no clock when it began.
                let _ = writeln!(
                    out,
                    "{n} profiled calls open (the innermost untimed, sampled timing: no duration)"
                );
            }
            (n, None) => {
                let _ = writeln!(
                    out,
                    "{n} profiled calls open (thread-CPU clock: no duration)"
                );
            }
        }
        for s in &t.sites {
            match sites.get(*s as usize) {
                Some(info) => {
                    let _ = writeln!(out, "    {} ({}:{})", info.name, info.file, info.line);
                }
                None => {
                    let _ = writeln!(out, "    <site {s}>");
                }
            }
        }
    }
    out
}
