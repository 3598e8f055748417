#[profkit::profile(crate = "profkit", crate = "::profkit")]
fn get() -> u32 {
    1
}

fn main() {
    assert_eq!(get(), 1);
}
