#[profkit::profile]
static HANDLER: fn(u32) -> u32 = |x| x + 1;

fn main() {
    assert_eq!(HANDLER(1), 2);
}
