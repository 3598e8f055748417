// An enclosing #[profile] cannot see `timed` is #[profile]: it instruments `get` with the
// default options, and `timed`'s own options cannot apply, so they are refused.
use profkit::profile as timed;

struct Db;

#[profkit::profile]
impl Db {
    #[timed(name = "db::get")]
    fn get(&self) -> u32 {
        1
    }

    #[timed]
    fn put(&self) -> u32 {
        2
    }
}

fn main() {
    assert_eq!(Db.get() + Db.put(), 3);
}
