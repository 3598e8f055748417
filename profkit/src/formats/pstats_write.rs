//! The `.prof` file Python's `pstats`, snakeviz, tuna and gprof2dot open: `marshal.dump` of one
//! dict, written as `../shared/pstats-format.md` specifies (sections 1, 4 and 7).
//!
//! ```text
//! { (file, line, name): (cc, nc, tt, ct, { caller_key: (nc, cc, tt, ct), .. }), .. }
//! ```
//! Counts are ints, times float seconds, edges 4-tuples; every caller is also a key (a caller
//! that is no row, in a report read from another tool's file, becomes a key with 0 calls), and
//! a root has no callers. The writer uses no back-references (Python reads them, never needs
//! them).
//!
//! A function called both with no profiled function open (at the top of its thread's stack)
//! and from profiled callers — a recursive root like `fib` — would have no root above its top
//! calls, and viewers need one. Those calls get the caller `('~', 0, '<profkit>')` (pstats
//! prints `{profkit}`), a key with 0 calls, so pstats' totals do not change.

use std::collections::BTreeMap;

use crate::error::WriteError;
use crate::model::{EdgeStats, FunctionStats, Report, seconds};

use super::io::write_atomic;

/// The caller of top-level calls of functions that also have profiled callers.
const TOP: (&str, u32, &str) = ("~", 0, "<profkit>");

/// A marshal encoder for the few types a pstats dict holds.
struct Marshal {
    out: Vec<u8>,
}

impl Marshal {
    fn dict_start(&mut self) {
        self.out.push(b'{');
    }

    fn dict_end(&mut self) {
        self.out.push(b'0');
    }

    fn tuple(&mut self, len: u8) {
        self.out.extend_from_slice(&[b')', len]);
    }

    fn str(&mut self, s: &str) {
        let bytes = s.as_bytes();
        if s.is_ascii() && bytes.len() < 256 {
            self.out.extend_from_slice(&[b'z', bytes.len() as u8]);
            self.out.extend_from_slice(bytes);
        } else {
            // `a` strings are read as Latin-1, so anything non-ASCII goes as UTF-8 `u`.
            let code = if s.is_ascii() { b'a' } else { b'u' };
            self.out.push(code);
            let len = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
            self.out.extend_from_slice(&len.to_le_bytes());
            self.out.extend_from_slice(&bytes[..len as usize]);
        }
    }

    fn int(&mut self, v: u64) {
        if let Ok(small) = i32::try_from(v) {
            self.out.push(b'i');
            self.out.extend_from_slice(&small.to_le_bytes());
            return;
        }
        // A big int: 15-bit digits, least significant first.
        let mut digits = Vec::new();
        let mut rest = v;
        while rest > 0 {
            digits.push((rest & 0x7fff) as u16);
            rest >>= 15;
        }
        self.out.push(b'l');
        self.out
            .extend_from_slice(&(digits.len() as i32).to_le_bytes());
        for d in digits {
            self.out.extend_from_slice(&d.to_le_bytes());
        }
    }

    fn float(&mut self, v: f64) {
        self.out.push(b'g');
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    fn key(&mut self, file: &str, line: u32, name: &str) {
        self.tuple(3);
        self.str(file);
        self.int(u64::from(line));
        self.str(name);
    }
}

/// Counts and times of one key; rows or edges that share a key (two functions with the same
/// file, line and name) are summed, as pstats would have to.
#[derive(Default, Clone, Copy)]
struct Sums {
    nc: u64,
    cc: u64,
    tt: u64,
    ct: u64,
}

impl Sums {
    fn add(&mut self, nc: u64, cc: u64, tt: u64, ct: u64) {
        self.nc = self.nc.saturating_add(nc);
        self.cc = self.cc.saturating_add(cc);
        self.tt = self.tt.saturating_add(tt);
        self.ct = self.ct.saturating_add(ct);
    }
}

type Key<'a> = (&'a str, u32, &'a str);

fn key_of(f: &FunctionStats) -> Key<'_> {
    (&f.file, f.line, &f.name)
}

fn edge_key(e: &EdgeStats) -> Key<'_> {
    (&e.file, e.line, &e.name)
}

