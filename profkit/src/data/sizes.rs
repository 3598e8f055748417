//! The sized calls of one function (`#[profile(size = ..)]`): per log-spaced size bucket, how
//! many calls there were and a bounded sample of them as (size, nanoseconds, and the call's
//! allocations when memory was recorded). Threads, readings and files add up by bucket; the
//! complexity fit reads it.

use std::collections::BTreeMap;

/// The bucket of `size`: 0 for 0, else `1 + 2 * log2(size) + (the bit below the top one)`:
/// two buckets per power of two, each spanning a factor of about 1.41, 129 in all.
#[inline]
pub(crate) fn bucket_of(size: u64) -> usize {
    if size == 0 {
        return 0;
    }
    let log = 63 - size.leading_zeros() as usize;
    let half = if log == 0 {
        0
    } else {
        ((size >> (log - 1)) & 1) as usize
    };
    1 + 2 * log + half
}

/// Calls kept per bucket once samples of several threads or reports are merged.
pub(crate) const MAX_POINTS: usize = 32;

/// What one sized call allocated, inclusive of its callees (the allocator wrapper of feature
/// `memory` was installed and the thread recorded it): allocations (a `realloc` counts one)
/// and the bytes they asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct CallMem {
    pub(crate) allocs: u64,
    pub(crate) bytes: u64,
}

/// One sized call kept exactly: its size, inclusive nanoseconds, and allocations when
/// recorded. Ordered by size, then time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SizePoint {
    pub(crate) size: u64,
    pub(crate) ns: u64,
    pub(crate) mem: Option<CallMem>,
}

impl From<(u64, u64)> for SizePoint {
    /// A call whose allocations were not recorded.
    fn from((size, ns): (u64, u64)) -> SizePoint {
        SizePoint {
            size,
            ns,
            mem: None,
        }
    }
}

/// One size bucket: its calls, and some of them exactly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SizeBucket {
    pub(crate) count: u64,
    /// Calls kept, at most [`MAX_POINTS`].
    pub(crate) points: Vec<SizePoint>,
}

/// A function's sized calls, by bucket (see `collect::sizes::bucket_of`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SizeSamples {
    pub(crate) buckets: BTreeMap<u8, SizeBucket>,
}

impl SizeSamples {
    pub(crate) fn is_empty(&self) -> bool {
        self.buckets.values().all(|b| b.count == 0)
    }

    /// Calls counted over all buckets.
    pub(crate) fn calls(&self) -> u64 {
        self.buckets
            .values()
            .fold(0u64, |sum, b| sum.saturating_add(b.count))
    }

    /// Every kept point, in bucket order.
    pub(crate) fn points(&self) -> impl Iterator<Item = SizePoint> + '_ {
        self.buckets.values().flat_map(|b| b.points.iter().copied())
    }

    /// Adds `other`'s calls; a bucket holding more than [`MAX_POINTS`] points keeps that many,
    /// evenly spread over its points sorted by (size, time), so medians stay where they were.
    pub(crate) fn merge(&mut self, other: &SizeSamples) {
        for (&i, b) in &other.buckets {
            let mine = self.buckets.entry(i).or_default();
            mine.count = mine.count.saturating_add(b.count);
            mine.points.extend_from_slice(&b.points);
            thin(&mut mine.points);
        }
    }

    /// What was recorded since `earlier`, an earlier reading of the same thread's calls: per
    /// bucket the new calls, and of the kept points the newest among them (a reading lists a
    /// bucket's points oldest first).
    pub(crate) fn since(&self, earlier: &SizeSamples) -> SizeSamples {
        let mut out = SizeSamples::default();
        for (&i, b) in &self.buckets {
            let before = earlier.buckets.get(&i).map_or(0, |e| e.count);
            let new = b.count.saturating_sub(before);
            if new == 0 {
                continue;
            }
            let keep = usize::try_from(new)
                .unwrap_or(usize::MAX)
                .min(b.points.len());
            out.buckets.insert(
                i,
                SizeBucket {
                    count: new,
                    points: b.points[b.points.len() - keep..].to_vec(),
                },
            );
        }
        out
    }
    /// The calls of a window between an earlier report's sized calls and this later one's
    /// (`Report::since`): per bucket the calls made in between, with this report's kept points
    /// (a report's points are merged over threads and thinned, so which of them are new cannot
    /// be told; the window's fit reads the later report's points). A bucket without new calls
    /// is left out. `None` when a bucket has fewer calls than `earlier`'s (not a later report).
    pub(crate) fn window(&self, earlier: &SizeSamples) -> Option<SizeSamples> {
        let mut out = SizeSamples::default();
        for (&i, b) in &self.buckets {
            let before = earlier.buckets.get(&i).map_or(0, |e| e.count);
            let new = b.count.checked_sub(before)?;
            if new > 0 {
                out.buckets.insert(
                    i,
                    SizeBucket {
                        count: new,
                        points: b.points.clone(),
                    },
                );
            }
        }
        let lost = earlier
            .buckets
            .iter()
            .any(|(i, e)| e.count > 0 && !self.buckets.contains_key(i));
        (!lost).then_some(out)
    }
}

