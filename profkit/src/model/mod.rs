//! **model**: the merged, deterministic profile. A [`Report`] holds the call tree of every
//! thread (from collection, in nanoseconds) and the per-function and per-edge statistics
//! derived from it with cProfile's accounting, latency distributions, futures and per-thread
//! reports; it answers queries by name and merges with other reports. It imports only `collect`
//! and `data`; the views and file formats above read it and add their methods to [`Report`].

mod complexity;
mod growth;
mod latency;
mod lookup;
mod memory;
mod merge;
mod report;
mod report_memory;
mod report_time;
mod since;
mod stats;
mod what_if;

pub use complexity::{Complexity, ComplexityClass, Measure, NoFit, Scaling};
pub use growth::Growth;
pub(crate) use growth::{MIN_SNAPSHOTS, Snapshot, span as snapshot_span};
pub use latency::Latency;
#[cfg(feature = "history")]
pub(crate) use lookup::find as find_by_name;
pub(crate) use lookup::name_matches;
pub(crate) use memory::subtree_sums;
pub use memory::{HeapStats, MemoryStats};
pub(crate) use report::meta;
#[cfg(feature = "json")]
pub(crate) use report::{Meta, Origin};
pub use report::{Report, ThreadReport};
pub use report_time::{Compensation, SMALL_CALL_FACTOR};
#[cfg(feature = "json")]
pub(crate) use stats::CpuNs;
pub(crate) use stats::{CPU_BOUND, WAITS, link_callees};
pub use stats::{EdgeStats, FunctionStats, FutureStats};
pub(crate) use what_if::amdahl;

/// Nanoseconds as float seconds, the unit of pstats' files and tables.
pub(crate) fn seconds(ns: u64) -> f64 {
    ns as f64 * 1e-9
}
