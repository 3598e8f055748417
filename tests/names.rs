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

// Methods as real crates write them: trait impls and inherent impls in another module than
// their type's, std traits, generic types with a concrete parameter (rustc's `type_name`
// spells these `path::<impl Trait for Type>::method`, `core::iter::traits::iterator::..`).
pub mod shapes {
    pub struct Value;
    pub struct Counter(pub u32);
    pub struct Serializer<W, F>(pub W, pub F);
    pub struct PrettyFormatter;

    pub mod other {
        pub struct Value;
    }
}

pub trait Render {
    fn render(&self);
}

mod impls_elsewhere {
    use super::shapes::{Counter, PrettyFormatter, Serializer, Value, other};
    use super::{Render, profile};

    impl Render for Value {
        #[profile]
        fn render(&self) {}
    }

    impl Render for other::Value {
        #[profile]
        fn render(&self) {}
    }

    impl Value {
        #[profile]
        pub fn inherent(&self) {}
    }

    impl Iterator for Counter {
        type Item = u32;
        #[profile]
        fn next(&mut self) -> Option<u32> {
            self.0 = self.0.checked_sub(1)?;
            Some(self.0)
        }
    }

    impl std::ops::Add for Value {
        type Output = Value;
        #[profile]
        fn add(self, _other: Value) -> Value {
            Value
        }
    }

    impl<W> Serializer<W, PrettyFormatter> {
        #[profile]
        pub fn pretty(&self) {}
    }
}

fn methods_of_real_crates() -> profkit::Report {
    use shapes::{Counter, PrettyFormatter, Serializer, Value, other};
    profkit::record(|| {
        Value.render();
        other::Value.render();
        Value.inherent();
        assert_eq!(Counter(3).count(), 3);
        let _sum = Value + Value;
        Serializer(Vec::<u8>::new(), PrettyFormatter).pretty();
        Serializer(0u8, PrettyFormatter).pretty();
    })
    .1
}

const FULL: [&str; 6] = [
    "<names::shapes::Counter as core::iter::Iterator>::next",
    "<names::shapes::Value as core::ops::Add>::add",
    "<names::shapes::Value as names::Render>::render",
    "<names::shapes::other::Value as names::Render>::render",
    "names::shapes::Serializer<_, names::shapes::PrettyFormatter>::pretty",
    "names::shapes::Value::inherent",
];

#[test]
fn methods_written_anywhere_get_the_canonical_qualified_name() {
    let report = methods_of_real_crates();
    let mut names: Vec<&str> = report.functions().map(|f| f.name()).collect();
    names.sort_unstable();
    assert_eq!(names, FULL);
    // The files keep the full name.
    let json = report.to_json();
    assert!(json.contains(FULL[0]), "the JSON holds the full name");
    let back = profkit::Report::from_json_bytes(json.as_bytes()).unwrap();
    let mut read: Vec<&str> = back.functions().map(|f| f.name()).collect();
    read.sort_unstable();
    assert_eq!(read, FULL);
}

#[test]
fn tables_show_short_names_and_full_ones_when_asked() {
    let report = methods_of_real_crates();
    let mut short: Vec<String> = report
        .functions()
        .map(|f| f.short_name().into_owned())
        .collect();
    short.sort_unstable();
    assert_eq!(
        short,
        [
            "<Counter as Iterator>::next",
            "<Value as Add>::add",
            "<Value as Render>::render",
            "<Value as Render>::render",
            "Serializer<_, PrettyFormatter>::pretty",
            "Value::inherent",
        ]
    );
    let table = report.stats().to_string();
    assert!(table.contains("(<Value as Render>::render)\n"), "{table}");
    assert!(!table.contains("names::"), "{table}");
    let full = report.stats().full_names(true).to_string();
    for name in FULL {
        assert!(full.contains(&format!("({name})\n")), "{full}");
    }
    let latency = report.latency().to_string();
    assert!(
        latency
            .lines()
            .any(|l| l.starts_with("Serializer<_, PrettyFormatter>::pretty ")),
        "{latency}"
    );
    let latency = report.latency().full_names(true).to_string();
    assert!(
        latency.contains("\nnames::shapes::Serializer<_, names::shapes::PrettyFormatter>::pretty ")
    );
}

#[test]
fn look_ups_take_every_form_and_stay_ambiguity_checked() {
    let report = methods_of_real_crates();
    let render = "<names::shapes::Value as names::Render>::render";
    for query in [
        render,
        "names::impls_elsewhere::<impl names::Render for names::shapes::Value>::render",
        "shapes::Value::render",
        "<shapes::Value as Render>::render",
    ] {
        assert_eq!(report.function(query).unwrap().name(), render, "{query}");
    }
    let next = "<names::shapes::Counter as core::iter::Iterator>::next";
    for query in [
        "Counter::next",
        "<Counter as Iterator>::next",
        "<names::shapes::Counter as core::iter::traits::iterator::Iterator>::next",
    ] {
        assert_eq!(report.function(query).unwrap().name(), next, "{query}");
    }
    let pretty = "names::shapes::Serializer<_, names::shapes::PrettyFormatter>::pretty";
    for query in [
        "Serializer::pretty",
        "Serializer<_, PrettyFormatter>::pretty",
    ] {
        assert_eq!(report.function(query).unwrap().name(), pretty, "{query}");
    }
    assert_eq!(
        report.function("Value::add").unwrap().name(),
        "<names::shapes::Value as core::ops::Add>::add"
    );
    // Two types named `Value` render: the short forms name both, and say so.
    for query in ["Value::render", "<Value as Render>::render", "render"] {
        let err = report.function(query).unwrap_err().to_string();
        assert!(
            err.contains("names::shapes::Value as")
                && err.contains("names::shapes::other::Value as"),
            "{query}: {err}"
        );
    }
    // The assertions take the same names.
    report.expect("Counter::next").calls(4);
    report.expect("<Value as Add>::add").calls(1);
    report.expect_not_called("Value::missing");
}
