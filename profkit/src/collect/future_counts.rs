//! Per thread and `async fn`: the futures that ended on the thread, their polls and wall time,
//! and the wall-time distribution of those that completed. Written only by the thread (where a
//! future ends: its last poll, or where it is dropped), read by reports; nothing is shared
//! between threads per future.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::data::FutureCounts;

use super::buckets::{HistReading, ThreadHist};

/// One thread's counters for one `async fn`. Created when the first of its futures ends on
/// the thread.
pub(crate) struct ThreadFutures {
    completed: AtomicU64,
    cancelled: AtomicU64,
    polls: AtomicU64,
    wall_ticks: AtomicU64,
    /// Wall time of each completed future, in [`clock::wall_ticks`](super::clock::wall_ticks)
    /// (nanoseconds when read).
    latency: ThreadHist,
}

/// Adds to an owner-written counter without a locked instruction.
#[inline(always)]
fn bump(counter: &AtomicU64, by: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

impl ThreadFutures {
    pub(crate) fn new() -> Self {
        ThreadFutures {
            completed: AtomicU64::new(0),
            cancelled: AtomicU64::new(0),
            polls: AtomicU64::new(0),
            wall_ticks: AtomicU64::new(0),
            latency: ThreadHist::new(),
        }
    }

    /// One future ended (owner only): `completed`, or cancelled after its first poll; `wall`
    /// in wall-clock ticks, converted when read.
    #[inline(always)]
    pub(crate) fn record(&self, completed: bool, polls: u64, wall: u64) {
        if completed {
            bump(&self.completed, 1);
            let _ = self.latency.record(wall);
        } else {
            bump(&self.cancelled, 1);
        }
        bump(&self.polls, polls);
        bump(&self.wall_ticks, wall);
    }

    /// The counters (wall time in ticks, in `wall_ns`) and the completed futures' wall times
    /// in ticks; [`RawThread::add_to`](super::reading::RawThread::add_to) converts both.
    pub(crate) fn read(&self) -> (FutureCounts, HistReading) {
        (
            FutureCounts {
                completed: self.completed.load(Ordering::Relaxed),
                cancelled: self.cancelled.load(Ordering::Relaxed),
                polls: self.polls.load(Ordering::Relaxed),
                wall_ns: self.wall_ticks.load(Ordering::Relaxed),
            },
            self.latency.read(),
        )
    }
}
