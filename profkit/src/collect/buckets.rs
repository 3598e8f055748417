//! Latency buckets a thread fills while other threads read them.
//!
//! An `hdrhistogram::Histogram` cannot be read while its owner records into it, so the hot path
//! records into log-linear buckets of owner-written atomics (plain loads and stores, as the call
//! counters) and a report converts them into an `hdrhistogram` with `record_n`.
//!
//! A function's first [`SAMPLES`] values on a thread are kept exactly, in a small array (cold
//! code, called a few times, costs a few hundred bytes). From then on values go to buckets in
//! clock ticks: values below 64 have a bucket each; above, each power of two is split into 64
//! buckets, so a bucket spans 1/64 of its value (a reported percentile is within 1.6% of the
//! true one). Values of 2^45 ticks and more (about 3 hours of TSC ticks) count in the top
//! bucket. The 2,560 buckets (20 KiB) are allocated once, by the call that finds the exact
//! samples full, never again.
//!
//! **One value pending.** The hot path does not count a value in its bucket at once: it counts
//! the value recorded before it, and keeps the new one pending. A store whose address depends
//! on the clock reading just taken made the processor wait for that reading: counting each
//! value at once cost the exact leaf about 5 ns (`cargo bench -p profkit-suite --bench
//! overhead`: 25.2 ns against the two clock reads' 19.1; with one value pending, 19.6). A
//! batch of 32 pending values counted together cost nothing on a leaf but 2 ns on a 35 ns
//! function, whose calls could no longer hide the batch's chains of increments of one bucket.
//! A reader adds the pending value to the buckets it read when the owner did not count it
//! meanwhile: the reading is then of a whole prefix of the values recorded, as every reading
//! of an idle or ended thread is. When the owner raced each of a few attempts and has recorded
//! more since the first, it takes the buckets as read, without the pending value: no value is
//! ever counted twice, every value recorded before the first attempt's pending one is there,
//! and no reading has fewer values than an earlier whole one.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering, fence};

use parking_lot::Mutex;

/// Columns per row: 2^SUB_BITS.
const SUB_BITS: u32 = 6;
const COLUMNS: usize = 1 << SUB_BITS;
/// Row 0 holds values below 64; row r >= 1 holds [2^(r+5), 2^(r+6)).
pub(crate) const ROWS: usize = 40;
const MAX_EXP: u32 = ROWS as u32 + SUB_BITS - 2;

/// Values kept exactly before a function's buckets are allocated.
pub(crate) const SAMPLES: usize = 32;

/// Attempts a reader makes to read a [`Buckets`] while the owner counts no value, before it
/// takes the buckets without the pending value (once the owner has recorded more meanwhile).
const READ_ATTEMPTS: u32 = 4;

/// Attempts after which a reader takes the buckets without the pending value even though the
/// owner recorded nothing more: only an owner stopped for that long in the middle of counting
/// one value (a debugger) gets there; the pending value may then be missing from a reading
/// after an earlier one had it.
const STALLED_ATTEMPTS: u32 = 100_000;

/// One thread's latency values for one function.
pub(crate) struct ThreadHist {
    /// The first values, exactly; `count` says how many are set.
    samples: [AtomicU64; SAMPLES],
    /// Values in `samples` (at most `SAMPLES`; it stops there).
    count: AtomicU64,
    /// The buckets, once `samples` is full.
    buckets: OnceLock<&'static Buckets>,
}

/// A function's buckets on one thread: leaked once, then recycled through a pool when their
/// thread's data is dropped, so the hot path can hold them as `&'static`.
pub(crate) struct Buckets {
    cells: [AtomicU64; ROWS * COLUMNS],
    /// Bit r is set once row r has a non-zero bucket, so readers skip the empty rows.
    rows_used: AtomicU64,
    /// The last value recorded (value `written - 1`), not in `cells` while `counted` is
    /// `written - 1`.
    pending: AtomicU64,
    /// Values recorded into these buckets, the pending one included.
    written: AtomicU64,
    /// Values counted in `cells`, or being counted: stored before the pending value's bucket
    /// is incremented.
    counted: AtomicU64,
}

