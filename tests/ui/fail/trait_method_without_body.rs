#[profkit::profile]
trait Store {
    #[profile]
    fn get(&self) -> u32;
}

struct Disk;

impl Store for Disk {
    fn get(&self) -> u32 {
        1
    }
}

fn main() {
    assert_eq!(Disk.get(), 1);
}
