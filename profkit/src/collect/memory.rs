//! Heap accounting: where the allocator wrapper ([`Alloc`](super::alloc::Alloc)) puts each
//! allocation and free.
//!
//! A recording thread charges its heap activity to its innermost open call path (the node's
//! counters, `MemNode`, kept beside the call counters and written only by the owner), or to
//! its profkit row while profkit's own code runs on it. Everything the allocator needs is in
//! one thread-local without a destructor, which the hot path keeps current as calls open and
//! close: the thread's counters, the innermost path's counters, whether profkit is busy, the
//! live bytes and the open activation's peak. So reaching it never allocates, registers
//! anything, borrows the thread's state or fails during thread teardown; allocations of a
//! thread that does not record (yet, or any more) go to shared counters instead.
//!
//! Nothing here allocates, locks, or can panic on the allocator's path.
// Without the cargo feature `memory` there is no allocator wrapper to charge anything.
#![cfg_attr(not(feature = "memory"), allow(dead_code))]

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::data::MemCounts;

/// Set once the allocator wrapper has run: threads that start recording afterwards keep
/// memory counters (in practice every thread, since a program allocates before `main`).
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// The process's live bytes and their highest value, updated by each thread in steps of at
/// most [`FLUSH_BYTES`] (one locked instruction per step, not per allocation).
static PROCESS_LIVE: AtomicI64 = AtomicI64::new(0);
static PROCESS_PEAK: AtomicI64 = AtomicI64::new(0);
/// How far a thread's live bytes may move before the process figures hear of it.
pub(crate) const FLUSH_BYTES: i64 = 16 * 1024;

/// Bumped by `reset()`: peaks recorded under an older value are not shown by `report()`.
static RESET_EPOCH: AtomicU64 = AtomicU64::new(1);

/// Heap activity of threads that do not record when they allocate (before their first
/// profiled call, after their recording ended, during their teardown).
static UNRECORDED: SharedCounters = SharedCounters::new();

/// Blocks that no call path holds: those allocated by threads that did not record, and those
/// without a header (see [`Alloc`](super::alloc::Alloc): over-aligned blocks). Live, they are
/// part of the `<outside profiled calls>` row: allocated minus gone. The allocations are
/// [`UNRECORDED`]'s (counted there already) and, on recording threads, `UNTRACKED_MADE`.
static UNTRACKED_MADE: Gone = Gone::new();
static UNTRACKED_GONE: Gone = Gone::new();
/// Blocks that profkit's own bookkeeping allocated (its row), the same way.
static OVERHEAD_MADE: Gone = Gone::new();
static OVERHEAD_GONE: Gone = Gone::new();

/// Blocks (and bytes) that left a call path: freed, wherever and on whichever thread, or
/// shrunk (bytes; a block that grew adds negative bytes). A path's live blocks are its
/// allocations minus these, so an allocation costs nothing more than its count. The thread
/// that owns the path adds without a locked instruction (`owner_*`, written by that thread
/// only); any other thread adds to `remote_*` with a locked add.
pub(crate) struct Gone {
    owner_allocs: AtomicI64,
    owner_bytes: AtomicI64,
    remote_allocs: AtomicI64,
    remote_bytes: AtomicI64,
}

impl Default for Gone {
    fn default() -> Self {
        Gone::new()
    }
}

impl Gone {
    const fn new() -> Self {
        Gone {
            owner_allocs: AtomicI64::new(0),
            owner_bytes: AtomicI64::new(0),
            remote_allocs: AtomicI64::new(0),
            remote_bytes: AtomicI64::new(0),
        }
    }

    /// Adds, by the owning thread (no locked instruction).
    #[inline(always)]
    fn owner_add(&self, allocs: i64, bytes: i64) {
        let add = |c: &AtomicI64, by: i64| {
            c.store(
                c.load(Ordering::Relaxed).wrapping_add(by),
                Ordering::Relaxed,
            );
        };
        add(&self.owner_allocs, allocs);
        add(&self.owner_bytes, bytes);
    }

