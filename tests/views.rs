//! The call-tree view and the per-thread view.

use std::thread;
use std::time::Duration;

use profkit::profile;
use profkit::testing::{TestClock, advance};

#[profile]
fn load() {
    advance(Duration::from_millis(30));
}

#[profile]
fn parse() {
    advance(Duration::from_millis(10));
}

#[profile]
fn handle() {
    load();
    parse();
    parse();
}

#[profile]
fn main_loop() {
    for _ in 0..2 {
        handle();
    }
    load();
}

#[test]
fn the_call_tree_shows_each_path_with_its_share_of_parent_and_total() {
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(main_loop);
    assert_eq!(
        report.tree().to_string(),
        "   cumtime  % parent  % total     ncalls  call path
     0.130    100.0%   100.0%          1  views::main_loop
     0.100     76.9%    76.9%          2    views::handle
     0.060     60.0%    46.2%          2      views::load
     0.040     40.0%    30.8%          4      views::parse
     0.030     23.1%    23.1%          1    views::load
"
    );
    let shallow = report.tree().max_depth(2).to_string();
    assert_eq!(shallow.lines().count(), 1 + 3, "{shallow}");
    let big = report.tree().min_share(0.25).to_string();
    assert_eq!(
        big.lines().count(),
        1 + 4,
        "the 23.1% path is hidden: {big}"
    );
    let bigger = report.tree().min_share(0.35).to_string();
    assert_eq!(bigger.lines().count(), 1 + 3, "and the 30.8% one: {bigger}");
}

#[profile]
fn worker_step() {}

#[test]
fn threads_are_reported_by_name_including_threads_that_ended() {
    thread::scope(|s| {
        for i in 0..3 {
            thread::Builder::new()
                .name("views-worker".into())
                .spawn_scoped(s, move || {
                    for _ in 0..=i {
                        worker_step();
                    }
                })
                .unwrap();
        }
        thread::Builder::new()
            .name("views-other".into())
            .spawn_scoped(s, worker_step)
            .unwrap();
    });
    let report = profkit::report();
    let named = |name: &str| {
        report
            .threads()
            .iter()
            .find(|t| t.name() == name)
            .unwrap_or_else(|| panic!("no thread {name}"))
            .report()
            .function("worker_step")
            .unwrap()
            .ncalls()
    };
    assert_eq!(
        named("views-worker"),
        6,
        "three threads of one name, merged"
    );
    assert_eq!(named("views-other"), 1);
    assert_eq!(report.function("worker_step").unwrap().ncalls(), 7);
    let names: Vec<&str> = report.threads().iter().map(|t| t.name()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "sorted by name");
}
