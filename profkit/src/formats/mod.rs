//! **formats**: a report as a file, one module per format — pstats `.prof` written
//! (`pstats_write`) and read (`pstats_read`, over the `marshal` reader), profkit's JSON, folded
//! stacks, SVG flame graphs and pprof — and the atomic write and bounded read every file goes through
//! (`io`). Each format reads the model only; choosing a format by extension or by content is
//! done above, in `files`.

#[cfg(feature = "flamegraph")]
mod flame;
mod folded;
pub(crate) mod io;
#[cfg(feature = "json")]
mod json;
mod marshal;
#[cfg(feature = "pprof")]
mod pprof;
mod pstats_read;
mod pstats_write;

pub use folded::StackMetric;
pub use io::write_atomic;