    /// Adds, from any thread.
    #[inline(always)]
    fn remote_add(&self, allocs: i64, bytes: i64) {
        self.remote_allocs.fetch_add(allocs, Ordering::Relaxed);
        self.remote_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Blocks and bytes.
    pub(crate) fn read(&self) -> (i64, i64) {
        (
            self.owner_allocs
                .load(Ordering::Relaxed)
                .wrapping_add(self.remote_allocs.load(Ordering::Relaxed)),
            self.owner_bytes
                .load(Ordering::Relaxed)
                .wrapping_add(self.remote_bytes.load(Ordering::Relaxed)),
        )
    }

    fn reset(&self) {
        for c in [
            &self.owner_allocs,
            &self.owner_bytes,
            &self.remote_allocs,
            &self.remote_bytes,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// What the allocator wrapper writes before a block: where the block goes when it is freed
/// or resized (the `Gone` of the path that allocated it), and the thread accounting
/// (`ThreadMem`) that owns those counters, null when only locked adds may touch them. Read
/// back when the block is freed or resized, on any thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Header {
    gone: *const Gone,
    owner: *const ThreadMem,
}

/// The bytes a header takes before a block (a multiple of every alignment it is used with).
pub(crate) const HEADER_BYTES: usize = 16;
const _: () = assert!(std::mem::size_of::<Header>() <= HEADER_BYTES);

impl Header {
    /// The header of a block that no call path holds.
    pub(crate) fn untracked() -> Header {
        Header {
            gone: &UNTRACKED_GONE,
            owner: std::ptr::null(),
        }
    }
}

/// The calling thread's accounting while it records: `Cell`s of plain values and references,
/// no destructor, so the allocator may read it at any time, teardown included.
struct ThreadCell {
    mem: Cell<Option<&'static ThreadMem>>,
    /// The counters of the innermost open call path (the root's outside any call); `None`
    /// while the thread's recording starts.
    current: Cell<Option<&'static MemNode>>,
    /// Above 0 while profkit's own code runs on the thread: what it allocates is overhead.
    busy: Cell<u32>,
    /// Live bytes charged to call paths (profkit's own excluded).
    live: Cell<i64>,
    /// The highest `live` of the innermost open activation so far.
    peak: Cell<i64>,
}

thread_local! {
    static THREAD: ThreadCell = const {
        ThreadCell {
            mem: Cell::new(None),
            current: Cell::new(None),
            busy: Cell::new(0),
            live: Cell::new(0),
            peak: Cell::new(0),
        }
    };
}

/// Whether the allocator wrapper is in use.
pub(crate) fn installed() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

/// Adds to an owner-written counter without a locked instruction.
#[inline(always)]
fn bump(counter: &AtomicU64, by: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

/// Allocation and free counts, written by one thread, read by any.
#[derive(Default)]
pub(crate) struct Counters {
    allocs: AtomicU64,
    bytes: AtomicU64,
    frees: AtomicU64,
    freed_bytes: AtomicU64,
}

impl Counters {
    const fn new() -> Self {
        Counters {
            allocs: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            frees: AtomicU64::new(0),
            freed_bytes: AtomicU64::new(0),
        }
    }

    #[inline(always)]
    fn alloc(&self, size: u64) {
        bump(&self.allocs, 1);
        bump(&self.bytes, size);
    }

    #[inline(always)]
    fn free(&self, size: u64) {
        bump(&self.frees, 1);
        bump(&self.freed_bytes, size);
    }

    pub(crate) fn read(&self) -> MemCounts {
        MemCounts {
            allocs: self.allocs.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            frees: self.frees.load(Ordering::Relaxed),
            freed_bytes: self.freed_bytes.load(Ordering::Relaxed),
            ..MemCounts::default()
        }
    }

    fn reset(&self) {
        for c in [&self.allocs, &self.bytes, &self.frees, &self.freed_bytes] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// Counters any thread adds to (locked instructions): for threads that do not record.
struct SharedCounters {
    counts: Counters,
}

impl SharedCounters {
    const fn new() -> Self {
        SharedCounters {
            counts: Counters::new(),
        }
    }

    fn alloc(&self, size: u64) {
        self.counts.allocs.fetch_add(1, Ordering::Relaxed);
        self.counts.bytes.fetch_add(size, Ordering::Relaxed);
        move_process_live(size as i64);
    }

    fn free(&self, size: u64) {
        self.counts.frees.fetch_add(1, Ordering::Relaxed);
        self.counts.freed_bytes.fetch_add(size, Ordering::Relaxed);
        move_process_live(-(size as i64));
    }
}

fn move_process_live(delta: i64) {
    let now = PROCESS_LIVE.fetch_add(delta, Ordering::Relaxed) + delta;
    PROCESS_PEAK.fetch_max(now, Ordering::Relaxed);
}

/// One recording thread's accounting that the allocator reaches without its thread state:
/// every allocation and free of the thread while it records (`totals`), and those made while
/// profkit's own code ran on it (`overhead`). Leaked once, then recycled through a pool.
pub(crate) struct ThreadMem {
    totals: Counters,
    overhead: Counters,
    /// Net bytes not yet added to [`PROCESS_LIVE`].
    pending: AtomicI64,
}

static POOL: Mutex<Vec<&'static ThreadMem>> = Mutex::new(Vec::new());

impl ThreadMem {
    /// Heap activity of the thread while it recorded.
    pub(crate) fn totals(&self) -> MemCounts {
        self.totals.read()
    }

    /// Heap activity of profkit's own code on the thread.
    pub(crate) fn overhead(&self) -> MemCounts {
        self.overhead.read()
    }

    #[inline(always)]
    fn move_live(&self, delta: i64) {
        let pending = self.pending.load(Ordering::Relaxed).wrapping_add(delta);
        if (-FLUSH_BYTES..FLUSH_BYTES).contains(&pending) {
            self.pending.store(pending, Ordering::Relaxed);
        } else {
            self.pending.store(0, Ordering::Relaxed);
            move_process_live(pending);
        }
    }
}

/// Starts the calling thread's accounting (it starts recording); `None` when the allocator
/// wrapper is not in use.
pub(crate) fn start_thread() -> Option<&'static ThreadMem> {
    if !installed() {
        return None;
    }
    let recycled = POOL.lock().pop();
    let mem: &'static ThreadMem = recycled.unwrap_or_else(|| {
        Box::leak(Box::new(ThreadMem {
            totals: Counters::new(),
            overhead: Counters::new(),
            pending: AtomicI64::new(0),
        }))
    });
    let _ = THREAD.try_with(|t| {
        t.mem.set(Some(mem));
        // Until the recording names its root, what it allocates is overhead.
        t.current.set(None);
        t.live.set(0);
        t.peak.set(0);
    });
    Some(mem)
}

/// Ends the calling thread's accounting: its later heap activity is unrecorded.
pub(crate) fn stop_thread() {
    let _ = THREAD.try_with(|t| {
        t.mem.set(None);
        t.current.set(None);
    });
}

/// Makes `node` the path the thread's allocations are charged to (its recording's root, once
/// the recording exists).
pub(crate) fn set_current(node: Option<&'static MemNode>) {
    let _ = THREAD.try_with(|t| t.current.set(node));
}

/// An activation of `node` opens (owner only, memory accounted): it is charged from now on,
/// and its peak starts at the live bytes. Returns the live bytes it starts from and the
/// running peak of the activation it opens inside, for the caller to keep until it closes.
#[inline(always)]
pub(crate) fn enter_frame(node: Option<&'static MemNode>) -> (i64, i64) {
    THREAD
        .try_with(|t| {
            let live = t.live.get();
            let outer_peak = t.peak.replace(live);
            t.current.set(node);
            (live, outer_peak)
        })
        .unwrap_or_default()
}

/// The innermost activation closes (owner only): the one it ran inside, whose counters are
/// `outer` and whose running peak was `outer_peak`, is charged again, its peak raised to this
/// one's. Returns this activation's peak live bytes.
#[inline(always)]
pub(crate) fn exit_frame(outer: Option<&'static MemNode>, outer_peak: i64) -> i64 {
    THREAD
        .try_with(|t| {
            let peak = t.peak.get();
            t.peak.set(outer_peak.max(peak));
            t.current.set(outer);
            peak
        })
        .unwrap_or_default()
}

/// What the calling thread has allocated on call paths while it recorded (its totals less
/// profkit's own), as (allocations, bytes); `None` when it does not record memory. The
/// difference of two readings around a call is what the call allocated, callees included.
/// Read by sized calls (`#[profile(size = ..)]`) only; without the feature `memory` it is
/// always `None` and costs nothing.
#[inline]
pub(crate) fn allocated_on_paths() -> Option<(u64, u64)> {
    if !cfg!(feature = "memory") || !installed() {
        return None;
    }
    THREAD
        .try_with(|t| {
            let mem = t.mem.get()?;
            let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
            Some((
                load(&mem.totals.allocs).wrapping_sub(load(&mem.overhead.allocs)),
                load(&mem.totals.bytes).wrapping_sub(load(&mem.overhead.bytes)),
            ))
        })
        .ok()
        .flatten()
}

/// While it lives, what the thread allocates is profkit's overhead, never a user's path.
pub(crate) struct Bookkeeping(());

/// Whether profkit's own code runs on the thread (a [`bookkeeping`] guard is held): one
/// thread-local load, no destructor state to check. The untimed call's fast path
/// (`local/hot.rs`) stands down meanwhile, as a call finding profkit's state borrowed does.
#[inline(always)]
pub(crate) fn in_bookkeeping() -> bool {
    THREAD.with(|t| t.busy.get() != 0)
}

/// Starts a stretch of profkit's own code on this thread (see [`Bookkeeping`]).
#[inline]
pub(crate) fn bookkeeping() -> Bookkeeping {
    let _ = THREAD.try_with(|t| t.busy.set(t.busy.get().saturating_add(1)));
    Bookkeeping(())
}

impl Drop for Bookkeeping {
    #[inline]
    fn drop(&mut self) {
        let _ = THREAD.try_with(|t| t.busy.set(t.busy.get().saturating_sub(1)));
    }
}

/// Adds the live bytes a thread that stopped recording has not told the process figures yet.
pub(crate) fn flush(mem: &ThreadMem) {
    move_process_live(mem.pending.swap(0, Ordering::Relaxed));
}

/// Returns a retired thread's accounting to the pool. Its live bytes still pending reach the
/// process figures first.
pub(crate) fn recycle(mem: &'static ThreadMem) {
    flush(mem);
    mem.totals.reset();
    mem.overhead.reset();
    POOL.lock().push(mem);
}

/// How an allocation or free is charged, for the allocator wrapper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    Alloc,
    Free,
}

/// Where [`count`] charged an allocation or free: the call path's counters (`None`: profkit's
/// row or a thread that does not record), and the calling thread's accounting (null when it
/// does not record).
#[derive(Clone, Copy)]
struct Charged {
    node: Option<&'static MemNode>,
    thread: *const ThreadMem,
}

/// Counts one allocation or free of `size` bytes made on the calling thread: to the
/// innermost open call path, or to profkit's row while profkit's own code runs, or, on a thread
/// that does not record, to the shared counters. Where the block goes is left to the caller.
#[inline(always)]
fn count(event: Event, size: u64) -> Charged {
    if !INSTALLED.load(Ordering::Relaxed) {
        INSTALLED.store(true, Ordering::Relaxed);
    }
    let charged = THREAD.try_with(|t| {
        let mem = t.mem.get()?;
        // A `Layout`'s size is at most `isize::MAX`: exact as an i64.
        let delta = size as i64;
        let (counters, delta): (fn(&Counters, u64), i64) = match event {
            Event::Alloc => (Counters::alloc, delta),
            Event::Free => (Counters::free, -delta),
        };
        counters(&mem.totals, size);
        mem.move_live(delta);
        let thread: *const ThreadMem = mem;
        Some(match t.current.get() {
            Some(node) if t.busy.get() == 0 => {
                counters(&node.counts, size);
                let live = t.live.get().wrapping_add(delta);
                t.live.set(live);
                if live > t.peak.get() {
                    t.peak.set(live);
                }
                Charged {
                    node: Some(node),
                    thread,
                }
            }
            _ => {
                counters(&mem.overhead, size);
                Charged { node: None, thread }
            }
        })
    });
    match charged {
        Ok(Some(charged)) => charged,
        _ => {
            match event {
                Event::Alloc => UNRECORDED.alloc(size),
                Event::Free => UNRECORDED.free(size),
            }
            Charged {
                node: None,
                thread: std::ptr::null(),
            }
        }
    }
}

/// Adds to `header`'s `Gone` from the thread whose accounting is `thread`: without a lock when
/// that thread owns it, with locked adds otherwise.
#[inline(always)]
fn leave(header: Header, thread: *const ThreadMem, allocs: i64, bytes: i64) {
    // SAFETY: a header's `gone` points to a `Gone` that outlives every block tagged with it: a
    // static, or a call path's counters, which are leaked and, once their thread ended, kept
    // from reuse until no block is tagged with them (`registry::retire`).
    let gone = unsafe { &*header.gone };
    if !header.owner.is_null() && std::ptr::eq(header.owner, thread) {
        gone.owner_add(allocs, bytes);
    } else {
        gone.remote_add(allocs, bytes);
    }
}

/// Counts an allocation of `size` bytes on the calling thread; returns the header that tags
/// the block with the call path that holds it from now on. On a path, the count is all it
/// costs: the path's live blocks are its allocations minus those gone.
#[inline(always)]
pub(crate) fn on_alloc(size: u64) -> Header {
    let charged = count(Event::Alloc, size);
    match charged.node {
        Some(node) => Header {
            gone: &node.gone,
            owner: charged.thread,
        },
        // A thread that does not record: counted in `UNRECORDED` already.
        None if charged.thread.is_null() => Header::untracked(),
        None => {
            OVERHEAD_MADE.remote_add(1, size as i64);
            Header {
                gone: &OVERHEAD_GONE,
                owner: std::ptr::null(),
            }
        }
    }
}

/// Counts a free of `size` bytes on the calling thread, of a block tagged with `header`.
#[inline(always)]
pub(crate) fn on_free(size: u64, header: Header) {
    let charged = count(Event::Free, size);
    leave(header, charged.thread, 1, size as i64);
}

/// Counts a block tagged with `header` resized from `old` to `new` bytes on the calling thread:
/// a free and an allocation for the current path's counts (which, not holding the block, marks
/// that allocation gone at once), the change of size for the path that holds the block.
#[inline(always)]
pub(crate) fn on_realloc(old: u64, new: u64, header: Header) {
    count(Event::Free, old);
    let charged = count(Event::Alloc, new);
    match charged.node {
        Some(node) => node.gone.owner_add(1, new as i64),
        // A thread that does not record: `UNRECORDED` counted the allocation.
        None if charged.thread.is_null() => UNTRACKED_GONE.remote_add(1, new as i64),
        None => {}
    }
    leave(
        header,
        charged.thread,
        0,
        (old as i64).wrapping_sub(new as i64),
    );
}

/// Counts an allocation of `size` bytes of a block without a header: no path holds it.
#[inline(always)]
pub(crate) fn on_alloc_untracked(size: u64) {
    let charged = count(Event::Alloc, size);
    if let Some(node) = charged.node {
        node.gone.owner_add(1, size as i64);
    }
    if !charged.thread.is_null() {
        UNTRACKED_MADE.remote_add(1, size as i64);
    }
}

/// The live blocks and bytes no call path holds, and those of profkit's bookkeeping.
pub(crate) fn untracked_and_overhead_live() -> ((i64, i64), (i64, i64)) {
    let live = |(made_allocs, made_bytes): (i64, i64), gone: &Gone| {
        let (gone_allocs, gone_bytes) = gone.read();
        (
            made_allocs.wrapping_sub(gone_allocs),
            made_bytes.wrapping_sub(gone_bytes),
        )
    };
    let unrecorded = UNRECORDED.counts.read();
    let (extra_allocs, extra_bytes) = UNTRACKED_MADE.read();
    let untracked_made = (
        (unrecorded.allocs as i64).wrapping_add(extra_allocs),
        (unrecorded.bytes as i64).wrapping_add(extra_bytes),
    );
    (
        live(untracked_made, &UNTRACKED_GONE),
        live(OVERHEAD_MADE.read(), &OVERHEAD_GONE),
    )
}

/// One call path's heap counters: counts, and the peak of its activations above their entry
/// level, twice: since the last `reset()` (for `report()`) and since the thread's current
/// `record()` window started (for `record()`), each tagged with the epoch it belongs to.
#[derive(Default)]
pub(crate) struct MemNode {
    counts: Counters,
    /// Blocks allocated on this path that have been freed (wherever), and bytes they shrank
    /// by: the path's live blocks are `counts`' allocations minus these.
    gone: Gone,
    peak_report: AtomicU64,
    report_epoch: AtomicU64,
    peak_window: AtomicU64,
    window_epoch: AtomicU64,
}

/// Which activations a reading's peaks cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Peaks {
    /// Those since the last `reset()`.
    SinceReset,
    /// Those of the thread's `record()` window with this epoch.
    Window(u64),
}

impl MemNode {
    /// Records one activation's peak (owner only).
    #[inline(always)]
    pub(crate) fn note_peak(&self, peak: u64, window: u64) {
        let reset = RESET_EPOCH.load(Ordering::Relaxed);
        keep_max(&self.peak_report, &self.report_epoch, peak, reset);
        keep_max(&self.peak_window, &self.window_epoch, peak, window);
    }

