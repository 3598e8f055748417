//! `async fn` support: a future's call spans many polls, maybe on several threads.
//!
//! Each poll is an activation of the function on the polling thread's call tree (its busy time,
//! what tottime and cumtime add up, as cProfile counts time inside frames). Nothing is held
//! between polls, so tasks that interleave on one thread or move between threads never corrupt
//! a tree. The call itself is counted once, when the future ends: in its last poll when it
//! completes (or panics), or where it is dropped when it is cancelled after its first poll — as
//! a synchronous call is counted when it returns. A future dropped before its first poll ran
//! nothing and counts nothing. The thread where a future ends adds it to its own counters of
//! that function (completed or cancelled, polls, wall time from first poll to end, the wall
//! time's distribution): nothing is shared between threads per future. On a thread whose
//! clock is the wall clock, the first poll's start and the last poll's end are the readings the
//! polls take anyway, so wall time costs no extra clock read.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use super::clock;
use super::guard::ENABLED;
use super::local::{self, FutureEnd};
use super::memory;
use super::site::CallSite;
use crate::data::CallMem;

/// Runs `future` as one call of `site`. Generated code wraps the body of an `async fn` in it.
#[doc(hidden)]
pub async fn instrument<F: Future>(site: &'static CallSite, future: F) -> F::Output {
    let mut future = pin!(future);
    let mut call = AsyncCall::new(site);
    std::future::poll_fn(|cx| call.poll(future.as_mut(), cx)).await
}

/// Runs `future` as one call of `site` of input size `size` (`#[profile(size = ..)]` on an
/// `async fn`): as [`instrument`], and when it completes its size is recorded with the busy
/// time of its polls.
#[doc(hidden)]
pub async fn instrument_sized<F: Future>(
    site: &'static CallSite,
    size: u64,
    future: F,
) -> F::Output {
    let mut future = pin!(future);
    let mut call = AsyncCall::new(site);
    call.size = Some(size);
    std::future::poll_fn(|cx| call.poll(future.as_mut(), cx)).await
}

/// The state of one future's call between polls. `Send`: it holds no thread-local state.
///
/// Other ways of recording that enter a call many times and end it once (tracing spans,
/// `crate::tracing`) use it too: [`AsyncCall::enter_poll`] and `local::exit_poll` around each
/// entry, [`AsyncCall::end_here`] at the end.
pub(crate) struct AsyncCall {
    site: &'static CallSite,
    polls: u64,
    /// `clock::wall_ticks()` at the first poll; `None` when recording was off then.
    first_poll: Option<u64>,
    ended: bool,
    /// The input size of a sized call (`instrument_sized`), and its polls' busy time so far
    /// and what they allocated (`None` once a poll's allocations were not recorded).
    size: Option<u64>,
    busy_ns: u64,
    mem: Option<CallMem>,
}

/// Ends a poll's activation, also during unwinding, and ends the call when the future ended.
struct PollGuard<'a> {
    node: u32,
    /// A sized call's allocations on call paths as the poll started.
    mem_start: Option<(u64, u64)>,
    /// `poll` returned (rather than unwound), with this readiness.
    returned: Option<bool>,
    call: &'a mut AsyncCall,
}

impl Drop for PollGuard<'_> {
    fn drop(&mut self) {
        // A poll that panics ends the future, like a synchronous call that unwinds. (Not
        // `thread::panicking()`: a future may be polled normally inside a destructor that
        // runs during some other unwinding.)
        let ended = self.returned.unwrap_or(true);
        if ended {
            self.call.ended = true;
        }
        if self.node != 0 {
            let end = ended.then(|| self.call.end(true)).flatten();
            match self.call.size {
                None => local::exit_poll(self.node, end),
                Some(size) => {
                    let call = &mut *self.call;
                    let mem = (self.mem_start, &mut call.mem);
                    local::exit_poll_sized(self.node, end, size, &mut call.busy_ns, mem);
                }
            }
        }
    }
}

