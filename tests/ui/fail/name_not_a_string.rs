#[profkit::profile(name = db_get)]
fn get() -> u32 {
    1
}

fn main() {
    assert_eq!(get(), 1);
}