    pub(crate) fn read(&self, peaks: Peaks) -> MemCounts {
        let (peak, epoch, want) = match peaks {
            Peaks::SinceReset => (
                &self.peak_report,
                &self.report_epoch,
                RESET_EPOCH.load(Ordering::Relaxed),
            ),
            Peaks::Window(w) => (&self.peak_window, &self.window_epoch, w),
        };
        let mut counts = self.counts.read();
        (counts.live_allocs, counts.live_bytes) = self.live();
        if epoch.load(Ordering::Relaxed) == want {
            counts.peak_bytes = peak.load(Ordering::Relaxed);
        }
        counts
    }

    /// Blocks allocated on this path not freed yet, and their bytes.
    fn live(&self) -> (i64, i64) {
        // `gone` first: it only grows on a path whose thread ended, so a reading of that path
        // is never below the truth (see `registry::retire`).
        let (gone_allocs, gone_bytes) = self.gone.read();
        let allocs = self.counts.allocs.load(Ordering::Relaxed) as i64;
        let bytes = self.counts.bytes.load(Ordering::Relaxed) as i64;
        (
            allocs.wrapping_sub(gone_allocs),
            bytes.wrapping_sub(gone_bytes),
        )
    }

    /// Live blocks allocated on this path (a path whose count is 0 holds no block).
    pub(crate) fn live_allocs(&self) -> i64 {
        self.live().0
    }

