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

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

/// Columns per row: 2^SUB_BITS.
const SUB_BITS: u32 = 6;
const COLUMNS: usize = 1 << SUB_BITS;
/// Row 0 holds values below 64; row r >= 1 holds [2^(r+5), 2^(r+6)).
pub(crate) const ROWS: usize = 40;
const MAX_EXP: u32 = ROWS as u32 + SUB_BITS - 2;

/// Values kept exactly before a function's buckets are allocated.
pub(crate) const SAMPLES: usize = 32;

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
        }))
    }

    /// Records one value (owner only).
    #[inline(always)]
    pub(crate) fn record(&self, ticks: u64) {
        let (row, col) = bucket(ticks);
        if let Some(c) = self.cells.get(row * COLUMNS + col) {
            let old = c.load(Ordering::Relaxed);
            c.store(old.wrapping_add(1), Ordering::Relaxed);
            if old == 0 {
                self.mark_row(row);
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
            for c in &b.cells {
                c.store(0, Ordering::Relaxed);
            }
            b.rows_used.store(0, Ordering::Relaxed);
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
        let Some(buckets) = self.buckets.get() else {
            return Vec::new();
        };
        let used = buckets.rows_used.load(Ordering::Acquire);
        let mut out = Vec::new();
        for row in (0..ROWS).filter(|r| used & (1 << r) != 0) {
            let cells = buckets.cells.get(row * COLUMNS..(row + 1) * COLUMNS);
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
        out
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
