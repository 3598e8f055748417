//! `#[profile]` on an inline `mod`: every fn in it, in its impl blocks and traits, and in its
//! inline submodules, recursively; `#[profile(skip)]` opts an item out.

#[profkit::profile]
mod store {
    pub struct Table(pub Vec<u64>);

    impl Table {
        pub fn total(&self) -> u64 {
            self.0.iter().map(|v| helpers::double(*v)).sum()
        }
    }

    pub fn load() -> Table {
        Table(vec![1, 2, 3])
    }

    #[profile(skip)]
    pub fn untimed() -> u64 {
        4
    }

    pub mod helpers {
        pub fn double(v: u64) -> u64 {
            v * 2
        }

        pub const fn constant() -> u64 {
            5
        }
    }

    #[profile(skip)]
    pub mod skipped {
        pub fn quiet() -> u64 {
            6
        }
    }
}

#[test]
fn every_function_in_the_module_tree_is_recorded() {
    let (v, report) = profkit::record(|| {
        store::load().total()
            + store::untimed()
            + store::helpers::constant()
            + store::skipped::quiet()
    });
    assert_eq!(v, 12 + 4 + 5 + 6);
    assert_eq!(report.function("modules::store::load").unwrap().ncalls(), 1);
    assert_eq!(
        report
            .function("modules::store::Table::total")
            .unwrap()
            .ncalls(),
        1
    );
    let double = report.function("modules::store::helpers::double").unwrap();
    assert_eq!(double.ncalls(), 3);
    assert_eq!(double.caller("Table::total").unwrap().ncalls(), 3);
    for absent in ["untimed", "constant", "quiet"] {
        assert!(report.function(absent).is_err(), "{absent}");
    }
    assert_eq!(report.len(), 3);
}
