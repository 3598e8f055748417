//! **data**, the ground floor: what was recorded, as plain values in nanoseconds — the merged
//! call tree ([`Tree`], one node per call path) and latency distributions ([`Dist`]), held
//! together as a [`Profile`]. Collection fills them; the model derives statistics from them.
//! Nothing here knows about threads, clocks or reports, and nothing here imports another floor.

mod collapse;
mod dist;
mod hash;
pub(crate) mod names;
mod profile;
mod sizes;
mod tree;

pub(crate) use collapse::{Children, FoldedNode};
pub(crate) use dist::Dist;
pub(crate) use hash::IdMap;
pub(crate) use profile::{FutureCounts, Profile};
pub(crate) use sizes::{CallMem, SizeBucket, SizePoint, SizeSamples, bucket_of};
pub(crate) use tree::{
    EDGE_PRIMITIVE, MemCounts, PRIMITIVE, PerCall, ROOT_SITE, Tree, TreeNode, estimate_sampled,
};
