//! Per thread and sized function (`#[profile(size = ..)]`): the (size, inclusive time) of its
//! calls, bounded, and with the allocator wrapper (feature `memory`) what each call allocated.
//! Written only by the thread, read by reports; functions without `size` never touch it.
//!
//! Sizes go to log-spaced buckets, two per power of two (a bucket spans a factor of about 1.41;
//! size 0 has its own). Each bucket counts its calls and keeps its last [`SLOTS`] calls exactly,
//! as (size, nanoseconds) in a ring: a fit takes medians per bucket, so a handful of recent
//! calls per size class is what it needs, and the memory is fixed: 129 buckets of
//! 8 + 16 x 16 bytes, about 34 KiB per thread and sized function, allocated on its first call
//! (twice that when the allocator wrapper is installed: a call's allocations and bytes too).
//!
//! A reader running while the owner overwrites a slot of a full ring may pair one call's size
//! with the previous call's time (both are whole `u64`s; the pair is not atomic). The slot is
//! written before the count that makes it visible, so this happens only to old slots being
//! recycled, where it moves one point of a median among 16.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::data::{CallMem, SizeBucket, SizePoint, SizeSamples, bucket_of};

/// Calls kept exactly per size bucket.
pub(crate) const SLOTS: usize = 16;
/// Bucket 0: size 0; then two per power of two up to 2^64 (see [`bucket_of`]).
const BUCKETS: usize = 129;

struct Bucket {
    count: AtomicU64,
    sizes: [AtomicU64; SLOTS],
    ns: [AtomicU64; SLOTS],
}

/// Per bucket and slot, what the call allocated ([`NOT_RECORDED`] in `allocs`: nothing known).
struct MemSlots {
    allocs: [AtomicU64; SLOTS],
    bytes: [AtomicU64; SLOTS],
}

/// A slot's `allocs` when its call's allocations were not recorded (no call makes 2^64 - 1).
const NOT_RECORDED: u64 = u64::MAX;

/// One thread's sized calls of one function.
pub(crate) struct ThreadSizes {
    buckets: Box<[Bucket]>,
    /// Parallel to `buckets`, when the allocator wrapper was in use as the table was made.
    mem: Option<Box<[MemSlots]>>,
}

impl ThreadSizes {
    /// A table for a thread's calls of one function; `with_memory` keeps their allocations too.
    pub(crate) fn new(with_memory: bool) -> ThreadSizes {
        let zeros = || std::array::from_fn(|_| AtomicU64::new(0));
        ThreadSizes {
            buckets: (0..BUCKETS)
                .map(|_| Bucket {
                    count: AtomicU64::new(0),
                    sizes: zeros(),
                    ns: zeros(),
                })
                .collect(),
            mem: with_memory.then(|| {
                (0..BUCKETS)
                    .map(|_| MemSlots {
                        allocs: std::array::from_fn(|_| AtomicU64::new(NOT_RECORDED)),
                        bytes: zeros(),
                    })
                    .collect()
            }),
        }
    }

    /// One call of `size` that took `ns` and allocated `mem` (owner only).
    #[inline]
    pub(crate) fn record(&self, size: u64, ns: u64, mem: Option<CallMem>) {
        let i = bucket_of(size);
        let Some(b) = self.buckets.get(i) else {
            return;
        };
        let count = b.count.load(Ordering::Relaxed);
        let slot = (count % SLOTS as u64) as usize;
        if let (Some(s), Some(t)) = (b.sizes.get(slot), b.ns.get(slot)) {
            s.store(size, Ordering::Relaxed);
            t.store(ns, Ordering::Relaxed);
        }
        if let Some(m) = self.mem.as_ref().and_then(|m| m.get(i)) {
            let (allocs, bytes) = mem.map_or((NOT_RECORDED, 0), |m| {
                (m.allocs.min(NOT_RECORDED - 1), m.bytes)
            });
            if let (Some(a), Some(by)) = (m.allocs.get(slot), m.bytes.get(slot)) {
                a.store(allocs, Ordering::Relaxed);
                by.store(bytes, Ordering::Relaxed);
            }
        }
        b.count.store(count.wrapping_add(1), Ordering::Release);
    }

    /// What slot `slot` of bucket `i` allocated, if recorded.
    fn mem_at(&self, i: usize, slot: usize) -> Option<CallMem> {
        let m = self.mem.as_ref()?.get(i)?;
        let allocs = m.allocs.get(slot)?.load(Ordering::Relaxed);
        (allocs != NOT_RECORDED).then(|| CallMem {
            allocs,
            bytes: m.bytes.get(slot).map_or(0, |b| b.load(Ordering::Relaxed)),
        })
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
                    SizePoint {
                        size: b.sizes[slot].load(Ordering::Relaxed),
                        ns: b.ns[slot].load(Ordering::Relaxed),
                        mem: self.mem_at(i, slot),
                    }
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
        let t = ThreadSizes::new(false);
        for i in 0..40u64 {
            t.record(100, i, None);
        }
        t.record(0, 7, None);
        let read = t.read();
        let b = &read.buckets[&(bucket_of(100) as u8)];
        assert_eq!(b.count, 40);
        let ns: Vec<u64> = b.points.iter().map(|p| p.ns).collect();
        assert_eq!(ns, (24..40).collect::<Vec<_>>());
        assert_eq!(read.buckets[&0].points, vec![(0, 7).into()]);
        assert_eq!(read.buckets.len(), 2);
    }

    #[test]
    fn with_memory_each_slot_keeps_its_calls_allocations() {
        let t = ThreadSizes::new(true);
        for i in 0..20u64 {
            let mem = (i != 19).then_some(CallMem {
                allocs: i,
                bytes: 8 * i,
            });
            t.record(100, i, mem);
        }
        // A table made without memory drops what it is given.
        let plain = ThreadSizes::new(false);
        plain.record(5, 1, Some(CallMem::default()));
        assert_eq!(plain.read().points().next().unwrap().mem, None);
        let read = t.read();
        let points: Vec<SizePoint> = read.points().collect();
        assert_eq!(points.len(), SLOTS);
        assert_eq!(
            points[0].mem,
            Some(CallMem {
                allocs: 4,
                bytes: 32
            })
        );
        assert_eq!(points[SLOTS - 1].mem, None, "the last call had none");
        assert!(
            points
                .iter()
                .all(|p| p.mem.is_none_or(|m| m.bytes == 8 * p.ns))
        );
    }
}
