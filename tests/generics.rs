//! Generic functions and methods: one row per source function, whatever the type arguments.

use std::fmt::Display;

use profkit::profile;

#[profile]
fn largest<T: PartialOrd + Copy>(items: &[T]) -> T {
    let mut best = items[0];
    for &item in items {
        if item > best {
            best = item;
        }
    }
    best
}

#[profile]
fn describe<T>(value: T) -> String
where
    T: Display,
{
    format!("<{value}>")
}

struct Wrapper<T>(T);

impl<T: Clone> Wrapper<T> {
    #[profile]
    fn get(&self) -> T {
        self.0.clone()
    }

    #[profile]
    fn map<U, F: Fn(T) -> U>(&self, f: F) -> Wrapper<U> {
        Wrapper(f(self.get()))
    }
}

#[profile]
fn const_generic<const N: usize>(array: [u8; N]) -> usize {
    array.len()
}

#[test]
fn monomorphizations_share_one_row() {
    let (_, report) = profkit::record(|| {
        assert_eq!(largest(&[1, 5, 3]), 5);
        assert_eq!(largest(&[1.5, 0.5]), 1.5);
        assert_eq!(largest(&['a', 'z']), 'z');
        assert_eq!(describe(1), "<1>");
        assert_eq!(describe("x"), "<x>");
        assert_eq!(Wrapper(2u8).map(|v| u32::from(v) * 2).get(), 4);
        assert_eq!(Wrapper("s").get(), "s");
        assert_eq!(const_generic([0; 3]) + const_generic([0; 7]), 10);
    });
    assert_eq!(report.function("generics::largest").unwrap().ncalls(), 3);
    assert_eq!(report.function("generics::describe").unwrap().ncalls(), 2);
    let get = report.function("generics::Wrapper::get").unwrap();
    assert_eq!(get.ncalls(), 3);
    assert_eq!(get.caller("generics::Wrapper::map").unwrap().ncalls(), 1);
    assert_eq!(report.function("const_generic").unwrap().ncalls(), 2);
}