    pub(crate) fn reset(&self) {
        self.counts.reset();
        self.gone.reset();
        for c in [
            &self.peak_report,
            &self.report_epoch,
            &self.peak_window,
            &self.window_epoch,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

#[inline(always)]
fn keep_max(value: &AtomicU64, epoch: &AtomicU64, new: u64, current: u64) {
    if epoch.load(Ordering::Relaxed) != current {
        epoch.store(current, Ordering::Relaxed);
        value.store(new, Ordering::Relaxed);
    } else if new > value.load(Ordering::Relaxed) {
        value.store(new, Ordering::Relaxed);
    }
}

/// Starts a new `reset()` epoch; returns the heap activity of unrecorded threads so far, the
/// baseline that later reports subtract.
pub(crate) fn reset() -> MemCounts {
    RESET_EPOCH.fetch_add(1, Ordering::Relaxed);
    UNRECORDED.counts.read()
}

/// Heap activity of threads while they did not record.
pub(crate) fn unrecorded() -> MemCounts {
    UNRECORDED.counts.read()
}

/// The process's live bytes as the threads last told them, and their highest value.
pub(crate) fn process_live_and_peak() -> (i64, i64) {
    (
        PROCESS_LIVE.load(Ordering::Relaxed),
        PROCESS_PEAK.load(Ordering::Relaxed),
    )
}

/// Bytes each thread has not told the process figures yet (at most [`FLUSH_BYTES`] each way).
pub(crate) fn pending(mem: &ThreadMem) -> i64 {
    mem.pending.load(Ordering::Relaxed)
}

/// The most resident memory the process has had (the OS's peak RSS), when the OS says.
pub(crate) fn max_rss_bytes() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: `getrusage` writes one `rusage` through the pointer, which points to a
        // zeroed value of that type we own; `RUSAGE_SELF` is a valid `who`.
        let status = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
        if status != 0 {
            return None;
        }
        // SAFETY: zeroed is a valid `rusage` (plain integers), and `getrusage` succeeded.
        let usage = unsafe { usage.assume_init() };
        let max = u64::try_from(usage.ru_maxrss).ok()?;
        // Linux and the BSDs report kilobytes, macOS bytes.
        Some(if cfg!(target_os = "macos") {
            max
        } else {
            max * 1024
        })
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_rss_is_read_from_the_os_and_grows_with_touched_memory() {
        let before = max_rss_bytes().expect("getrusage works here");
        assert!(before > 0);
        // Touch 64 MiB more than the process ever had resident.
        let big = vec![1u8; (before as usize).max(1 << 20) + (64 << 20)];
        let after = max_rss_bytes().unwrap();
        assert!(after >= before + (32 << 20), "{before} -> {after}");
        assert_eq!(big[big.len() - 1], 1);
    }

    #[test]
    fn owner_counters_add_and_read_back() {
        let c = Counters::new();
        c.alloc(10);
        c.alloc(5);
        c.free(10);
        let r = c.read();
        assert_eq!((r.allocs, r.bytes, r.frees, r.freed_bytes), (2, 15, 1, 10));
        let n = MemNode::default();
        n.note_peak(7, 1);
        n.note_peak(3, 1);
        assert_eq!(n.read(Peaks::Window(1)).peak_bytes, 7);
        assert_eq!(n.read(Peaks::Window(2)).peak_bytes, 0, "another window");
        n.note_peak(2, 2);
        assert_eq!(
            n.read(Peaks::Window(2)).peak_bytes,
            2,
            "a new window starts over"
        );
        assert_eq!(
            n.read(Peaks::SinceReset).peak_bytes,
            7,
            "the reset epoch did not move"
        );
    }
}
