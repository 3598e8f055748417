//! Per thread and sized function (`#[profile(size = ..)]`): the (size, inclusive time) of its
//! calls, bounded. Written only by the thread, read by reports; functions without `size` never
//! touch it.
//!
//! Sizes go to log-spaced buckets, two per power of two (a bucket spans a factor of about 1.41;
//! size 0 has its own). Each bucket counts its calls and keeps its last [`SLOTS`] calls exactly,
//! as (size, nanoseconds) in a ring: a fit takes medians per bucket, so a handful of recent
//! calls per size class is what it needs, and the memory is fixed: 129 buckets of
//! 8 + 16 x 16 bytes, about 34 KiB per thread and sized function, allocated on its first call.
//!
//! A reader running while the owner overwrites a slot of a full ring may pair one call's size
//! with the previous call's time (both are whole `u64`s; the pair is not atomic). The slot is
//! written before the count that makes it visible, so this happens only to old slots being
//! recycled, where it moves one point of a median among 16.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::data::{SizeBucket, SizeSamples, bucket_of};

/// Calls kept exactly per size bucket.
pub(crate) const SLOTS: usize = 16;
/// Bucket 0: size 0; then two per power of two up to 2^64 (see [`bucket_of`]).
const BUCKETS: usize = 129;

struct Bucket {
    count: AtomicU64,
    sizes: [AtomicU64; SLOTS],
    ns: [AtomicU64; SLOTS],
}

/// One thread's sized calls of one function.
pub(crate) struct ThreadSizes {
    buckets: Box<[Bucket]>,
}

impl ThreadSizes {
    pub(crate) fn new() -> ThreadSizes {
        ThreadSizes {
            buckets: (0..BUCKETS)
                .map(|_| Bucket {
                    count: AtomicU64::new(0),
                    sizes: std::array::from_fn(|_| AtomicU64::new(0)),
                    ns: std::array::from_fn(|_| AtomicU64::new(0)),
                })
                .collect(),
        }
    }

    /// One call of `size` that took `ns` (owner only).
    #[inline]
    pub(crate) fn record(&self, size: u64, ns: u64) {
        let Some(b) = self.buckets.get(bucket_of(size)) else {
            return;
        };
        let count = b.count.load(Ordering::Relaxed);
        let slot = (count % SLOTS as u64) as usize;
        if let (Some(s), Some(t)) = (b.sizes.get(slot), b.ns.get(slot)) {
            s.store(size, Ordering::Relaxed);
            t.store(ns, Ordering::Relaxed);
        }
        b.count.store(count.wrapping_add(1), Ordering::Release);
    }

    /// What was recorded: per non-empty bucket, its count and its kept calls, oldest first.
    pub(crate) fn read(&self) -> SizeSamples {
        let mut out = SizeSamples::default();
        for (i, b) in self.buckets.iter().enumerate() {
            let count = b.count.load(Ordering::Acquire);
            if count == 0 {
                continue;
            }
            let kept = count.min(SLOTS as u64);
            let points = (0..kept)
                .rev()
                .map(|back| {
                    let slot = ((count - 1 - back) % SLOTS as u64) as usize;
                    (
                        b.sizes[slot].load(Ordering::Relaxed),
                        b.ns[slot].load(Ordering::Relaxed),
                    )
                })
                .collect();
            out.buckets.insert(i as u8, SizeBucket { count, points });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_keeps_its_last_calls_and_counts_all() {
        let t = ThreadSizes::new();
        for i in 0..40u64 {
            t.record(100, i);
        }
        t.record(0, 7);
        let read = t.read();
        let b = &read.buckets[&(bucket_of(100) as u8)];
        assert_eq!(b.count, 40);
        let ns: Vec<u64> = b.points.iter().map(|p| p.1).collect();
        assert_eq!(ns, (24..40).collect::<Vec<_>>());
        assert_eq!(read.buckets[&0].points, vec![(0, 7)]);
        assert_eq!(read.buckets.len(), 2);
    }
}