impl AsyncCall {
    pub(crate) fn new(site: &'static CallSite) -> AsyncCall {
        AsyncCall {
            site,
            polls: 0,
            first_poll: None,
            ended: false,
            size: None,
            busy_ns: 0,
            mem: Some(CallMem::default()),
        }
    }

    /// Opens one poll's activation of the call on this thread's tree and returns its node, to
    /// be closed by `local::exit_poll` (0: nothing recorded, recording is off).
    pub(crate) fn enter_poll(&mut self) -> u32 {
        self.polls += 1;
        let (node, first_poll) = enter_detached(self.site, self.polls == 1);
        if first_poll.is_some() {
            self.first_poll = first_poll;
        }
        node
    }

    /// Ends a call that did not end in a poll: it is counted once on this thread's current
    /// call path, and its totals here are added to (as `completed` or cancelled). Nothing
    /// happens for a call that already ended or never started.
    pub(crate) fn end_here(&mut self, completed: bool) {
        if self.ended || self.polls == 0 {
            // Completed, or never started: a future never polled ran none of its body (an
            // `async fn`'s body, and so this wrapper, is not even created until the first
            // poll; `#[async_trait]` creates it eagerly, and counts the same).
            return;
        }
        self.ended = true;
        if let Some(end) = self.end(completed) {
            local::end_future_here(self.site, end);
        }
    }

    fn poll<F: Future>(&mut self, future: Pin<&mut F>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let node = self.enter_poll();
        let mem_start = if node != 0 && self.size.is_some() {
            memory::allocated_on_paths()
        } else {
            None
        };
        let mut guard = PollGuard {
            node,
            mem_start,
            returned: None,
            call: self,
        };
        let result = future.poll(cx);
        guard.returned = Some(result.is_ready());
        result
    }

    /// How this future's call ends, if it counts: it started while recording was on, and
    /// recording is still on.
    fn end(&self, completed: bool) -> Option<FutureEnd> {
        ending(completed, self.polls, self.first_poll)
    }
}

/// How a call entered `polls` times ends, if it counts: its first entry was recorded
/// (`first_poll`, the wall reading it started at) and recording is still on.
fn ending(completed: bool, polls: u64, first_poll: Option<u64>) -> Option<FutureEnd> {
    let first_poll = first_poll?;
    ENABLED.load(Ordering::Relaxed).then_some(FutureEnd {
        completed,
        polls,
        first_poll,
    })
}

/// One entry of a call, whether its state lives in an [`AsyncCall`] or elsewhere (the tracing
/// layer's span table, `crate::tracing`): `first` says it is the call's first entry. Returns the node to close with `local::exit_poll` (0: nothing recorded,
/// recording is off) and, for a first entry that is recorded, the wall reading that starts the
/// call's wall time (`None` otherwise: a call whose first entry was not recorded never counts).
#[inline]
pub(crate) fn enter_detached(site: &'static CallSite, first: bool) -> (u32, Option<u64>) {
    if !ENABLED.load(Ordering::Relaxed) {
        return (0, None);
    }
    let (node, start) = local::enter_poll(site);
    let first_poll = first.then(|| start.unwrap_or_else(clock::wall_ticks));
    (node, first_poll)
}

/// Ends, completed and on this thread's current call path, a call entered with
/// [`enter_detached`] `polls` times, as [`AsyncCall::end_here`] ends one: nothing for a call
/// never entered or whose first entry was not recorded, or when recording is off.
#[cfg(feature = "tracing")]
pub(crate) fn end_detached(site: &'static CallSite, polls: u64, first_poll: Option<u64>) {
    if polls == 0 {
        return;
    }
    if let Some(end) = ending(true, polls, first_poll) {
        local::end_future_here(site, end);
    }
}

impl Drop for AsyncCall {
    fn drop(&mut self) {
        // Dropped after it started, before it completed: cancelled. Its call ends here, on
        // the dropping thread's current call path.
        self.end_here(false);
    }
}
