struct Db;

#[profkit::profile]
impl Db {
    #[profile(skip, name = "db::get")]
    fn get(&self) -> u32 {
        1
    }
}

fn main() {
    assert_eq!(Db.get(), 1);
}
