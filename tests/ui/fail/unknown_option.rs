#[profkit::profile(nmae = "db::get")]
fn get() -> u32 {
    1
}

fn main() {
    assert_eq!(get(), 1);
}