static POOL: Mutex<Vec<&'static Buckets>> = Mutex::new(Vec::new());

impl Buckets {
    fn take() -> &'static Buckets {
        if let Some(b) = POOL.lock().pop() {
            return b;
        }
        Box::leak(Box::new(Buckets {
            cells: std::array::from_fn(|_| AtomicU64::new(0)),
            rows_used: AtomicU64::new(0),
            pending: AtomicU64::new(0),
            written: AtomicU64::new(0),
            counted: AtomicU64::new(0),
        }))
    }

    /// Zeroes everything, for the next owner.
    fn reset(&self) {
        for c in &self.cells {
            c.store(0, Ordering::Relaxed);
        }
        self.rows_used.store(0, Ordering::Relaxed);
        self.pending.store(0, Ordering::Relaxed);
        self.written.store(0, Ordering::Relaxed);
        self.counted.store(0, Ordering::Relaxed);
    }

    /// Records one value (owner only): counts the pending one, whose bucket's address does
    /// not depend on this value, and leaves this one pending.
    #[inline(always)]
    pub(crate) fn record(&self, ticks: u64) {
        let written = self.written.load(Ordering::Relaxed);
        if written > 0 {
            // Counted before its bucket changes, so that a reader who sees the bucket changed
            // sees this too.
            self.counted.store(written, Ordering::Relaxed);
            fence(Ordering::Release);
            self.count(self.pending.load(Ordering::Relaxed));
        }
        self.pending.store(ticks, Ordering::Relaxed);
        // The value is stored before the count that makes it readable.
        self.written.store(written + 1, Ordering::Release);
    }

    /// Adds one value to its bucket (owner only).
    #[inline(always)]
    fn count(&self, ticks: u64) {
        let (row, col) = bucket(ticks);
        if let Some(c) = self.cells.get(row * COLUMNS + col) {
            let old = c.load(Ordering::Relaxed);
            c.store(old.wrapping_add(1), Ordering::Relaxed);
            if old == 0 {
                self.mark_row(row);
            }
        }
    }

    /// The non-empty buckets as (row, column, count), in order, the pending value counted in
    /// its (see the module's notes).
    fn read(&self) -> Vec<Bucket> {
        self.read_whole().0
    }

    /// [`Buckets::read`], and whether the reading is of a whole prefix of the values recorded
    /// (the owner counted no value while it was taken).
    ///
    /// A reading that is not whole is taken only once the owner has recorded more since the
    /// first attempt: its buckets then hold every value up to the one the first attempt found
    /// pending, so no reading has fewer values than an earlier whole one (a report's windows
    /// subtract readings). While the owner is in the middle of counting one value, the reader
    /// tries again.
    fn read_whole(&self) -> (Vec<Bucket>, bool) {
        let mut out = Vec::new();
        let mut first = None;
        for attempt in 1..=STALLED_ATTEMPTS {
            out.clear();
            let written = self.written.load(Ordering::Acquire);
            if written == 0 {
                // Nothing counted yet; the buckets may be changing under a racing owner.
                return (out, true);
            }
            let pending = self.pending.load(Ordering::Relaxed);
            self.read_cells(&mut out);
            // Pairs with the owner's fence: a bucket read above that the owner had changed
            // since makes its `counted` visible here.
            fence(Ordering::Acquire);
            if self.counted.load(Ordering::Relaxed) == written - 1 {
                // Value `written - 1` is not counted yet: no bucket read has it, and
                // `pending` held it throughout.
                add_one(&mut out, pending);
                return (out, true);
            }
            let first_written = *first.get_or_insert(written);
            if attempt >= READ_ATTEMPTS && written > first_written {
                // Every bucket holds the values up to `first - 1` now.
                break;
            }
            if attempt < READ_ATTEMPTS * 16 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        (out, false)
    }

    /// The non-empty buckets of `cells`, in order.
    fn read_cells(&self, out: &mut Vec<Bucket>) {
        let used = self.rows_used.load(Ordering::Acquire);
        for row in (0..ROWS).filter(|r| used & (1 << r) != 0) {
            let cells = self.cells.get(row * COLUMNS..(row + 1) * COLUMNS);
            for (col, c) in cells.into_iter().flatten().enumerate() {
                let count = c.load(Ordering::Relaxed);
                if count > 0 {
                    out.push(Bucket {
                        row: row as u8,
                        col: col as u8,
                        count,
                    });
                }
            }
        }
    }

    /// The first value of a bucket: its row becomes visible to readers (owner only; the
    /// bucket was stored first, and a reader that sees the bit reads the row after it).
    #[cold]
    #[inline(never)]
    fn mark_row(&self, row: usize) {
        let used = self.rows_used.load(Ordering::Relaxed);
        self.rows_used.store(used | (1 << row), Ordering::Release);
    }
}

