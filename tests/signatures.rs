//! Signatures are kept whole: `impl Trait` returns, `unsafe fn`, `extern "C" fn`, lifetimes,
//! where clauses, patterns in parameters, `#[cfg]` on parameters, and the attributes, docs and
//! visibility around a function.

#![deny(unused_must_use)]

use profkit::profile;

#[profile]
fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|v| v % 2 == 0)
}

/// Doubles a value read through a raw pointer.
///
/// # Safety
/// `p` must be valid for reads.
#[profile]
unsafe fn read_doubled(p: *const u32) -> u32 {
    // SAFETY: the caller guarantees `p` is valid for reads.
    unsafe { *p * 2 }
}

#[profile]
extern "C" fn c_callback(x: i32) -> i32 {
    x + 1
}

#[profile]
fn longest<'a, 'b: 'a>(a: &'a str, b: &'b str) -> &'a str {
    if a.len() >= b.len() { a } else { b }
}

#[profile]
fn sum_pair((a, b): (u32, u32), [c, d]: [u32; 2], Wrapper(e): Wrapper) -> u32 {
    a + b + c + d + e
}

struct Wrapper(u32);

#[profile]
fn with_cfg(#[cfg(test)] in_test: u32, #[cfg(not(test))] in_test: u64) -> u64 {
    u64::from(in_test)
}

/// Documented, `#[must_use]`, `#[inline]`, public within the crate, with an inner attribute.
#[must_use = "the sum is the point"]
#[inline]
#[profile]
pub(crate) fn attributed(a: u32, b: u32) -> u32 {
    #![allow(clippy::let_and_return)]
    let sum = a + b;
    sum
}

#[profile]
fn early_return(v: Option<u32>) -> Result<u32, String> {
    let v = v.ok_or("none")?;
    if v > 10 {
        return Err(format!("{v} is too big"));
    }
    Ok(v)
}

#[test]
fn every_signature_form_compiles_and_is_recorded() {
    let (_, report) = profkit::record(|| {
        assert_eq!(evens(7).collect::<Vec<_>>(), [0, 2, 4, 6]);
        let x = 21;
        // SAFETY: `&x` is valid for reads.
        assert_eq!(unsafe { read_doubled(&x) }, 42);
        let f: extern "C" fn(i32) -> i32 = c_callback;
        assert_eq!(f(1), 2);
        assert_eq!(longest("ab", "abc"), "abc");
        assert_eq!(sum_pair((1, 2), [3, 4], Wrapper(5)), 15);
        assert_eq!(with_cfg(9), 9);
        assert_eq!(attributed(2, 3), 5);
        assert_eq!(early_return(Some(3)), Ok(3));
        assert_eq!(early_return(Some(30)), Err("30 is too big".into()));
        assert_eq!(early_return(None), Err("none".into()));
    });
    for name in [
        "evens",
        "read_doubled",
        "c_callback",
        "longest",
        "sum_pair",
        "with_cfg",
        "attributed",
    ] {
        assert_eq!(report.function(name).unwrap().ncalls(), 1, "{name}");
    }
    assert_eq!(report.function("early_return").unwrap().ncalls(), 3);
}
