//! The entry points of `#[profile(size = ..)]`: a sized call is an ordinary call whose end
//! also records its input size with its inclusive time (and, when the allocator wrapper is
//! installed, what it allocated). Separate from [`guard`](super::guard) so that functions
//! without `size` run exactly the code they ran before.

use std::marker::PhantomData;
use std::sync::atomic::Ordering;

use super::guard::ENABLED;
use super::local;
use super::memory;
use super::site::CallSite;

/// The input size of a call: implemented for the integer types. `#[profile(size = expr)]`
/// converts `expr` with it, so an expression of another type is a compile error at `expr`.
/// Negative values count as 0; values above `u64::MAX` as `u64::MAX`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`#[profile(size = ..)]` takes an integer expression, not `{Self}`",
    label = "not an integer",
    note = "give the size of the call's input as an integer, e.g. `size = items.len()`"
)]
pub trait Size {
    /// This value as a size.
    fn to_size(self) -> u64;
}

macro_rules! unsigned_size {
    ($($t:ty),*) => {$(
        impl Size for $t {
            #[inline(always)]
            fn to_size(self) -> u64 {
                u64::try_from(self).unwrap_or(u64::MAX)
            }
        }
    )*};
}

macro_rules! signed_size {
    ($($t:ty),*) => {$(
        impl Size for $t {
            #[inline(always)]
            fn to_size(self) -> u64 {
                if self < 0 { 0 } else { u64::try_from(self).unwrap_or(u64::MAX) }
            }
        }
    )*};
}

unsigned_size!(u8, u16, u32, u64, u128, usize);
signed_size!(i8, i16, i32, i64, i128, isize);

impl<T: Size + Copy> Size for &T {
    #[inline(always)]
    fn to_size(self) -> u64 {
        (*self).to_size()
    }
}

/// Converts a `size = ..` expression (generated code calls it with the expression's span).
#[doc(hidden)]
#[inline(always)]
pub fn size<S: Size>(size: S) -> u64 {
    size.to_size()
}

/// An open sized call; dropping it ends the call and records its size with its time.
#[doc(hidden)]
#[must_use = "the call ends when the guard is dropped"]
pub struct SizedGuard {
    node: u32,
    size: u64,
    /// The thread's allocations on call paths as the call started, when memory is recorded.
    mem_start: Option<(u64, u64)>,
    _not_send: PhantomData<*const ()>,
}

/// Starts a call of `site` whose input has size `size` (evaluated before, by the caller).
#[doc(hidden)]
#[inline]
pub fn enter_sized(site: &'static CallSite, size: u64) -> SizedGuard {
    let node = if ENABLED.load(Ordering::Relaxed) {
        local::enter(site)
    } else {
        0
    };
    // After `enter`: what registering the site or a new path allocates is not the call's.
    let mem_start = if node != 0 {
        memory::allocated_on_paths()
    } else {
        None
    };
    SizedGuard {
        node,
        size,
        mem_start,
        _not_send: PhantomData,
    }
}

impl Drop for SizedGuard {
    #[inline]
    fn drop(&mut self) {
        if self.node != 0 {
            local::exit_call_sized(self.node, self.size, self.mem_start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_convert_to_sizes_saturating() {
        assert_eq!(size(7u8), 7);
        assert_eq!(size(-3i32), 0);
        assert_eq!(size(i64::MAX), i64::MAX as u64);
        assert_eq!(size(u128::MAX), u64::MAX);
        // A reference converts too (`size = *n` is not needed for `n: &usize`).
        assert_eq!([12usize].iter().map(size).next(), Some(12));
        assert_eq!(size(0isize), 0);
    }
}
