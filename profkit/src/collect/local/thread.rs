//! The calling thread's recording as a whole: a raw reading of it for a report, and a switch
//! to another clock.

use std::sync::Arc;

use super::{Local, NONE, hot, install, with_slot};
use crate::collect::clock::{self, Clock};
use crate::collect::reading::RawThread;
use crate::collect::registry::ThreadShared;

/// A raw reading of the calling thread's recording.
pub(crate) struct ThreadReading {
    pub(crate) thread: Arc<ThreadShared>,
    pub(crate) raw: RawThread,
}

/// Reads the calling thread's recording, starting it if needed; `new_window` starts a new
/// `record()` window for heap peaks first (the outermost `record` does).
pub(crate) fn read_current(new_window: bool) -> Option<ThreadReading> {
    with_slot(|slot| match slot {
        Some(local) => local.reading(new_window),
        None => install(slot, Local::new(Clock::of_kind(clock::configured()))).reading(new_window),
    })
}

/// Why the calling thread's clock could not be switched.
pub(crate) enum SwitchError {
    /// A profiled call is open on this thread.
    FramesOpen,
    /// The thread is being torn down, or profkit is running on it.
    Unavailable,
}

/// Starts a new recording on this thread with `clock`, folding what it recorded so far into the
/// process totals. Refused while a profiled call is open on the thread.
pub(crate) fn switch_clock(clock: Clock) -> Result<(), SwitchError> {
    with_slot(|slot| {
        if slot.is_some() && hot::current() != NONE {
            return Err(SwitchError::FramesOpen);
        }
        // Dropping the old recording retires it.
        install(slot, Local::new(clock));
        Ok(())
    })
    .unwrap_or(Err(SwitchError::Unavailable))
}

/// Calls `f` with the calling thread's clock, if the thread records.
pub(crate) fn with_clock<R>(f: impl FnOnce(&Clock) -> R) -> Option<R> {
    with_slot(|slot| slot.as_ref().map(|l| f(&l.clock))).flatten()
}

/// Calls `f` with the calling thread's shared recording state, if the thread records.
pub(crate) fn with_shared<R>(f: impl FnOnce(&ThreadShared) -> R) -> Option<R> {
    with_slot(|slot| slot.as_ref().map(|l| f(&l.shared))).flatten()
}
