struct Db;

#[profkit::profile]
impl Db {
    #[profile]
    const fn limit() -> usize {
        10
    }
}

fn main() {
    assert_eq!(Db::limit(), 10);
}