impl Drop for ThreadHist {
    /// The buckets go back to the pool, zeroed, when the last reader of the thread is done.
    fn drop(&mut self) {
        if let Some(b) = self.buckets.take() {
            b.reset();
            give_back(b);
        }
    }
}

/// Puts `b` in the pool without allocating or freeing while the pool's lock is held: a
/// program may profile its global allocator, and an allocation made under the lock would be a
/// profiled call whose latency record can take buckets from the pool ([`Buckets::take`]): the
/// thread would wait on the lock it holds.
fn give_back(b: &'static Buckets) {
    push_unallocating(&POOL, b);
}

/// Pushes `item` onto `pool`, growing the vector (allocation and free) only while the lock is
/// not held.
fn push_unallocating<T>(pool_lock: &Mutex<Vec<T>>, item: T) {
    loop {
        let mut pool = pool_lock.lock();
        if pool.len() < pool.capacity() {
            pool.push(item);
            return;
        }
        let want = pool.capacity().max(4) * 2;
        drop(pool);
        // Allocated outside the lock; the old vector is freed outside it too.
        let mut bigger = Vec::with_capacity(want);
        let mut pool = pool_lock.lock();
        if pool.capacity() < want {
            bigger.extend(pool.drain(..));
            let old = std::mem::replace(&mut *pool, bigger);
            drop(pool);
            drop(old);
        } else {
            drop(pool);
            drop(bigger);
        }
    }
}

/// A reading of a [`ThreadHist`]: the exact values, then the non-empty buckets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct HistReading {
    pub(crate) samples: Vec<u64>,
    pub(crate) buckets: Vec<Bucket>,
}

impl HistReading {
    /// What was recorded since `earlier`, an earlier reading of the same values.
    pub(crate) fn since(&self, earlier: &HistReading) -> HistReading {
        HistReading {
            samples: self
                .samples
                .get(earlier.samples.len()..)
                .unwrap_or_default()
                .to_vec(),
            buckets: since(&self.buckets, &earlier.buckets),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.samples.is_empty() && self.buckets.is_empty()
    }
}

/// Row and column of a value.
#[inline(always)]
fn bucket(ticks: u64) -> (usize, usize) {
    if ticks < COLUMNS as u64 {
        return (0, ticks as usize);
    }
    let exp = 63 - ticks.leading_zeros(); // >= SUB_BITS
    if exp > MAX_EXP {
        return (ROWS - 1, COLUMNS - 1);
    }
    let row = (exp - SUB_BITS + 1) as usize;
    let col = ((ticks >> (exp - SUB_BITS)) as usize) & (COLUMNS - 1);
    (row, col)
}

/// Counts `ticks` into `buckets` (sorted by row, column), as a reader does the pending value.
fn add_one(buckets: &mut Vec<Bucket>, ticks: u64) {
    let (row, col) = bucket(ticks);
    let key = (row as u8, col as u8);
    match buckets.binary_search_by_key(&key, |b| (b.row, b.col)) {
        Ok(i) => buckets[i].count += 1,
        Err(i) => buckets.insert(
            i,
            Bucket {
                row: key.0,
                col: key.1,
                count: 1,
            },
        ),
    }
}

/// The middle of a bucket, in ticks.
pub(crate) fn bucket_mid(row: usize, col: usize) -> u64 {
    if row == 0 {
        return col as u64;
    }
    let shift = row as u32 - 1;
    let low = ((COLUMNS + col) as u64) << shift;
    low + ((1u64 << shift) >> 1)
}

impl ThreadHist {
    pub(crate) fn new() -> Self {
        ThreadHist {
            samples: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            buckets: OnceLock::new(),
        }
    }

