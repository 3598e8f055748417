//! The row name of every form `#[profile]` takes: the path a reader of the code would write,
//! never with `{{closure}}`, `::f` or generic placeholders; file and line point at the name.

mod common;
use common::block_on;

use profkit::profile;

#[profile]
fn free() {}

#[profile(name = "custom::name")]
fn renamed() {}

#[profile]
fn generic<T: Default>() -> T {
    T::default()
}

#[profile]
async fn free_async() {}

pub struct Db;
pub struct Cache<T>(T);
pub struct Disk;

impl Db {
    #[profile]
    fn get(&self) {}

    #[profile]
    async fn get_async(&self) {}
}

impl<T: Copy> Cache<T> {
    #[profile]
    fn peek(&self) -> T {
        self.0
    }
}

pub trait Store {
    fn load(&self);

    #[profile]
    fn describe(&self) {
        self.load();
    }
}

impl Store for Disk {
    #[profile]
    fn load(&self) {}
}

pub trait Codec<T> {
    fn encode(&self, value: T);
}

impl<T> Codec<T> for Disk {
    #[profile]
    fn encode(&self, _value: T) {}
}

#[async_trait::async_trait]
pub trait AsyncStore {
    async fn fetch(&self);
}

#[async_trait::async_trait]
impl AsyncStore for Disk {
    #[profile]
    async fn fetch(&self) {}
}

#[profile]
mod inner {
    pub struct Thing;
    impl Thing {
        pub fn run(&self) {}
    }
    pub mod deeper {
        pub fn leaf() {}
    }
}

#[profile]
fn evens() -> impl Iterator<Item = u32> {
    (0..4).filter(|v| v % 2 == 0)
}

/// # Safety
/// None needed; the form is what is tested.
#[profile]
unsafe fn unsafe_form() {}

#[profile]
extern "C" fn c_form() {}

#[profile]
fn located() {}
const LOCATED_LINE: u32 = line!() - 1;

#[test]
fn every_form_has_the_name_a_reader_expects() {
    let (_, report) = profkit::record(|| {
        free();
        renamed();
        let _: u8 = generic();
        let _: String = generic();
        block_on(free_async());
        Db.get();
        block_on(Db.get_async());
        assert_eq!(Cache(1u8).peek() + Cache(2u8).peek(), 3);
        Disk.describe();
        Disk.encode(1u8);
        Disk.encode("s");
        block_on(Disk.fetch());
        inner::Thing.run();
        inner::deeper::leaf();
        assert_eq!(evens().count(), 2);
        // SAFETY: `unsafe_form` has no preconditions.
        unsafe { unsafe_form() };
        c_form();
        profkit::profile_scope!("a scope");
        located();
    });
    let mut names: Vec<&str> = report.functions().map(|f| f.name()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "<names::Disk as names::AsyncStore>::fetch",
            "<names::Disk as names::Codec>::encode",
            "<names::Disk as names::Store>::load",
            "a scope",
            "custom::name",
            "names::Cache::peek",
            "names::Db::get",
            "names::Db::get_async",
            "names::Store::describe",
            "names::c_form",
            "names::evens",
            "names::free",
            "names::free_async",
            "names::generic",
            "names::inner::Thing::run",
            "names::inner::deeper::leaf",
            "names::located",
            "names::unsafe_form",
        ]
    );
    assert_eq!(report.function("located").unwrap().line(), LOCATED_LINE);
    // Every row points at its function's name: the line of `fn <name>` in this file.
    let source = include_str!("names.rs");
    for f in report.functions() {
        assert_eq!(f.file(), "tests/names.rs", "{}", f.name());
        if f.name() == "a scope" || f.name() == "custom::name" {
            continue;
        }
        let short = f.name().rsplit("::").next().unwrap();
        let pattern = format!("fn {short}(");
        let pattern_generic = format!("fn {short}<");
        let lines: Vec<u32> = source
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains(&pattern) || l.contains(&pattern_generic))
            .map(|(i, _)| i as u32 + 1)
            .collect();
        assert!(
            lines.contains(&f.line()),
            "{} is at line {}, `fn {short}` at {lines:?}",
            f.name(),
            f.line()
        );
    }
}
