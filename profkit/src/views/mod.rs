//! **views**: a report as text. pstats' `print_stats` table (sorted and restricted), its
//! `print_callers`/`print_callees`, the latency table, the memory table, the live heap's growth
//! table, the complexity view and the call tree. Each view reads the model only and adds the
//! method that makes it to [`Report`](crate::Report); nothing below imports a view.

mod calls;
mod complexity;
mod complexity_svg;
mod growth;
mod latency;
mod memory;
mod text;
mod tree;
mod units;

pub use calls::CallsTable;
pub use complexity::ComplexityView;
pub(crate) use complexity::{fit_summary, points_text};
pub use growth::GrowthTable;
pub use latency::LatencyTable;
pub(crate) use latency::latency_text;
pub use memory::MemoryTable;
pub(crate) use memory::default_sort as default_memory_sort;
pub(crate) use memory::human_bytes;
pub use text::{ParseSortKeyError, SortKey, StatsTable};
pub use tree::TreeView;
