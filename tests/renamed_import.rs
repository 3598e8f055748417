//! `#[profile]` under another name (`use profkit::profile as timed`) inside an instrumented
//! `impl`, `mod` or `trait`, or twice on one function, still times each call once: the
//! enclosing attribute instruments the function and the inner one finds it done.

use profkit::profile as timed;

struct Db;

#[timed]
impl Db {
    #[timed]
    fn get(&self) -> u32 {
        1
    }

    fn put(&self) {}
}

#[timed]
mod jobs {
    use super::timed;

    #[timed]
    pub(super) fn run() -> u32 {
        helper() + 1
    }

    fn helper() -> u32 {
        1
    }

    #[timed]
    pub(super) mod nested {
        use super::timed;

        #[timed]
        pub(in super::super) fn deep() {}
    }
}

trait Store {
    fn load(&self) -> u32;
}

#[timed]
trait Describe {
    #[timed]
    fn describe(&self) -> u32 {
        7
    }
}

impl Describe for Db {}

#[timed]
impl Store for Db {
    #[timed]
    fn load(&self) -> u32 {
        2
    }
}

#[timed]
#[timed]
fn twice() -> u32 {
    3
}

#[timed]
#[profkit::profile]
async fn twice_async() -> u32 {
    4
}

#[path = "common/mod.rs"]
mod common;

#[test]
fn a_renamed_attribute_inside_an_instrumented_item_times_each_call_once() {
    let (sum, report) = profkit::record(|| {
        let db = Db;
        db.put();
        db.get()
            + jobs::run()
            + db.load()
            + db.describe()
            + twice()
            + common::block_on(twice_async())
            + {
                jobs::nested::deep();
                0
            }
    });
    assert_eq!(sum, 1 + 2 + 2 + 7 + 3 + 4);
    for name in [
        "Db::get",
        "Db::put",
        "jobs::run",
        "jobs::helper",
        "jobs::nested::deep",
        "Describe::describe",
        "<renamed_import::Db as renamed_import::Store>::load",
        "twice",
        "twice_async",
    ] {
        // One row (not two sites of one name), one call, no call of itself.
        let f = report
            .function(name)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((f.ncalls(), f.primitive_calls()), (1, 1), "{name}");
        assert!(f.callers().is_empty() || f.caller(name).is_err(), "{name}");
    }
    assert_eq!(report.len(), 9, "{report}");
}
