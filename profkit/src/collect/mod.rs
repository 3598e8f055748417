//! **collect**: the hot path and nothing else. Call sites and their dense ids, the clock, each
//! thread's call tree (owner-written counters other threads can read), latency buckets, the
//! registry of recording threads, the scope guard and the async future wrapper. It hands the
//! floors above raw readings and nanosecond [`Profile`](crate::data::Profile)s, and never
//! imports anything above it: the exit report hooks itself in through
//! [`CallSite::from_nested_item`]'s `on_register`.

mod arena;
mod buckets;
pub(crate) mod clock;
pub(crate) mod future;
pub(crate) mod guard;
pub(crate) mod local;
mod reading;
pub(crate) mod registry;
pub(crate) mod site;

pub use clock::ClockKind;
pub use site::CallSite;
pub(crate) use site::{FutureTotals, SiteInfo};
