//! Memory assertions: allocations and bytes per call, the peak of one call, no allocation at
//! all. A failure names the call path below the function that allocated the most.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::data::{MemCounts, PRIMITIVE};
use crate::model::{MemoryStats, subtree_sums};
use crate::views::human_bytes;

use super::{Expect, fail};

/// How far below the function the search for the heaviest path goes.
const MAX_PATH: usize = 8;

impl<'a> Expect<'a> {
    /// The function's memory figures, or a failure saying there are none.
    #[track_caller]
    fn memory(&self) -> &'a MemoryStats {
        match self.function.memory() {
            Some(m) => m,
            None => fail(
                self.report,
                self.function,
                &format!(
                    "`{}` has no memory figures: make profkit::Alloc the global allocator \
                     (`#[global_allocator] static A: profkit::Alloc = profkit::Alloc::system();`, \
                     cargo feature `memory`)",
                    self.function.name()
                ),
            ),
        }
    }

    /// Asserts that one call allocates at most `n` times on average, its callees included
    /// (cumulative allocations per outermost call).
    ///
    /// # Panics
    /// When it allocates more, naming the call path below it that allocated the most; also
    /// without memory figures.
    ///
    /// ```rust,standalone_crate
    /// #[global_allocator]
    /// static ALLOC: profkit::Alloc = profkit::Alloc::system();
    ///
    /// #[profkit::profile]
    /// fn handle(n: usize) -> usize { (0..n).map(|i| i.to_string().len()).sum() }
    ///
    /// let (_, report) = profkit::record(|| handle(3));
    /// report.expect("handle").allocates_at_most(3);
    /// ```
    #[track_caller]
    pub fn allocates_at_most(self, n: u64) -> Self {
        let m = self.memory();
        let calls = self.function.primitive_calls().max(1);
        let per_call = m.cum_allocs() as f64 / calls as f64;
        self.check(per_call <= n as f64, || {
            format!(
                "`{}` allocated {} times per call (at most {n} expected){}",
                self.function.name(),
                number(per_call),
                self.heaviest(calls, |c| c.allocs, |v| format!("{} of them", number(v)))
            )
        })
    }

    /// Asserts that one call allocates at most `bytes` bytes on average, its callees included.
    ///
    /// # Panics
    /// As [`allocates_at_most`](Expect::allocates_at_most).
    ///
    /// ```rust,standalone_crate
    /// #[global_allocator]
    /// static ALLOC: profkit::Alloc = profkit::Alloc::system();
    ///
    /// #[profkit::profile]
    /// fn buffer() -> Vec<u8> { Vec::with_capacity(4096) }
    ///
    /// let (_, report) = profkit::record(buffer);
    /// report.expect("buffer").bytes_below(4096);
    /// ```
    #[track_caller]
    pub fn bytes_below(self, bytes: u64) -> Self {
        let m = self.memory();
        let calls = self.function.primitive_calls().max(1);
        let per_call = m.cum_bytes() as f64 / calls as f64;
        self.check(per_call <= bytes as f64, || {
            format!(
                "`{}` allocated {} per call (at most {} expected){}",
                self.function.name(),
                human_bytes(per_call as u64),
                human_bytes(bytes),
                self.heaviest(
                    calls,
                    |c| c.bytes,
                    |v| format!("{} of it", human_bytes(v as u64))
                )
            )
        })
    }

    /// Asserts that no call needed more than `bytes` of heap at once: the thread's live bytes
    /// during any call stayed within `bytes` above their level when it started.
    ///
    /// # Panics
    /// When one call needed more; also without memory figures.
    ///
    /// ```rust,standalone_crate
    /// #[global_allocator]
    /// static ALLOC: profkit::Alloc = profkit::Alloc::system();
    ///
    /// #[profkit::profile]
    /// fn sum_squares(n: u64) -> u64 { (0..n).map(|i| i * i).collect::<Vec<_>>().iter().sum() }
    ///
    /// let (_, report) = profkit::record(|| sum_squares(1000));
    /// report.expect("sum_squares").peak_below(8 * 1024);
    /// ```
    #[track_caller]
    pub fn peak_below(self, bytes: u64) -> Self {
        let got = self.memory().peak_bytes();
        self.check(got <= bytes, || {
            format!(
                "`{}` needed {} of heap in one call (at most {} expected)",
                self.function.name(),
                human_bytes(got),
                human_bytes(bytes)
            )
        })
    }

    /// Asserts that at most `bytes` of what the function allocated (its callees included) is
    /// still live: blocks allocated under it during the recorded work and not freed by its end,
    /// wherever the others were freed. A leak check: a cache that is filled and never emptied
    /// fails it, naming the call path below the function that holds the most.
    ///
    /// In a [`record`](crate::record) report the figure is the change over the recorded work
    /// (blocks the function's paths held before it and freed during it count against it).
    ///
    /// # Panics
    /// When more is live, with a message such as `` `app::handle` retains 1024000 bytes in
    /// 1000 blocks (at most 0 expected); 1024000 of them allocated under app::cache::insert
    /// ``; also without memory figures.
    ///
    /// ```rust,standalone_crate
    /// #[global_allocator]
    /// static ALLOC: profkit::Alloc = profkit::Alloc::system();
    ///
    /// #[profkit::profile]
    /// fn handle(cache: &mut Vec<String>, n: usize) -> usize {
    ///     let line = n.to_string(); // freed on return
    ///     if cache.len() < 2 { cache.push(line.clone()) } // kept, at most two
    ///     line.len()
    /// }
    ///
    /// let mut cache = Vec::with_capacity(2);
    /// let (_, report) = profkit::record(|| (0..100).map(|n| handle(&mut cache, n)).sum::<usize>());
    /// report.expect("handle").retains_at_most(2);
    /// ```
    #[track_caller]
    pub fn retains_at_most(self, bytes: u64) -> Self {
        let m = self.memory();
        let live = m.cum_live_bytes();
        self.check(live <= i64::try_from(bytes).unwrap_or(i64::MAX), || {
            format!(
                "`{}` retains {live} bytes in {} blocks (at most {bytes} expected){}",
                self.function.name(),
                m.cum_live_allocs(),
                self.heaviest(
                    1,
                    |c| u64::try_from(c.live_bytes).unwrap_or(0),
                    |v| format!("{} of them allocated", number(v))
                )
            )
        })
    }

    /// Asserts that the function never allocated, its callees included: for hot loops.
    ///
    /// # Panics
    /// When it did, naming the call path that allocated the most; also without memory figures.
    ///
    /// ```rust,standalone_crate
    /// #[global_allocator]
    /// static ALLOC: profkit::Alloc = profkit::Alloc::system();
    ///
    /// #[profkit::profile]
    /// fn checksum(data: &[u8]) -> u32 { data.iter().map(|&b| u32::from(b)).sum() }
    ///
    /// let data = vec![1u8; 100];
    /// let (_, report) = profkit::record(|| checksum(&data));
    /// report.expect("checksum").no_alloc();
    /// ```
    #[track_caller]
    pub fn no_alloc(self) -> Self {
        let m = self.memory();
        let calls = self.function.primitive_calls().max(1);
        self.check(m.cum_allocs() == 0, || {
            format!(
                "`{}` allocated {} times ({}) in {calls} calls, none expected{}",
                self.function.name(),
                m.cum_allocs(),
                human_bytes(m.cum_bytes()),
                self.heaviest(1, |c| c.allocs, |v| format!("{} of them", number(v)))
            )
        })
    }

    /// "; 110 of them under app::load -> app::parse": the call path below the function where
    /// the measure (`of`, per `calls`) is largest, found by descending to the heaviest callee
    /// while a callee holds more than what is allocated where the descent stands.
    fn heaviest(
        &self,
        calls: u64,
        of: impl Fn(&MemCounts) -> u64,
        amount: impl Fn(f64) -> String,
    ) -> String {
        let report = self.report;
        let tree = &report.profile.tree;
        let nodes = tree.nodes();
        if nodes.len() <= 1 {
            return String::new();
        }
        let sums = subtree_sums(tree);
        let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, n) in nodes.iter().enumerate().skip(1) {
            children.entry(n.parent as usize).or_default().push(i);
        }
        let mut frontier: Vec<usize> = nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.site == self.function.site && n.flags & PRIMITIVE != 0)
            .map(|(i, _)| i)
            .collect();
        let mut path: Vec<String> = Vec::new();
        let mut found = 0;
        for _ in 0..MAX_PATH {
            let here: u64 = frontier.iter().map(|&i| of(&nodes[i].mem)).sum();
            let mut by_site: HashMap<u32, (u64, Vec<usize>)> = HashMap::new();
            for i in &frontier {
                for &c in children.get(i).into_iter().flatten() {
                    let e = by_site.entry(nodes[c].site).or_default();
                    e.0 += of(&sums[c]);
                    e.1.push(c);
                }
            }
            let Some((site, (value, next))) = by_site
                .into_iter()
                .max_by_key(|(site, (v, _))| (*v, std::cmp::Reverse(*site)))
            else {
                break;
            };
            if value == 0 || value <= here {
                break;
            }
            let name = report
                .sites
                .get(site as usize)
                .map_or("<unknown>".to_owned(), |s| s.name.to_string());
            path.push(name);
            found = value;
            frontier = next;
        }
        if path.is_empty() {
            return format!("; all of them in `{}` itself", self.function.name());
        }
        let mut out = String::new();
        let _ = write!(
            out,
            "; {} under {}",
            amount(found as f64 / calls as f64),
            path.join(" -> ")
        );
        out
    }
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}
