#[profkit::profile(crate = "not a path")]
fn get() -> u32 {
    1
}

#[profkit::profile(crate = profkit)]
fn put() -> u32 {
    2
}

fn main() {
    assert_eq!(get() + put(), 3);
}
