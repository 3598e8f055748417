//! `#[profile]` on trait impl methods, on trait default methods, on a whole trait impl and on a
//! whole trait (its default methods).

use profkit::profile;

trait Store {
    fn get(&self, key: u64) -> u64;

    #[profile]
    fn get_twice(&self, key: u64) -> u64 {
        self.get(key) + self.get(key)
    }

    fn overridden(&self) -> u64 {
        0
    }
}

struct Disk;
struct Memory;

impl Store for Disk {
    #[profile]
    fn get(&self, key: u64) -> u64 {
        key + 1
    }
}

#[profile]
impl Store for Memory {
    fn get(&self, key: u64) -> u64 {
        key + 2
    }

    fn overridden(&self) -> u64 {
        7
    }
}

#[profile]
trait Shape {
    fn area(&self) -> u64;

    fn double_area(&self) -> u64 {
        2 * self.area()
    }

    #[profile(skip)]
    fn skipped_default(&self) -> u64 {
        1
    }
}

struct Square(u64);

impl Shape for Square {
    fn area(&self) -> u64 {
        self.0 * self.0
    }
}

#[test]
fn trait_impl_methods_and_default_methods_are_rows() {
    let (v, report) = profkit::record(|| Disk.get_twice(1) + Memory.get_twice(1));
    assert_eq!(v, 4 + 6);
    let disk = report
        .function("<trait_methods::Disk as trait_methods::Store>::get")
        .unwrap();
    assert_eq!(disk.ncalls(), 2);
    assert_eq!(disk.caller("Store::get_twice").unwrap().ncalls(), 2);
    let twice = report.function("trait_methods::Store::get_twice").unwrap();
    assert_eq!(
        twice.ncalls(),
        2,
        "one row for the default method, whatever the impl"
    );
    let memory = report
        .function("<trait_methods::Memory as trait_methods::Store>::get")
        .unwrap();
    assert_eq!(memory.ncalls(), 2);
}

#[test]
fn a_whole_trait_impl_instruments_every_method() {
    let (v, report) = profkit::record(|| Memory.overridden());
    assert_eq!(v, 7);
    let f = report
        .function("<trait_methods::Memory as trait_methods::Store>::overridden")
        .unwrap();
    assert_eq!(f.ncalls(), 1);
}

#[test]
fn a_whole_trait_instruments_its_default_methods_but_skip() {
    let (v, report) = profkit::record(|| Square(3).double_area() + Square(1).skipped_default());
    assert_eq!(v, 19);
    assert_eq!(report.function("Shape::double_area").unwrap().ncalls(), 1);
    assert!(report.function("skipped_default").is_err());
    assert!(
        report.function("area").is_err(),
        "the impl is not instrumented"
    );
    assert_eq!(report.len(), 1);
}
