#[profkit::profile(name = "a", name = "b")]
fn get() -> u32 {
    1
}

fn main() {
    assert_eq!(get(), 1);
}
