//! `#[profile]` on a whole `impl` block: every fn is instrumented, `#[profile(skip)]` opts one
//! out, an inner `#[profile(name = ..)]` renames one, `const fn`s are left alone.

use profkit::profile;

struct Db {
    rows: Vec<u64>,
}

#[profile]
impl Db {
    fn new() -> Self {
        Db {
            rows: (0..10).collect(),
        }
    }

    fn get(&self, i: usize) -> u64 {
        self.rows[i]
    }

    fn sum(&self) -> u64 {
        (0..self.rows.len()).map(|i| self.get(i)).sum()
    }

    #[profile(skip)]
    fn len(&self) -> usize {
        self.rows.len()
    }

    #[profile(name = "db::scan")]
    fn scan(&self) -> u64 {
        self.sum()
    }

    const fn capacity() -> usize {
        10
    }

    const LIMIT: usize = 3;
}

#[test]
fn every_function_of_the_block_is_recorded_except_skip_and_const() {
    let (v, report) = profkit::record(|| {
        let db = Db::new();
        db.scan() + db.len() as u64 + Db::capacity() as u64 + Db::LIMIT as u64
    });
    assert_eq!(v, 45 + 10 + 10 + 3);
    assert_eq!(report.function("impl_blocks::Db::new").unwrap().ncalls(), 1);
    assert_eq!(report.function("Db::get").unwrap().ncalls(), 10);
    assert_eq!(report.function("Db::sum").unwrap().ncalls(), 1);
    assert_eq!(report.function("db::scan").unwrap().ncalls(), 1);
    assert_eq!(
        report
            .function("Db::sum")
            .unwrap()
            .caller("db::scan")
            .unwrap()
            .ncalls(),
        1
    );
    assert!(report.function("Db::len").is_err());
    assert!(report.function("Db::capacity").is_err());
    assert_eq!(report.len(), 4);
}
