//! Calls of `#[profile(size = ..)]` functions: the same activation as any call, and then its
//! size with its inclusive time, in nanoseconds, (and what it allocated, when memory is
//! recorded) in the thread's table for the function. The unsized paths never come here.

use std::sync::Arc;

use super::{FutureEnd, Local, hot, with_local};
use crate::collect::memory;
use crate::collect::sizes::ThreadSizes;
use crate::data::CallMem;

/// What was allocated on call paths between two readings of
/// [`memory::allocated_on_paths`] (the first `start`); `None` unless both exist.
#[inline]
pub(crate) fn allocated_since(start: Option<(u64, u64)>) -> Option<CallMem> {
    let (a0, b0) = start?;
    let (a1, b1) = memory::allocated_on_paths()?;
    Some(CallMem {
        allocs: a1.wrapping_sub(a0),
        bytes: b1.wrapping_sub(b0),
    })
}

impl Local {
    /// Adds one sized call of `node`'s function that took `ns` nanoseconds and allocated `mem`.
    fn record_size(&mut self, node: u32, size: u64, ns: u64, mem: Option<CallMem>) {
        let Some(site) = self.nodes.get(node as usize).map(|n| n.site) else {
            return;
        };
        match self.sizes.get(&site) {
            Some(table) => table.record(size, ns, mem),
            None => self.first_sized_call(site).record(size, ns, mem),
        }
    }

    #[cold]
    #[inline(never)]
    fn first_sized_call(&mut self, site: u32) -> Arc<ThreadSizes> {
        let _bookkeeping = memory::bookkeeping();
        let table = Arc::new(ThreadSizes::new(self.mem.is_some()));
        self.shared.add_sizes(site, table.clone());
        self.sizes.insert(site, table.clone());
        table
    }

    /// The inclusive ticks of `node`'s open activation at `now`.
    fn open_ticks(&self, node: u32, now: u64) -> u64 {
        self.nodes
            .get(node as usize)
            .map_or(0, |n| now.saturating_sub(n.stats.start()))
    }
}

/// Ends the call `node` returned by [`enter`](super::enter), as
/// [`exit_call`](super::exit_call) does, and records `size` with the call's inclusive time
/// and what it allocated since `mem_start` (a reading of [`memory::allocated_on_paths`] as
/// it started).
pub(crate) fn exit_call_sized(node: u32, size: u64, mem_start: Option<(u64, u64)>) {
    with_local(|local| {
        let now = local.clock.ticks();
        let mem = allocated_since(mem_start);
        let ticks = local.open_ticks(node, now);
        if node == hot::current() {
            local.close(node, now, 1, true);
        } else {
            local.close_unwound(node, now, 1, true);
        }
        let ns = local.clock.ticks_to_ns(ticks);
        local.record_size(node, size, ns, mem);
    });
}

/// Ends a poll of a sized future as [`exit_poll`](super::exit_poll) does, adding the poll's
/// busy time in nanoseconds to `busy_ns` and what it allocated since `mem_start` (read as the
/// poll started) to `mem`; when the future ends in it (`end`), records `size` with the busy
/// time of all its polls (its cumtime: time waiting between polls is not the function's cost)
/// and what all its polls allocated (`None` when a poll's allocations were not recorded).
pub(crate) fn exit_poll_sized(
    node: u32,
    end: Option<FutureEnd>,
    size: u64,
    busy_ns: &mut u64,
    (mem_start, mem): (Option<(u64, u64)>, &mut Option<CallMem>),
) {
    with_local(|local| {
        let now = local.clock.ticks();
        let poll_mem = allocated_since(mem_start);
        *mem = match (*mem, poll_mem) {
            (Some(sum), Some(p)) => Some(CallMem {
                allocs: sum.allocs.wrapping_add(p.allocs),
                bytes: sum.bytes.wrapping_add(p.bytes),
            }),
            _ => None,
        };
        let ticks = local.open_ticks(node, now);
        *busy_ns = busy_ns.saturating_add(local.clock.ticks_to_ns(ticks));
        local.finish_poll(node, now, end);
        if end.is_some() {
            local.record_size(node, size, *busy_ns, *mem);
        }
    });
}
