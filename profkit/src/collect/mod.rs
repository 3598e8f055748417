//! **collect**: the hot path and nothing else. Call sites and their dense ids, the clock, each
//! thread's call tree (owner-written counters other threads can read), latency buckets, the
//! registry of recording threads, the scope guard and the async future wrapper, and the heap
//! accounting of the allocator wrapper. It hands the
//! floors above raw readings and nanosecond [`Profile`](crate::data::Profile)s, and never
//! imports anything above it: the exit report hooks itself in through
//! [`CallSite::from_nested_item`]'s `on_register`.

#[cfg(feature = "memory")]
mod alloc;
mod arena;
mod buckets;
pub(crate) mod calibrate;
pub(crate) mod clock;
pub(crate) mod cpu;
pub(crate) mod future;
mod future_counts;
pub(crate) mod guard;
pub(crate) mod local;
pub(crate) mod memory;
mod reading;
pub(crate) mod registry;
pub(crate) mod sampler;
pub(crate) mod sampling;
pub(crate) mod site;
pub(crate) mod sized_call;
mod sizes;
mod switch;

#[cfg(feature = "memory")]
pub use alloc::Alloc;
pub use clock::ClockKind;
pub use site::CallSite;
pub(crate) use site::SiteInfo;
pub(crate) use switch::parse_switch;