impl Report {
    /// The profile as a pstats `.prof` file's bytes (see [`Report::write_pstats`]).
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// let bytes = report.to_pstats_bytes();
    /// assert_eq!(bytes[0], b'{'); // a marshalled dict
    /// ```
    pub fn to_pstats_bytes(&self) -> Vec<u8> {
        let mut rows: BTreeMap<Key<'_>, (Sums, BTreeMap<Key<'_>, Sums>)> = BTreeMap::new();
        for f in &self.functions {
            let (sums, callers) = rows.entry(key_of(f)).or_default();
            sums.add(f.ncalls, f.primitive_calls, f.tottime_ns, f.cumtime_ns);
            for e in &f.callers {
                callers.entry(edge_key(e)).or_default().add(
                    e.ncalls,
                    e.primitive_calls,
                    e.tottime_ns,
                    e.cumtime_ns,
                );
            }
        }
        // Top-level calls (call paths right under the tree's root) of functions that have
        // profiled callers too: exact numbers from the tree.
        let nodes = self.profile.tree.nodes();
        let mut top: BTreeMap<u32, Sums> = BTreeMap::new();
        for n in nodes.iter().skip(1).filter(|n| n.parent == 0) {
            top.entry(n.site)
                .or_default()
                .add(n.calls, n.calls, n.own_ns, n.incl_ns);
        }
        let mut top_total = Sums::default();
        for f in &self.functions {
            let Some(sums) = top.get(&f.site) else {
                continue;
            };
            if f.callers.is_empty() || sums.nc == 0 && sums.ct == 0 {
                continue;
            }
            let (_, callers) = rows.entry(key_of(f)).or_default();
            callers
                .entry(TOP)
                .or_default()
                .add(sums.nc, sums.cc, sums.tt, sums.ct);
            top_total.ct = top_total.ct.saturating_add(sums.ct);
        }
        if top_total.ct > 0 || rows.values().any(|(_, c)| c.contains_key(&TOP)) {
            rows.entry(TOP).or_default().0.add(0, 0, 0, top_total.ct);
        }
        // Every caller is a key (pstats and the tools over it look callers up): a report read
        // from a file whose callers are not all rows gets those as rows of 0 calls.
        let missing: Vec<Key<'_>> = rows
            .values()
            .flat_map(|(_, callers)| callers.keys())
            .filter(|k| !rows.contains_key(*k))
            .copied()
            .collect();
        for key in missing {
            rows.entry(key).or_default();
        }
        let mut m = Marshal { out: Vec::new() };
        m.dict_start();
        for ((file, line, name), (sums, callers)) in &rows {
            m.key(file, *line, name);
            m.tuple(5);
            m.int(sums.cc);
            m.int(sums.nc);
            m.float(seconds(sums.tt));
            m.float(seconds(sums.ct));
            m.dict_start();
            for ((file, line, name), e) in callers {
                m.key(file, *line, name);
                m.tuple(4);
                m.int(e.nc);
                m.int(e.cc);
                m.float(seconds(e.tt));
                m.float(seconds(e.ct));
            }
            m.dict_end();
        }
        m.dict_end();
        m.out
    }

    /// Writes the profile as a pstats `.prof` file, atomically: Python's
    /// `pstats.Stats(path)`, snakeviz, tuna and gprof2dot open it. Keys are
    /// `(file, line, qualified Rust name)`.
    ///
    /// # Errors
    /// [`WriteError`](crate::WriteError) names the path and the operating system's reason.
    ///
    /// ```
    /// # #[profkit::profile] fn a() {}
    /// let (_, report) = profkit::record(a);
    /// let path = std::env::temp_dir().join(format!("profkit-doc-{}.prof", std::process::id()));
    /// report.write_pstats(&path).unwrap();
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn write_pstats(&self, path: impl AsRef<std::path::Path>) -> Result<(), WriteError> {
        write_atomic(path.as_ref(), &self.to_pstats_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::Marshal;

    #[test]
    fn encodings_are_marshals() {
        let mut m = Marshal { out: Vec::new() };
        m.int(1);
        m.int(1 << 40);
        m.str("f");
        m.str("é");
        m.float(0.25);
        assert_eq!(
            m.out,
            [
                vec![b'i', 1, 0, 0, 0],
                // 2^40 = 2^(15*2) * 2^10: digits 0, 0, 1024.
                vec![b'l', 3, 0, 0, 0, 0, 0, 0, 0, 0, 4],
                vec![b'z', 1, b'f'],
                vec![b'u', 2, 0, 0, 0, 0xc3, 0xa9],
                vec![b'g', 0, 0, 0, 0, 0, 0, 0xd0, 0x3f],
            ]
            .concat()
        );
    }
}
