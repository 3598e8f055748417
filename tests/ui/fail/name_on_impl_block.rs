struct Db;

#[profkit::profile(name = "db")]
impl Db {
    fn get(&self) -> u32 {
        1
    }
}

fn main() {
    assert_eq!(Db.get(), 1);
}
