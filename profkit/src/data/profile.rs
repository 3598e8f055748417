//! A merged profile in nanoseconds: the call tree and each function's latency distribution.
//! Collection converts each thread into one of these with the thread's own clock; profiles
//! then add up (threads of one name, every thread, reports merged later).

use std::collections::BTreeMap;

use super::dist::Dist;
use super::tree::Tree;

/// Nanosecond totals, ready to be added to others.
#[derive(Clone, Debug, Default)]
pub(crate) struct Profile {
    pub(crate) tree: Tree,
    /// Inclusive time of primitive calls, per site.
    pub(crate) hists: BTreeMap<u32, Dist>,
}

impl Profile {
    /// Adds another profile (pstats' `Stats.add`).
    pub(crate) fn add(&mut self, other: &Profile) {
        self.tree.add(other.tree.nodes());
        for (site, d) in &other.hists {
            self.hists.entry(*site).or_default().merge(d);
        }
    }
}
