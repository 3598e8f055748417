//! A fast hasher for the maps keyed by small integers (site ids, node indices) that building a
//! report fills once per call path: std's SipHash took about 60% of `report()`'s instructions.
//! Each value is mixed with a folded 64x64->128-bit multiply (foldhash's and wyhash's mixer)
//! from a seed drawn once per process from std's `RandomState`, so a crafted profile file
//! cannot aim its keys at one bucket without knowing the seed.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

/// A `HashMap` with [`IdState`]: for integer keys.
pub(crate) type IdMap<K, V> = HashMap<K, V, IdState>;

const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

fn seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(0x5EED_u64) | 1)
}

/// Builds [`IdHasher`]s from the process's seed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IdState(u64);

impl Default for IdState {
    fn default() -> Self {
        IdState(seed())
    }
}

impl BuildHasher for IdState {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(self.0)
    }
}

/// Folds each written integer into the state with one widening multiply.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IdHasher(u64);

impl IdHasher {
    #[inline]
    fn mix(&mut self, x: u64) {
        let wide = u128::from(self.0 ^ x) * u128::from(MULTIPLIER);
        self.0 = (wide as u64) ^ ((wide >> 64) as u64);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        // The length, so "a" and "a\0" differ.
        self.mix(bytes.len() as u64);
    }
    #[inline]
    fn write_u32(&mut self, x: u32) {
        self.mix(u64::from(x));
    }
    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.mix(x);
    }
    #[inline]
    fn write_usize(&mut self, x: usize) {
        self.mix(x as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // One more round so the last key's bits reach the top 7 bits hashbrown tags with.
        let wide = u128::from(self.0) * u128::from(MULTIPLIER);
        (wide as u64) ^ ((wide >> 64) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_spread_over_buckets() {
        // Sequential (parent, site) pairs, as a tree has them: the low 12 bits (hashbrown's
        // bucket index for a 4096-slot table) and the top 7 (its tag) both take many values.
        let state = IdState::default();
        let mut low = std::collections::HashSet::new();
        let mut top = std::collections::HashSet::new();
        for parent in 0..64u32 {
            for site in 0..64u32 {
                let h = state.hash_one((parent, site));
                low.insert(h & 0xFFF);
                top.insert(h >> 57);
            }
        }
        assert!(low.len() > 2500, "{} of 4096 buckets used", low.len());
        assert_eq!(top.len(), 128);
    }

    #[test]
    fn equal_keys_hash_equal_and_maps_work() {
        let state = IdState::default();
        assert_eq!(state.hash_one((3u32, 4u32)), state.hash_one((3u32, 4u32)));
        assert_ne!(state.hash_one((3u32, 4u32)), state.hash_one((4u32, 3u32)));
        assert_ne!(state.hash_one("a"), state.hash_one("a\0"));
        let mut m: IdMap<(u32, u32), u32> = IdMap::default();
        for i in 0..10_000u32 {
            m.insert((i / 7, i % 7), i);
        }
        assert_eq!(m.len(), 10_000);
        assert_eq!(m[&(5, 3)], 38);
    }
}
