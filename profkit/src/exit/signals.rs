//! The exit report on SIGINT and SIGTERM (`PROFKIT_SIGNALS=1`, [`report_on_signals`]).
//!
//! The signal handlers are `signal-hook`'s: they only wake a thread of ours through a pipe,
//! and nothing is formatted or allocated inside them. That thread writes the report as a
//! normal exit does, then restores the signal's default action and raises it again, so the
//! process ends as the signal would have ended it (a shell reports 130 for SIGINT and 143 for
//! SIGTERM). A second signal that arrives while the report is being written ends the process
//! at once, by the same default action.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::flag;
use signal_hook::iterator::Signals;
use signal_hook::low_level;

use crate::error::SignalError;

const HANDLED: [libc::c_int; 2] = [SIGINT, SIGTERM];

/// Writes the exit report when the process receives SIGINT (Ctrl-C) or SIGTERM (`kill`), as
/// at a normal exit, then ends the process by that signal, so its exit status is the one the
/// signal gives (130 and 143 in a shell).
///
/// The report goes where the exit report goes: the `PROFKIT_OUT` files, or, without it, the
/// tables on stderr (even without `PROFKIT=1`). `PROFKIT_SIGNALS=1` in the environment does
/// the same without code. A second Ctrl-C while the report is being written ends the process
/// at once. Calling this again does nothing; with the cargo feature `enable` off it does
/// nothing at all. Needs the cargo feature `signals` (on by default) and a Unix system.
///
/// A program that handles these signals itself for a graceful shutdown (tokio's `ctrl_c`, a
/// `signal-hook` flag) should not call this: its handler still runs, but the process ends once
/// the report is written. Its normal exit writes the report (`PROFKIT=1`, `PROFKIT_OUT`).
///
/// Calls still open when the signal arrives (a server's main loop) have not ended, so they
/// are not counted; the calls they made are, and the open ones show as rows with 0 calls.
///
/// # Errors
/// [`SignalError`] when the operating system refuses a handler or the thread that writes the
/// report cannot be started; nothing is installed then.
///
/// ```no_run
/// fn main() -> Result<(), profkit::SignalError> {
///     profkit::report_on_signals()?;
///     // ... serve until Ctrl-C: the report is written, then the process ends by SIGINT.
///     Ok(())
/// }
/// ```
#[cfg_attr(docsrs, doc(cfg(all(unix, feature = "signals"))))]
pub fn report_on_signals() -> Result<(), SignalError> {
    if !cfg!(feature = "enable") {
        return Ok(());
    }
    install().map_err(SignalError::from)
}

/// Installs the handlers and the thread that writes the report, once per process.
pub(super) fn install() -> io::Result<()> {
    static INSTALLED: Mutex<bool> = Mutex::new(false);
    let mut installed = INSTALLED.lock();
    if *installed {
        return Ok(());
    }
    // Set once the report is being written: a second signal then ends the process at once.
    let writing = Arc::new(AtomicBool::new(false));
    let mut ids = Vec::new();
    let result = (|| {
        for signal in HANDLED {
            ids.push(flag::register_conditional_default(signal, writing.clone())?);
        }
        // Dropped with the thread's closure if the thread cannot start, which unregisters it.
        let mut signals = Signals::new(HANDLED)?;
        let writing = writing.clone();
        std::thread::Builder::new()
            .name("profkit-signals".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    writing.store(true, Ordering::SeqCst);
                    super::write_on_signal();
                    // Restores the default action and raises the signal: the process ends as
                    // the signal would have ended it.
                    let _ = low_level::emulate_default_handler(signal);
                }
            })
            .map(drop)
    })();
    if result.is_err() {
        for id in ids {
            low_level::unregister(id);
        }
    }
    *installed = result.is_ok();
    result
}
