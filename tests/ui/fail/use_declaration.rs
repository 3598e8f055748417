mod store {
    pub fn load() -> u32 {
        1
    }
}

/// Brings `load` in.
#[profkit::profile]
use store::load;

fn main() {
    assert_eq!(load(), 1);
}