    /// Records one value (owner only). Returns the buckets once the function is hot, for the
    /// caller to keep and record into directly.
    #[inline(never)]
    pub(crate) fn record(&self, ticks: u64) -> Option<&'static Buckets> {
        let n = self.count.load(Ordering::Relaxed) as usize;
        if let Some(slot) = self.samples.get(n) {
            slot.store(ticks, Ordering::Relaxed);
            // The value is stored before the count that makes it readable.
            self.count.store(n as u64 + 1, Ordering::Release);
            return None;
        }
        let buckets = self.hot();
        buckets.record(ticks);
        Some(buckets)
    }

    /// The buckets, if the function is hot on this thread already.
    pub(crate) fn is_hot(&self) -> Option<&'static Buckets> {
        self.buckets.get().copied()
    }

    /// The function is hot on this thread: its buckets (made by the owner, once).
    #[cold]
    #[inline(never)]
    pub(crate) fn hot(&self) -> &'static Buckets {
        let _bookkeeping = super::memory::bookkeeping();
        self.buckets.get_or_init(Buckets::take)
    }

    /// Bytes this function's values take on this thread (for tests).
    #[cfg(test)]
    pub(crate) fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + self
                .buckets
                .get()
                .map_or(0, |_| std::mem::size_of::<Buckets>())
    }

    /// The exact values, then the non-empty buckets as (row, column, count), in order.
    pub(crate) fn read(&self) -> HistReading {
        let n = (self.count.load(Ordering::Acquire) as usize).min(SAMPLES);
        let samples = self.samples[..n]
            .iter()
            .map(|s| s.load(Ordering::Relaxed))
            .collect();
        HistReading {
            samples,
            buckets: self.read_buckets(),
        }
    }

    fn read_buckets(&self) -> Vec<Bucket> {
        self.buckets.get().map_or_else(Vec::new, |b| b.read())
    }
}

/// A non-empty bucket of a [`ThreadHist`] reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bucket {
    pub(crate) row: u8,
    pub(crate) col: u8,
    pub(crate) count: u64,
}

