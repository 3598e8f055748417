unsafe extern "C" {
    /// The C library's `abs`.
    #[profkit::profile]
    safe fn abs(x: i32) -> i32;
}

fn main() {
    assert_eq!(abs(-3), 3);
}
