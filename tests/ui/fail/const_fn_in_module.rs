#[profkit::profile]
mod store {
    pub struct Table;

    impl Table {
        #[profile]
        pub const fn capacity() -> usize {
            8
        }
    }
}

fn main() {
    assert_eq!(store::Table::capacity(), 8);
}