/// `now - before` bucket by bucket (both sorted by row, column, as `read` returns them).
pub(crate) fn since(now: &[Bucket], before: &[Bucket]) -> Vec<Bucket> {
    let mut out = Vec::with_capacity(now.len());
    let mut b = before.iter().peekable();
    for n in now {
        while b.peek().is_some_and(|x| (x.row, x.col) < (n.row, n.col)) {
            b.next();
        }
        let base = match b.peek() {
            Some(x) if (x.row, x.col) == (n.row, n.col) => x.count,
            _ => 0,
        };
        if n.count > base {
            out.push(Bucket {
                count: n.count - base,
                ..*n
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_pool_grows_outside_its_lock_and_keeps_every_item() {
        let pool = Mutex::new(Vec::new());
        for i in 0..1000u32 {
            push_unallocating(&pool, i);
            let p = pool.lock();
            assert!(p.len() <= p.capacity());
        }
        assert_eq!(*pool.lock(), (0..1000).collect::<Vec<_>>());
    }

    use super::*;

    #[test]
    fn every_value_lands_in_a_bucket_within_one_64th_of_it() {
        let mut v: u64 = 0;
        while v < 1 << 45 {
            let (row, col) = bucket(v);
            assert!(row < ROWS && col < COLUMNS, "{v}");
            let mid = bucket_mid(row, col);
            let err = mid.abs_diff(v) as f64 / (v.max(1)) as f64;
            assert!(err <= 1.0 / 64.0, "{v}: mid {mid}, error {err}");
            v = v + v / 8 + 1;
        }
        assert_eq!(bucket(63), (0, 63));
        assert_eq!(bucket(64), (1, 0));
        assert_eq!(bucket(127), (1, 63));
        assert_eq!(bucket(128), (2, 0));
        assert_eq!(bucket((1 << 45) - 1), (ROWS - 1, COLUMNS - 1));
        assert_eq!(bucket(1 << 45), (ROWS - 1, COLUMNS - 1), "clamped");
        assert_eq!(bucket(u64::MAX), (ROWS - 1, COLUMNS - 1), "clamped");
    }

    #[test]
    fn the_first_values_are_exact_and_take_no_buckets() {
        let h = ThreadHist::new();
        for v in 0..SAMPLES as u64 {
            h.record(1000 + v);
        }
        let r = h.read();
        assert_eq!(r.samples, (1000..1000 + SAMPLES as u64).collect::<Vec<_>>());
        assert!(r.buckets.is_empty());
        assert!(h.footprint() < 512, "{} bytes while cold", h.footprint());
        h.record(7);
        let r2 = h.read();
        assert_eq!(r2.samples.len(), SAMPLES);
        assert_eq!(
            r2.buckets,
            [Bucket {
                row: 0,
                col: 7,
                count: 1
            }]
        );
        assert!(h.footprint() > 20_000, "hot: the buckets exist");
        let delta = r2.since(&r);
        assert_eq!((delta.samples.len(), delta.buckets.len()), (0, 1));
        let from_start = r2.since(&HistReading::default());
        assert_eq!(from_start, r2);
    }

    /// The buckets a reading of the first `n` values `value(0..n)` must show.
    fn prefix(n: u64, value: impl Fn(u64) -> u64) -> Vec<Bucket> {
        let mut counts = std::collections::BTreeMap::new();
        for i in 0..n {
            *counts.entry(bucket(value(i))).or_insert(0u64) += 1;
        }
        counts
            .into_iter()
            .map(|((row, col), count)| Bucket {
                row: row as u8,
                col: col as u8,
                count,
            })
            .collect()
    }

    #[test]
    fn a_reading_counts_the_value_not_yet_in_its_bucket() {
        let value = |i: u64| (i * 37) % 5000;
        let b = Buckets::take();
        for n in 0..100 {
            assert_eq!(b.read(), prefix(n, value), "after {n} values");
            b.record(value(n));
        }
        // Zeroed for the next owner (as when it goes back to the pool): it starts from nothing.
        b.reset();
        assert_eq!(b.read_whole(), (vec![], true));
        b.record(9);
        assert_eq!(b.read_whole(), (prefix(1, |_| 9), true));
    }

    #[test]
    fn a_reader_beside_the_owner_never_counts_a_value_twice() {
        // Values spread over many buckets, so that a value counted twice or missed changes
        // some bucket.
        let value = |i: u64| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) % 100_000;
        let b = Buckets::take();
        // The reader reads this often while the owner records; then the owner stops.
        const READINGS: u64 = 3_000;
        let done = std::sync::atomic::AtomicBool::new(false);
        let (recorded, (whole, moved)) = std::thread::scope(|s| {
            let reader = s.spawn(|| {
                // The owner stops when the reader is done, failed assertion included.
                struct Stop<'a>(&'a std::sync::atomic::AtomicBool);
                impl Drop for Stop<'_> {
                    fn drop(&mut self) {
                        self.0.store(true, Ordering::Release);
                    }
                }
                let _stop = Stop(&done);
                // What the first `seen` values fill, kept up as readings grow.
                let mut expected = vec![0u64; ROWS * COLUMNS];
                let mut seen = 0;
                // The same for the first `upto_n` values.
                let (mut upto, mut upto_n) = (vec![0u64; ROWS * COLUMNS], 0);
                let (mut whole, mut moved) = (0, 0);
                let grow = |expected: &mut Vec<u64>, seen: &mut u64, to: u64| {
                    for i in *seen..to {
                        let (row, col) = bucket(value(i));
                        expected[row * COLUMNS + col] += 1;
                    }
                    *seen = to.max(*seen);
                };
                for _ in 0..READINGS {
                    let (r, is_whole) = b.read_whole();
                    let after = b.written.load(Ordering::Acquire);
                    let n: u64 = r.iter().map(|b| b.count).sum();
                    if is_whole {
                        // Exactly the first n values.
                        grow(&mut expected, &mut seen, n);
                        let filled = expected.iter().filter(|&&c| c > 0).count();
                        assert!(n == seen, "a whole reading of {n} after one of {seen}");
                        assert_eq!(r.len(), filled, "buckets of the first {n} values");
                        for x in &r {
                            let i = usize::from(x.row) * COLUMNS + usize::from(x.col);
                            assert_eq!(x.count, expected[i], "not the first {n} values: {x:?}");
                        }
                        whole += 1;
                        // Taken while the owner records (it runs until the reader is done).
                        moved += u64::from(n > 0);
                    } else {
                        // No bucket holds more than the values recorded by the end, nor
                        // fewer than the last whole reading had.
                        grow(&mut upto, &mut upto_n, after);
                        let mut got = vec![0u64; ROWS * COLUMNS];
                        for x in &r {
                            let i = usize::from(x.row) * COLUMNS + usize::from(x.col);
                            assert!(x.count <= upto[i], "counted twice: {x:?}, {}", upto[i]);
                            got[i] = x.count;
                        }
                        let fewer = got.iter().zip(&expected).position(|(g, e)| g < e);
                        assert_eq!(fewer, None, "fewer than the first {seen} values");
                    }
                }
                (whole, moved)
            });
            let mut i = 0;
            while !done.load(Ordering::Acquire) {
                b.record(value(i));
                i += 1;
                // Work between values, as between a function's calls, so that some readings
                // are taken between two values as well as across them.
                for k in 0..2_000u64 {
                    std::hint::black_box(k);
                }
            }
            (i, reader.join().unwrap())
        });
        // Some whole readings were taken while values arrived, not all before or after.
        assert!(
            whole > 0 && moved > 0,
            "{whole} whole readings, {moved} mid-way"
        );
        assert_eq!(b.read_whole(), (prefix(recorded, value), true));
    }

    #[test]
    fn buckets_read_back_sorted_and_differences_subtract() {
        let h = ThreadHist::new();
        for _ in 0..SAMPLES {
            h.record(1); // fill the exact values first
        }
        for v in [5, 5, 1000, 1_000_000, 5] {
            h.record(v);
        }
        let buckets = h.read().buckets;
        assert_eq!(buckets.len(), 3);
        assert_eq!(buckets.iter().map(|b| b.count).sum::<u64>(), 5);
        assert_eq!(
            buckets[0],
            Bucket {
                row: 0,
                col: 5,
                count: 3
            }
        );
        let before = buckets.clone();
        h.record(1000);
        h.record(7);
        let delta = since(&h.read().buckets, &before);
        assert_eq!(delta.iter().map(|b| b.count).sum::<u64>(), 2);
        assert_eq!(
            delta[0],
            Bucket {
                row: 0,
                col: 7,
                count: 1
            }
        );
    }
}
