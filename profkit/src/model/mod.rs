//! **model**: the merged, deterministic profile. A [`Report`] holds the call tree of every
//! thread (from collection, in nanoseconds) and the per-function and per-edge statistics
//! derived from it with cProfile's accounting, latency distributions, futures and per-thread
//! reports; it answers queries by name and merges with other reports. It imports only `collect`
//! and `data`; the views and file formats above read it and add their methods to [`Report`].

mod complexity;
mod latency;
mod lookup;
mod memory;
mod merge;
mod report;
mod report_memory;
mod stats;
mod what_if;

pub use complexity::{Complexity, ComplexityClass, Growth, NoFit};
pub use latency::Latency;
#[cfg(feature = "history")]
pub(crate) use lookup::find as find_by_name;
pub(crate) use lookup::name_matches;
pub(crate) use memory::subtree_sums;
pub use memory::{HeapStats, MemoryStats};
#[cfg(feature = "json")]
pub(crate) use report::Meta;
pub(crate) use report::meta;
pub use report::{Report, ThreadReport};
pub(crate) use stats::link_callees;
pub use stats::{EdgeStats, FunctionStats, FutureStats};
pub(crate) use what_if::amdahl;

/// Nanoseconds as float seconds, the unit of pstats' files and tables.
pub(crate) fn seconds(ns: u64) -> f64 {
    ns as f64 * 1e-9
}