/// Keeps at most [`MAX_POINTS`] of `points`, evenly spaced in (size, time) order.
fn thin(points: &mut Vec<SizePoint>) {
    if points.len() <= MAX_POINTS {
        return;
    }
    points.sort_unstable();
    let n = points.len();
    let kept: Vec<SizePoint> = (0..MAX_POINTS)
        .map(|k| points[k * (n - 1) / (MAX_POINTS - 1)])
        .collect();
    *points = kept;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(bucket: u8, count: u64, points: &[(u64, u64)]) -> SizeSamples {
        let mut s = SizeSamples::default();
        s.buckets.insert(
            bucket,
            SizeBucket {
                count,
                points: points.iter().map(|&p| p.into()).collect(),
            },
        );
        s
    }

    fn pts(points: &[(u64, u64)]) -> Vec<SizePoint> {
        points.iter().map(|&p| p.into()).collect()
    }

    #[test]
    fn sizes_fall_in_half_octave_buckets() {
        let cases = [
            (0, 0),
            (1, 1),
            (2, 3),
            (3, 4),
            (4, 5),
            (5, 5),
            (6, 6),
            (7, 6),
            (8, 7),
            (1000, 1 + 2 * 9 + 1),
            (u64::MAX, 128),
        ];
        for (size, bucket) in cases {
            assert_eq!(bucket_of(size), bucket, "size {size}");
        }
    }

    #[test]
    fn merging_adds_counts_and_keeps_a_bounded_even_sample() {
        let a: Vec<(u64, u64)> = (0..30).map(|i| (10, i)).collect();
        let b: Vec<(u64, u64)> = (30..60).map(|i| (10, i)).collect();
        let mut s = one(7, 100, &a);
        s.merge(&one(7, 50, &b));
        s.merge(&one(9, 1, &[(20, 5)]));
        assert_eq!(s.calls(), 151);
        let kept = &s.buckets[&7].points;
        assert_eq!(kept.len(), MAX_POINTS);
        assert_eq!(
            (kept[0], kept[MAX_POINTS - 1]),
            ((10, 0).into(), (10, 59).into())
        );
        assert_eq!(s.buckets[&9].points, pts(&[(20, 5)]));
    }

    #[test]
    fn a_window_counts_the_new_calls_with_the_later_points() {
        let mut later = one(3, 5, &[(4, 10), (5, 11)]);
        later.merge(&one(7, 2, &[(90, 70)]));
        let earlier = one(3, 2, &[(4, 10)]);
        let w = later.window(&earlier).unwrap();
        assert_eq!(w.calls(), 5);
        assert_eq!(
            w.buckets[&3],
            SizeBucket {
                count: 3,
                points: pts(&[(4, 10), (5, 11)])
            }
        );
        assert_eq!(w.buckets[&7].count, 2);
        // Nothing new: no bucket.
        assert!(later.window(&later).unwrap().is_empty());
        assert!(later.window(&later).unwrap().buckets.is_empty());
        // Fewer calls than before, or a bucket gone: not a later report.
        assert!(earlier.window(&later).is_none());
        assert!(one(9, 1, &[]).window(&earlier).is_none());
    }

    #[test]
    fn since_keeps_the_new_calls_and_the_newest_points() {
        let earlier = one(3, 2, &[(4, 1), (4, 2)]);
        let now = one(3, 5, &[(4, 1), (4, 2), (4, 3), (4, 4), (4, 5)]);
        let d = now.since(&earlier);
        assert_eq!(d.buckets[&3].count, 3);
        assert_eq!(d.buckets[&3].points, pts(&[(4, 3), (4, 4), (4, 5)]));
        assert!(now.since(&now).is_empty());
    }
}
