//! Misuse of `#[profile]` gets one clear error with a span, and the item still compiles around
//! it (each case's `main` uses the item, so a missing item would add errors). The expected
//! messages are pinned in `tests/ui/fail/*.stderr` for the workspace's toolchain.

#[test]
fn misuse_is_one_spanned_error() {
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}
