//! `#[profile]` on inherent methods with every kind of receiver.

use std::pin::Pin;

use profkit::profile;

#[derive(Default)]
struct Counter {
    n: u64,
}

impl Counter {
    #[profile]
    fn by_ref(&self) -> u64 {
        self.n
    }

    #[profile]
    fn by_mut(&mut self) -> u64 {
        self.n += 1;
        self.n
    }

    #[profile]
    fn by_value(self) -> u64 {
        self.n * 10
    }

    #[allow(clippy::boxed_local)] // the receiver kind is what this test is about
    #[profile]
    fn boxed(self: Box<Self>) -> u64 {
        self.n * 100
    }

    #[profile]
    fn pinned(self: Pin<&mut Self>) -> u64 {
        self.get_mut().n += 5;
        0
    }

    /// An associated function (no receiver) calling a method.
    #[profile]
    fn build(n: u64) -> Self {
        let mut c = Counter { n };
        c.by_mut();
        c
    }
}

#[test]
fn every_receiver_kind_is_recorded_and_behaves_unchanged() {
    let (total, report) = profkit::record(|| {
        let mut c = Counter::build(1);
        let a = c.by_ref() + c.by_mut();
        let mut pinned = Counter::default();
        Pin::new(&mut pinned).pinned();
        let b = Box::new(Counter { n: pinned.n }).boxed();
        a + c.by_value() + b
    });
    assert_eq!(total, 2 + 3 + 30 + 500);
    for (name, calls) in [
        ("Counter::by_ref", 1),
        ("Counter::by_mut", 2),
        ("Counter::by_value", 1),
        ("Counter::boxed", 1),
        ("Counter::pinned", 1),
        ("Counter::build", 1),
    ] {
        let f = report.function(name).unwrap();
        assert_eq!(f.name(), format!("methods::{name}"));
        assert_eq!(f.ncalls(), calls, "{name}");
    }
    let by_mut = report.function("by_mut").unwrap();
    assert_eq!(by_mut.caller("Counter::build").unwrap().ncalls(), 1);
}
